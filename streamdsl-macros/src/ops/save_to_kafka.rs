//! `save_to_kafka(sink, serialize?)`: each batch's records produced to a Kafka topic, at
//! least once or in one transaction per batch; `sink` is a `KafkaSink` parameter of the
//! pipeline; `serialize(&record)` gives what is sent (a `(key, value)` pair, text or bytes)
//! for records that are none of those.

use super::pprint::{output_params, output_run, with_checked_function};
use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "save_to_kafka",
    spark_name: "saveToKafka",
    args: &[
        ArgSpec::required("sink", ArgKind::Value),
        ArgSpec::optional("serialize", ArgKind::Function),
    ],
    kind: Kind::Output(emit),
    doc: Doc {
        summary: "each batch's records to a Kafka topic, at least once or exactly once; `serialize(&record)` makes a `(key, value)` of other records (feature `kafka`)",
        example: "words.save_to_kafka(sink, |(word, n)| (word.clone(), format!(\"{n} times\")));",
        feature: Some("kafka"),
    },
};

fn emit(call: &OpCall, batch: &TokenStream) -> TokenStream {
    let (rt, sink) = (call.rt(), call.arg("sink"));
    let (out, records) = output_params(call);
    let Some(user) = call.arg("serialize") else {
        return output_run(
            call,
            batch,
            quote_spanned!(call.span=> #rt::outputs::kafka::write(#out, #sink, #records)),
        );
    };
    let f = &call.closure;
    let run = output_run(
        call,
        batch,
        quote_spanned!(call.span=> #rt::outputs::kafka::write_with(#out, #sink, #records, &mut #f)),
    );
    with_checked_function(
        call,
        quote_spanned!(call.span=> #rt::outputs::kafka::check_serializer),
        user,
        run,
    )
}
