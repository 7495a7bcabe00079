//! Layer 3, validate: each node's arguments checked against its operator's spec, and the
//! pipeline checked as a whole (an input, an output, every stream reaching an output, input
//! types the runtime can feed).

use crate::diagnostics::Diagnostics;
use crate::duration::parse_duration;
use crate::graph::{Graph, NodeId, NodeKind};
use crate::ops::{ArgKind, Codegen, OperatorSpec, Slide, StateTypeInputs};
use crate::parse::Call;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, Type};

pub fn validate(g: &mut Graph, diags: &mut Diagnostics) {
    for id in 0..g.nodes.len() {
        match g.nodes[id].kind {
            NodeKind::Op { spec, call } => {
                if let Some((streams, values, millis)) = arguments(g, spec, call, diags) {
                    let node = &mut g.nodes[id];
                    for (stream, span) in streams {
                        node.inputs.push(stream);
                        node.input_spans.push(span);
                    }
                    node.values = values;
                    node.millis = millis;
                }
            }
            NodeKind::Input { ty } => check_input_type(ty, diags),
        }
    }
    for i in 0..g.outputs.len() {
        let (spec, call) = (g.outputs[i].spec, g.outputs[i].call);
        if let Some((_, values, _)) = arguments(g, spec, call, diags) {
            g.outputs[i].values = values;
        }
    }
    slides(g, diags);
    stateful(g, diags);
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

/// A call's stream arguments (with where each is written), its other arguments by position
/// (`None` for optional ones not given) and those arguments' milliseconds where durations.
type Arguments<'a> = (
    Vec<(NodeId, proc_macro2::Span)>,
    Vec<Option<&'a Expr>>,
    Vec<Option<u64>>,
);

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
    let mut millis = Vec::new();
    let mut ok = true;
    let mut args = call.args.iter().peekable();
    for arg_spec in spec.args {
        if arg_spec.kind == ArgKind::Stream {
            let count = if arg_spec.repeat { args.len() } else { 1 };
            for arg in args.by_ref().take(count) {
                match stream_name(arg).map(|ident| (ident, g.resolve(ident, diags))) {
                    Some((ident, Some(id))) => streams.push((id, ident.span())),
                    Some((_, None)) => ok = false,
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
                }
            }
            continue;
        }
        match args.next_if(|a| arg_spec.kind.fits(a)) {
            Some(arg) => {
                values.push(Some(arg));
                millis.push(match arg_spec.kind {
                    ArgKind::Duration => match parse_duration(arg) {
                        Ok(ms) => Some(ms),
                        Err(msg) => {
                            diags.error(
                                arg.span(),
                                format!("invalid `{}` of `{}`: {msg}", arg_spec.name, spec.name),
                            );
                            ok = false;
                            None
                        }
                    },
                    _ => None,
                });
            }
            None if arg_spec.optional => {
                values.push(None);
                millis.push(None);
            }
            None => {
                let at = args.peek().map_or(call.span, |a| a.span());
                diags.error(
                    at,
                    format!(
                        "`{}` needs {} as its `{}` argument: `{}`",
                        spec.name,
                        arg_spec.kind.describe(),
                        arg_spec.name,
                        spec.signature()
                    ),
                );
                return None;
            }
        }
    }
    if let Some(extra) = args.next() {
        diags.error(
            extra.span(),
            format!(
                "unexpected argument: `{}` takes `{}`",
                spec.name,
                spec.signature()
            ),
        );
        return None;
    }
    ok.then_some((streams, values, millis))
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
        if let Some(l) = r.lifetime.as_ref().filter(|l| l.ident != "static") {
            diags.error(
                l.span(),
                "leave the lifetime of a borrowed input out (`&str`): records live as long as their batch",
            );
        }
    }
}

/// Whether `check_input_type` accepts `ty`.
pub fn input_type_is_valid(ty: &Type) -> bool {
    !matches!(ty, Type::Reference(r)
        if r.mutability.is_some() || r.lifetime.as_ref().is_some_and(|l| l.ident != "static"))
}

