use streamdsl::prelude::*;

stream! {
    pipeline Numbers {
        batch = 1s;
        batch = 2s;
        input numbers: i64;
        numbers.pprint();
    }
}

fn main() {}
