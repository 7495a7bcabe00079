//! Per-batch metrics (Spark's `BatchInfo`) and the listener that receives them: the one
//! source of what a running pipeline did, for users' listeners, the log's keep-up warnings,
//! `/metrics` and the live page alike.

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
    /// Each input's current gauges, as `(input, gauge, value)`: records and bytes waiting in a
    /// receiver's buffer.
    pub input_gauges: Vec<(&'static str, &'static str, u64)>,
    /// Each input partition's lag after the batch, as `(input, topic, partition, records)`:
    /// a Kafka input's records not read yet, up to the high watermark it last saw.
    pub partition_lag: Vec<(&'static str, String, i32, u64)>,
    /// Every [`Counter`](crate::Counter) added to so far, with its total.
    pub counters: Vec<(&'static str, u64)>,
    /// Entries each stateful operator keeps after the batch, in declaration order: keys of
    /// `update_state_by_key` and `map_with_state`, `(key, batch)` pairs of keyed windows,
    /// records or batches of the others.
    pub state_entries: Vec<(&'static str, usize)>,
    /// What the keep-up checks warned of at this batch, as the log says it: the pipeline fell
    /// behind its interval, an output keeps failing, an input waits on backpressure. Each is
    /// said once per episode, so this is empty for most batches.
    pub warnings: Vec<String>,
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

/// One output operation of a pipeline, as it starts in a batch.
#[derive(Clone, Copy, Debug)]
pub struct OutputOperation {
    /// Index in declaration order, from 0.
    pub index: usize,
    /// The operation, e.g. `pprint`.
    pub operation: &'static str,
    /// The stream written.
    pub stream: &'static str,
}

/// A checkpoint written, or one that failed.
#[derive(Clone, Debug)]
pub struct CheckpointInfo {
    /// The batch whose state and input positions it holds.
    pub batch_time: Time,
    /// How long writing it took (serializing, writing, syncing).
    pub duration: Duration,
    /// Its size in bytes (0 if it failed).
    pub bytes: u64,
    /// Why it failed, with its causes, if it did.
    pub failure: Option<String>,
}

/// Receives a running pipeline's events (Spark's `StreamingListener`). Called on the driver
/// thread: keep the callbacks short. The batch events of one batch come in the order
/// submitted, started, each output's started and completed, completed; receiver events are
/// delivered between batches.
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
    /// The batch's time has come: its inputs are read next.
    fn on_batch_submitted(&mut self, _batch_time: Time) {}
    /// The batch's inputs are read: its code starts.
    fn on_batch_started(&mut self, _batch_time: Time) {}
    /// An output operation of the batch starts.
    fn on_output_operation_started(&mut self, _batch_time: Time, _output: &OutputOperation) {}
    /// An output operation of the batch is done (or failed).
    fn on_output_operation_completed(&mut self, _batch_time: Time, _info: &OutputOperationInfo) {}
    /// A batch finished, outputs included.
    fn on_batch_completed(&mut self, _info: &BatchInfo) {}
    /// A checkpoint was written, or failed.
    fn on_checkpoint_completed(&mut self, _info: &CheckpointInfo) {}
    /// A receiver (socket, custom receiver) started receiving.
    fn on_receiver_started(&mut self, _input: &'static str) {}
    /// A receiver failed or panicked with `error`; it is restarted after its delay.
    fn on_receiver_error(&mut self, _input: &'static str, _error: &str) {}
    /// A receiver stopped for good: its source finished, or the pipeline is stopping.
    fn on_receiver_stopped(&mut self, _input: &'static str) {}
    /// The pipeline stopped.
    fn on_streaming_stopped(&mut self) {}
}

/// What a receiver's task reports, delivered to listeners by the driver.
#[derive(Debug)]
pub(crate) enum ReceiverEvent {
    Started(&'static str),
    Error(&'static str, String),
    Stopped(&'static str),
}

impl ReceiverEvent {
    pub(crate) fn deliver(&self, listener: &mut dyn StreamingListener) {
        match self {
            ReceiverEvent::Started(input) => listener.on_receiver_started(input),
            ReceiverEvent::Error(input, error) => listener.on_receiver_error(input, error),
            ReceiverEvent::Stopped(input) => listener.on_receiver_stopped(input),
        }
    }
}
