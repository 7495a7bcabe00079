use streamdsl::prelude::*;

struct Reading {
    value: i64,
}

stream! {
    pipeline Readings {
        batch = 1s;
        input readings: Reading;
        readings.pprint();
    }
}

fn main() {}
