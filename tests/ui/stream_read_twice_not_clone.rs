use streamdsl::prelude::*;

#[derive(Debug)]
struct Reading {
    value: i64,
}

stream! {
    pipeline Readings {
        batch = 1s;
        input numbers: i64;
        let readings = numbers.map(|value| Reading { value });
        let small = readings.filter(|r| r.value < 10);
        small.pprint();
        let large = readings.filter(|r| r.value >= 10);
        large.pprint();
    }
}

fn main() {}
