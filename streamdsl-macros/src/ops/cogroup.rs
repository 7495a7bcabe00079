//! `cogroup(other, partitions?)`: per key, the values of both streams.

use super::join::{combine, sides};
use super::{ArgKind, ArgSpec, Breaker, Codegen, OpCall, OperatorSpec, Slide};
use proc_macro2::TokenStream;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "cogroup",
    spark_name: "cogroup",
    args: &[
        ArgSpec::required("other", ArgKind::Stream),
        ArgSpec::optional("partitions", ArgKind::Value),
    ],
    slide: Slide::Inherit,
    codegen: Codegen::Breaker(Breaker {
        sinks: sides,
        finish,
    }),
};

fn finish(call: &OpCall) -> TokenStream {
    combine(call, quote::quote!(cogroup::finish))
}
