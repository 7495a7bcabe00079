//! `count_by_window(window, slide?)`: the number of records in the last `window`, every
//! `slide` (0 when empty).

use super::{Doc, Kind, OpCall, OperatorSpec, StageCode, StateTypeInputs, Stateful, WINDOW_ARGS};
use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "count_by_window",
    spark_name: "countByWindow",
    args: WINDOW_ARGS,
    kind: Kind::Stateful(Stateful::new(state_type, codegen).windowed()),
    doc: Doc {
        summary: "`T` → `u64`, `0` for an empty window",
        example: "lines.count_by_window(30s, 10s).pprint();",
        feature: None,
    },
};

fn state_type(_: &StateTypeInputs) -> Result<TokenStream, String> {
    Ok(quote!(state::CountByWindow))
}

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    let (rt, ctx, state, sink) = (call.rt(), call.ctx(), &call.state, &call.sinks[0]);
    let (marker, window) = (&markers[0], call.millis("window"));
    StageCode {
        sinks: quote_spanned!(call.span=> let mut #sink = #rt::ops::count::sink(&#marker);),
        ingest: quote_spanned!(call.span=>
            #state.ingest(#ctx.time(), #window, #rt::ops::count::total(#sink));
        ),
        batch: quote_spanned!(call.span=> #state.emit()),
    }
}
