//! `map(f)`: one record out per record in.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, PerRecord, checked_closure};
use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "map",
    spark_name: "map",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    kind: Kind::PerRecord(PerRecord { setup, step }),
    doc: Doc {
        summary: "`T` → `f(T)`",
        example: "lines.map(|line| line.len()).pprint();",
    },
};

fn setup(call: &OpCall, input: &Ident) -> TokenStream {
    checked_closure(call, input, "map", "function")
}

fn step(call: &OpCall, rest: TokenStream) -> TokenStream {
    let (f, r) = (&call.closure, call.record());
    quote_spanned!(call.span=> let #r = #f(#r); #rest)
}
