use streamdsl::prelude::*;

stream! {
    pipeline Lengths {
        batch = 1s;
        input lines: String;
        lines.filter_map(|line| line.len()).pprint();
    }
}

fn main() {}
