//! `filter(predicate)`: keeps records for which the predicate is true.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "filter",
    spark_name: "filter",
    args: &[ArgSpec::required("predicate", ArgKind::Function)],
    kind: Kind::PerRecord(step),
    doc: Doc {
        summary: "`T` → `T` where `predicate(&T)`",
        example: "numbers.filter(|n| n % 2 == 0).pprint();",
        feature: None,
    },
};

fn step(call: &OpCall, rest: TokenStream) -> TokenStream {
    let (f, r) = (&call.closure, call.record());
    quote_spanned!(call.span=> if #f(&#r) { #rest })
}
