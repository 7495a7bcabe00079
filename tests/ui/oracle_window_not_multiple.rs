// The oracle's `error_window_not_multiple`: a 2.5 s window on 1 s batches.
use streamdsl::prelude::*;

stream! {
    pipeline Windowed {
        batch = 1s;
        input numbers: i64;
        let windowed: i64 = numbers.window(2500ms, 1s);
        windowed.pprint();
    }
}

fn main() {}
