//! A per-key state type that changed between two builds of a pipeline: the checkpoint of the
//! first build is refused with the operator named and the way out, unless the new type says
//! how to convert the old one (`StateMigration`), in which case the state carries on.
//!
//! Each module is one build of the same pipeline (same name, same fingerprint: the state
//! type is `Session` in both), as a user would have before and after editing the struct.

use std::path::PathBuf;
use streamdsl::prelude::*;
use streamdsl::testing::Harness;

fn clicks(batches: &[&[&str]]) -> QueueStream<String> {
    queue_stream(
        batches
            .iter()
            .map(|b| b.iter().map(|w| w.to_string()).collect::<Vec<_>>()),
    )
}

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("streamdsl-migration-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The first build: a session counts its clicks.
mod before {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, Serialize, Deserialize)]
    pub struct Session {
        pub clicks: u64,
    }

    stream! {
        pub pipeline Sessions {
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
}

/// The next build: a session also keeps a last page, a field with a serde default, and says
/// how to convert the state of the first build.
mod after {
    use super::*;
    use serde::{Deserialize, Serialize};
    use streamdsl::state::StateMigration;

    /// `before::Session`, kept under another name for the conversion.
    #[derive(Deserialize)]
    pub struct SessionV1 {
        clicks: u64,
    }

    #[derive(Clone, Debug, Serialize, Deserialize)]
    pub struct Session {
        pub clicks: u64,
        #[serde(default)]
        pub last_page: String,
    }

    impl StateMigration for Session {
        type Previous = SessionV1;
        fn migrate(previous: SessionV1) -> Session {
            Session {
                clicks: previous.clicks,
                last_page: "(before pages were kept)".into(),
            }
        }
    }

    stream! {
        pub pipeline Sessions {
            batch = 1s;
            checkpoint;
            input clicks: String;
            let sessions: (String, Session) = clicks
                .map(|user| (user, 1u64))
                .update_state_by_key(|new: Vec<u64>, old: Option<Session>| {
                    let old = old.unwrap_or(Session { clicks: 0, last_page: String::new() });
                    let last_page = if new.is_empty() { old.last_page } else { "/".to_owned() };
                    Some(Session { clicks: old.clicks + new.len() as u64, last_page })
                });
            sessions.pprint();
        }
    }
}

/// The same change without a conversion.
mod unconverted {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, Serialize, Deserialize)]
    pub struct Session {
        pub clicks: u64,
        #[serde(default)]
        pub last_page: String,
    }

    stream! {
        pub pipeline Sessions {
            batch = 1s;
            checkpoint;
            input clicks: String;
            let sessions: (String, Session) = clicks
                .map(|user| (user, 1u64))
                .update_state_by_key(|new: Vec<u64>, old: Option<Session>| {
                    let old = old.unwrap_or(Session { clicks: 0, last_page: String::new() });
                    Some(Session { clicks: old.clicks + new.len() as u64, last_page: old.last_page })
                });
            sessions.pprint();
        }
    }
}

/// The first build's three batches (`a` clicks twice, `b` once), then `more`: a restarted
/// queue replays from where the checkpoint says it was.
fn batches(more: &[&[&str]]) -> QueueStream<String> {
    let mut all: Vec<&[&str]> = vec![&["a"], &["a", "b"], &[]];
    all.extend(more);
    clicks(&all)
}

/// Three batches of the first build.
fn checkpoint_of_the_first_build(dir: &std::path::Path) {
    let first = before::Sessions::new().clicks(batches(&[]));
    Harness::new(first).checkpoint_dir(dir).run(3).unwrap();
}

#[test]
fn a_state_type_with_a_migration_restores_the_previous_builds_checkpoint() {
    let dir = temp_dir("migrated");
    checkpoint_of_the_first_build(&dir);
    let next = after::Sessions::new().clicks(batches(&[&["b"]]));
    let run = Harness::new(next).checkpoint_dir(&dir).run(1).unwrap();
    assert_eq!(
        run.stream("sessions").sorted_at(4000),
        [
            "(\"a\", Session { clicks: 2, last_page: \"(before pages were kept)\" })",
            "(\"b\", Session { clicks: 2, last_page: \"/\" })",
        ],
        "the clicks counted by the first build carry on"
    );
    // Checkpoints written since hold the new type, and restore as it is.
    let again = after::Sessions::new().clicks(batches(&[&["b"], &["a"]]));
    let run = Harness::new(again).checkpoint_dir(&dir).run(1).unwrap();
    assert_eq!(
        run.stream("sessions").sorted_at(5000)[0],
        "(\"a\", Session { clicks: 3, last_page: \"/\" })"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_changed_state_type_without_a_migration_is_refused_naming_the_operator_and_the_way_out() {
    let dir = temp_dir("unconverted");
    checkpoint_of_the_first_build(&dir);
    let next = unconverted::Sessions::new().clicks(batches(&[&["b"]]));
    let error = Harness::new(next).checkpoint_dir(&dir).run(1).unwrap_err();
    let text = error.to_string();
    for expected in [
        "the state type of `sessions: update_state_by_key` changed since this checkpoint was written",
        "implement `StateMigration`",
        "move the checkpoint directory away to start afresh",
    ] {
        assert!(text.contains(expected), "`{expected}` in: {text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
