use streamdsl::prelude::*;

stream! {
    pipeline Numbers {
        batch = 1s;
        input numbers: i64;
        numbers.pprint().count();
    }
}

fn main() {}
