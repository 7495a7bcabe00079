//! `count()`: the number of records of each batch; `0` for an empty batch.

use super::{Doc, Kind, OpCall, OperatorSpec, StageCode, simple_stage};
use proc_macro2::Ident;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "count",
    spark_name: "count",
    args: &[],
    kind: Kind::Breaker(codegen),
    doc: Doc {
        summary: "one `u64` per batch, `0` if empty",
        example: "lines.count().pprint();",
        feature: None,
    },
};

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    let marker = &markers[0];
    simple_stage(call, "count", quote_spanned!(call.span=> &#marker))
}
