//! `a.cogroup(b, partitions?)`: per key, the values of both streams.

use super::join::{ARGS, keyed_sides};
use super::{Doc, Kind, OpCall, OperatorSpec, StageCode};
use proc_macro2::Ident;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "cogroup",
    spark_name: "cogroup",
    args: ARGS,
    kind: Kind::Breaker(codegen),
    doc: Doc {
        summary: "`(K, V)`, `(K, W)` → `(K, (Vec<V>, Vec<W>))`",
        example: "words.cogroup(other).pprint();",
        feature: None,
    },
};

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    keyed_sides(call, markers, quote::quote_spanned!(call.span=> cogroup::combine))
}
