//! `glom()`: one record per partition, holding the partition's records.

use super::{Breaker, Codegen, OperatorSpec, Slide, simple_sink};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "glom",
    spark_name: "glom",
    args: &[],
    slide: Slide::Inherit,
    codegen: Codegen::Breaker(Breaker { sinks, finish }),
};

simple_sink!(glom, |call, _marker| ());
