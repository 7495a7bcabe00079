//! `a.full_outer_join(b, partitions?)`: per key, every value of either stream, with each match or `None`.

use super::join::{ARGS, keyed_sides};
use super::{Doc, Kind, OpCall, OperatorSpec, StageCode};
use proc_macro2::Ident;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "full_outer_join",
    spark_name: "fullOuterJoin",
    args: ARGS,
    kind: Kind::Breaker(codegen),
    doc: Doc {
        summary: "`(K, V)`, `(K, W)` → `(K, (Option<V>, Option<W>))`",
        example: "words.full_outer_join(other).pprint();",
        feature: None,
    },
};

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    keyed_sides(call, markers, quote::quote_spanned!(call.span=> join::full_outer))
}
