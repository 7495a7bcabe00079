//! `a.transform_with(b, |batch_a, batch_b| …)` or `|time, batch_a, batch_b| …`: any function
//! of two streams' whole batches (Spark's `transformWith`).

use super::{
    ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, StageCode, is_closure_with_params,
};
use proc_macro2::Ident;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "transform_with",
    spark_name: "transformWith",
    args: &[
        ArgSpec::required("other", ArgKind::Stream),
        ArgSpec::required("function", ArgKind::Function),
    ],
    kind: Kind::Breaker(codegen),
    doc: Doc {
        summary: "`f(Batch<T>, Batch<U>)` or `f(Time, Batch<T>, Batch<U>)` → a `Vec` or `Batch`",
        example: "words.transform_with(other, |a, b| a.into_iter().chain(b).collect::<Vec<_>>()).pprint();",
        feature: None,
    },
};

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    let (rt, ctx, f, user) = (call.rt(), call.ctx(), &call.closure, call.arg("function"));
    let (left, right) = (&markers[0], &markers[1]);
    let (left_sink, right_sink) = (&call.sinks[0], &call.sinks[1]);
    let with_time = user.is_some_and(|f| is_closure_with_params(f, 3));
    let batches = quote_spanned!(call.span=> #left_sink.finish(), #right_sink.finish());
    let (check, apply) = if with_time {
        (
            quote_spanned!(call.span=> check_two_with_time),
            quote_spanned!(call.span=> apply_two_with_time(&mut #f, #ctx.time(), #batches)),
        )
    } else {
        (
            quote_spanned!(call.span=> check_two),
            quote_spanned!(call.span=> apply_two(&mut #f, #batches)),
        )
    };
    StageCode {
        sinks: quote_spanned!(call.span=>
            let (mut #f, _) = #rt::ops::transform::#check(&#left, &#right, #user);
            let mut #left_sink = #rt::BatchBuilder::new();
            let mut #right_sink = #rt::BatchBuilder::new();
        ),
        batch: quote_spanned!(call.span=> #rt::ops::transform::#apply),
        ..StageCode::default()
    }
}
