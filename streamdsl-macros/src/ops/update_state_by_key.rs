//! `update_state_by_key(function)`: per key, a state updated every batch by
//! `function(new values, previous state) -> Option<state>`; the stream is every
//! `(key, state)`.

use super::{
    ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, StageCode, StateTypeInputs, Stateful,
    annotated,
};
use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "update_state_by_key",
    spark_name: "updateStateByKey",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    kind: Kind::Stateful(Stateful::new(state_type, codegen).with_initial_state()),
    doc: Doc {
        summary: "`(K, V)` → `(K, S)` for every key with state",
        example: "let totals: (String, u64) = words.update_state_by_key(|new: Vec<u64>, old: Option<u64>| Some(old.unwrap_or(0) + new.iter().sum::<u64>())); totals.pprint();",
        feature: None,
    },
};

fn state_type(inputs: &StateTypeInputs) -> Result<TokenStream, String> {
    annotated(inputs, "update_state_by_key", "(String, u64)")
        .map(|ty| quote!(state::UpdateStateByKey<#ty>))
}

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    let (rt, ctx, state, sink, marker) = (
        call.rt(),
        call.ctx(),
        &call.state,
        &call.sinks[0],
        &markers[0],
    );
    let (user_f, partitions, out) = (
        call.arg("function"),
        call.default_partitions(),
        call.fresh("out"),
    );
    StageCode {
        sinks: quote_spanned!(call.span=> let mut #sink = #rt::ops::group_by_key::sink(&#marker, 1);),
        ingest: quote_spanned!(call.span=>
            let #out = #state.update(#ctx.workers(), #sink, &(#user_f), #partitions);
        ),
        batch: quote!(#out),
    }
}
