//! `reduce_by_key(f, partitions?)`: per batch, the values of each key combined with `f`.

use super::{ArgKind, ArgSpec, Breaker, Codegen, OperatorSpec, Slide, simple_sink};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "reduce_by_key",
    spark_name: "reduceByKey",
    args: &[
        ArgSpec::required("function", ArgKind::Function),
        ArgSpec::optional("partitions", ArgKind::Value),
    ],
    slide: Slide::Inherit,
    codegen: Codegen::Breaker(Breaker { sinks, finish }),
};

simple_sink!(reduce_by_key, |call, marker| (
    quote::quote_spanned!(call.span=> &#marker),
    {
        let f = call.value(0);
        quote::quote!(#f)
    },
    call.partitions(1)
));
