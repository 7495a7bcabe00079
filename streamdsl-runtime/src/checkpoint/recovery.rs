//! What to restore: a pure function of the checkpoint directory's files.

use super::format::{CheckpointData, DecodeError};
use std::io;

/// Why a checkpoint file cannot be restored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Unreadable {
    /// The file could not be read.
    #[error("cannot be read")]
    Read(#[source] io::Error),
    /// Its bytes are not a checkpoint (cut short, damaged, another format version).
    #[error(transparent)]
    Format(#[from] DecodeError),
    /// It is this pipeline's checkpoint, but the state in it does not decode as the
    /// pipeline's state types (their serialized form changed). Not named `State`: rustc
    /// shortens a path in compile errors only to a name no other public item has, and
    /// `tests/ui` expects `State<u64>` for `state::State`.
    #[error("its state does not decode as the pipeline's state types")]
    StateMismatch(#[source] crate::state::StateError),
    /// Its batch times are out of range or off this pipeline's batch grid: restoring them
    /// would overflow the clock arithmetic or never reach a checkpoint again.
    #[error(
        "its batch times are impossible for this pipeline (zero time {zero_time} ms, batch {batch_time} ms, \
         interval {batch_ms} ms)"
    )]
    Times {
        /// The zero time it holds.
        zero_time: i64,
        /// The batch time it holds.
        batch_time: i64,
        /// This pipeline's batch interval.
        batch_ms: i64,
    },
}

/// What a checkpoint must be to be restored into a pipeline.
pub struct Expected<'a> {
    /// The pipeline's name.
    pub pipeline: &'a str,
    /// Its fingerprint lines.
    pub fingerprint: &'a [&'a str],
    /// Its batch interval in milliseconds.
    pub batch_ms: i64,
}

/// Times beyond this (about 285 000 years from 1970) are refused: the driver adds intervals
/// to them.
const TIME_LIMIT_MS: i64 = 1 << 53;

/// Whether a checkpoint's times can be resumed on a grid of `batch_ms`.
fn times_fit(data: &CheckpointData, batch_ms: i64) -> bool {
    let in_range = |t: i64| (-TIME_LIMIT_MS..=TIME_LIMIT_MS).contains(&t);
    in_range(data.zero_time)
        && in_range(data.batch_time)
        && data.batch_time >= data.zero_time
        && batch_ms > 0
        && (data.batch_time - data.zero_time) % batch_ms == 0
}

/// The decision.
#[derive(Debug)]
pub enum Recovery {
    /// No checkpoint: start afresh.
    Fresh,
    /// Resume from `data`, read from `file`; `skipped` newer files could not be read.
    Resume {
        /// The file restored.
        file: String,
        /// Its contents.
        data: CheckpointData,
        /// Newer checkpoint files that were unreadable, with why.
        skipped: Vec<(String, Unreadable)>,
    },
}

/// Why no checkpoint can be restored.
#[derive(Debug)]
pub enum Refusal {
    /// The newest readable checkpoint belongs to another pipeline (or another shape of this
    /// one): restoring it would restore garbage.
    OtherPipeline {
        /// The file.
        file: String,
        /// Fingerprint lines of the checkpoint that this pipeline lacks.
        only_in_checkpoint: Vec<String>,
        /// Fingerprint lines of this pipeline that the checkpoint lacks.
        only_in_pipeline: Vec<String>,
    },
    /// Checkpoint files exist but none can be read.
    Unreadable {
        /// Every file with why it could not be read.
        files: Vec<(String, Unreadable)>,
    },
}

