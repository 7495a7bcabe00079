//! `a.union(b, …)`: the records of all the streams.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, StageCode};
use proc_macro2::Ident;
use quote::{quote, quote_spanned};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "union",
    spark_name: "union",
    args: &[ArgSpec::repeated("stream", ArgKind::Stream)],
    kind: Kind::Breaker(codegen),
    doc: Doc {
        summary: "records of all streams (same record type)",
        example: "words.union(other).pprint();",
        feature: None,
    },
};

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    let (rt, first, sinks) = (call.rt(), &markers[0], &call.sinks);
    let ports = sinks.iter().zip(&call.port_spans).map(|(sink, span)| {
        quote_spanned!(*span=> let mut #sink = #rt::ops::union::port(&#first);)
    });
    StageCode {
        sinks: quote!(#(#ports)*),
        batch: quote_spanned!(call.span=> #rt::ops::union::finish([#(#sinks),*])),
        ..StageCode::default()
    }
}
