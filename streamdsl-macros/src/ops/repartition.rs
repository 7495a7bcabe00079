//! `repartition(n)`: the same records in exactly `n` partitions.

use super::{ArgKind, ArgSpec, Breaker, Codegen, OperatorSpec, Slide, simple_sink};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "repartition",
    spark_name: "repartition",
    args: &[ArgSpec::required("partitions", ArgKind::Value)],
    slide: Slide::Inherit,
    codegen: Codegen::Breaker(Breaker { sinks, finish }),
};

simple_sink!(repartition, |call, _marker| ({
    let n = call.value(0);
    quote::quote!(#n)
}));
