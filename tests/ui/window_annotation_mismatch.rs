use streamdsl::prelude::*;

stream! {
    pipeline Windows {
        batch = 1s;
        input numbers: i64;
        let windowed: String = numbers.window(3s);
        windowed.pprint();
    }
}

fn main() {}
