use streamdsl::prelude::*;

stream! {
    pipeline Histogram {
        batch = 1s;
        input temperatures: f64;
        let counts = temperatures.count_by_value();
        counts.pprint();
    }
}

fn main() {}
