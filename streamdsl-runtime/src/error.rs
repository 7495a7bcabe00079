//! The errors a running pipeline reports.
//!
//! A variant with a cause keeps it as its `source()` and does not repeat it in its message,
//! so a report that walks the chain (anyhow's `{:#}`, eyre, a log's error field) shows each
//! cause once.

use crate::Time;
use crate::checkpoint::Unreadable;

/// An error from a user's output function (`foreach_rdd` returning `Err`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong when starting or running a pipeline.
///
/// `Debug` shows the message and its causes, as `anyhow` does, so that `fn main() ->
/// streamdsl::Result<()>` prints a sentence, not a struct:
///
/// ```
/// let error = streamdsl_runtime::Error::InputNotBound { pipeline: "WordCount", input: "lines" };
/// let shown = format!("{error:?}");
/// assert!(shown.starts_with("input `lines` of pipeline `WordCount` is not bound"));
/// ```
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input of the pipeline was never given a source.
    #[error(
        "input `{input}` of pipeline `{pipeline}` is not bound to a source; \
         bind it before starting, e.g. `{pipeline}::new(..).{input}(queue_stream(batches))`"
    )]
    InputNotBound {
        /// The pipeline.
        pipeline: &'static str,
        /// The unbound input.
        input: &'static str,
    },
    /// The address for the live page and metrics could not be bound.
    #[error(
        "cannot serve the live page and metrics on `{addr}`; give StreamingContext::metrics_addr \
         a free `host:port` (port 0 picks any free port)"
    )]
    MetricsAddr {
        /// The address asked for.
        addr: String,
        /// Why binding failed.
        #[source]
        source: std::io::Error,
    },
    /// An output operation returned an error; the pipeline keeps running (as Spark).
    #[error(
        "output {index} (`{operation}` of stream `{stream}`) of pipeline `{pipeline}` failed at batch {time}"
    )]
    OutputFailed {
        /// The pipeline.
        pipeline: &'static str,
        /// Index of the output in declaration order, from 0.
        index: usize,
        /// The output operation, e.g. `foreach_rdd`.
        operation: &'static str,
        /// The stream it writes.
        stream: &'static str,
        /// The batch.
        time: Time,
        /// What the output function returned.
        #[source]
        source: BoxError,
    },
    /// A sink could not write a batch; the pipeline stopped, so that no later batch overtakes
    /// the one it lost (restarting recomputes it from the last checkpoint).
    #[error(
        "output {index} (`{operation}` of stream `{stream}`) of pipeline `{pipeline}` could not write batch {time}, \
         so the pipeline stopped (no later batch may overtake it)"
    )]
    SinkFailed {
        /// The pipeline.
        pipeline: &'static str,
        /// Index of the output in declaration order, from 0.
        index: usize,
        /// The output operation, e.g. `save_to_database`.
        operation: &'static str,
        /// The stream it writes.
        stream: &'static str,
        /// The batch.
        time: Time,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// User code (an operator's closure or an output) panicked; the pipeline stopped.
    #[error("pipeline `{pipeline}` stopped: user code panicked in batch {time}: {message}")]
    Panicked {
        /// The pipeline.
        pipeline: &'static str,
        /// The batch.
        time: Time,
        /// The panic message.
        message: String,
    },
    /// Code on the driver thread outside a batch's user code panicked (an input, a
    /// listener, the checkpoint step); the pipeline stopped.
    #[error("pipeline `{pipeline}` stopped: the driver thread panicked while {during}: {message}")]
    DriverPanicked {
        /// The pipeline.
        pipeline: &'static str,
        /// What the driver was doing.
        during: &'static str,
        /// The panic message.
        message: String,
    },
    /// An input failed to start.
    #[error("input `{input}` of pipeline `{pipeline}` could not start")]
    InputFailed {
        /// The pipeline.
        pipeline: &'static str,
        /// The input.
        input: &'static str,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// An input could not deliver a batch (e.g. a Kafka record that fails to decode with
    /// the `Fail` policy); the pipeline stopped before running the batch, so its state and
    /// checkpoint stay at the previous batch and a restart reads the same records again.
    #[error(
        "input `{input}` of pipeline `{pipeline}` failed batch {time}; the pipeline stopped before running it"
    )]
    InputBatchFailed {
        /// The pipeline.
        pipeline: &'static str,
        /// The input.
        input: &'static str,
        /// The batch.
        time: Time,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// A pipeline that checkpoints was started without a checkpoint directory.
    #[error(
        "pipeline `{pipeline}` keeps state ({stateful}) and checkpoints it, but no checkpoint directory is set; \
         set one with `StreamingContext::new().checkpoint_dir(\"…\")`"
    )]
    CheckpointDirNotSet {
        /// The pipeline.
        pipeline: &'static str,
        /// Its stateful operators.
        stateful: String,
    },
    /// The checkpoint directory cannot be created or listed.
    #[error(
        "checkpoint directory {dir} cannot be created or listed; give `checkpoint_dir` a directory \
         this process may create and read"
    )]
    CheckpointDirUnusable {
        /// The checkpoint directory.
        dir: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The checkpoint directory holds another pipeline's checkpoint.
    #[error(
        "checkpoint {file} was written by a different pipeline than `{pipeline}`: the checkpoint has {} \
         where this pipeline has {}; use another checkpoint directory, or run the pipeline that wrote it",
        quoted(.only_in_checkpoint),
        quoted(.only_in_pipeline)
    )]
    CheckpointMismatch {
        /// This pipeline.
        pipeline: &'static str,
        /// The checkpoint file.
        file: String,
        /// Fingerprint lines of the checkpoint that this pipeline lacks (with
        /// `pipeline <name>` when the names differ).
        only_in_checkpoint: Vec<String>,
        /// Fingerprint lines of this pipeline that the checkpoint lacks.
        only_in_pipeline: Vec<String>,
    },
    /// Checkpoint files exist but none can be read, or the state in one cannot be restored.
    /// Every file has a cause of its own, so the message lists them (each with its causes)
    /// and there is no `source()`.
    #[error(
        "no checkpoint in {dir} can be restored ({}); move the directory away to start afresh",
        reasons(.files)
    )]
    CheckpointUnreadable {
        /// The checkpoint directory.
        dir: String,
        /// Each file, and why it cannot be restored.
        files: Vec<(String, Unreadable)>,
    },
    /// The pipeline's state could not be serialized for a checkpoint (the pipeline keeps
    /// running).
    #[error(
        "the state of pipeline `{pipeline}` at batch {time} does not serialize, so its checkpoint \
         was not written; the pipeline keeps running"
    )]
    CheckpointState {
        /// The pipeline.
        pipeline: &'static str,
        /// The batch.
        time: Time,
        /// Why.
        #[source]
        source: postcard::Error,
    },
    /// A checkpoint could not be written (the pipeline keeps running).
    #[error("could not write checkpoint of batch {time} to {dir}; the pipeline keeps running")]
    CheckpointWrite {
        /// The checkpoint directory.
        dir: String,
        /// The batch.
        time: Time,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The runtime (threads, timers) could not be set up.
    #[error("could not start the streamdsl runtime (its threads and timers)")]
    Runtime(#[from] std::io::Error),
    /// The test harness waited too long for a batch: the pipeline's driver is stuck or gone.
    #[error(
        "the test harness waited {waited_ms} ms for batch {time} of pipeline `{pipeline}` without result"
    )]
    HarnessTimeout {
        /// The pipeline.
        pipeline: &'static str,
        /// The batch waited for.
        time: Time,
        /// How long it waited.
        waited_ms: u64,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Fingerprint lines as `` `a`, `b` ``, or `nothing else`.
fn quoted(lines: &[String]) -> String {
    if lines.is_empty() {
        return "nothing else".into();
    }
    lines
        .iter()
        .map(|l| format!("`{l}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")?;
        let mut cause = std::error::Error::source(self);
        if cause.is_some() {
            write!(f, "\n\nCaused by:")?;
        }
        let mut n = 0;
        while let Some(e) = cause {
            write!(f, "\n    {n}: {e}")?;
            cause = e.source();
            n += 1;
        }
        Ok(())
    }
}

/// Each file with why it cannot be restored: `file: why: cause; file: why`.
fn reasons(files: &[(String, Unreadable)]) -> String {
    files
        .iter()
        .map(|(file, why)| format!("{file}: {}", Chain(why)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// An error followed by its causes, `error: cause: cause of the cause`: for the places that
/// show an error as one line of text (the metrics of an output that failed, the files of
/// [`Error::CheckpointUnreadable`]).
pub(crate) struct Chain<'a>(pub(crate) &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_message_and_its_causes() {
        let error = Error::OutputFailed {
            pipeline: "Counts",
            index: 0,
            operation: "foreach_rdd",
            stream: "counts",
            time: Time::from_millis(1000),
            source: "disk full".into(),
        };
        assert_eq!(
            format!("{error:?}"),
            "output 0 (`foreach_rdd` of stream `counts`) of pipeline `Counts` failed at batch 1000 ms\n\n\
             Caused by:\n    0: disk full"
        );
    }
}
