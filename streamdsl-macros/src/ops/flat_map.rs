//! `flat_map(f)`: any number of records out per record in.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "flat_map",
    spark_name: "flatMap",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    kind: Kind::PerRecord(step),
    doc: Doc {
        summary: "`T` → each item of `f(T)`",
        example: "lines.flat_map(|line| line.split(' ').map(str::to_owned).collect::<Vec<_>>()).pprint();",
        feature: None,
    },
};

fn step(call: &OpCall, rest: TokenStream) -> TokenStream {
    let (f, r) = (&call.closure, call.record());
    quote_spanned!(call.span=> for #r in #f(#r) { #rest })
}
