//! Per-batch metrics (Spark's `BatchInfo`) and the listener that receives them.

use crate::Time;
use std::time::Duration;

/// What happened in one batch.
#[derive(Clone, Debug)]
pub struct BatchInfo {
    /// The pipeline.
    pub pipeline: &'static str,
    /// The batch time.
    pub batch_time: Time,
    /// Records each input contributed, in input order.
    pub input_records: Vec<(&'static str, u64)>,
    /// Each input's counters so far, as `(input, counter, value)`: files skipped, lines cut,
    /// invalid UTF-8 lines, receiver restarts, … (totals since the pipeline started).
    pub input_counters: Vec<(&'static str, &'static str, u64)>,
    /// When processing started, on the context's clock.
    pub processing_start: Time,
    /// How long the batch took (per-batch code and outputs), measured on the wall clock.
    pub processing_time: Duration,
    /// The batch's outputs, in declaration order.
    pub outputs: Vec<OutputOperationInfo>,
}

impl BatchInfo {
    /// The total of counter `counter` of input `input` so far (0 if never counted).
    pub fn counter(&self, input: &str, counter: &str) -> u64 {
        self.input_counters
            .iter()
            .find(|(i, c, _)| *i == input && *c == counter)
            .map_or(0, |(_, _, n)| *n)
    }

    /// Records in from all inputs.
    pub fn num_records(&self) -> u64 {
        self.input_records.iter().map(|(_, n)| n).sum()
    }

    /// How late processing started: start minus batch time (Spark's scheduling delay). It
    /// grows when batches take longer than the interval, since batches never overlap or skip.
    pub fn scheduling_delay(&self) -> Duration {
        let ms = (self.processing_start.millis() - self.batch_time.millis()).max(0);
        Duration::from_millis(ms as u64)
    }

    /// Scheduling delay plus processing time.
    pub fn total_delay(&self) -> Duration {
        self.scheduling_delay() + self.processing_time
    }
}

/// One output operation run in one batch.
#[derive(Clone, Debug)]
pub struct OutputOperationInfo {
    /// Index in declaration order, from 0.
    pub index: usize,
    /// The operation, e.g. `pprint`.
    pub operation: &'static str,
    /// The stream written.
    pub stream: &'static str,
    /// How long it took.
    pub duration: Duration,
    /// The error it returned, if it failed, with its causes (`error: cause: …`).
    pub failure: Option<String>,
}

/// Receives a running pipeline's events (Spark's `StreamingListener`). Called on the driver
/// thread, between batches: keep the callbacks short.
///
/// ```
/// use streamdsl_runtime::{BatchInfo, StreamingListener};
/// struct Slow;
/// impl StreamingListener for Slow {
///     fn on_batch_completed(&mut self, info: &BatchInfo) {
///         if info.scheduling_delay() > info.processing_time {
///             eprintln!("batch {} is late", info.batch_time);
///         }
///     }
/// }
/// ```
pub trait StreamingListener: Send + 'static {
    /// The pipeline started; its first batch is at `zero_time` plus the interval.
    fn on_streaming_started(&mut self, _zero_time: Time) {}
    /// A batch finished, outputs included.
    fn on_batch_completed(&mut self, _info: &BatchInfo) {}
    /// The pipeline stopped.
    fn on_streaming_stopped(&mut self) {}
}
