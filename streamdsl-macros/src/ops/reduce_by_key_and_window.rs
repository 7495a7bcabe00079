//! `reduce_by_key_and_window(f[, inverse], w[, s][, filter])`: per key, the values of the last
//! `w` combined with `f`, every `s`; with an inverse, kept up to date as batches enter and
//! leave. A key is in the output iff it has data in the window; then `filter` applies.

use super::{
    ArgKind, ArgSpec, Codegen, OpCall, OperatorSpec, Slide, StateTypeInputs, Stateful, annotated,
};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote_spanned};

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
    slide: Slide::Windowed {
        window: 2,
        slide: 3,
    },
    codegen: Codegen::Stateful(Stateful {
        state_type,
        needs_checkpoint: |values| values[1].is_some(),
        sinks,
        ingest,
        emit,
        initial: false,
        checks_annotation: false,
    }),
};

fn state_type(inputs: &StateTypeInputs) -> Result<TokenStream, String> {
    annotated(inputs, "reduce_by_key_and_window", "(String, u64)")
        .map(|ty| quote::quote!(::streamdsl::__private::state::ReduceByKeyAndWindow<#ty>))
}

fn sinks(call: &OpCall, markers: &[Ident]) -> TokenStream {
    let (sink, marker, f) = (&call.sinks[0], &markers[0], &call.closure);
    let (g, h) = (
        format_ident!("{}_inverse", f),
        format_ident!("{}_filter", f),
    );
    let user_f = call.value(0);
    let inverse = call.value(1).map(|user_g| {
        quote_spanned!(call.span=> let mut #g = ::streamdsl::__private::ops::reduce_by_key::check_values(&#marker, #user_g);)
    });
    let filter = match call.value(4) {
        Some(user_h) => {
            quote_spanned!(call.span=> let mut #h = ::streamdsl::__private::ops::reduce_by_key::check_filter(&#marker, #user_h);)
        }
        None => {
            quote_spanned!(call.span=> let mut #h = ::streamdsl::__private::ops::reduce_by_key::keep_all(&#marker);)
        }
    };
    quote_spanned!(call.span=>
        let mut #f = ::streamdsl::__private::ops::reduce_by_key::check_values(&#marker, #user_f);
        #inverse
        #filter
        let mut #sink = ::streamdsl::__private::ops::reduce_by_key::sink(&#marker, &mut #f, 1);
    )
}

fn ingest(call: &OpCall) -> TokenStream {
    let (state, ctx, sink, window, f) = (
        &call.state,
        &call.ctx,
        &call.sinks[0],
        call.millis(2),
        &call.closure,
    );
    let g = format_ident!("{}_inverse", f);
    let reduced =
        quote_spanned!(call.span=> ::streamdsl::__private::ops::reduce_by_key::finish(#sink));
    if call.value(1).is_some() {
        quote_spanned!(call.span=> #state.ingest_with_inverse(#ctx.time(), #window, #reduced, &mut #f, &mut #g);)
    } else {
        quote_spanned!(call.span=> #state.ingest(#ctx.time(), #window, #reduced);)
    }
}

fn emit(call: &OpCall) -> TokenStream {
    let (state, f, partitions) = (&call.state, &call.closure, call.default_partitions());
    let h = format_ident!("{}_filter", f);
    if call.value(1).is_some() {
        quote_spanned!(call.span=> #state.emit_running(&mut #h, #partitions))
    } else {
        quote_spanned!(call.span=> #state.emit(&mut #f, &mut #h, #partitions))
    }
}
