use streamdsl::prelude::*;

struct Celsius(f64);

stream! {
    pipeline Temperatures(sink: KafkaSink) {
        batch = 1s;
        input readings: (String, f64);
        readings.save_to_kafka(sink, |(_, t)| Celsius(*t));
    }
}

fn main() {}
