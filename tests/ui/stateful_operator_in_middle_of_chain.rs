use streamdsl::prelude::*;

stream! {
    pipeline Windows {
        batch = 1s;
        input pairs: (String, i64);
        let keys: u64 = pairs.reduce_by_key_and_window(|a, b| a + b, 2s).count();
        keys.pprint();
    }
}

fn main() {}
