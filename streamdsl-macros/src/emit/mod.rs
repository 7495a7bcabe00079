//! Layer 5, emit: Rust code from the checked model and the plan, in four parts:
//! [`types`] (the pipeline type, its state struct, builders and description),
//! [`run_batch`] (the per-batch function, every fused chain inlined as one loop),
//! [`fingerprint`] (what a checkpoint must match) and [`stub`] (the pipeline type alone,
//! next to compile errors).
//!
//! Generated items name the runtime through one alias, [`names::RUNTIME`], bound inside
//! `const _: () = { … }` to `<crate path>::__private`, where the crate path is `::streamdsl`
//! or what `#![streamdsl(crate = "…")]` says.

mod fingerprint;
mod run_batch;
mod stub;
mod types;

pub use stub::stub;

use crate::model::{CheckedPipeline, NodeId};
use crate::ops::names;
use crate::plan::Plan;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// The full pipeline.
pub fn emit(p: &CheckedPipeline, plan: &Plan, krate: &syn::Path) -> TokenStream {
    let state = types::PipelineState::of(p);
    let info = types::Info {
        batch_ms: p.batch_ms,
        outputs: p
            .outputs
            .iter()
            .map(|o| {
                let label = o.args.get("label").and_then(|arg| match arg.expr {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some(s.value()),
                    _ => None,
                });
                (o.spec.name, p.nodes[o.node].label.clone(), label)
            })
            .collect(),
        checkpoint_ms: p.checkpoint_ms,
        fingerprint: fingerprint::fingerprint(p, &state),
        state,
    };
    let body = run_batch::body(p, plan, &info.state);
    types::pipeline_type(&p.signature, &info, body, krate)
}

/// The runtime's `__private` module as generated code names it: through the alias inside the
/// generated items, by its full path in the struct definitions outside them.
pub struct Runtime {
    pub full: TokenStream,
    pub alias: Ident,
}

impl Runtime {
    pub fn new(krate: &syn::Path) -> Self {
        Runtime {
            full: quote!(#krate::__private),
            alias: names::at(names::RUNTIME, Span::call_site()),
        }
    }
}

/// Names of generated variables, spanned by the user's token they stand for, so that errors
/// about them point there (rustc reports errors about names spanned inside the expansion on
/// the whole macro call). They resolve like the user's own names; the `__` prefix is
/// reserved for them. Each kind of variable has its letter: `s` a stage's batch, `m` a
/// record marker, `st` a state, `f` an operator's closure (and, by `OpCall::fresh`, its other
/// variables), `a` a sink, `c` the proof that a batch's records are `Clone`, `v` a borrowed
/// view, `o` an output's closure, `b` a present batch of a sparse stream.
fn var(letter: &str, id: usize, at: Span) -> Ident {
    format_ident!("__{}{}", letter, id, span = at)
}

/// The same variable, spanned by another token (its use rather than its definition).
fn at(ident: &Ident, span: Span) -> Ident {
    let mut relocated = ident.clone();
    relocated.set_span(span);
    relocated
}

fn batch_var(p: &CheckedPipeline, id: NodeId) -> Ident {
    var("s", id, p.nodes[id].span)
}

fn marker_var(p: &CheckedPipeline, id: NodeId) -> Ident {
    var("m", id, p.nodes[id].span)
}

/// The variable holding a stateful operator's state while a batch runs.
fn state_var(p: &CheckedPipeline, id: NodeId) -> Ident {
    var("st", id, p.nodes[id].span)
}

fn state_struct_name(pipeline: &Ident) -> Ident {
    format_ident!("{}State", pipeline)
}

#[cfg(test)]
mod tests {
    use crate::test_support::parse;

    #[test]
    fn generated_code_names_the_runtime_only_through_the_crate_path() {
        let decl = parse(
            "pipeline P { batch = 1s; checkpoint; input words: (String, u64);
             let totals: (String, u64) = words.update_state_by_key(|n: Vec<u64>, s: Option<u64>| s);
             totals.join(words).pprint(); }",
        );
        let mut diags = crate::diagnostics::Diagnostics::default();
        let graph = crate::graph::build(&decl, &mut diags);
        let checked = crate::validate::validate(&graph, &mut diags).expect("no errors");
        let krate: syn::Path = syn::parse_quote!(::elsewhere);
        let code = super::emit(&checked, &crate::plan::plan(&checked), &krate).to_string();
        assert!(!code.contains(":: streamdsl"), "{code}");
        // The struct definitions (outside the alias' scope: the input slots, the state, the
        // inputs' default `Bound`) and the alias itself.
        assert_eq!(
            code.matches(":: elsewhere :: __private").count(),
            4,
            "{code}"
        );
    }
}
