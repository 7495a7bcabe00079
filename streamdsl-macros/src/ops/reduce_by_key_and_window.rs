//! `reduce_by_key_and_window(function, inverse?, window, slide?, filter?)`: per key, the
//! values of the last `window` combined with `function`, every `slide`; with an inverse, kept
//! up to date as batches enter and leave. A key is in the output iff it has data in the
//! window; then `filter` applies.

use super::reduce_by_window::CHECKPOINT;
use super::{
    ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, StageCode, StateTypeInputs, Stateful,
    annotated,
};
use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "reduce_by_key_and_window",
    spark_name: "reduceByKeyAndWindow",
    args: &[
        ArgSpec::required("function", ArgKind::Function),
        ArgSpec::optional("inverse", ArgKind::Function),
        ArgSpec::required("window", ArgKind::Duration),
        ArgSpec::optional("slide", ArgKind::Duration),
        ArgSpec::optional("filter", ArgKind::Function),
    ],
    kind: Kind::Stateful(Stateful::new(state_type, codegen).windowed().checkpoint(CHECKPOINT)),
    doc: Doc {
        summary: "`(K, V)` → `(K, V)` per key in the window",
        example: "let sums: (String, u64) = words.reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 30s, 10s); sums.pprint();",
        feature: None,
    },
};

fn state_type(inputs: &StateTypeInputs) -> Result<TokenStream, String> {
    annotated(inputs, "reduce_by_key_and_window", "(String, u64)")
        .map(|ty| quote!(state::ReduceByKeyAndWindow<#ty>))
}

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    let (rt, ctx, state, sink) = (call.rt(), call.ctx(), &call.state, &call.sinks[0]);
    let (marker, f) = (&markers[0], &call.closure);
    let (g, h) = (call.fresh("inverse"), call.fresh("filter"));
    let (user_f, window, partitions) = (
        call.arg("function"),
        call.millis("window"),
        call.default_partitions(),
    );
    let inverse = call.arg("inverse").map(|user_g| {
        quote_spanned!(call.span=> let #g = #rt::ops::reduce_by_key::check_values(&#marker, #user_g);)
    });
    let filter = match call.arg("filter") {
        Some(user_h) => quote_spanned!(call.span=>
            let #h = #rt::ops::reduce_by_key::check_filter(&#marker, #user_h);
        ),
        None => quote_spanned!(call.span=>
            let #h = #rt::ops::reduce_by_key::keep_all(&#marker);
        ),
    };
    let (panes, workers) = (
        quote_spanned!(call.span=> #rt::ops::reduce_by_key::panes(#sink)),
        quote_spanned!(call.span=> #ctx.workers()),
    );
    let (ingest, batch) = if inverse.is_some() {
        (
            quote_spanned!(call.span=> #state.ingest_with_inverse(#workers, #ctx.time(), #window, #panes, &#f, &#g);),
            quote_spanned!(call.span=> #state.emit_running(#workers, &#h, #partitions)),
        )
    } else {
        (
            quote_spanned!(call.span=> #state.ingest(#workers, #ctx.time(), #window, #panes);),
            quote_spanned!(call.span=> #state.emit(#workers, &#f, &#h, #partitions)),
        )
    };
    StageCode {
        sinks: quote_spanned! {call.span=>
            let #f = #rt::ops::reduce_by_key::check_values(&#marker, #user_f);
            #inverse
            #filter
            let mut #sink = #rt::ops::reduce_by_key::sink(&#marker, &#f, 1);
        },
        ingest,
        batch,
    }
}
