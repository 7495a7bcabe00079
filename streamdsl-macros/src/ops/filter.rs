//! `filter(predicate)`: keeps records for which the predicate is true.

use super::{ArgKind, ArgSpec, Codegen, OpCall, OperatorSpec, PerRecord, Slide};
use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "filter",
    spark_name: "filter",
    args: &[ArgSpec::required("predicate", ArgKind::Function)],
    slide: Slide::Inherit,
    codegen: Codegen::PerRecord(PerRecord { setup, step }),
};

fn setup(call: &OpCall, input: &Ident) -> TokenStream {
    let (f, m, user) = (&call.closure, &call.marker, call.value(0));
    quote_spanned!(call.span=>
        let (mut #f, #m) = ::streamdsl::__private::ops::filter::check(&#input, #user);
    )
}

fn step(call: &OpCall, rest: TokenStream) -> TokenStream {
    let f = &call.closure;
    quote_spanned!(call.span=> if #f(&__r) { #rest })
}
