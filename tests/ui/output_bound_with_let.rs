use streamdsl::prelude::*;

stream! {
    pipeline Printed {
        batch = 1s;
        input lines: String;
        let printed = lines.pprint();
    }
}

fn main() {}
