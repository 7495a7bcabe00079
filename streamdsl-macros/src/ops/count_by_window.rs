//! `count_by_window(w[, s])`: the number of records in the last `w`, every `s` (0 when empty).

use super::{ArgKind, ArgSpec, Codegen, OpCall, OperatorSpec, Slide, StateTypeInputs, Stateful};
use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "count_by_window",
    spark_name: "countByWindow",
    args: &[
        ArgSpec::required("window", ArgKind::Duration),
        ArgSpec::optional("slide", ArgKind::Duration),
    ],
    slide: Slide::Windowed {
        window: 0,
        slide: 1,
    },
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
