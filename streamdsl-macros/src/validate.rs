//! Layer 3, validate: each node's arguments checked against its operator's spec, and the
//! pipeline checked as a whole (an input, an output, every stream reaching an output, input
//! types the runtime can feed, slides that fit). Its result is the checked model that `plan`
//! and `emit` read.

use crate::diagnostics::Diagnostics;
use crate::duration::parse_duration;
use crate::graph::{Graph, Node, NodeId, NodeKind};
use crate::model::{
    Arg, Args, CheckedKind, CheckedNode, CheckedOp, CheckedOutput, CheckedPipeline, Edge,
};
use crate::ops::{ArgKind, Kind, NeedsCheckpoint, OperatorSpec, Slide, StateTypeInputs};
use crate::parse::Call;
use proc_macro2::TokenStream;
use syn::spanned::Spanned;
use syn::{Expr, Type};

/// A node's resolved inputs and arguments, as far as they could be checked.
struct Resolved<'a> {
    inputs: Vec<Edge>,
    args: Args<'a>,
    /// Whether its arguments were accepted (else they are reported, and the checks that
    /// read them skip the node).
    ok: bool,
}

/// The checked model of `g`, or `None` if anything was reported.
pub fn validate<'a>(g: &Graph<'a>, diags: &mut Diagnostics) -> Option<CheckedPipeline<'a>> {
    let resolved: Vec<Resolved<'a>> = g
        .nodes
        .iter()
        .map(|node| match node.kind {
            NodeKind::Op {
                spec,
                call,
                receiver,
            } => resolve(g, spec, call, receiver, diags),
            NodeKind::Input { ty } => {
                check_input_type(ty, diags);
                Resolved {
                    inputs: Vec::new(),
                    args: Args::default(),
                    ok: true,
                }
            }
        })
        .collect();
    let outputs: Vec<Option<Args<'a>>> = g
        .outputs
        .iter()
        .map(|o| arguments(g, o.spec, o.call, diags).map(|(_, args)| args))
        .collect();
    // Without a valid interval (reported already) the other checks still run, on 1 s.
    let batch_ms = g.batch_ms.unwrap_or(1000);
    let slides = slides(g, &resolved, batch_ms, diags);
    let state_types = stateful(g, &resolved, diags);
    let checkpoint_ms = checkpoint_interval(g, diags);
    whole_pipeline(g, &resolved, diags);
    if diags.has_errors() {
        return None;
    }
    let nodes = g
        .nodes
        .iter()
        .zip(resolved)
        .zip(slides)
        .zip(state_types)
        .map(|(((node, resolved), slide_ms), state_type)| CheckedNode {
            name: node.name,
            label: node.label.clone(),
            span: node.span(),
            slide_ms,
            kind: match node.kind {
                NodeKind::Input { ty } => CheckedKind::Input { ty },
                NodeKind::Op { spec, call, .. } => CheckedKind::Op(CheckedOp {
                    spec,
                    method_span: call.method.span(),
                    inputs: resolved.inputs,
                    args: resolved.args,
                    annotation: node.annotation,
                    state_type,
                }),
            },
        })
        .collect();
    let outputs = g
        .outputs
        .iter()
        .zip(outputs)
        .map(|(o, args)| CheckedOutput {
            spec: o.spec,
            method_span: o.call.method.span(),
            node: o.node,
            args: args.expect("arguments with errors are reported"),
        })
        .collect();
    Some(CheckedPipeline {
        signature: g.decl.signature(),
        batch_ms,
        checkpoint_ms,
        nodes,
        outputs,
    })
}

/// The inputs (receiver first) and arguments of an operator node.
fn resolve<'a>(
    g: &Graph<'a>,
    spec: &OperatorSpec,
    call: &'a Call,
    receiver: NodeId,
    diags: &mut Diagnostics,
) -> Resolved<'a> {
    let mut inputs = vec![Edge {
        from: receiver,
        span: call.method.span(),
    }];
    match arguments(g, spec, call, diags) {
        Some((streams, args)) => {
            inputs.extend(streams);
            Resolved {
                inputs,
                args,
                ok: true,
            }
        }
        None => Resolved {
            inputs,
            args: Args::default(),
            ok: false,
        },
    }
}

