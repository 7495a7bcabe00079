use streamdsl::prelude::*;

stream! {
    pipeline Numbers {
        input numbers: i64;
        numbers.pprint();
    }
}

fn main() {}
