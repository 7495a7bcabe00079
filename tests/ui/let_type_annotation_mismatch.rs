use streamdsl::prelude::*;

stream! {
    pipeline Lengths {
        batch = 1s;
        input lines: String;
        let lengths: String = lines.map(|l| l.len());
        lengths.pprint();
    }
}

fn main() {}
