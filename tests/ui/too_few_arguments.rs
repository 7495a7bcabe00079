use streamdsl::prelude::*;

stream! {
    pipeline Totals {
        batch = 1s;
        input pairs: (String, i64);
        let totals = pairs.reduce_by_key();
        totals.pprint();
    }
}

fn main() {}
