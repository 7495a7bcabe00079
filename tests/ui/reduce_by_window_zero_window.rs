use streamdsl::prelude::*;

stream! {
    pipeline Windows {
        batch = 1s;
        input numbers: i64;
        let total: i64 = numbers.reduce_by_window(|a, b| a + b, 0s);
        total.pprint();
    }
}

fn main() {}
