use streamdsl::prelude::*;

stream! {
    pipeline Sums {
        batch = 1s;
        input numbers: i64;
        let sums = numbers.reduce_by_key(|a, b| a + b);
        sums.pprint();
    }
}

fn main() {}
