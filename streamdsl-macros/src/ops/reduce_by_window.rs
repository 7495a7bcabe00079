//! `reduce_by_window(f[, inverse], w[, s])`: the records of the last `w` folded with `f`,
//! every `s`; with an inverse, kept up to date as batches enter and leave.

use super::{
    ArgKind, ArgSpec, Codegen, OpCall, OperatorSpec, Slide, StateTypeInputs, Stateful, annotated,
};
use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "reduce_by_window",
    spark_name: "reduceByWindow",
    args: &[
        ArgSpec::required("function", ArgKind::Function),
        ArgSpec::optional("inverse", ArgKind::Function),
        ArgSpec::required("window", ArgKind::Duration),
        ArgSpec::optional("slide", ArgKind::Duration),
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
    annotated(inputs, "reduce_by_window", "u64")
        .map(|ty| quote::quote!(::streamdsl::__private::state::ReduceByWindow<#ty>))
}

/// The inverse function's variable.
fn inverse(call: &OpCall) -> Ident {
    quote::format_ident!("{}_inverse", call.closure)
}

fn sinks(call: &OpCall, markers: &[Ident]) -> TokenStream {
    let (sink, marker, f, g) = (&call.sinks[0], &markers[0], &call.closure, inverse(call));
    let user_f = call.value(0);
    let inverse = call.value(1).map(|user_g| {
        quote_spanned!(call.span=> let mut #g = ::streamdsl::__private::ops::reduce::check(&#marker, #user_g);)
    });
    quote_spanned!(call.span=>
        let mut #f = ::streamdsl::__private::ops::reduce::check(&#marker, #user_f);
        #inverse
        let mut #sink = ::streamdsl::__private::ops::reduce::sink(&#marker, &mut #f);
    )
}

fn ingest(call: &OpCall) -> TokenStream {
    let (state, ctx, sink, window, f, g) = (
        &call.state,
        &call.ctx,
        &call.sinks[0],
        call.millis(2),
        &call.closure,
        inverse(call),
    );
    let fold = quote_spanned!(call.span=> ::streamdsl::__private::ops::reduce::fold(#sink));
    if call.value(1).is_some() {
        quote_spanned!(call.span=> #state.ingest_with_inverse(#ctx.time(), #window, #fold, &mut #f, &mut #g);)
    } else {
        quote_spanned!(call.span=> #state.ingest(#ctx.time(), #window, #fold);)
    }
}

fn emit(call: &OpCall) -> TokenStream {
    let (state, f) = (&call.state, &call.closure);
    if call.value(1).is_some() {
        quote_spanned!(call.span=> #state.emit_running())
    } else {
        quote_spanned!(call.span=> #state.emit(&mut #f))
    }
}
