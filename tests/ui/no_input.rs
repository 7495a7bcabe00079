use streamdsl::prelude::*;

stream! {
    pipeline Empty {
        batch = 1s;
    }
}

fn main() {}
