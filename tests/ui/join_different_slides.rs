use streamdsl::prelude::*;

stream! {
    pipeline Windows {
        batch = 1s;
        input pairs: (String, i64);
        let windowed: (String, i64) = pairs.window(4s, 2s);
        let joined = pairs.join(windowed);
        joined.pprint();
    }
}

fn main() {}
