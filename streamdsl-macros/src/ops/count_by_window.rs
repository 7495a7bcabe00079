//! `count_by_window(w[, s])`: the number of records in the last `w`, every `s` (0 when empty).

use super::{
    Codegen, OpCall, OperatorSpec, StateTypeInputs, Stateful, WINDOW_ARGS, WINDOW_ARGS_SLIDE,
};
use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "count_by_window",
    spark_name: "countByWindow",
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

fn state_type(_: &StateTypeInputs) -> Result<TokenStream, String> {
    Ok(quote::quote!(::streamdsl::__private::state::CountByWindow))
}

fn sinks(call: &OpCall, markers: &[Ident]) -> TokenStream {
    let (sink, marker) = (&call.sinks[0], &markers[0]);
    quote_spanned!(call.span=> let mut #sink = ::streamdsl::__private::ops::count::sink(&#marker);)
}

fn ingest(call: &OpCall) -> TokenStream {
    let (state, ctx, sink, window) = (&call.state, &call.ctx, &call.sinks[0], call.millis(0));
    quote_spanned!(call.span=>
        #state.ingest(#ctx.time(), #window, ::streamdsl::__private::ops::count::total(#sink));
    )
}

fn emit(call: &OpCall) -> TokenStream {
    let state = &call.state;
    quote_spanned!(call.span=> #state.emit())
}
