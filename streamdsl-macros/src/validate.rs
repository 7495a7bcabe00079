//! Layer 3, validate: each node's arguments checked against its operator's spec, and the
//! pipeline checked as a whole (an input, an output, every stream reaching an output, input
//! types the runtime can feed).

use crate::diagnostics::Diagnostics;
use crate::graph::{Graph, NodeId, NodeKind};
use crate::ops::{ArgKind, OperatorSpec};
use crate::parse::Call;
use syn::spanned::Spanned;
use syn::{Expr, Type};

pub fn validate(g: &mut Graph, diags: &mut Diagnostics) {
    for id in 0..g.nodes.len() {
        match g.nodes[id].kind {
            NodeKind::Op { spec, call } => {
                if let Some((streams, values)) = arguments(g, spec, call, diags) {
                    let node = &mut g.nodes[id];
                    for (stream, span) in streams {
                        node.inputs.push(stream);
                        node.input_spans.push(span);
                    }
                    node.values = values;
                }
            }
            NodeKind::Input { ty } => check_input_type(ty, diags),
        }
    }
    for i in 0..g.outputs.len() {
        let (spec, call) = (g.outputs[i].spec, g.outputs[i].call);
        if let Some((_, values)) = arguments(g, spec, call, diags) {
            g.outputs[i].values = values;
        }
    }
    let name = &g.decl.name;
    let has_input = g
        .nodes
        .iter()
        .any(|n| matches!(n.kind, NodeKind::Input { .. }));
    let has_output = g.output_statements > 0;
    match (has_input, has_output) {
        (false, false) => diags.error(
            name.span(),
            format!(
                "pipeline `{name}` has no input and no output; declare one, e.g. \
                 `input lines: String;`, and an output such as `lines.pprint();`"
            ),
        ),
        (false, true) => diags.error(
            name.span(),
            format!("pipeline `{name}` has no input; declare one, e.g. `input lines: String;`"),
        ),
        (true, false) => diags.error(
            name.span(),
            format!(
                "pipeline `{name}` has no output operation, so it would compute nothing \
                 (Spark: \"No output operations registered, so nothing to execute\"); \
                 add one, e.g. `stream.pprint();`"
            ),
        ),
        (true, true) => {}
    }
    if g.outputs.is_empty() || g.outputs.len() < g.output_statements {
        // Streams feeding a missing or broken output would all look unused.
        return;
    }
    for id in unused(g) {
        let node = &g.nodes[id];
        if node.name.is_some() {
            diags.error(
                node.span(),
                format!(
                    "stream `{}` never reaches an output, so it would never be computed; \
                     use it in an output (e.g. `{}.pprint();`) or remove it",
                    node.label, node.label
                ),
            );
        }
    }
}

/// A call's stream arguments (with where each is written) and its other arguments.
type Arguments<'a> = (Vec<(NodeId, proc_macro2::Span)>, Vec<&'a Expr>);

/// The stream inputs and the other arguments of a call, checked against the spec.
fn arguments<'a>(
    g: &Graph<'a>,
    spec: &OperatorSpec,
    call: &'a Call,
    diags: &mut Diagnostics,
) -> Option<Arguments<'a>> {
    let given = call.args.len();
    let required = spec.args.iter().filter(|a| !a.optional).count();
    let repeats = spec.args.last().is_some_and(|a| a.repeat);
    if given < required || (!repeats && given > spec.args.len()) {
        let expected = if repeats {
            format!("at least {required}")
        } else if required == spec.args.len() {
            required.to_string()
        } else {
            format!("{required} to {}", spec.args.len())
        };
        diags.error(
            call.span,
            format!(
                "`{}` takes {expected} argument{}: `{}`, but {given} {} given",
                spec.name,
                if expected == "1" { "" } else { "s" },
                spec.signature(),
                if given == 1 { "was" } else { "were" },
            ),
        );
        return None;
    }
    let mut streams = Vec::new();
    let mut values = Vec::new();
    let mut ok = true;
    for (i, arg) in call.args.iter().enumerate() {
        let arg_spec = &spec.args[i.min(spec.args.len() - 1)];
        match arg_spec.kind {
            ArgKind::Stream => match stream_name(arg) {
                Some(ident) => match g.resolve(ident, diags) {
                    Some(id) => streams.push((id, ident.span())),
                    None => ok = false,
                },
                None => {
                    diags.error(
                        arg.span(),
                        format!(
                            "`{}` takes the name of another stream here (its `{}` argument)",
                            spec.name, arg_spec.name
                        ),
                    );
                    ok = false;
                }
            },
            ArgKind::Function | ArgKind::Value => values.push(arg),
        }
    }
    ok.then_some((streams, values))
}

fn stream_name(expr: &Expr) -> Option<&syn::Ident> {
    match expr {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
        _ => None,
    }
}

/// Inputs are typed ports: an owned type, or `&T` to borrow records from the batch.
fn check_input_type(ty: &Type, diags: &mut Diagnostics) {
    if let Type::Reference(r) = ty {
        if let Some(m) = &r.mutability {
            diags.error(
                m.span(),
                "an input cannot be `&mut`: records are read, not changed in place; use `&T` or an owned type",
            );
        }
        if let Some(l) = &r.lifetime {
            diags.error(
                l.span(),
                "leave the lifetime of a borrowed input out (`&str`): records live as long as their batch",
            );
        }
    }
}

/// Whether `check_input_type` accepts `ty`.
pub fn input_type_is_valid(ty: &Type) -> bool {
    !matches!(ty, Type::Reference(r) if r.mutability.is_some() || r.lifetime.is_some())
}

/// Nodes from which no output can be reached.
fn unused(g: &Graph) -> Vec<NodeId> {
    let mut reaches = vec![false; g.nodes.len()];
    for o in &g.outputs {
        reaches[o.node] = true;
    }
    // Inputs of a node always come before it, so one backwards pass is enough.
    for id in (0..g.nodes.len()).rev() {
        if reaches[id] {
            for &input in &g.nodes[id].inputs {
                reaches[input] = true;
            }
        }
    }
    (0..g.nodes.len()).filter(|&id| !reaches[id]).collect()
}
