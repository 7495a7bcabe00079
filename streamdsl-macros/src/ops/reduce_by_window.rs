//! `reduce_by_window(function, inverse?, window, slide?)`: the records of the last `window`
//! folded with `function`, every `slide`; with an inverse, kept up to date as batches enter
//! and leave.

use super::{
    ArgKind, ArgSpec, Doc, Kind, NeedsCheckpoint, OpCall, OperatorSpec, StageCode,
    StateTypeInputs, Stateful, annotated,
};
use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};

/// The arguments of the windowed reductions; `reduce_by_key_and_window` adds a filter.
pub const ARGS: &[ArgSpec] = &[
    ArgSpec::required("function", ArgKind::Function),
    ArgSpec::optional("inverse", ArgKind::Function),
    ArgSpec::required("window", ArgKind::Duration),
    ArgSpec::optional("slide", ArgKind::Duration),
];

/// Without an inverse, a windowed reduction needs no checkpoint.
pub const CHECKPOINT: NeedsCheckpoint = NeedsCheckpoint::WhenGiven {
    arg: "inverse",
    instead: "drop the inverse function (the window is then recomputed at each slide)",
};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "reduce_by_window",
    spark_name: "reduceByWindow",
    args: ARGS,
    kind: Kind::Stateful(Stateful::new(state_type, codegen).windowed().checkpoint(CHECKPOINT)),
    doc: Doc {
        summary: "`T` → the window folded by `function`, nothing if empty",
        example: "let total: i64 = numbers.reduce_by_window(|a, b| a + b, 30s, 10s); total.pprint();",
        feature: None,
    },
};

fn state_type(inputs: &StateTypeInputs) -> Result<TokenStream, String> {
    annotated(inputs, "reduce_by_window", "u64").map(|ty| quote!(state::ReduceByWindow<#ty>))
}

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    let (rt, ctx, state, sink) = (call.rt(), call.ctx(), &call.state, &call.sinks[0]);
    let (marker, f, g) = (&markers[0], &call.closure, call.fresh("inverse"));
    let (user_f, window) = (call.arg("function"), call.millis("window"));
    let fold = quote_spanned!(call.span=> #rt::ops::reduce::fold(#sink));
    let check_f = quote_spanned!(call.span=>
        let mut #f = #rt::ops::reduce::check(&#marker, #user_f);
    );
    let sink = quote_spanned!(call.span=> let mut #sink = #rt::ops::reduce::sink(&#marker, &#f););
    match call.arg("inverse") {
        Some(user_g) => StageCode {
            sinks: quote_spanned!(call.span=>
                #check_f
                let mut #g = #rt::ops::reduce::check(&#marker, #user_g);
                #sink
            ),
            ingest: quote_spanned!(call.span=>
                #state.ingest_with_inverse(#ctx.time(), #window, #fold, &mut #f, &mut #g);
            ),
            batch: quote_spanned!(call.span=> #state.emit_running()),
        },
        None => StageCode {
            sinks: quote!(#check_f #sink),
            ingest: quote_spanned!(call.span=> #state.ingest(#ctx.time(), #window, #fold);),
            batch: quote_spanned!(call.span=> #state.emit(&mut #f)),
        },
    }
}
