//! `foreach_batch(async |time, batch| …)` or `foreach_batch(async |batch| …)`: an async
//! function called with every batch and awaited before the batch is done.

use super::foreach_rdd::emit_callback;
use super::{ArgKind, ArgSpec, Codegen, OpCall, OperatorSpec, Slide};
use proc_macro2::TokenStream;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "foreach_batch",
    spark_name: "foreachBatch",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    slide: Slide::Inherit,
    codegen: Codegen::Output(emit),
};

fn emit(call: &OpCall, batch: &TokenStream) -> TokenStream {
    emit_callback(
        call,
        batch,
        quote::quote!(foreach_batch),
        |invoke| quote::quote!(__out.block_on(#invoke)),
    )
}
