use streamdsl::prelude::*;

stream! {
    pipeline Lines {
        batch = 1s;
        input lines: &mut str;
        lines.pprint();
    }
}

fn main() {}
