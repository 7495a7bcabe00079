use streamdsl::prelude::*;

stream! {
    pipeline Windows {
        batch = 1s;
        input numbers: i64;
        let inner: i64 = numbers.window(4s, 2s);
        let outer: i64 = inner.window(3s);
        outer.pprint();
    }
}

fn main() {}
