use streamdsl::prelude::*;

stream! {
    pipeline Both {
        batch = 1s;
        input numbers: i64;
        input names: String;
        let both = numbers.union(names);
        both.pprint();
    }
}

fn main() {}
