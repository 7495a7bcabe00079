//! The errors a running pipeline reports.
//!
//! A variant with a cause keeps it as its `source()` and does not repeat it in its message,
//! so a report that walks the chain (anyhow's `{:#}`, eyre, a log's error field) shows each
//! cause once.

use crate::Time;

/// An error from a user's output function (`foreach_rdd` returning `Err`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong when starting or running a pipeline.
#[derive(Debug, thiserror::Error)]
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
    /// The checkpoint directory holds another pipeline's checkpoint.
    #[error(
        "checkpoint {file} was written by a different pipeline than `{pipeline}`: {difference}; \
         use another checkpoint directory, or run the pipeline that wrote it"
    )]
    CheckpointMismatch {
        /// This pipeline.
        pipeline: &'static str,
        /// The checkpoint file.
        file: String,
        /// What differs.
        difference: String,
    },
    /// Checkpoint files exist but none can be read, or the state in one cannot be restored.
    #[error(
        "no checkpoint in {dir} can be restored ({reasons}); move the directory away to start afresh"
    )]
    CheckpointUnreadable {
        /// The checkpoint directory.
        dir: String,
        /// Each file and why.
        reasons: String,
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

/// An error followed by its causes, `error: cause: cause of the cause`: for the places that
/// show an error as one line of text (the metrics of an output that failed).
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
