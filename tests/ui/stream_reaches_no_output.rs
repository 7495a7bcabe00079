use streamdsl::prelude::*;

stream! {
    pipeline Forgotten {
        batch = 1s;
        input numbers: i64;
        let doubled = numbers.map(|x| x * 2);
        let tripled = numbers.map(|x| x * 3);
        doubled.pprint();
    }
}

fn main() {}
