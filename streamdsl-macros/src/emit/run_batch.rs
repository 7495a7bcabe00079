//! The per-batch function: the inputs' batches bound, then each stage of the plan as
//! `let __sN = …;` (a `Batch` for a stream with a batch every interval, an `Option<Batch>`
//! for a sparse one, `None` at the times it has no batch), then the outputs in declaration
//! order. A stateful stage gathers its parent's batch whenever the parent has one and makes
//! its own at its slide.

use super::types::PipelineState;
use super::{at, batch_var, marker_var, names, state_struct_name, state_var, var};
use crate::model::{CheckedKind, CheckedOp, CheckedPipeline, NodeId, borrowed_input};
use crate::ops::{Kind, OpCall, StageCode, checked_closure};
use crate::plan::{Plan, Port, Read, Stage};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

pub fn body(p: &CheckedPipeline, plan: &Plan, state: &PipelineState) -> TokenStream {
    let params = p.signature.params.iter().map(|param| &param.name);
    let state_name = state_struct_name(p.signature.name);
    let (fields, vars): (Vec<&Ident>, Vec<Ident>) = state
        .fields
        .iter()
        .map(|f| (&f.name, state_var(p, f.node)))
        .unzip();
    let inputs: Vec<NodeId> = (0..p.nodes.len())
        .filter(|&id| matches!(p.nodes[id].kind, CheckedKind::Input { .. }))
        .collect();
    let input_batches = inputs.iter().map(|&id| batch_var(p, id));
    let rt = names::at(names::RUNTIME, Span::call_site());
    let input_markers = inputs.iter().map(|&id| {
        let (m, CheckedKind::Input { ty }) = (marker_var(p, id), &p.nodes[id].kind) else {
            unreachable!("filtered to inputs")
        };
        let proof = shared_proof(p, plan, id);
        quote!(let #m = #rt::Marker::<#ty>::new(); #proof)
    });
    let stages = plan.stages.iter().map(|s| {
        let code = stage(p, s);
        let proof = shared_proof(p, plan, s.node);
        quote!(#code #proof)
    });
    let outputs = outputs(p);
    quote! {
        let Self { #(ref #params,)* ref mut __streamdsl_state, .. } = *self;
        let #state_name { #(#fields: ref mut #vars,)* } = *__streamdsl_state;
        let (#(#input_batches,)*) = __batches;
        #(#input_markers)*
        #(#stages)*
        #outputs
    }
}

fn op_of<'p, 'a>(p: &'p CheckedPipeline<'a>, id: NodeId) -> &'p CheckedOp<'a> {
    p.op(id).expect("stages and chains hold operators")
}

/// How code generation sees the operator of node `id`.
fn op_call<'p>(p: &'p CheckedPipeline, id: NodeId) -> OpCall<'p> {
    let op = op_of(p, id);
    let span = op.method_span;
    // A snapshot reads its input's state.
    let state_owner = match op.spec.kind {
        Kind::Snapshot(_) => op.inputs[0].from,
        _ => id,
    };
    OpCall {
        spec: op.spec,
        span,
        port_spans: op.inputs.iter().map(|edge| edge.span).collect(),
        args: &op.args,
        state: at(&state_var(p, state_owner), span),
        annotation: op.annotation,
        closure: var("f", id, span),
        marker: var("m", id, span),
        sinks: (0..op.inputs.len())
            .map(|port| format_ident!("__a{}_{}", id, port, span = span))
            .collect(),
        output_index: 0,
    }
}

/// The step of a record-by-record operator.
fn step(p: &CheckedPipeline, id: NodeId) -> fn(&OpCall, TokenStream) -> TokenStream {
    match op_of(p, id).spec.kind {
        Kind::PerRecord(step) => step,
        _ => unreachable!("chains hold record-by-record operators"),
    }
}

/// One stage: closures checked, sinks made, one loop per port, the batch made, all at the
/// times the stream (or, for a stateful operator, its parent) has a batch.
fn stage(p: &CheckedPipeline, stage: &Stage) -> TokenStream {
    let id = stage.node;
    let op = op_of(p, id);
    let call = op_call(p, id);
    let (setup, port_markers) = chain_setups(p, stage, &call);
    let loops: TokenStream = stage
        .ports
        .iter()
        .zip(&call.sinks)
        .zip(&call.port_spans)
        .map(|((port, sink), span)| port_loop(p, port, sink, *span))
        .collect();
    let ctx = call.ctx();
    let own_ms = p.nodes[id].slide_ms as i64;
    // A stateful stage gathers its parent's batches, at the parent's slide.
    let (code, gather_ms) = match &op.spec.kind {
        Kind::Stateful(s) => (
            (s.codegen)(&call, &port_markers),
            p.nodes[op.inputs[0].from].slide_ms as i64,
        ),
        Kind::Breaker(codegen) => (codegen(&call, &port_markers), own_ms),
        Kind::Snapshot(snapshot) => (
            StageCode {
                batch: (snapshot.batch)(&call),
                ..StageCode::default()
            },
            own_ms,
        ),
        Kind::PerRecord(_) => {
            let (rt, sink) = (call.rt(), &call.sinks[0]);
            let code = StageCode {
                sinks: quote_spanned!(call.span=> let mut #sink = #rt::BatchBuilder::new();),
                batch: quote_spanned!(call.span=> #sink.finish()),
                ..StageCode::default()
            };
            (code, own_ms)
        }
        Kind::Output(_) => unreachable!("outputs are not stages"),
    };
    let StageCode {
        sinks,
        ingest,
        batch,
    } = code;
    let sparse = p.is_sparse(id);
    let none = quote!(::core::option::Option::None);
    let emitted = match (own_ms == gather_ms, sparse) {
        (true, false) => batch,
        (true, true) => quote!(::core::option::Option::Some(#batch)),
        (false, _) => {
            quote!(if #ctx.is_valid(#own_ms) { ::core::option::Option::Some(#batch) } else { #none })
        }
    };
    let mut value = quote!({ #setup #sinks #loops #ingest #emitted });
    if gather_ms != p.batch_ms as i64 {
        value = quote!(if #ctx.is_valid(#gather_ms) { #value } else { #none });
    }
    let (batch, marker, rt) = (batch_var(p, id), marker_var(p, id), call.rt());
    let of = if sparse {
        quote!(of_optional)
    } else {
        quote!(of_batch)
    };
    let annotation_check = annotation_check(p, id, op);
    quote! {
        let #batch = #value;
        let #marker = #rt::Marker::#of(&#batch);
        #annotation_check
    }
}

/// The check of a stage's records against its `let` annotation, reported on the annotation
/// (unless the operator's sinks check it themselves).
fn annotation_check(p: &CheckedPipeline, id: NodeId, op: &CheckedOp) -> Option<TokenStream> {
    let checked_by_sinks = op.spec.stateful().is_some_and(|s| s.checks_annotation);
    let ty = op.annotation.filter(|_| !checked_by_sinks)?;
    let span = syn::spanned::Spanned::span(ty);
    let (rt, marker) = (
        names::at(names::RUNTIME, span),
        at(&marker_var(p, id), span),
    );
    Some(quote_spanned!(span=> #rt::annotated::<#ty, _>(&#marker);))
}

/// The setups of the fused chains of a stage's ports, and the record marker each port ends
/// with (spanned on the port).
fn chain_setups(p: &CheckedPipeline, stage: &Stage, call: &OpCall) -> (TokenStream, Vec<Ident>) {
    let mut setup = TokenStream::new();
    let mut port_markers = Vec::new();
    for (port, port_span) in stage.ports.iter().zip(&call.port_spans) {
        let mut input = marker_var(p, port.source);
        for &c in &port.chain {
            let chain_call = op_call(p, c);
            setup.extend(checked_closure(&chain_call, &at(&input, chain_call.span)));
            input = chain_call.marker;
        }
        port_markers.push(at(&input, *port_span));
    }
    (setup, port_markers)
}

/// The loop of one port: every record of the source through the fused chain into `sink`, on
/// the workers (see the runtime's `workers`). Its tokens carry `span`, the user's token for
/// this port.
fn port_loop(p: &CheckedPipeline, port: &Port, sink: &Ident, span: Span) -> TokenStream {
    let sink = at(sink, span);
    let (rt, record, partition) = (
        names::at(names::RUNTIME, span),
        names::at(names::RECORD, span),
        names::at(names::PARTITION, span),
    );
    // Inside the loop's closure the sink is a `&mut` to this port's sink or to a fork of it.
    let mut body = quote_spanned!(span=> #rt::Sink::push(#sink, #record););
    for &c in port.chain.iter().rev() {
        body = step(p, c)(&op_call(p, c), body);
    }
    let source = at(&batch_var(p, port.source), span);
    let (partitions, records) = match port.read {
        Read::Move => (
            quote_spanned!(span=> #rt::BatchSource::into_parts(#source)),
            quote_spanned!(span=> #partition),
        ),
        Read::Clone => {
            let shared = at(&var("c", port.source, span), span);
            (
                quote_spanned!(span=> #rt::BatchSource::parts(&#source)),
                quote_spanned!(span=> #shared.read(#partition)),
            )
        }
        Read::Borrow => {
            let CheckedKind::Input { ty } = &p.nodes[port.source].kind else {
                unreachable!("only inputs are borrowed")
            };
            let referent = borrowed_input(ty);
            body = quote_spanned!(span=> let #record = ::core::borrow::Borrow::<#referent>::borrow(#record); #body);
            (
                quote_spanned!(span=> #rt::BatchSource::parts(&#source)),
                quote_spanned!(span=> #partition.iter()),
            )
        }
    };
    let (ctx, ends) = (
        names::at(names::CONTEXT, span),
        names::at(names::ENDS, span),
    );
    quote_spanned! {span=>
        #rt::workers::each_partition(#ctx.workers(), &mut #sink, #partitions, |#sink, #partition, #ends| {
            for #record in #records { #body }
            if #ends {
                #rt::EndPartition::end_partition(#sink);
            }
        });
    }
}

/// If loops clone from the batch of node `id`, the proof that its records are `Clone`:
/// checked once, and reported on the stream's name.
fn shared_proof(p: &CheckedPipeline, plan: &Plan, id: NodeId) -> Option<TokenStream> {
    let cloned = plan
        .stages
        .iter()
        .flat_map(|s| &s.ports)
        .any(|port| port.source == id && port.read == Read::Clone);
    cloned.then(|| {
        let span = p.nodes[id].span;
        let (proof, marker) = (var("c", id, span), marker_var(p, id));
        let rt = names::at(names::RUNTIME, span);
        quote_spanned!(span=> let #proof = #rt::shared(&#marker);)
    })
}

/// The outputs, in declaration order; an output of a sparse stream runs only at the times it
/// has a batch.
fn outputs(p: &CheckedPipeline) -> TokenStream {
    let mut code = TokenStream::new();
    let mut views = Vec::new();
    for (index, output) in p.outputs.iter().enumerate() {
        let node = output.node;
        let span = output.method_span;
        let mut batch = batch_var(p, node);
        if let CheckedKind::Input { ty } = &p.nodes[node].kind
            && let Some(referent) = borrowed_input(ty)
        {
            // An output of a borrowed input sees the records as declared (`&str`).
            let view = var("v", node, p.nodes[node].span);
            if !views.contains(&node) {
                views.push(node);
                code.extend(quote!(let #view = #batch.borrowed::<#referent>();));
            }
            batch = view;
        }
        let call = OpCall {
            spec: output.spec,
            span,
            port_spans: vec![span],
            args: &output.args,
            state: state_var(p, node),
            annotation: None,
            closure: var("o", index, span),
            marker: at(&marker_var(p, node), span),
            sinks: Vec::new(),
            output_index: index,
        };
        let Kind::Output(emit) = output.spec.kind else {
            unreachable!("outputs are outputs")
        };
        if p.is_sparse(node) {
            let present = format_ident!("__b{}", index, span = span);
            let run = emit(&call, &quote!(#present));
            code.extend(quote_spanned!(span=> if let ::core::option::Option::Some(#present) = &#batch { #run }));
        } else {
            let batch = at(&batch, span);
            code.extend(emit(&call, &quote_spanned!(span=> &#batch)));
        }
    }
    code
}
