use streamdsl::prelude::*;

stream! {
    pipeline Numbers {
        batch = 5sec;
        input numbers: i64;
        numbers.pprint();
    }
}

fn main() {}
