//! `group_by_key_and_window(window, slide?)`: per key, the values of the last `window`, every
//! `slide`.

use super::{
    Doc, Kind, NeedsCheckpoint, OpCall, OperatorSpec, StageCode, StateTypeInputs, Stateful,
    WINDOW_ARGS, annotated,
};
use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "group_by_key_and_window",
    spark_name: "groupByKeyAndWindow",
    args: WINDOW_ARGS,
    kind: Kind::Stateful(
        Stateful::new(state_type, codegen)
            .windowed()
            .checkpoint(NeedsCheckpoint::Never),
    ),
    doc: Doc {
        summary: "`(K, V)` → `(K, Vec<V>)`",
        example: "let groups: (String, Vec<u64>) = words.group_by_key_and_window(30s, 10s); groups.pprint();",
        feature: None,
    },
};

fn state_type(inputs: &StateTypeInputs) -> Result<TokenStream, String> {
    annotated(inputs, "group_by_key_and_window", "(String, Vec<u64>)")
        .map(|ty| quote!(state::GroupByKeyAndWindow<#ty>))
}

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    let (rt, ctx, state, sink) = (call.rt(), call.ctx(), &call.state, &call.sinks[0]);
    let (marker, window, partitions) = (
        &markers[0],
        call.millis("window"),
        call.default_partitions(),
    );
    StageCode {
        sinks: quote_spanned!(call.span=> let mut #sink = #rt::ops::group_by_key::sink(&#marker, 1);),
        ingest: quote_spanned!(call.span=>
            #state.ingest(#ctx.time(), #window, #sink);
        ),
        batch: quote_spanned!(call.span=> #state.emit(#ctx.workers(), #partitions)),
    }
}
