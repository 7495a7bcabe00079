//! `a.union(b, …)`: the records of all the streams.

use super::{ArgKind, ArgSpec, Breaker, Codegen, OpCall, OperatorSpec, Slide};
use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "union",
    spark_name: "union",
    args: &[ArgSpec::repeated("stream", ArgKind::Stream)],
    slide: Slide::Inherit,
    codegen: Codegen::Breaker(Breaker { sinks, finish }),
};

fn sinks(call: &OpCall, markers: &[Ident]) -> TokenStream {
    let first = &markers[0];
    let ports = call.sinks.iter().zip(&call.port_spans).map(|(sink, span)| {
        quote_spanned!(*span=> let mut #sink = ::streamdsl::__private::ops::union::port(&#first);)
    });
    quote!(#(#ports)*)
}

fn finish(call: &OpCall) -> TokenStream {
    let sinks = &call.sinks;
    quote_spanned!(call.span=> ::streamdsl::__private::ops::union::finish([#(#sinks),*]))
}
