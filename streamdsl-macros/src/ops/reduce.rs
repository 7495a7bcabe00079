//! `reduce(f)`: each batch folded into one record; nothing for an empty batch.

use super::{ArgKind, ArgSpec, Breaker, Codegen, OperatorSpec, Slide, simple_sink};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "reduce",
    spark_name: "reduce",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    slide: Slide::Inherit,
    codegen: Codegen::Breaker(Breaker { sinks, finish }),
};

simple_sink!(reduce, |call, marker| (
    quote::quote_spanned!(call.span=> &#marker),
    {
        let f = call.value(0);
        quote::quote!(#f)
    }
));
