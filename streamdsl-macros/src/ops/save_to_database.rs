//! `save_to_database(sink)`: each batch written to a database table in one transaction,
//! exactly once across restarts; `sink` is a `DatabaseSink` parameter of the pipeline.

use super::{ArgKind, ArgSpec, Codegen, OpCall, OperatorSpec, Slide};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "save_to_database",
    spark_name: "saveToDatabase",
    args: &[ArgSpec::required("sink", ArgKind::Value)],
    slide: Slide::Inherit,
    codegen: Codegen::Output(emit),
};

fn emit(call: &OpCall, batch: &TokenStream) -> TokenStream {
    let (ctx, index, sink) = (&call.ctx, call.output_index, call.value(0));
    quote_spanned!(call.span=>
        #ctx.output(#index, #batch, |__out, __batch| {
            ::streamdsl::__private::outputs::database::write(__out, #sink, #index, __batch)
        });
    )
}
