//! `map_values(f)`: maps the value of (key, value) records.

use super::{ArgKind, ArgSpec, Codegen, OpCall, OperatorSpec, PerRecord, Slide};
use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "map_values",
    spark_name: "mapValues",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    slide: Slide::Inherit,
    codegen: Codegen::PerRecord(PerRecord { setup, step }),
};

fn setup(call: &OpCall, input: &Ident) -> TokenStream {
    let (f, m, user) = (&call.closure, &call.marker, call.value(0));
    quote_spanned!(call.span=>
        let (mut #f, #m) = ::streamdsl::__private::ops::map_values::check(&#input, #user);
    )
}

fn step(call: &OpCall, rest: TokenStream) -> TokenStream {
    let f = &call.closure;
    quote_spanned!(call.span=> let __r = ::streamdsl::__private::ops::map_values::apply(&mut #f, __r); #rest)
}
