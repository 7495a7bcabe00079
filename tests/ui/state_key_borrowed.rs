use streamdsl::prelude::*;

stream! {
    pipeline Counts {
        batch = 1s;
        checkpoint;
        input words: &str;
        let counts: (&str, u64) = words
            .map(|w| (w, 1u64))
            .update_state_by_key(|new: Vec<u64>, old: Option<u64>| Some(old.unwrap_or(0) + new.len() as u64));
        counts.pprint();
    }
}

fn main() {}
