use streamdsl::prelude::*;

stream! {
    pipeline Scaled {
        batch = 1s;
        input numbers: i64;
        let scaled = numbers.map_values(|v| v * 10);
        scaled.pprint();
    }
}

fn main() {}
