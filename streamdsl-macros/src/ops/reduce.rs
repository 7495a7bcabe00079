//! `reduce(f)`: each batch folded into one record; nothing for an empty batch.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, StageCode, stage_with_shared_function};
use proc_macro2::Ident;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "reduce",
    spark_name: "reduce",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    kind: Kind::Breaker(codegen),
    doc: Doc {
        summary: "one record per batch, none if empty",
        example: "numbers.reduce(|a, b| a + b).pprint();",
        feature: None,
    },
};

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    let (marker, f) = (&markers[0], &call.closure);
    stage_with_shared_function(call, "reduce", "check", marker, quote_spanned!(call.span=> &#marker, &#f))
}
