//! `count_by_value(partitions?)`: `(record, count)` per distinct record of a batch.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, StageCode, simple_stage};
use proc_macro2::Ident;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "count_by_value",
    spark_name: "countByValue",
    args: &[ArgSpec::optional("partitions", ArgKind::Value)],
    kind: Kind::Breaker(codegen),
    doc: Doc {
        summary: "`(T, u64)` per distinct record",
        example: "lines.count_by_value().pprint();",
        feature: None,
    },
};

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    let (marker, partitions) = (&markers[0], call.partitions("partitions"));
    simple_stage(
        call,
        "count_by_value",
        quote_spanned!(call.span=> &#marker, #partitions),
    )
}
