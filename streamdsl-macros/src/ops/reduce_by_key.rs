//! `reduce_by_key(f, partitions?)`: per batch, the values of each key combined with `f`.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, StageCode, simple_stage};
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
    },
};

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    let (marker, f, partitions) = (
        &markers[0],
        call.arg("function"),
        call.partitions("partitions"),
    );
    simple_stage(
        call,
        "reduce_by_key",
        quote_spanned!(call.span=> &#marker, #f, #partitions),
    )
}
