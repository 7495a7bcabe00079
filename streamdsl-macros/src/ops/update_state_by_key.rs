//! `update_state_by_key(f)`: per key, a state updated every batch by
//! `f(new values, previous state) -> Option<state>`; the stream is every `(key, state)`.

use super::{
    ArgKind, ArgSpec, Codegen, OpCall, OperatorSpec, Slide, StateTypeInputs, Stateful, annotated,
};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote_spanned};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "update_state_by_key",
    spark_name: "updateStateByKey",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    slide: Slide::Inherit,
    codegen: Codegen::Stateful(Stateful {
        state_type,
        needs_checkpoint: |_| true,
        sinks,
        ingest,
        emit,
        initial: true,
        checks_annotation: false,
    }),
};

fn state_type(inputs: &StateTypeInputs) -> Result<TokenStream, String> {
    annotated(inputs, "update_state_by_key", "(String, u64)")
        .map(|ty| quote::quote!(::streamdsl::__private::state::UpdateStateByKey<#ty>))
}

fn sinks(call: &OpCall, markers: &[Ident]) -> TokenStream {
    let (sink, marker) = (&call.sinks[0], &markers[0]);
    quote_spanned!(call.span=> let mut #sink = ::streamdsl::__private::ops::group_by_key::sink(&#marker, 1);)
}

fn ingest(call: &OpCall) -> TokenStream {
    let (state, sink, user_f, partitions) = (
        &call.state,
        &call.sinks[0],
        call.value(0),
        call.default_partitions(),
    );
    let out = format_ident!("{}_out", call.closure);
    quote_spanned!(call.span=>
        let #out = #state.update(::streamdsl::__private::ops::group_by_key::groups(#sink), &mut (#user_f), #partitions);
    )
}

fn emit(call: &OpCall) -> TokenStream {
    let out = format_ident!("{}_out", call.closure);
    quote::quote!(#out)
}
