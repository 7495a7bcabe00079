//! `count_by_value_and_window(w[, s])`: `(record, count)` for each distinct record of the
//! last `w`, every `s`; counts kept up to date as batches enter and leave.

use super::{
    Codegen, OpCall, OperatorSpec, StateTypeInputs, Stateful, WINDOW_ARGS, WINDOW_ARGS_SLIDE,
    annotated,
};
use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "count_by_value_and_window",
    spark_name: "countByValueAndWindow",
    args: WINDOW_ARGS,
    slide: WINDOW_ARGS_SLIDE,
    codegen: Codegen::Stateful(Stateful {
        state_type,
        needs_checkpoint: |_| true,
        sinks,
        ingest,
        emit,
        initial: false,
        checks_annotation: false,
    }),
};

fn state_type(inputs: &StateTypeInputs) -> Result<TokenStream, String> {
    annotated(inputs, "count_by_value_and_window", "(String, u64)")
        .map(|ty| quote::quote!(::streamdsl::__private::state::ReduceByKeyAndWindow<#ty>))
}

fn sinks(call: &OpCall, markers: &[Ident]) -> TokenStream {
    let (sink, marker) = (&call.sinks[0], &markers[0]);
    quote_spanned!(call.span=> let mut #sink = ::streamdsl::__private::ops::count_by_value::sink(&#marker, 1);)
}

fn ingest(call: &OpCall) -> TokenStream {
    let (state, ctx, sink, window) = (&call.state, &call.ctx, &call.sinks[0], call.millis(0));
    quote_spanned!(call.span=>
        #state.ingest_with_inverse(
            #ctx.time(),
            #window,
            ::streamdsl::__private::ops::count_by_value::finish(#sink),
            &mut |a: u64, b: u64| a + b,
            &mut |a: u64, b: u64| a - b,
        );
    )
}

fn emit(call: &OpCall) -> TokenStream {
    let (state, partitions) = (&call.state, call.default_partitions());
    quote_spanned!(call.span=> #state.emit_running(&mut |_: &_| true, #partitions))
}
