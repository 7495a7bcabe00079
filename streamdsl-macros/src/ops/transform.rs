//! `transform(|batch| …)` or `transform(|time, batch| …)`: any function of the whole batch.

use super::{
    ArgKind, ArgSpec, Breaker, Codegen, OpCall, OperatorSpec, Slide, is_closure_with_params,
};
use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "transform",
    spark_name: "transform",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    slide: Slide::Inherit,
    codegen: Codegen::Breaker(Breaker { sinks, finish }),
};

fn with_time(call: &OpCall) -> bool {
    call.value(0).is_some_and(|f| is_closure_with_params(f, 2))
}

fn sinks(call: &OpCall, markers: &[Ident]) -> TokenStream {
    let (f, user, input, sink) = (&call.closure, call.value(0), &markers[0], &call.sinks[0]);
    let check = if with_time(call) {
        quote::quote!(check_with_time)
    } else {
        quote::quote!(check)
    };
    quote_spanned!(call.span=>
        let (mut #f, _) = ::streamdsl::__private::ops::transform::#check(&#input, #user);
        let mut #sink = ::streamdsl::__private::BatchBuilder::new();
    )
}

fn finish(call: &OpCall) -> TokenStream {
    let (f, sink, ctx) = (&call.closure, &call.sinks[0], &call.ctx);
    if with_time(call) {
        quote_spanned!(call.span=>
            ::streamdsl::__private::ops::transform::apply_with_time(&mut #f, #ctx.time(), #sink.finish()))
    } else {
        quote_spanned!(call.span=>
            ::streamdsl::__private::ops::transform::apply(&mut #f, #sink.finish()))
    }
}
