use streamdsl::prelude::*;

stream! {
    pipeline Windows {
        batch = 1s;
        input numbers: i64;
        let windowed: i64 = numbers.window(4s, 2s);
        let all = numbers.union(windowed);
        all.pprint();
    }
}

fn main() {}
