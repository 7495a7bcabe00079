//! `map(f)`: one record out per record in.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "map",
    spark_name: "map",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    kind: Kind::PerRecord(step),
    doc: Doc {
        summary: "`T` → `f(T)`",
        example: "lines.map(|line| line.len()).pprint();",
        feature: None,
    },
};

fn step(call: &OpCall, rest: TokenStream) -> TokenStream {
    let (f, r) = (&call.closure, call.record());
    quote_spanned!(call.span=> let #r = #f(#r); #rest)
}
