use streamdsl::prelude::*;

stream! {
    pipeline Lengths {
        batch = 1s;
        input lines: String;
        lines.map(|l| l.len());
        lines.pprint();
    }
}

fn main() {}
