//! `window(w[, s])`: the records of the parent's batches in the last `w`, every `s`.

use super::{
    Codegen, OpCall, OperatorSpec, StateTypeInputs, Stateful, WINDOW_ARGS, WINDOW_ARGS_SLIDE,
    annotated,
};
use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "window",
    spark_name: "window",
    args: WINDOW_ARGS,
    slide: WINDOW_ARGS_SLIDE,
    codegen: Codegen::Stateful(Stateful {
        state_type,
        needs_checkpoint: |_| false,
        sinks,
        ingest,
        emit,
        initial: false,
        checks_annotation: true,
    }),
};

fn state_type(inputs: &StateTypeInputs) -> Result<TokenStream, String> {
    annotated(inputs, "window", "(String, u64)")
        .map(|ty| quote::quote!(::streamdsl::__private::state::Window<#ty>))
}

fn sinks(call: &OpCall, _: &[Ident]) -> TokenStream {
    let (sink, ty) = (&call.sinks[0], call.annotation);
    quote_spanned!(call.span=> let mut #sink = ::streamdsl::__private::ops::annotated_sink::<#ty>();)
}

fn ingest(call: &OpCall) -> TokenStream {
    let (state, ctx, sink, window) = (&call.state, &call.ctx, &call.sinks[0], call.millis(0));
    quote_spanned!(call.span=> #state.ingest(#ctx.time(), #window, #sink.finish());)
}

fn emit(call: &OpCall) -> TokenStream {
    let state = &call.state;
    quote_spanned!(call.span=> #state.emit())
}
