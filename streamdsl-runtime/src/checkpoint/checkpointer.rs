//! Checkpointing a running pipeline: restoring at start, writing when due.

use super::format::CheckpointData;
use super::recovery::{Expected, Recovery, Refusal, Unreadable, decide};
use super::writer::CheckpointDir;
use crate::Time;
use crate::error::{Error, Result};
use crate::inputs::InputSet;
use crate::pipeline::{Pipeline, PipelineInfo};
use crate::time::duration_millis;
use std::path::Path;

/// Where a restored pipeline resumes.
pub(crate) struct Resumed {
    pub(crate) zero_time: Time,
    pub(crate) last_batch: Time,
}

/// Writes a pipeline's checkpoints.
pub(crate) struct Checkpointer {
    dir: CheckpointDir,
    interval_ms: i64,
    last_written: Option<Time>,
}

impl Checkpointer {
    /// Opens the checkpoint directory and restores the pipeline's state and its inputs'
    /// positions from the newest usable checkpoint, if there is one.
    pub(crate) fn recover<P: Pipeline>(
        path: &Path,
        info: &'static PipelineInfo,
        pipeline: &mut P,
        inputs: &mut P::Inputs,
    ) -> Result<(Checkpointer, Option<Resumed>)> {
        let interval = info
            .checkpoint_interval
            .expect("only pipelines that checkpoint get a checkpointer");
        let shown = path.display().to_string();
        let unusable = |source| Error::CheckpointDirUnusable {
            dir: shown.clone(),
            source,
        };
        let dir = CheckpointDir::open(path).map_err(unusable)?;
        let mut checkpointer = Checkpointer {
            dir,
            interval_ms: duration_millis(interval),
            last_written: None,
        };
        let names = checkpointer.dir.names().map_err(unusable)?;
        let expected = Expected {
            pipeline: info.name,
            fingerprint: info.fingerprint,
            batch_ms: duration_millis(info.batch_interval),
        };
        let decision = decide(
            names,
            |name| checkpointer.dir.read(name),
            &expected,
            |data| {
                pipeline
                    .restore_state(&data.state)
                    .map_err(Unreadable::StateMismatch)
            },
        );
        let (file, data, skipped) = match decision {
            Ok(Recovery::Fresh) => return Ok((checkpointer, None)),
            Ok(Recovery::Resume {
                file,
                data,
                skipped,
            }) => (file, data, skipped),
            Err(Refusal::OtherPipeline {
                file,
                only_in_checkpoint,
                only_in_pipeline,
            }) => {
                return Err(Error::CheckpointMismatch {
                    pipeline: info.name,
                    file: format!("{shown}/{file}"),
                    only_in_checkpoint,
                    only_in_pipeline,
                });
            }
            Err(Refusal::Unreadable { files }) => {
                return Err(Error::CheckpointUnreadable { dir: shown, files });
            }
        };
        for (skipped_file, why) in &skipped {
            tracing::warn!(pipeline = info.name, file = %format!("{shown}/{skipped_file}"), reason = why as &dyn std::error::Error, "unusable checkpoint skipped; using an older one");
        }
        inputs.restore(&data.inputs)?;
        let resumed = Resumed {
            zero_time: Time::from_millis(data.zero_time),
            last_batch: Time::from_millis(data.batch_time),
        };
        checkpointer.last_written = Some(resumed.last_batch);
        tracing::info!(pipeline = info.name, file = %format!("{shown}/{file}"), batch_time = %resumed.last_batch, "state restored from checkpoint");
        Ok((checkpointer, Some(resumed)))
    }

    /// Whether the batch at `time` ends a checkpoint interval.
    pub(crate) fn due(&self, zero_time: Time, time: Time) -> bool {
        (time.millis() - zero_time.millis()).rem_euclid(self.interval_ms) == 0
    }

    /// Whether batches ran since the last checkpoint (then stopping writes one).
    pub(crate) fn behind(&self, last_batch: Time) -> bool {
        self.last_written.is_none_or(|t| t < last_batch)
    }

    /// Writes the checkpoint of the batch at `time`; returns its size in bytes.
    pub(crate) fn write<P: Pipeline>(
        &mut self,
        info: &'static PipelineInfo,
        pipeline: &P,
        inputs: &mut P::Inputs,
        zero_time: Time,
        time: Time,
    ) -> Result<u64> {
        let state = pipeline
            .save_state()
            .map_err(|source| Error::CheckpointState {
                pipeline: info.name,
                time,
                source,
            })?;
        let data = CheckpointData {
            pipeline: info.name.to_owned(),
            fingerprint: info.fingerprint.iter().map(|l| l.to_string()).collect(),
            zero_time: zero_time.millis(),
            batch_time: time.millis(),
            inputs: inputs.positions(),
            state,
        };
        let file = self
            .dir
            .write(&data)
            .map_err(|source| Error::CheckpointWrite {
                dir: self.dir.path().display().to_string(),
                time,
                source,
            })?;
        self.last_written = Some(time);
        tracing::debug!(pipeline = info.name, file = %file.display(), "checkpoint written");
        Ok(std::fs::metadata(&file).map_or(0, |m| m.len()))
    }
}
