//! What to restore: a pure function of the checkpoint directory's files.

use super::format::CheckpointData;

/// The decision.
#[derive(Debug, PartialEq, Eq)]
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
        skipped: Vec<(String, String)>,
    },
}

/// Why no checkpoint can be restored.
#[derive(Debug, PartialEq, Eq)]
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
        files: Vec<(String, String)>,
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

/// Decides what to restore from the files of a checkpoint directory (`(name, contents)`;
/// contents `Err` if the file could not be read). Only `checkpoint-<ms>` files count; the
/// newest readable one is restored if it is this pipeline's (`pipeline`, `fingerprint`).
pub fn decide(
    files: &[(String, Result<Vec<u8>, String>)],
    pipeline: &str,
    fingerprint: &[&str],
) -> Result<Recovery, Refusal> {
    let mut candidates: Vec<(i64, &String, &Result<Vec<u8>, String>)> = files
        .iter()
        .filter_map(|(name, bytes)| Some((checkpoint_time(name)?, name, bytes)))
        .collect();
    candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
    let mut skipped = Vec::new();
    for (_, name, bytes) in candidates {
        let data = match bytes
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|b| CheckpointData::decode(b))
        {
            Ok(data) => data,
            Err(reason) => {
                skipped.push((name.clone(), reason));
                continue;
            }
        };
        let mut theirs: Vec<String> = data.fingerprint.clone();
        theirs.insert(0, format!("pipeline {}", data.pipeline));
        let mut ours: Vec<String> = fingerprint.iter().map(|l| l.to_string()).collect();
        ours.insert(0, format!("pipeline {pipeline}"));
        if theirs != ours {
            return Err(Refusal::OtherPipeline {
                file: name.clone(),
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
        return Ok(Recovery::Resume {
            file: name.clone(),
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

    fn file(name: &str, bytes: Vec<u8>) -> (String, Result<Vec<u8>, String>) {
        (name.to_owned(), Ok(bytes))
    }

    fn resumed(files: &[(String, Result<Vec<u8>, String>)]) -> (String, i64, usize) {
        match decide(files, "P", FINGERPRINT) {
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
        assert_eq!(decide(&[], "P", FINGERPRINT), Ok(Recovery::Fresh));
    }

    #[test]
    fn crash_while_writing_the_first_temporary_file_starts_fresh() {
        let mut partial = sample(1000).encode();
        partial.truncate(partial.len() / 2);
        assert_eq!(
            decide(&[file(".checkpoint-1000.tmp", partial)], "P", FINGERPRINT),
            Ok(Recovery::Fresh)
        );
    }

    #[test]
    fn crash_while_writing_a_later_temporary_file_resumes_from_the_previous_checkpoint() {
        let mut partial = sample(2000).encode();
        partial.truncate(10);
        let files = [
            file("checkpoint-1000", sample(1000).encode()),
            file(".checkpoint-2000.tmp", partial),
        ];
        assert_eq!(resumed(&files), ("checkpoint-1000".into(), 1000, 0));
    }

    #[test]
    fn crash_after_rename_resumes_from_the_new_checkpoint() {
        let files = [
            file("checkpoint-1000", sample(1000).encode()),
            file("checkpoint-2000", sample(2000).encode()),
        ];
        assert_eq!(resumed(&files), ("checkpoint-2000".into(), 2000, 0));
    }

    #[test]
    fn crash_while_deleting_old_checkpoints_resumes_from_the_newest() {
        let files = [
            file("checkpoint-3000", sample(3000).encode()),
            file("checkpoint-1000", sample(1000).encode()),
            file("checkpoint-2000", sample(2000).encode()),
        ];
        assert_eq!(resumed(&files), ("checkpoint-3000".into(), 3000, 0));
    }

    #[test]
    fn a_torn_or_corrupt_newest_checkpoint_is_reported_and_the_previous_used() {
        let mut torn = sample(2000).encode();
        torn.truncate(torn.len() - 1);
        let mut flipped = sample(3000).encode();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        let files = [
            file("checkpoint-1000", sample(1000).encode()),
            file("checkpoint-2000", torn),
            file("checkpoint-3000", flipped),
            ("checkpoint-4000".into(), Err("permission denied".into())),
        ];
        assert_eq!(resumed(&files), ("checkpoint-1000".into(), 1000, 3));
    }

    #[test]
    fn only_unreadable_checkpoints_are_refused() {
        let files = [file("checkpoint-1000", b"garbage".to_vec())];
        assert!(
            matches!(decide(&files, "P", FINGERPRINT), Err(Refusal::Unreadable { files }) if files.len() == 1)
        );
    }

    #[test]
    fn another_pipelines_checkpoint_is_refused_naming_the_difference() {
        let files = [file("checkpoint-1000", sample(1000).encode())];
        let refusal = decide(&files, "P", &["batch 2000 ms"]).unwrap_err();
        assert_eq!(
            refusal,
            Refusal::OtherPipeline {
                file: "checkpoint-1000".into(),
                only_in_checkpoint: vec!["batch 1000 ms".into()],
                only_in_pipeline: vec!["batch 2000 ms".into()],
            }
        );
        assert!(matches!(
            decide(&files, "Q", FINGERPRINT),
            Err(Refusal::OtherPipeline { .. })
        ));
    }

    #[test]
    fn other_files_are_ignored() {
        let files = [
            file("notes.txt", b"x".to_vec()),
            file("checkpoint-x", b"x".to_vec()),
        ];
        assert_eq!(decide(&files, "P", FINGERPRINT), Ok(Recovery::Fresh));
    }
}
