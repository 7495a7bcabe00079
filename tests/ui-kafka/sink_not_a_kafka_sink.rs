use streamdsl::prelude::*;

stream! {
    pipeline Counts(topic: String) {
        batch = 1s;
        input counts: (String, u64);
        counts.save_to_kafka(topic);
    }
}

fn main() {}
