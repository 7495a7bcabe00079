use streamdsl::prelude::*;

stream! {
    pipeline Doubled {
        batch = 1s;
        input numbers: i64;
        let doubled = numbers.map(|x| x * 2, 4);
        doubled.pprint();
    }
}

fn main() {}
