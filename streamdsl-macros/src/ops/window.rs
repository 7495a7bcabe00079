//! `window(window, slide?)`: the records of the parent's batches in the last `window`, every
//! `slide`.

use super::{
    Doc, Kind, NeedsCheckpoint, OpCall, OperatorSpec, StageCode, StateTypeInputs, Stateful,
    WINDOW_ARGS, annotated,
};
use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "window",
    spark_name: "window",
    args: WINDOW_ARGS,
    kind: Kind::Stateful(
        Stateful::new(state_type, codegen)
            .windowed()
            .checkpoint(NeedsCheckpoint::Never)
            .checks_annotation(),
    ),
    doc: Doc {
        summary: "`T` → the window's `T`s",
        example: "let recent: (String, u64) = words.window(30s, 10s); recent.pprint();",
        feature: None,
    },
};

fn state_type(inputs: &StateTypeInputs) -> Result<TokenStream, String> {
    annotated(inputs, "window", "(String, u64)").map(|ty| quote!(state::Window<#ty>))
}

fn codegen(call: &OpCall, _: &[Ident]) -> StageCode {
    let (rt, ctx, state, sink) = (call.rt(), call.ctx(), &call.state, &call.sinks[0]);
    let (ty, window) = (call.annotation, call.millis("window"));
    StageCode {
        sinks: quote_spanned!(call.span=> let mut #sink = #rt::ops::annotated_sink::<#ty>();),
        ingest: quote_spanned!(call.span=> #state.ingest(#ctx.time(), #window, #sink.finish());),
        batch: quote_spanned!(call.span=> #state.emit()),
    }
}
