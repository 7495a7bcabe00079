use streamdsl::prelude::*;

stream! {
    pipeline Sessions {
        batch = 1s;
        checkpoint;
        input pairs: (String, u64);
        let running: (String, u64) = pairs.map_with_state(
            |key: &String, value: Option<String>, state: &mut streamdsl::state::State<u64>| {
                let total = state.get().copied().unwrap_or(0) + value.map_or(0, |v| v.len() as u64);
                state.update(total);
                (key.clone(), total)
            },
        );
        running.pprint();
    }
}

fn main() {}
