use streamdsl::prelude::*;

stream! {
    pipeline Labels {
        batch = 1s;
        input numbers: i64;
        numbers.pprint(label = format!("numbers"));
    }
}

fn main() {}