/// How often each stream has a batch: inputs every batch, windows every slide, the rest as
/// their inputs, which must agree. Windows and slides must be multiples of the parent's slide
/// (Spark checks this when the DStream is built; here `cargo build` does).
fn slides(g: &mut Graph, diags: &mut Diagnostics) {
    let batch_ms = g.batch_ms.unwrap_or(1000);
    for id in 0..g.nodes.len() {
        let node = &g.nodes[id];
        let Some(spec) = node.spec() else {
            g.nodes[id].slide_ms = batch_ms;
            continue;
        };
        let Some(&parent) = node.inputs.first() else {
            g.nodes[id].slide_ms = batch_ms;
            continue;
        };
        let parent_ms = g.nodes[parent].slide_ms;
        let slide_ms = match spec.slide {
            Slide::Inherit => {
                for (&other, span) in node.inputs[1..].iter().zip(&node.input_spans) {
                    let other_ms = g.nodes[other].slide_ms;
                    if other_ms != parent_ms {
                        diags.error(
                            *span,
                            format!(
                                "`{}` needs streams with one slide, but `{}` has a batch every {parent_ms} ms and `{}` every {other_ms} ms \
                                 (Spark: \"Some of the DStreams have different slide durations\"); window them alike first",
                                spec.name, g.nodes[parent].label, g.nodes[other].label
                            ),
                        );
                    }
                }
                parent_ms
            }
            Slide::Windowed { window, slide } => {
                let parent_label = &g.nodes[parent].label;
                let parent_is_input = matches!(g.nodes[parent].kind, NodeKind::Input { .. });
                let mut check = |index: usize, what: &str| {
                    let ms = node.millis.get(index).copied().flatten()?;
                    if ms % parent_ms != 0 {
                        let span = node.values[index].map_or(Span::call_site(), |v| v.span());
                        let parent = if parent_is_input {
                            format!("the batch interval ({parent_ms} ms)")
                        } else {
                            format!(
                                "the slide of its parent stream `{parent_label}` ({parent_ms} ms)"
                            )
                        };
                        diags.error(
                            span,
                            format!(
                                "the {what} of `{}` ({ms} ms) must be a multiple of {parent}; use {}",
                                spec.name,
                                nearest_multiples(ms, parent_ms)
                            ),
                        );
                    }
                    Some(ms)
                };
                check(window, "window");
                check(slide, "slide").unwrap_or(parent_ms)
            }
        };
        g.nodes[id].slide_ms = slide_ms;
    }
}

/// Stateful operators: their state's type must be known (an annotation says it), the ones
/// that must survive a restart need `checkpoint`, `state_snapshots` reads a `map_with_state`;
/// and the checkpoint interval must fit the batch interval.
fn stateful(g: &Graph, diags: &mut Diagnostics) {
    for node in &g.nodes {
        let NodeKind::Op { spec, call } = node.kind else {
            continue;
        };
        if node.values.len()
            != spec
                .args
                .iter()
                .filter(|a| a.kind != ArgKind::Stream)
                .count()
        {
            // Its arguments were refused (and reported) already.
            continue;
        }
        if let Codegen::Snapshot(_) = spec.codegen {
            let parent = node.inputs.first().and_then(|&p| g.nodes[p].spec());
            if parent.is_none_or(|p| p.name != "map_with_state") {
                diags.error(call.method.span(), "`state_snapshots` reads the state of a `map_with_state`: call it on a `map_with_state` stream");
            }
        }
        let Some(stateful) = spec.stateful() else {
            continue;
        };
        let inputs = StateTypeInputs {
            annotation: node.annotation,
            values: &node.values,
        };
        if let Err(message) = (stateful.state_type)(&inputs) {
            diags.error(call.method.span(), message);
        }
        if (stateful.needs_checkpoint)(&node.values) && g.checkpoint.is_none() {
            diags.error(
                call.method.span(),
                format!(
                    "`{}` keeps state that must survive a restart, so the pipeline must checkpoint it: \
                     add `checkpoint;` (or `checkpoint every 10s;`) to pipeline `{}`{} \
                     (Spark fails at start: \"The checkpoint directory has not been set\")",
                    spec.name,
                    g.decl.name,
                    if spec.args.iter().any(|a| a.name == "inverse") {
                        ", or drop the inverse function (the window is then recomputed at each slide)"
                    } else {
                        ""
                    }
                ),
            );
        }
    }
    if let (Some(checkpoint), Some(batch_ms)) = (&g.checkpoint, g.batch_ms)
        && let Some(every) = checkpoint.every_ms
        && every % batch_ms != 0
    {
        diags.error(
            checkpoint.every_span,
            format!(
                "the checkpoint interval ({every} ms) must be a multiple of the batch interval ({batch_ms} ms); use {}",
                nearest_multiples(every, batch_ms)
            ),
        );
    }
}

/// "`n` ms or `m` ms": the multiples of `unit` around `ms` (just one if `ms` is below `unit`).
fn nearest_multiples(ms: u64, unit: u64) -> String {
    let (below, above) = ((ms / unit) * unit, (ms / unit + 1) * unit);
    if below == 0 {
        format!("{above} ms")
    } else {
        format!("{below} ms or {above} ms")
    }
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
