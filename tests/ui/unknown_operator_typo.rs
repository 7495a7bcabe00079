use streamdsl::prelude::*;

stream! {
    pipeline Evens {
        batch = 1s;
        input numbers: i64;
        numbers.fliter(|n| n % 2 == 0).pprint();
    }
}

fn main() {}
