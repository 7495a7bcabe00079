//! `foreach_batch(async |time, batch| …)` or `foreach_batch(async |batch| …)`: an async
//! function called with every batch and awaited before the batch is done.

use super::foreach_rdd::emit_callback;
use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "foreach_batch",
    spark_name: "foreachBatch",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    kind: Kind::Output(emit),
    doc: Doc {
        summary: "the same with an async function, awaited before the next output runs",
        example: "numbers.foreach_batch(async |batch| println!(\"{} records\", batch.len()));",
        feature: None,
    },
};

fn emit(call: &OpCall, batch: &TokenStream) -> TokenStream {
    emit_callback(call, batch, "foreach_batch", |invoke, out| {
        quote_spanned!(call.span=> #out.block_on(#invoke))
    })
}