/// A call's stream arguments and its other arguments, checked against the spec; `None` if
/// anything was reported.
fn arguments<'a>(
    g: &Graph<'a>,
    spec: &OperatorSpec,
    call: &'a Call,
    diags: &mut Diagnostics,
) -> Option<(Vec<Edge>, Args<'a>)> {
    if !argument_count_fits(spec, call, diags) {
        return None;
    }
    let (named, positional) = named_arguments(spec, call, diags)?;
    let mut streams = Vec::new();
    let mut args = Args::default();
    let mut ok = true;
    let mut given = positional.into_iter().peekable();
    for arg_spec in spec.args {
        let by_name = named.iter().find(|(name, _)| name == arg_spec.name);
        if arg_spec.kind == ArgKind::Stream && by_name.is_none() {
            let count = if arg_spec.repeat { given.len() } else { 1 };
            for arg in given.by_ref().take(count) {
                match stream_argument(g, spec, arg_spec.name, arg, diags) {
                    Some(edge) => streams.push(edge),
                    None => ok = false,
                }
            }
            continue;
        }
        let expr = match by_name {
            Some((_, expr)) if arg_spec.kind == ArgKind::Stream => {
                match stream_argument(g, spec, arg_spec.name, expr, diags) {
                    Some(edge) => streams.push(edge),
                    None => ok = false,
                }
                continue;
            }
            Some((_, expr)) if !arg_spec.kind.fits(expr) => {
                diags.error(
                    expr.span(),
                    format!(
                        "`{}` of `{}` must be {}",
                        arg_spec.name,
                        spec.name,
                        arg_spec.kind.describe()
                    ),
                );
                ok = false;
                continue;
            }
            Some((_, expr)) => Some(*expr),
            None => given.next_if(|a| arg_spec.kind.fits(a)),
        };
        match expr {
            Some(expr) => {
                let millis = match arg_spec.kind {
                    ArgKind::Duration => match parse_duration(expr) {
                        Ok(ms) => Some(ms),
                        Err(msg) => {
                            diags.error(
                                expr.span(),
                                format!("invalid `{}` of `{}`: {msg}", arg_spec.name, spec.name),
                            );
                            ok = false;
                            None
                        }
                    },
                    _ => None,
                };
                args.push(Arg {
                    name: arg_spec.name,
                    expr,
                    millis,
                });
            }
            None if arg_spec.optional => {}
            None => {
                let at = given.peek().map_or(call.span, |a| a.span());
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
    if let Some(extra) = given.next() {
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
    ok.then_some((streams, args))
}

/// The call's named arguments (`filter = |kv| …`, `num = 5`), each an argument of the spec
/// given once, and its positional ones, in order; `None` after reporting a wrong name.
#[allow(clippy::type_complexity)]
fn named_arguments<'a>(
    spec: &OperatorSpec,
    call: &'a Call,
    diags: &mut Diagnostics,
) -> Option<(Vec<(String, &'a Expr)>, Vec<&'a Expr>)> {
    let mut named: Vec<(String, &'a Expr)> = Vec::new();
    let mut positional = Vec::new();
    for arg in &call.args {
        let Expr::Assign(assign) = arg else {
            positional.push(arg);
            continue;
        };
        let name = match &*assign.left {
            Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
            _ => None,
        };
        let known = name.filter(|n| spec.args.iter().any(|a| a.name == n));
        match known {
            Some(n) if named.iter().any(|(m, _)| *m == n) => {
                diags.error(
                    assign.left.span(),
                    format!("argument `{n}` of `{}` is given twice", spec.name),
                );
                return None;
            }
            Some(n) => named.push((n, &*assign.right)),
            None => {
                let written = quote::ToTokens::to_token_stream(&assign.left).to_string();
                let names: Vec<&str> = spec.args.iter().map(|a| a.name).collect();
                let hint = crate::suggest::closest(&written, names.iter().copied())
                    .map_or_else(String::new, |n| format!(" (did you mean `{n}`?)"));
                diags.error(
                    assign.left.span(),
                    format!(
                        "`{}` has no argument named `{written}`{hint}; its arguments are `{}`: `{}`",
                        spec.name,
                        names.join("`, `"),
                        spec.signature()
                    ),
                );
                return None;
            }
        }
    }
    Some((named, positional))
}

/// Whether a call has as many arguments as its spec allows; reports it if not.
fn argument_count_fits(spec: &OperatorSpec, call: &Call, diags: &mut Diagnostics) -> bool {
    let given = call.args.len();
    let required = spec.args.iter().filter(|a| !a.optional).count();
    let repeats = spec.args.last().is_some_and(|a| a.repeat);
    if given >= required && (repeats || given <= spec.args.len()) {
        return true;
    }
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
    false
}

/// The stream named by argument `arg` (`b` in `a.union(b)`).
fn stream_argument(
    g: &Graph,
    spec: &OperatorSpec,
    name: &str,
    arg: &Expr,
    diags: &mut Diagnostics,
) -> Option<Edge> {
    let ident = match arg {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
        _ => None,
    };
    let Some(ident) = ident else {
        diags.error(
            arg.span(),
            format!(
                "`{}` takes the name of another stream here (its `{name}` argument)",
                spec.name
            ),
        );
        return None;
    };
    g.resolve(ident, diags).map(|from| Edge {
        from,
        span: ident.span(),
    })
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

/// How often each stream has a batch: inputs every batch, windows every slide, the rest as
/// their inputs, which must agree. Windows and slides must be multiples of the parent's slide
/// (Spark checks this when the DStream is built; here `cargo build` does).
fn slides(g: &Graph, resolved: &[Resolved], batch_ms: u64, diags: &mut Diagnostics) -> Vec<u64> {
    let mut slides: Vec<u64> = Vec::with_capacity(g.nodes.len());
    for (node, resolved) in g.nodes.iter().zip(resolved) {
        let NodeKind::Op {
            spec,
            call,
            receiver,
        } = node.kind
        else {
            slides.push(batch_ms);
            continue;
        };
        let parent_ms = slides[receiver];
        let slide = spec.stateful().map_or(Slide::Inherit, |s| s.slide);
        let slide_ms = match slide {
            Slide::Inherit => {
                for edge in &resolved.inputs[1..] {
                    let other_ms = slides[edge.from];
                    if other_ms != parent_ms {
                        diags.error(
                            edge.span,
                            format!(
                                "`{}` needs streams with one slide, but `{}` has a batch every {parent_ms} ms and `{}` every {other_ms} ms \
                                 (Spark: \"Some of the DStreams have different slide durations\"); window them alike first",
                                spec.name, g.nodes[receiver].label, g.nodes[edge.from].label
                            ),
                        );
                    }
                }
                parent_ms
            }
            Slide::Windowed => {
                let parent = &g.nodes[receiver];
                let parent = if matches!(parent.kind, NodeKind::Input { .. }) {
                    format!("the batch interval ({parent_ms} ms)")
                } else {
                    format!(
                        "the slide of its parent stream `{}` ({parent_ms} ms)",
                        parent.label
                    )
                };
                let mut multiple = |name: &str| {
                    let arg = resolved.args.get(name)?;
                    let ms = arg.millis?;
                    if ms % parent_ms != 0 {
                        diags.error(
                            arg.expr.span(),
                            format!(
                                "the {name} of `{}` ({ms} ms) must be a multiple of {parent}; use {}",
                                spec.name,
                                nearest_multiples(ms, parent_ms)
                            ),
                        );
                    }
                    Some(ms)
                };
                let window_ms = multiple("window");
                let slide_ms = multiple("slide").unwrap_or(parent_ms);
                if window_ms == Some(parent_ms) && slide_ms == parent_ms {
                    diags.warning(
                        call.method.span(),
                        format!(
                            "the window of `{}` is one batch of its parent ({parent_ms} ms), so it \
                             keeps state for nothing; use a longer window, or the operator without a window",
                            spec.name
                        ),
                    );
                }
                slide_ms
            }
        };
        slides.push(slide_ms);
    }
    slides
}

/// Stateful operators: their state's type must be known (an annotation says it), the ones
/// that must survive a restart need `checkpoint`, snapshots read the operator they are for.
/// Returns each node's state type.
fn stateful(g: &Graph, resolved: &[Resolved], diags: &mut Diagnostics) -> Vec<Option<TokenStream>> {
    g.nodes
        .iter()
        .zip(resolved)
        .map(|(node, resolved)| match node.kind {
            NodeKind::Op { .. } if resolved.ok => stateful_node(g, node, resolved, diags),
            _ => None,
        })
        .collect()
}

/// The checks of [`stateful`] for one operator node whose arguments were accepted; its state
/// type, if it has one.
fn stateful_node(
    g: &Graph,
    node: &Node,
    resolved: &Resolved,
    diags: &mut Diagnostics,
) -> Option<TokenStream> {
    let NodeKind::Op {
        spec,
        call,
        receiver,
    } = node.kind
    else {
        return None;
    };
    if let Kind::Snapshot(snapshot) = &spec.kind
        && !matches!(g.nodes[receiver].kind, NodeKind::Op { spec: parent, .. } if parent.name == snapshot.reads)
    {
        diags.error(
            call.method.span(),
            format!(
                "`{}` reads the state of a `{reads}`: call it on a `{reads}` stream",
                spec.name,
                reads = snapshot.reads
            ),
        );
    }
    let stateful = spec.stateful()?;
    let inputs = StateTypeInputs {
        annotation: node.annotation,
        args: &resolved.args,
    };
    let state_type = (stateful.state_type)(&inputs)
        .map_err(|message| diags.error(call.method.span(), message))
        .ok();
    // State outlives the batch its records borrow from (`&str` of a batch's lines).
    let borrows = |tokens: &TokenStream| {
        let text = tokens.to_string();
        text.contains('&')
    };
    if let Some(ty) = state_type.as_ref().filter(|ty| borrows(ty)) {
        let borrowed = node.annotation.and_then(first_borrow);
        let shown = borrowed.map_or_else(
            || ty.to_string(),
            |b| quote::ToTokens::to_token_stream(b).to_string(),
        );
        diags.error(
            borrowed.map_or(call.method.span(), |b| b.and_token.span),
            format!(
                "the state of `{}` must own its data: `{}` borrows from a batch, and state outlives \
                 every batch; use an owned type (`String` for `&str`), e.g. `.map(|(w, n)| (w.to_owned(), n))` \
                 before `{}`",
                node.name.map_or_else(|| spec.name.to_owned(), ToString::to_string),
                shown.replace("& ", "&"),
                spec.name,
            ),
        );
        return None;
    }
    if stateful.checkpoint.applies(&resolved.args) && g.checkpoint.is_none() {
        let instead = match stateful.checkpoint {
            NeedsCheckpoint::WhenGiven { instead, .. } => format!(", or {instead}"),
            _ => String::new(),
        };
        diags.error(
            call.method.span(),
            format!(
                "`{}` keeps state that must survive a restart, so the pipeline must checkpoint it: \
                 add `checkpoint;` (or `checkpoint every 10s;`) to pipeline `{}`{instead} \
                 (Spark fails at start: \"The checkpoint directory has not been set\")",
                spec.name, g.decl.name,
            ),
        );
    }
    state_type
}

/// The first borrowed type (`&str`, `&T`) inside `ty`.
fn first_borrow(ty: &Type) -> Option<&syn::TypeReference> {
    match ty {
        Type::Reference(r) => Some(r),
        Type::Tuple(t) => t.elems.iter().find_map(first_borrow),
        Type::Array(a) => first_borrow(&a.elem),
        Type::Slice(s) => first_borrow(&s.elem),
        Type::Paren(p) => first_borrow(&p.elem),
        Type::Group(g) => first_borrow(&g.elem),
        Type::Path(p) => p
            .path
            .segments
            .iter()
            .find_map(|segment| match &segment.arguments {
                syn::PathArguments::AngleBracketed(args) => {
                    args.args.iter().find_map(|arg| match arg {
                        syn::GenericArgument::Type(t) => first_borrow(t),
                        _ => None,
                    })
                }
                _ => None,
            }),
        _ => None,
    }
}

/// The checkpoint interval, which must be a multiple of the batch interval; by default the
/// first multiple of the batch interval that is at least 10 s, as in Spark.
fn checkpoint_interval(g: &Graph, diags: &mut Diagnostics) -> Option<u64> {
    let checkpoint = g.checkpoint.as_ref()?;
    let batch_ms = g.batch_ms?;
    match checkpoint.every_ms {
        Some(every) if every % batch_ms != 0 => {
            diags.error(
                checkpoint.every_span,
                format!(
                    "the checkpoint interval ({every} ms) must be a multiple of the batch interval ({batch_ms} ms); use {}",
                    nearest_multiples(every, batch_ms)
                ),
            );
            None
        }
        Some(every) => Some(every),
        None => Some(batch_ms * 10_000u64.div_ceil(batch_ms)),
    }
}

/// The pipeline as a whole: an input, an output, every named stream reaching an output.
fn whole_pipeline(g: &Graph, resolved: &[Resolved], diags: &mut Diagnostics) {
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
    for id in unused(g, resolved) {
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
fn unused(g: &Graph, resolved: &[Resolved]) -> Vec<NodeId> {
    let mut reaches = vec![false; g.nodes.len()];
    for o in &g.outputs {
        reaches[o.node] = true;
    }
    // Inputs of a node always come before it, so one backwards pass is enough.
    for id in (0..g.nodes.len()).rev() {
        if reaches[id] {
            for edge in &resolved[id].inputs {
                reaches[edge.from] = true;
            }
        }
    }
    (0..g.nodes.len()).filter(|&id| !reaches[id]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{messages, parse};

    fn checked<R>(source: &str, test: impl FnOnce(&CheckedPipeline) -> R) -> R {
        let decl = parse(source);
        let mut diags = Diagnostics::default();
        let graph = crate::graph::build(&decl, &mut diags);
        let checked = validate(&graph, &mut diags).expect("no errors");
        test(&checked)
    }

    #[test]
    fn arguments_are_found_by_name_and_optional_ones_placed_by_kind() {
        checked(
            "pipeline P { batch = 1s; checkpoint; input words: (String, u64);
             let all: (String, u64) = words.reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 30s, 10s);
             let some: (String, u64) = words.reduce_by_key_and_window(|a, b| a + b, 4s);
             all.pprint(); some.pprint(); }",
            |p| {
                let all = p.op(1).unwrap();
                assert!(all.args.get("inverse").is_some());
                assert_eq!(all.args.get("window").unwrap().millis, Some(30_000));
                assert_eq!(all.args.get("slide").unwrap().millis, Some(10_000));
                assert_eq!(p.nodes[1].slide_ms, 10_000);
                let some = p.op(2).unwrap();
                assert!(some.args.get("inverse").is_none());
                assert_eq!(some.args.get("window").unwrap().millis, Some(4_000));
                assert!(some.args.get("slide").is_none());
                assert_eq!(p.nodes[2].slide_ms, 1_000);
                let state = all.state_type.as_ref().unwrap().to_string().replace(' ', "");
                assert_eq!(state, "state::ReduceByKeyAndWindow<(String,u64)>");
            },
        );
    }

    #[test]
    fn edges_are_resolved_with_where_they_are_written() {
        checked(
            "pipeline P { batch = 1s; input a: (u32, u32); input b: (u32, u32); a.join(b).pprint(); }",
            |p| {
                let join = p.op(2).unwrap();
                let from: Vec<NodeId> = join.inputs.iter().map(|e| e.from).collect();
                assert_eq!(from, [0, 1]);
                assert_eq!(p.outputs[0].node, 2);
            },
        );
    }

    #[test]
    fn the_checkpoint_interval_defaults_to_the_first_multiple_of_the_batch_from_10_s() {
        let interval = |batch: &str| {
            checked(
                &format!(
                    "pipeline P {{ batch = {batch}; checkpoint; input n: i64; n.count_by_window(1h).pprint(); }}"
                ),
                |p| (p.batch_ms, p.checkpoint_ms),
            )
        };
        assert_eq!(interval("1s"), (1000, Some(10_000)));
        assert_eq!(interval("3s"), (3000, Some(12_000)));
        assert_eq!(interval("1min"), (60_000, Some(60_000)));
    }

    #[test]
    fn windows_must_be_multiples_of_their_parents_slide() {
        let found = messages(
            "pipeline P { batch = 2s; input n: i64;
             let w: i64 = n.window(3s); w.pprint(); }",
        );
        assert_eq!(
            found,
            [
                "the window of `window` (3000 ms) must be a multiple of the batch interval (2000 ms); use 2000 ms or 4000 ms"
            ]
        );
    }

    #[test]
    fn a_window_of_one_batch_is_a_warning_not_an_error() {
        let source =
            "pipeline P { batch = 1s; input n: i64; let w: i64 = n.window(1s); w.pprint(); }";
        let found = messages(source);
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("keeps state for nothing"), "{found:?}");
        checked(source, |p| assert_eq!(p.nodes.len(), 2));
    }

    #[test]
    fn state_that_must_survive_a_restart_needs_a_checkpoint() {
        let found =
            messages("pipeline P { batch = 1s; input n: i64; n.count_by_window(10s).pprint(); }");
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("`count_by_window` keeps state that must survive a restart"));
        let inverse = messages(
            "pipeline P { batch = 1s; input n: i64;
             let s: i64 = n.reduce_by_window(|a, b| a + b, |a, b| a - b, 10s); s.pprint(); }",
        );
        assert!(
            inverse[0].contains("or drop the inverse function"),
            "{inverse:?}"
        );
    }
}
