use streamdsl::prelude::*;

stream! {
    pipeline Totals {
        batch = 1s;
        checkpoint;
        input pairs: (String, u64);
        let totals: (String, u64) = pairs.update_state_by_key(|values: Vec<u64>, total: Option<u64>| {
            Some(values.iter().sum::<u64>() + total.unwrap_or(0))
        });
        let snapshots = totals.state_snapshots();
        snapshots.pprint();
    }
}

fn main() {}
