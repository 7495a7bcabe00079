use streamdsl::prelude::*;

#[derive(Clone, Debug)]
struct Session {
    clicks: u64,
}

stream! {
    pipeline Sessions {
        batch = 1s;
        checkpoint;
        input clicks: String;
        let sessions: (String, Session) = clicks
            .map(|user| (user, 1u64))
            .update_state_by_key(|new: Vec<u64>, old: Option<Session>| {
                Some(Session { clicks: old.map_or(0, |s| s.clicks) + new.len() as u64 })
            });
        sessions.pprint();
    }
}

fn main() {}
