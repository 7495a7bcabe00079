use streamdsl::prelude::*;

stream! {
    pipeline Windows(seconds: u64) {
        batch = 1s;
        input numbers: i64;
        let windowed: i64 = numbers.window(seconds);
        windowed.pprint();
    }
}

fn main() {}
