//! `transform(|batch| …)` or `transform(|time, batch| …)`: any function of the whole batch.

use super::{
    ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, StageCode, is_closure_with_params,
};
use proc_macro2::Ident;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "transform",
    spark_name: "transform",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    kind: Kind::Breaker(codegen),
    doc: Doc {
        summary: "`f(Batch<T>)` or `f(Time, Batch<T>)` → a `Vec` or `Batch`",
        example: "numbers.transform(|batch| batch.into_iter().rev().collect::<Vec<_>>()).pprint();",
        feature: None,
    },
};

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    let (rt, ctx, f, user) = (call.rt(), call.ctx(), &call.closure, call.arg("function"));
    let (input, sink) = (&markers[0], &call.sinks[0]);
    let with_time = user.is_some_and(|f| is_closure_with_params(f, 2));
    let (check, apply) = if with_time {
        (
            quote_spanned!(call.span=> check_with_time),
            quote_spanned!(call.span=> apply_with_time(&mut #f, #ctx.time(), #sink.finish())),
        )
    } else {
        (
            quote_spanned!(call.span=> check),
            quote_spanned!(call.span=> apply(&mut #f, #sink.finish())),
        )
    };
    StageCode {
        sinks: quote_spanned!(call.span=>
            let (mut #f, _) = #rt::ops::transform::#check(&#input, #user);
            let mut #sink = #rt::BatchBuilder::new();
        ),
        batch: quote_spanned!(call.span=> #rt::ops::transform::#apply),
        ..StageCode::default()
    }
}
