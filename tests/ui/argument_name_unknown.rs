use streamdsl::prelude::*;

stream! {
    pipeline Windows {
        batch = 1s;
        checkpoint;
        input pairs: (String, i64);
        let counts: (String, i64) = pairs.reduce_by_key_and_window(|a, b| a + b, 2s, filtr = |(_, v)| *v != 0);
        counts.pprint();
    }
}

fn main() {}
