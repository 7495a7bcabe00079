//! The fingerprint: what a checkpoint must match to be restored into this pipeline (inputs,
//! operators with their windows and state types, outputs), one line each. A checkpoint
//! written by a pipeline with other lines is refused with the lines that differ.

use super::types::PipelineState;
use crate::model::{CheckedKind, CheckedPipeline};
use proc_macro2::TokenStream;
use quote::quote;

pub fn fingerprint(p: &CheckedPipeline, state: &PipelineState) -> Vec<String> {
    let squash = |t: TokenStream| t.to_string().replace(' ', "");
    let mut lines = vec![format!("batch {} ms", p.batch_ms)];
    for (id, node) in p.nodes.iter().enumerate() {
        lines.push(match &node.kind {
            CheckedKind::Input { ty } => format!("input {}: {}", node.label, squash(quote!(#ty))),
            CheckedKind::Op(op) => {
                let inputs: Vec<&str> = op
                    .inputs
                    .iter()
                    .map(|edge| p.nodes[edge.from].label.as_str())
                    .collect();
                let durations: Vec<String> = op
                    .args
                    .iter()
                    .filter_map(|arg| arg.millis)
                    .map(|ms| format!("{ms} ms"))
                    .collect();
                let state = state.fields.iter().find(|f| f.node == id).map(|f| {
                    // Relative to the runtime's `state` module, whatever the crate path.
                    let ty = squash(f.ty.clone());
                    format!(", state {}", ty.strip_prefix("state::").unwrap_or(&ty))
                });
                format!(
                    "{} = {}({}) of {}, slide {} ms{}",
                    node.label,
                    op.spec.name,
                    durations.join(", "),
                    inputs.join(", "),
                    node.slide_ms,
                    state.unwrap_or_default()
                )
            }
        });
    }
    for o in &p.outputs {
        lines.push(format!(
            "output {} of {}",
            o.spec.name, p.nodes[o.node].label
        ));
    }
    lines
}
