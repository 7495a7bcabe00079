use std::cell::RefCell;
use streamdsl::prelude::*;

stream! {
    pipeline Counting(seen: RefCell<u64>) {
        batch = 1s;
        input numbers: i64;
        numbers.map(|x| { *seen.borrow_mut() += 1; x }).pprint();
    }
}

fn main() {}
