use streamdsl::prelude::*;

stream! {
    pipeline Sessions {
        batch = 1s;
        input state: String;
        state.pprint();
    }
}

fn main() {}
