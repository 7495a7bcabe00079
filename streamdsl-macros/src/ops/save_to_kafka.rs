//! `save_to_kafka(sink)`: each batch's records produced to a Kafka topic, at least once or in
//! one transaction per batch; `sink` is a `KafkaSink` parameter of the pipeline.

use super::pprint::{output_params, output_run};
use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "save_to_kafka",
    spark_name: "saveToKafka",
    args: &[ArgSpec::required("sink", ArgKind::Value)],
    kind: Kind::Output(emit),
    doc: Doc {
        summary: "each batch's records to a Kafka topic, at least once or exactly once (feature `kafka`)",
        example: "counts.save_to_kafka(sink);",
        feature: Some("kafka"),
    },
};

fn emit(call: &OpCall, batch: &TokenStream) -> TokenStream {
    let (rt, sink) = (call.rt(), call.arg("sink"));
    let (out, records) = output_params(call);
    output_run(
        call,
        batch,
        quote_spanned!(call.span=> #rt::outputs::kafka::write(#out, #sink, #records)),
    )
}
