use streamdsl::prelude::*;

stream! {
    pipeline Evens {
        batch = 1s;
        input numbers: i64;
        let evens = numbers.filter(|x| x + 1);
        evens.pprint();
    }
}

fn main() {}
