use streamdsl::prelude::*;

stream! {
    pipeline Sessions {
        batch = 1s;
        checkpoint;
        input pairs: (String, u64);
        let running: (String, u64) = pairs.map_with_state();
        running.pprint();
    }
}

fn main() {}
