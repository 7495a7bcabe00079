//! `flat_map(f)`: any number of records out per record in.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, PerRecord, checked_closure};
use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "flat_map",
    spark_name: "flatMap",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    kind: Kind::PerRecord(PerRecord { setup, step }),
    doc: Doc {
        summary: "`T` → each item of `f(T)`",
        example: "lines.flat_map(|line| line.split(' ').map(str::to_owned).collect::<Vec<_>>()).pprint();",
    },
};

fn setup(call: &OpCall, input: &Ident) -> TokenStream {
    checked_closure(call, input, "flat_map", "function")
}

fn step(call: &OpCall, rest: TokenStream) -> TokenStream {
    let (f, r) = (&call.closure, call.record());
    quote_spanned!(call.span=> for #r in #f(#r) { #rest })
}
