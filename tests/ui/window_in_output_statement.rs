use streamdsl::prelude::*;

stream! {
    pipeline Windows {
        batch = 1s;
        input numbers: i64;
        numbers.window(3s).pprint();
    }
}

fn main() {}
