use streamdsl::prelude::*;

stream! {
    pipeline Lengths {
        batch = 1s;
        input lines: String;
        let lengths = lines.map::<usize>(|l| l.len());
        lengths.pprint();
    }
}

fn main() {}
