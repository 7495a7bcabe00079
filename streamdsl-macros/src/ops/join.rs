//! `join`, `left_outer_join`, `right_outer_join`, `full_outer_join` of two keyed streams.

use super::{ArgKind, ArgSpec, Breaker, Codegen, OpCall, OperatorSpec, Slide};
use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;

const ARGS: &[ArgSpec] = &[
    ArgSpec::required("other", ArgKind::Stream),
    ArgSpec::optional("partitions", ArgKind::Value),
];

pub const JOIN: OperatorSpec = OperatorSpec {
    name: "join",
    spark_name: "join",
    args: ARGS,
    slide: Slide::Inherit,
    codegen: Codegen::Breaker(Breaker {
        sinks: sides,
        finish: inner,
    }),
};

pub const LEFT_OUTER_JOIN: OperatorSpec = OperatorSpec {
    name: "left_outer_join",
    spark_name: "leftOuterJoin",
    args: ARGS,
    slide: Slide::Inherit,
    codegen: Codegen::Breaker(Breaker {
        sinks: sides,
        finish: left_outer,
    }),
};

pub const RIGHT_OUTER_JOIN: OperatorSpec = OperatorSpec {
    name: "right_outer_join",
    spark_name: "rightOuterJoin",
    args: ARGS,
    slide: Slide::Inherit,
    codegen: Codegen::Breaker(Breaker {
        sinks: sides,
        finish: right_outer,
    }),
};

pub const FULL_OUTER_JOIN: OperatorSpec = OperatorSpec {
    name: "full_outer_join",
    spark_name: "fullOuterJoin",
    args: ARGS,
    slide: Slide::Inherit,
    codegen: Codegen::Breaker(Breaker {
        sinks: sides,
        finish: full_outer,
    }),
};

/// One keyed side table per stream, the right one keyed by the left's key type; also used by
/// `cogroup`.
pub fn sides(call: &OpCall, markers: &[Ident]) -> TokenStream {
    let (left, right) = (&markers[0], &markers[1]);
    let (l, r) = (&call.sinks[0], &call.sinks[1]);
    let left_side = quote_spanned!(call.span=>
        let mut #l = ::streamdsl::__private::ops::join::left_side(&#left);
    );
    let right_side = quote_spanned!(call.port_spans[1]=>
        let mut #r = ::streamdsl::__private::ops::join::right_side(&#left, &#right);
    );
    quote::quote!(#left_side #right_side)
}

/// `ops::<path>(left, right, partitions)`.
pub fn combine(call: &OpCall, path: TokenStream) -> TokenStream {
    let (l, r) = (&call.sinks[0], &call.sinks[1]);
    let partitions = call.partitions(0);
    quote_spanned!(call.span=> ::streamdsl::__private::ops::#path(#l, #r, #partitions))
}

fn inner(call: &OpCall) -> TokenStream {
    combine(call, quote::quote!(join::inner))
}

fn left_outer(call: &OpCall) -> TokenStream {
    combine(call, quote::quote!(join::left_outer))
}

fn right_outer(call: &OpCall) -> TokenStream {
    combine(call, quote::quote!(join::right_outer))
}

fn full_outer(call: &OpCall) -> TokenStream {
    combine(call, quote::quote!(join::full_outer))
}
