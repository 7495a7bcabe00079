use streamdsl::prelude::*;

stream! {
    pipeline Windows {
        batch = 1s;
        input numbers: i64;
        let windowed: i64 = numbers.window(3);
        windowed.pprint();
    }
}

fn main() {}
