//! `save_to_database(sink)`: each batch written to a database table in one transaction,
//! exactly once across restarts; `sink` is a `DatabaseSink` parameter of the pipeline.

use super::pprint::{data_capture, output_params};
use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "save_to_database",
    spark_name: "saveToDatabase",
    args: &[ArgSpec::required("sink", ArgKind::Value)],
    kind: Kind::Output(emit),
    doc: Doc {
        summary: "each batch in one database transaction, exactly once (features `mysql`, `postgres`)",
        example: "words.save_to_database(sink);",
        feature: None,
    },
};

fn emit(call: &OpCall, batch: &TokenStream) -> TokenStream {
    let (rt, ctx, index, sink) = (call.rt(), call.ctx(), call.output_index, call.arg("sink"));
    let (out, records) = output_params(call);
    let capture = data_capture(call, batch);
    quote_spanned!(call.span=>
        #ctx.output(#index, #batch, #capture, |#out, #records| {
            #rt::outputs::database::write(#out, #sink, #index, #records)
        });
    )
}
