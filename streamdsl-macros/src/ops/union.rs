//! `a.union(b, …)`: the records of all the streams.

use super::{ArgKind, ArgSpec, Breaker, Codegen, OpCall, OperatorSpec};
use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "union",
    spark_name: "union",
    args: &[ArgSpec::repeated("stream", ArgKind::Stream)],
    codegen: Codegen::Breaker(Breaker { sinks, finish }),
};

fn sinks(call: &OpCall, markers: &[Ident]) -> TokenStream {
    let first = &markers[0];
    let checks = markers[1..].iter().map(|m| {
        quote_spanned!(m.span()=> ::streamdsl::__private::ops::union::check_same(&#first, &#m);)
    });
    let sinks = &call.sinks;
    quote! {
        #(#checks)*
        #(let mut #sinks = ::streamdsl::__private::BatchBuilder::new();)*
    }
}

fn finish(call: &OpCall) -> TokenStream {
    let sinks = &call.sinks;
    quote!(::streamdsl::__private::ops::union::finish([#(#sinks),*]))
}
