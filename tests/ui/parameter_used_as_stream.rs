use streamdsl::prelude::*;

stream! {
    pipeline Threshold(limit: i64) {
        batch = 1s;
        input numbers: i64;
        let big = limit.filter(|x| *x > 10);
        big.pprint();
    }
}

fn main() {}
