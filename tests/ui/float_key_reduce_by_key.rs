use streamdsl::prelude::*;

stream! {
    pipeline Totals {
        batch = 1s;
        input readings: (f64, i64);
        let totals = readings.reduce_by_key(|a, b| a + b);
        totals.pprint();
    }
}

fn main() {}
