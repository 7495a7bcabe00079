//! `flat_map_values(f)`: any number of values per (key, value) record, each with the key.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "flat_map_values",
    spark_name: "flatMapValues",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    kind: Kind::PerRecord(step),
    doc: Doc {
        summary: "`(K, V)` → `(K, W)` for each `W` in `f(V)`",
        example: "words.flat_map_values(|n| [n, n + 1]).pprint();",
        feature: None,
    },
};

fn step(call: &OpCall, rest: TokenStream) -> TokenStream {
    let (rt, f, r) = (call.rt(), &call.closure, call.record());
    quote_spanned!(call.span=> for #r in #rt::ops::flat_map_values::apply(&#f, #r) { #rest })
}
