use streamdsl::prelude::*;

stream! {
    pipeline Numbers {
        batch = 5;
        input numbers: i64;
        numbers.pprint();
    }
}

fn main() {}
