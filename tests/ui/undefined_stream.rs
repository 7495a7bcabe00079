use streamdsl::prelude::*;

stream! {
    pipeline Doubled {
        batch = 1s;
        input numbers: i64;
        let doubled = numbrs.map(|x| x * 2);
        doubled.pprint();
    }
}

fn main() {}
