//! Compile-fail cases of the `kafka` feature's operators (`tests/ui-kafka/`): records that
//! are no Kafka message, a serializer returning none, a sink that is no `KafkaSink`. Built
//! with the feature only (scripts/test.sh runs it with the Kafka tests); regenerate the
//! `.stderr` files with `TRYBUILD=overwrite cargo test --features kafka --test ui_kafka`.

#![cfg(feature = "kafka")]

#[test]
fn kafka_compile_fail_cases() {
    trybuild::TestCases::new().compile_fail("tests/ui-kafka/*.rs");
}
