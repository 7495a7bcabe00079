//! `group_by_key(partitions?)`: per batch, `(key, values)`.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, StageCode, simple_stage};
use proc_macro2::Ident;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "group_by_key",
    spark_name: "groupByKey",
    args: &[ArgSpec::optional("partitions", ArgKind::Value)],
    kind: Kind::Breaker(codegen),
    doc: Doc {
        summary: "`(K, Vec<V>)` per key",
        example: "words.group_by_key().pprint();",
        feature: None,
    },
};

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    let (marker, partitions) = (&markers[0], call.partitions("partitions"));
    simple_stage(
        call,
        "group_by_key",
        quote_spanned!(call.span=> &#marker, #partitions),
    )
}
