//! `map_values(f)`: maps the value of (key, value) records.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "map_values",
    spark_name: "mapValues",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    kind: Kind::PerRecord(step),
    doc: Doc {
        summary: "`(K, V)` → `(K, f(V))`",
        example: "words.map_values(|n| n * 2).pprint();",
        feature: None,
    },
};

fn step(call: &OpCall, rest: TokenStream) -> TokenStream {
    let (rt, f, r) = (call.rt(), &call.closure, call.record());
    quote_spanned!(call.span=> let #r = #rt::ops::map_values::apply(&#f, #r); #rest)
}
