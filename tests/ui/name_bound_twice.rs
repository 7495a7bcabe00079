use streamdsl::prelude::*;

stream! {
    pipeline Twice {
        batch = 1s;
        input numbers: i64;
        let result = numbers.map(|x| x * 2);
        let result = numbers.map(|x| x * 3);
        result.pprint();
    }
}

fn main() {}