/// The batch time of a checkpoint file name (`checkpoint-<ms>`), if it is one.
pub fn checkpoint_time(name: &str) -> Option<i64> {
    let digits = name.strip_prefix("checkpoint-")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Decides what to restore from the checkpoint files `names` of a directory, reading each
/// with `read` newest first and stopping at the first that is restored: older files are not
/// read at all. Only `checkpoint-<ms>` names count. A file is restored if it decodes, its
/// times fit, it is this pipeline's (else the start is refused: restoring another
/// pipeline's state would restore garbage) and `accept` takes it (the pipeline's state
/// decodes); otherwise it is skipped, with why, for the next older one.
pub fn decide(
    names: Vec<String>,
    mut read: impl FnMut(&str) -> io::Result<Vec<u8>>,
    expected: &Expected,
    mut accept: impl FnMut(&CheckpointData) -> Result<(), Unreadable>,
) -> Result<Recovery, Refusal> {
    let mut candidates: Vec<(i64, String)> = names
        .into_iter()
        .filter_map(|name| Some((checkpoint_time(&name)?, name)))
        .collect();
    candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
    let mut skipped = Vec::new();
    for (_, name) in candidates {
        let data = match read(&name)
            .map_err(Unreadable::Read)
            .and_then(|b| Ok(CheckpointData::decode(&b)?))
        {
            Ok(data) => data,
            Err(reason) => {
                skipped.push((name, reason));
                continue;
            }
        };
        let mut theirs: Vec<String> = data.fingerprint.clone();
        theirs.insert(0, format!("pipeline {}", data.pipeline));
        let mut ours: Vec<String> = expected.fingerprint.iter().map(|l| l.to_string()).collect();
        ours.insert(0, format!("pipeline {}", expected.pipeline));
        if theirs != ours {
            return Err(Refusal::OtherPipeline {
                file: name,
                only_in_checkpoint: theirs
                    .iter()
                    .filter(|l| !ours.contains(l))
                    .cloned()
                    .collect(),
                only_in_pipeline: ours
                    .iter()
                    .filter(|l| !theirs.contains(l))
                    .cloned()
                    .collect(),
            });
        }
        let accepted = if times_fit(&data, expected.batch_ms) {
            accept(&data)
        } else {
            Err(Unreadable::Times {
                zero_time: data.zero_time,
                batch_time: data.batch_time,
                batch_ms: expected.batch_ms,
            })
        };
        if let Err(reason) = accepted {
            skipped.push((name, reason));
            continue;
        }
        return Ok(Recovery::Resume {
            file: name,
            data,
            skipped,
        });
    }
    if skipped.is_empty() {
        Ok(Recovery::Fresh)
    } else {
        Err(Refusal::Unreadable { files: skipped })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::format::tests::sample;

    const FINGERPRINT: &[&str] = &["batch 1000 ms"];

    const EXPECTED: Expected = Expected {
        pipeline: "P",
        fingerprint: FINGERPRINT,
        batch_ms: 1000,
    };

    /// `decide` over files given in memory, accepting every state.
    fn decide_files(
        files: Vec<(String, io::Result<Vec<u8>>)>,
        expected: &Expected,
    ) -> Result<Recovery, Refusal> {
        let names = files.iter().map(|(n, _)| n.clone()).collect();
        let mut files: std::collections::HashMap<String, io::Result<Vec<u8>>> =
            files.into_iter().collect();
        decide(
            names,
            |name| files.remove(name).expect("each file is read once"),
            expected,
            |_| Ok(()),
        )
    }

    fn file(name: &str, bytes: Vec<u8>) -> (String, io::Result<Vec<u8>>) {
        (name.to_owned(), Ok(bytes))
    }

    fn fresh(files: Vec<(String, io::Result<Vec<u8>>)>) -> bool {
        matches!(decide_files(files, &EXPECTED), Ok(Recovery::Fresh))
    }

    fn resumed(files: Vec<(String, io::Result<Vec<u8>>)>) -> (String, i64, usize) {
        match decide_files(files, &EXPECTED) {
            Ok(Recovery::Resume {
                file,
                data,
                skipped,
            }) => (file, data.batch_time, skipped.len()),
            other => panic!("expected a resume, got {other:?}"),
        }
    }

    // The writer's steps are: write `.checkpoint-<t>.tmp`, fsync, rename to `checkpoint-<t>`,
    // fsync the directory, delete old checkpoints. A crash can leave the directory as after
    // any step; each test below is one of those states.

    #[test]
    fn empty_directory_starts_fresh() {
        assert!(fresh(vec![]));
    }

    #[test]
    fn crash_while_writing_the_first_temporary_file_starts_fresh() {
        let mut partial = sample(1000).encode();
        partial.truncate(partial.len() / 2);
        assert!(fresh(vec![file(".checkpoint-1000.tmp", partial)]));
    }

    #[test]
    fn crash_while_writing_a_later_temporary_file_resumes_from_the_previous_checkpoint() {
        let mut partial = sample(2000).encode();
        partial.truncate(10);
        let files = vec![
            file("checkpoint-1000", sample(1000).encode()),
            file(".checkpoint-2000.tmp", partial),
        ];
        assert_eq!(resumed(files), ("checkpoint-1000".into(), 1000, 0));
    }

    #[test]
    fn crash_after_rename_resumes_from_the_new_checkpoint() {
        let files = vec![
            file("checkpoint-1000", sample(1000).encode()),
            file("checkpoint-2000", sample(2000).encode()),
        ];
        assert_eq!(resumed(files), ("checkpoint-2000".into(), 2000, 0));
    }

    #[test]
    fn crash_while_deleting_old_checkpoints_resumes_from_the_newest() {
        let files = vec![
            file("checkpoint-3000", sample(3000).encode()),
            file("checkpoint-1000", sample(1000).encode()),
            file("checkpoint-2000", sample(2000).encode()),
        ];
        assert_eq!(resumed(files), ("checkpoint-3000".into(), 3000, 0));
    }

    #[test]
    fn a_torn_or_corrupt_newest_checkpoint_is_reported_and_the_previous_used() {
        let mut torn = sample(2000).encode();
        torn.truncate(torn.len() - 1);
        let mut flipped = sample(3000).encode();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        let files = vec![
            file("checkpoint-1000", sample(1000).encode()),
            file("checkpoint-2000", torn),
            file("checkpoint-3000", flipped),
            (
                "checkpoint-4000".into(),
                Err(io::ErrorKind::PermissionDenied.into()),
            ),
        ];
        match decide_files(files, &EXPECTED) {
            Ok(Recovery::Resume { file, skipped, .. }) => {
                assert_eq!(file, "checkpoint-1000");
                let reasons: Vec<(&str, String)> = skipped
                    .iter()
                    .map(|(f, why)| (f.as_str(), why.to_string()))
                    .collect();
                assert_eq!(
                    reasons,
                    [
                        ("checkpoint-4000", "cannot be read".to_owned()),
                        ("checkpoint-3000", "corrupt: checksum mismatch".to_owned()),
                        (
                            "checkpoint-2000",
                            "truncated: payload of 34 bytes, header says 35".to_owned()
                        ),
                    ]
                );
                assert!(
                    std::error::Error::source(&skipped[0].1).is_some(),
                    "the read error is the cause"
                );
            }
            other => panic!("expected a resume, got {other:?}"),
        }
    }

    #[test]
    fn only_unreadable_checkpoints_are_refused() {
        let files = vec![file("checkpoint-1000", b"garbage".to_vec())];
        assert!(
            matches!(decide_files(files, &EXPECTED), Err(Refusal::Unreadable { files }) if files.len() == 1)
        );
    }

    #[test]
    fn another_pipelines_checkpoint_is_refused_naming_the_difference() {
        let files = || vec![file("checkpoint-1000", sample(1000).encode())];
        match decide_files(
            files(),
            &Expected {
                fingerprint: &["batch 2000 ms"],
                ..EXPECTED
            },
        ) {
            Err(Refusal::OtherPipeline {
                file,
                only_in_checkpoint,
                only_in_pipeline,
            }) => {
                assert_eq!(file, "checkpoint-1000");
                assert_eq!(only_in_checkpoint, ["batch 1000 ms"]);
                assert_eq!(only_in_pipeline, ["batch 2000 ms"]);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(matches!(
            decide_files(
                files(),
                &Expected {
                    pipeline: "Q",
                    ..EXPECTED
                }
            ),
            Err(Refusal::OtherPipeline { .. })
        ));
    }

    #[test]
    fn impossible_times_and_states_that_do_not_decode_fall_back_to_an_older_checkpoint() {
        let with_times = |zero_time, batch_time| {
            CheckpointData {
                zero_time,
                batch_time,
                ..sample(1000)
            }
            .encode()
        };
        let files = vec![
            file("checkpoint-1000", sample(1000).encode()),
            file("checkpoint-2000", sample(2000).encode()),
            file("checkpoint-3000", with_times(0, 2500)),
            file("checkpoint-4000", with_times(i64::MIN, 4000)),
            file("checkpoint-5000", with_times(0, i64::MAX - 50)),
            file("checkpoint-6000", with_times(7000, 6000)),
        ];
        let names = files.iter().map(|(n, _)| n.clone()).collect();
        let mut files: std::collections::HashMap<_, _> = files.into_iter().collect();
        let mut offered = Vec::new();
        let decision = decide(
            names,
            |name| files.remove(name).unwrap(),
            &EXPECTED,
            |data| {
                offered.push(data.batch_time);
                // The newest sane one holds a state the pipeline cannot decode.
                match data.batch_time {
                    2000 => Err(Unreadable::StateMismatch(crate::state::StateError::Layout(
                        postcard::Error::DeserializeUnexpectedEnd,
                    ))),
                    _ => Ok(()),
                }
            },
        );
        assert_eq!(
            offered,
            [2000, 1000],
            "only files with possible times are offered"
        );
        match decision {
            Ok(Recovery::Resume { file, skipped, .. }) => {
                assert_eq!(file, "checkpoint-1000");
                let skipped: Vec<&str> = skipped.iter().map(|(f, _)| f.as_str()).collect();
                assert_eq!(
                    skipped,
                    [
                        "checkpoint-6000",
                        "checkpoint-5000",
                        "checkpoint-4000",
                        "checkpoint-3000",
                        "checkpoint-2000"
                    ]
                );
            }
            other => panic!("expected a resume, got {other:?}"),
        }
    }

    #[test]
    fn older_checkpoints_are_not_read_once_one_is_restored() {
        let mut read = Vec::new();
        let decision = decide(
            vec!["checkpoint-1000".into(), "checkpoint-2000".into()],
            |name| {
                read.push(name.to_owned());
                Ok(sample(checkpoint_time(name).unwrap()).encode())
            },
            &EXPECTED,
            |_| Ok(()),
        );
        assert!(matches!(decision, Ok(Recovery::Resume { .. })));
        assert_eq!(read, ["checkpoint-2000"]);
    }

    #[test]
    fn other_files_are_ignored() {
        assert!(fresh(vec![
            file("notes.txt", b"x".to_vec()),
            file("checkpoint-x", b"x".to_vec()),
        ]));
    }
}
