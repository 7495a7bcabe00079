//! `group_by_key(partitions?)`: per batch, `(key, values)`.

use super::{ArgKind, ArgSpec, Breaker, Codegen, OperatorSpec, Slide, simple_sink};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "group_by_key",
    spark_name: "groupByKey",
    args: &[ArgSpec::optional("partitions", ArgKind::Value)],
    slide: Slide::Inherit,
    codegen: Codegen::Breaker(Breaker { sinks, finish }),
};

simple_sink!(group_by_key, |call, marker| (
    quote::quote_spanned!(call.span=> &#marker),
    call.partitions(0)
));
