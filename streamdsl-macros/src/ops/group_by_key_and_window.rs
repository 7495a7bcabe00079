//! `group_by_key_and_window(w[, s])`: per key, the values of the last `w`, every `s`.

use super::{
    Codegen, OpCall, OperatorSpec, StateTypeInputs, Stateful, WINDOW_ARGS, WINDOW_ARGS_SLIDE,
    annotated,
};
use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "group_by_key_and_window",
    spark_name: "groupByKeyAndWindow",
    args: WINDOW_ARGS,
    slide: WINDOW_ARGS_SLIDE,
    codegen: Codegen::Stateful(Stateful {
        state_type,
        needs_checkpoint: |_| false,
        sinks,
        ingest,
        emit,
        initial: false,
        checks_annotation: false,
    }),
};

fn state_type(inputs: &StateTypeInputs) -> Result<TokenStream, String> {
    annotated(inputs, "group_by_key_and_window", "(String, Vec<u64>)")
        .map(|ty| quote::quote!(::streamdsl::__private::state::GroupByKeyAndWindow<#ty>))
}

fn sinks(call: &OpCall, markers: &[Ident]) -> TokenStream {
    let (sink, marker) = (&call.sinks[0], &markers[0]);
    quote_spanned!(call.span=> let mut #sink = ::streamdsl::__private::ops::pairs::sink(&#marker);)
}

fn ingest(call: &OpCall) -> TokenStream {
    let (state, ctx, sink, window) = (&call.state, &call.ctx, &call.sinks[0], call.millis(0));
    quote_spanned!(call.span=> #state.ingest(#ctx.time(), #window, ::streamdsl::__private::ops::pairs::finish(#sink));)
}

fn emit(call: &OpCall) -> TokenStream {
    let (state, partitions) = (&call.state, call.default_partitions());
    quote_spanned!(call.span=> #state.emit(#partitions))
}
