use streamdsl::prelude::*;

stream! {
    pipeline Silent {
        batch = 1s;
        input numbers: i64;
        let doubled = numbers.map(|x| x * 2);
    }
}

fn main() {}
