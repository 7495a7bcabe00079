//! `count_by_value(partitions?)`: `(record, count)` per distinct record of a batch.

use super::{ArgKind, ArgSpec, Breaker, Codegen, OperatorSpec, Slide, simple_sink};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "count_by_value",
    spark_name: "countByValue",
    args: &[ArgSpec::optional("partitions", ArgKind::Value)],
    slide: Slide::Inherit,
    codegen: Codegen::Breaker(Breaker { sinks, finish }),
};

simple_sink!(count_by_value, |call, marker| (
    quote::quote_spanned!(call.span=> &#marker),
    call.partitions(0)
));
