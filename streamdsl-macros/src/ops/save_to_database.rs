//! `save_to_database(sink)`: each batch written to a database table in one transaction,
//! exactly once across restarts; `sink` is a `DatabaseSink` parameter of the pipeline.

use super::pprint::{output_params, output_run};
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
    let (rt, index, sink) = (call.rt(), call.output_index, call.arg("sink"));
    let (out, records) = output_params(call);
    output_run(
        call,
        batch,
        quote_spanned!(call.span=> #rt::outputs::database::write(#out, #sink, #index, #records)),
    )
}
