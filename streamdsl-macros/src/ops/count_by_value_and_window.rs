//! `count_by_value_and_window(window, slide?)`: `(record, count)` for each distinct record of
//! the last `window`, every `slide`; counts kept up to date as batches enter and leave.

use super::{
    Doc, Kind, OpCall, OperatorSpec, StageCode, StateTypeInputs, Stateful, WINDOW_ARGS,
    annotated,
};
use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "count_by_value_and_window",
    spark_name: "countByValueAndWindow",
    args: WINDOW_ARGS,
    kind: Kind::Stateful(Stateful::new(state_type, codegen).windowed()),
    doc: Doc {
        summary: "`T` → `(T, u64)`",
        example: "let frequent: (String, u64) = lines.count_by_value_and_window(30s, 10s); frequent.pprint();",
        feature: None,
    },
};

fn state_type(inputs: &StateTypeInputs) -> Result<TokenStream, String> {
    annotated(inputs, "count_by_value_and_window", "(String, u64)")
        .map(|ty| quote!(state::ReduceByKeyAndWindow<#ty>))
}

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    let (rt, ctx, state, sink) = (call.rt(), call.ctx(), &call.state, &call.sinks[0]);
    let (marker, window, partitions) = (
        &markers[0],
        call.millis("window"),
        call.default_partitions(),
    );
    StageCode {
        sinks: quote_spanned!(call.span=>
            let mut #sink = #rt::ops::count_by_value::sink(&#marker, 1);
        ),
        ingest: quote_spanned!(call.span=>
            #state.ingest_with_inverse(
                #ctx.workers(),
                #ctx.time(),
                #window,
                #rt::ops::count_by_value::panes(#sink),
                &|a: u64, b: u64| a + b,
                &|a: u64, b: u64| a - b,
            );
        ),
        batch: quote_spanned!(call.span=> #state.emit_running(#ctx.workers(), &|_: &_| true, #partitions)),
    }
}
