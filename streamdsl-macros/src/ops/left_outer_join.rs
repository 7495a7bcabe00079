//! `a.left_outer_join(b, partitions?)`: per key, every value of `a`, with each matching value of `b` or `None`.

use super::join::{ARGS, keyed_sides};
use super::{Doc, Kind, OpCall, OperatorSpec, StageCode};
use proc_macro2::Ident;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "left_outer_join",
    spark_name: "leftOuterJoin",
    args: ARGS,
    kind: Kind::Breaker(codegen),
    doc: Doc {
        summary: "`(K, V)`, `(K, W)` → `(K, (V, Option<W>))`",
        example: "words.left_outer_join(other).pprint();",
        feature: None,
    },
};

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    keyed_sides(call, markers, quote::quote_spanned!(call.span=> join::left_outer))
}
