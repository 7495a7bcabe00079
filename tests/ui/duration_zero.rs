use streamdsl::prelude::*;

stream! {
    pipeline Numbers {
        batch = 0s;
        input numbers: i64;
        numbers.pprint();
    }
}

fn main() {}
