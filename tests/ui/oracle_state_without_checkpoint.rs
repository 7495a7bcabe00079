// The oracle's `error_state_no_checkpoint`: the `state_count` pipeline without a checkpoint.
use streamdsl::prelude::*;

stream! {
    pipeline StateCount {
        batch = 1s;
        input words: String;
        let counts: (String, u64) = words
            .map(|w| match w.strip_prefix("del:") {
                Some(key) => (key.to_owned(), None),
                None => (w, Some(1u64)),
            })
            .update_state_by_key(|values: Vec<Option<u64>>, count: Option<u64>| {
                let values: Option<Vec<u64>> = values.into_iter().collect();
                values.map(|values| count.unwrap_or(0) + values.iter().sum::<u64>())
            });
        counts.pprint();
    }
}

fn main() {}
