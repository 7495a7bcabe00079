//! `a.join(b, partitions?)`: per key, every pair of values of the two streams' batches at
//! the same time. The other joins and `cogroup` share its sides.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, StageCode, names};
use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};

/// The arguments of the joins and `cogroup`.
pub const ARGS: &[ArgSpec] = &[
    ArgSpec::required("other", ArgKind::Stream),
    ArgSpec::optional("partitions", ArgKind::Value),
];

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "join",
    spark_name: "join",
    args: ARGS,
    kind: Kind::Breaker(codegen),
    doc: Doc {
        summary: "`(K, V)`, `(K, W)` → `(K, (V, W))`",
        example: "words.join(other).pprint();",
        feature: None,
    },
};

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    keyed_sides(call, markers, quote_spanned!(call.span=> join::inner))
}

/// One keyed side table per stream, the right one keyed by the left's key type, combined key group by key group
/// with `ops::<combine>(left, right, partitions)`.
pub fn keyed_sides(call: &OpCall, markers: &[Ident], combine: TokenStream) -> StageCode {
    let rt = call.rt();
    let (left, right) = (&markers[0], &markers[1]);
    let (l, r) = (&call.sinks[0], &call.sinks[1]);
    let left_side = quote_spanned!(call.span=>
        let mut #l = #rt::ops::join::left_side(&#left);
    );
    // Spanned on the other stream, where a key mismatch is reported.
    let right_rt = names::at(names::RUNTIME, call.port_spans[1]);
    let right_side = quote_spanned!(call.port_spans[1]=>
        let mut #r = #right_rt::ops::join::right_side(&#left, &#right);
    );
    let partitions = call.partitions("partitions");
    StageCode {
        sinks: quote!(#left_side #right_side),
        batch: quote_spanned!(call.span=> #rt::ops::join::by_group(#l, #r, #partitions, #rt::ops::#combine)),
        ..StageCode::default()
    }
}
