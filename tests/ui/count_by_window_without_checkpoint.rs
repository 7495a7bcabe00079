use streamdsl::prelude::*;

stream! {
    pipeline Windows {
        batch = 1s;
        input letters: String;
        letters.count_by_window(3s, 1s).pprint();
    }
}

fn main() {}
