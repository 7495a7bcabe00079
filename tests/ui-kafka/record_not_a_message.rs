use streamdsl::prelude::*;

#[derive(Debug)]
struct Reading {
    sensor: String,
}

stream! {
    pipeline Readings(sink: KafkaSink) {
        batch = 1s;
        input readings: Reading;
        readings.save_to_kafka(sink);
    }
}

fn main() {}
