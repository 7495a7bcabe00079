//! `filter_map(f)`: the records for which `f` returns `Some`, mapped to what it holds.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "filter_map",
    spark_name: "filterMap",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    kind: Kind::PerRecord(step),
    doc: Doc {
        summary: "`T` → `U` for each `Some(U)` of `f(T)`",
        example: "lines.filter_map(|line| line.parse::<i64>().ok()).pprint();",
        feature: None,
    },
};

fn step(call: &OpCall, rest: TokenStream) -> TokenStream {
    let (f, r) = (&call.closure, call.record());
    quote_spanned!(call.span=> if let ::core::option::Option::Some(#r) = #f(#r) { #rest })
}
