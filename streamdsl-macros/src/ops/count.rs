//! `count()`: the number of records of each batch; `0` for an empty batch.

use super::{Breaker, Codegen, OperatorSpec, Slide, simple_sink};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "count",
    spark_name: "count",
    args: &[],
    slide: Slide::Inherit,
    codegen: Codegen::Breaker(Breaker { sinks, finish }),
};

simple_sink!(
    count,
    |call, marker| (quote::quote_spanned!(call.span=> &#marker))
);
