use std::cell::Cell;
use streamdsl::prelude::*;

/// A threshold that can be changed while the pipeline runs, but only from one thread.
pub struct Limit {
    value: Cell<i64>,
}

stream! {
    pipeline Threshold(limit: Limit) {
        batch = 1s;
        input numbers: i64;
        numbers.filter(|x| *x > limit.value.get()).pprint();
    }
}

fn main() {}
