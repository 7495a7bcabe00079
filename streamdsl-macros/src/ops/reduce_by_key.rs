//! `reduce_by_key(f, partitions?)`: per batch, the values of each key combined with `f`.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, StageCode, stage_with_shared_function};
use proc_macro2::Ident;
use quote::quote_spanned;


pub const SPEC: OperatorSpec = OperatorSpec {
    name: "reduce_by_key",
    spark_name: "reduceByKey",
    args: &[
        ArgSpec::required("function", ArgKind::Function),
        ArgSpec::optional("partitions", ArgKind::Value),
    ],
    kind: Kind::Breaker(codegen),
    doc: Doc {
        summary: "`(K, V)` per key, values combined by `function`",
        example: "words.reduce_by_key(|a, b| a + b).pprint();",
        feature: None,
    },
};

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    let (marker, f, partitions) = (&markers[0], &call.closure, call.partitions("partitions"));
    stage_with_shared_function(
        call,
        "reduce_by_key",
        "check_values",
        marker,
        quote_spanned!(call.span=> &#marker, &#f, #partitions),
    )
}
