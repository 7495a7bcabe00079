//! Inputs: where a pipeline's records come from. Each `input` of a pipeline is bound at run
//! time to an [`InputStream`]: queues, files, sockets (receivers) and Kafka implement it.

mod files;
#[cfg(feature = "kafka")]
pub mod kafka;
mod queue;
mod receiver;
mod socket;
mod text;
mod wal;

pub use files::{TextFileStream, text_file_stream};
#[cfg(feature = "kafka")]
pub use kafka::{KafkaConfig, KafkaStream, kafka_stream};
pub use queue::{QueueFeeder, QueueStream, queue_stream};
pub use receiver::{Receiver, ReceiverOutput, ReceiverStream, Stopped, receiver_stream};
pub use socket::{SocketText, socket_text_stream};
pub use text::InvalidUtf8;
pub use text::LongLines;
pub(crate) use text::find_newline;

use crate::BoxError;
use crate::error::{Error, Result};
use crate::{Batch, Time};

/// A source of batches for one pipeline input.
///
/// The driver calls [`next_batch`](InputStream::next_batch) once per batch time, in time order.
/// Implement it for a custom source (Spark's custom receivers).
pub trait InputStream<T>: Send + 'static {
    /// A short description for logs, e.g. `queue_stream`.
    fn describe(&self) -> String;

    /// Called once before the first batch, with the runtime the input may spawn tasks on.
    fn start(&mut self, _ctx: &InputContext) -> std::result::Result<(), BoxError> {
        Ok(())
    }

    /// The records of the batch at `time`. An error fails the batch: the pipeline stops
    /// before running it (its state and checkpoint stay at the previous batch).
    fn next_batch(&mut self, time: Time) -> std::result::Result<Batch<T>, BoxError>;

    /// Called when the batch at `time` and its outputs have completed (and its checkpoint,
    /// if one was due, is written): an input that acknowledges data to its source (Kafka
    /// commits its consumer group's offsets) does it here.
    fn batch_completed(&mut self, _time: Time) {}

    /// Whether the input will never produce another record (a closed, drained queue).
    fn is_finished(&self) -> bool {
        false
    }

    /// Graceful stop: accept no new data; what was received is still delivered.
    fn stop_receiving(&mut self) {}

    /// Whether received records are still waiting for a batch.
    fn has_pending(&self) -> bool {
        false
    }

    /// Where the input is, for a checkpoint: after a restart, [`restore`](Self::restore) puts
    /// it back there so that it delivers exactly the records that followed. `None` for an input
    /// that cannot be replayed.
    fn position(&mut self) -> Option<InputPosition> {
        None
    }

    /// Moves the input to a position from a checkpoint, before the first batch.
    fn restore(&mut self, position: &InputPosition) -> std::result::Result<(), BoxError> {
        Err(format!("{} cannot be repositioned to {position:?}", self.describe()).into())
    }

    /// The input's counters (skipped files, lines cut, receiver restarts, …), reported with
    /// each batch's metrics.
    fn counters(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }

    /// The input's gauges (records and bytes waiting in a buffer, …): current values,
    /// reported with each batch's metrics.
    fn gauges(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }

    /// Records of each `(topic, partition)` not read yet, as far as the input knows (Kafka's
    /// consumer lag), reported with each batch's metrics.
    fn partition_lag(&self) -> Vec<(String, i32, u64)> {
        Vec::new()
    }

    /// Adds to `into` where the batch just taken leaves the input in its source, for outputs
    /// that commit it together with their own writes (a transactional `save_to_kafka` commits
    /// a `kafka_stream`'s offsets inside its transaction). Most inputs add nothing.
    fn consumed(&self, _into: &mut Consumed) {}
}

/// Where the inputs of a batch leave their sources once the batch is done: what an output
/// that writes transactionally commits with its records, so that output and input position
/// move together (Kafka's consume-transform-produce). Filled by
/// [`InputStream::consumed`]; read by the runtime's sinks.
#[derive(Default)]
pub struct Consumed {
    /// Each `kafka_stream`'s consumer group and end offsets.
    #[cfg(feature = "kafka")]
    pub(crate) kafka: Vec<kafka::ConsumedOffsets>,
}

impl Consumed {
    /// Nothing consumed (a batch without inputs that commit positions).
    #[cfg(test)]
    pub(crate) const NONE: Consumed = Consumed {
        #[cfg(feature = "kafka")]
        kafka: Vec::new(),
    };
}

/// Implements `InputStream<$to>` for `$ty`, an `InputStream<$from>`, by converting each
/// batch with `$convert`; every other method is the `$from` input's own.
macro_rules! records_as {
    ($ty:ty, $from:ty => $to:ty, $convert:expr) => {
        impl $crate::inputs::InputStream<$to> for $ty {
            fn describe(&self) -> String {
                $crate::inputs::InputStream::<$from>::describe(self)
            }
            fn start(
                &mut self,
                ctx: &$crate::inputs::InputContext,
            ) -> Result<(), $crate::BoxError> {
                $crate::inputs::InputStream::<$from>::start(self, ctx)
            }
            fn next_batch(
                &mut self,
                time: $crate::Time,
            ) -> Result<$crate::Batch<$to>, $crate::BoxError> {
                let convert: fn($crate::Batch<$from>) -> $crate::Batch<$to> = $convert;
                $crate::inputs::InputStream::<$from>::next_batch(self, time).map(convert)
            }
            fn batch_completed(&mut self, time: $crate::Time) {
                $crate::inputs::InputStream::<$from>::batch_completed(self, time)
            }
            fn is_finished(&self) -> bool {
                $crate::inputs::InputStream::<$from>::is_finished(self)
            }
            fn stop_receiving(&mut self) {
                $crate::inputs::InputStream::<$from>::stop_receiving(self)
            }
            fn has_pending(&self) -> bool {
                $crate::inputs::InputStream::<$from>::has_pending(self)
            }
            fn position(&mut self) -> Option<$crate::inputs::InputPosition> {
                $crate::inputs::InputStream::<$from>::position(self)
            }
            fn restore(
                &mut self,
                position: &$crate::inputs::InputPosition,
            ) -> Result<(), $crate::BoxError> {
                $crate::inputs::InputStream::<$from>::restore(self, position)
            }
            fn counters(&self) -> Vec<(&'static str, u64)> {
                $crate::inputs::InputStream::<$from>::counters(self)
            }
            fn gauges(&self) -> Vec<(&'static str, u64)> {
                $crate::inputs::InputStream::<$from>::gauges(self)
            }
            fn consumed(&self, into: &mut $crate::inputs::Consumed) {
                $crate::inputs::InputStream::<$from>::consumed(self, into)
            }
            fn partition_lag(&self) -> Vec<(String, i32, u64)> {
                $crate::inputs::InputStream::<$from>::partition_lag(self)
            }
        }
    };
}
pub(crate) use records_as;

// Inputs of `String`s also serve pipeline inputs declared `&str` (stored as `Text`), and the
// file input, which lends its lines as `Text`, serves inputs declared `String`.
records_as!(QueueStream<String>, String => crate::Text, crate::Text::from_strings);
records_as!(TextFileStream, crate::Text => String, crate::Text::into_strings);

/// Where a replayable input is: what a checkpoint records so that a restarted pipeline reads
/// exactly what followed. New kinds of input add variants (encoded by index, so existing
/// checkpoints stay readable).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum InputPosition {
    /// `queue_stream`: how many queued batches were taken.
    Queue {
        /// Batches taken.
        taken: u64,
    },
    /// A receiver with a write-ahead log: the sequence number of the first record not yet in
    /// a checkpointed batch.
    Log {
        /// Next record's sequence number.
        next: u64,
    },
    /// `text_file_stream`: the files read within the remember window, with their modification
    /// times.
    Files {
        /// `(name, modified ms)`.
        read: Vec<(String, i64)>,
        /// Files modified before this (the first start, in ms) are not read.
        started_ms: i64,
    },
    /// `kafka_stream`: the next offset to read in each partition (the end of the last
    /// batch's offset ranges).
    Kafka {
        /// `(topic, partition, next offset)`.
        offsets: Vec<(String, i32, i64)>,
    },
    /// `text_file_stream` (since files are read in parts): the files read within the
    /// remember window, by the bytes of their names (so names that are not UTF-8 stay
    /// distinct), and the file being read across batches. `Files` checkpoints are still read.
    FilesRead {
        /// `(name, modified ms)`.
        read: Vec<(Vec<u8>, i64)>,
        /// `(name, modified ms, offset of the next line)` of a file read in part.
        partial: Option<(Vec<u8>, i64, u64)>,
        /// Files modified before this (the first start, in ms) are not read.
        started_ms: i64,
    },
}

/// What an input may use while it runs.
#[derive(Debug, Clone)]
pub struct InputContext {
    runtime: tokio::runtime::Handle,
    checkpoint_dir: Option<std::path::PathBuf>,
    batch_interval: std::time::Duration,
    input: &'static str,
    events: tokio::sync::mpsc::UnboundedSender<crate::metrics::ReceiverEvent>,
}

impl InputContext {
    pub(crate) fn new(
        runtime: tokio::runtime::Handle,
        checkpoint_dir: Option<std::path::PathBuf>,
        batch_interval: std::time::Duration,
        events: tokio::sync::mpsc::UnboundedSender<crate::metrics::ReceiverEvent>,
    ) -> Self {
        InputContext {
            runtime,
            checkpoint_dir,
            batch_interval,
            input: "",
            events,
        }
    }

    /// Reports a receiver's event to the pipeline's listeners (delivered between batches;
    /// dropped if the pipeline has stopped).
    pub(crate) fn receiver_events(
        &self,
    ) -> impl Fn(crate::metrics::ReceiverEvent) + Send + 'static {
        let events = self.events.clone();
        move |event| {
            let _ = events.send(event);
        }
    }

    /// The pipeline's batch interval (a per-second rate becomes a per-batch bound with it).
    pub fn batch_interval(&self) -> std::time::Duration {
        self.batch_interval
    }

    /// The tokio runtime of the pipeline, for receiver tasks.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    /// The pipeline's checkpoint directory, if it has one (for a write-ahead log).
    pub fn checkpoint_dir(&self) -> Option<&std::path::Path> {
        self.checkpoint_dir.as_deref()
    }

    /// The name of the input being started.
    pub fn input_name(&self) -> &'static str {
        self.input
    }

    fn for_input(&self, input: &'static str) -> Self {
        InputContext {
            input,
            ..self.clone()
        }
    }
}

/// One input of a pipeline and the source bound to it.
#[doc(hidden)]
pub struct InputSlot<T> {
    pipeline: &'static str,
    name: &'static str,
    source: Option<Box<dyn InputStream<T>>>,
}

impl<T: 'static> InputSlot<T> {
    /// An unbound input.
    pub fn new(pipeline: &'static str, name: &'static str) -> Self {
        InputSlot {
            pipeline,
            name,
            source: None,
        }
    }

    /// Binds the source.
    pub fn bind(&mut self, source: impl InputStream<T>) {
        self.source = Some(Box::new(source));
    }

    fn source(&mut self) -> Result<&mut Box<dyn InputStream<T>>> {
        let (pipeline, input) = (self.pipeline, self.name);
        self.source
            .as_mut()
            .ok_or(Error::InputNotBound { pipeline, input })
    }
}

/// The inputs of a pipeline, as a tuple of [`InputSlot`]s; the driver works through this.
#[doc(hidden)]
pub trait InputSet: Send + 'static {
    /// The tuple of the inputs' batches.
    type Batches;
    /// Starts every input; fails on an unbound one.
    fn start(&mut self, ctx: &InputContext) -> Result<()>;
    /// Takes each input's batch for `time`; pushes each batch's record count to `counts`.
    fn next_batches(
        &mut self,
        time: Time,
        counts: &mut Vec<(&'static str, u64)>,
    ) -> Result<Self::Batches>;
    /// Where the batch just taken leaves every input (see [`InputStream::consumed`]).
    fn consumed(&self) -> Consumed;
    /// Tells every input that the batch at `time` has completed.
    fn batch_completed(&mut self, time: Time);
    /// Whether every input is finished.
    fn all_finished(&self) -> bool;
    /// Graceful stop of every input.
    fn stop_receiving(&mut self);
    /// The inputs that still hold received records.
    fn pending(&self) -> Vec<&'static str>;
    /// Each input's name and position, for a checkpoint.
    fn positions(&mut self) -> Vec<(String, Option<InputPosition>)>;
    /// Each input's counters and gauges, by input name.
    fn readings(&self) -> InputReadings;
    /// Puts each input back where a checkpoint says it was.
    fn restore(&mut self, positions: &[(String, Option<InputPosition>)]) -> Result<()>;
}

/// Every input's counters and gauges, as `(input, name, value)`.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct InputReadings {
    /// Totals since the pipeline started.
    pub counters: Vec<(&'static str, &'static str, u64)>,
    /// Current values.
    pub gauges: Vec<(&'static str, &'static str, u64)>,
    /// Lag per `(input, topic, partition)`.
    pub partition_lag: Vec<(&'static str, String, i32, u64)>,
}

impl InputReadings {
    fn add<T: 'static>(&mut self, input: &'static str, source: &dyn InputStream<T>) {
        let of_input = |(name, n)| (input, name, n);
        self.counters
            .extend(source.counters().into_iter().map(of_input));
        self.gauges
            .extend(source.gauges().into_iter().map(of_input));
        let lag = source.partition_lag().into_iter();
        self.partition_lag
            .extend(lag.map(|(topic, partition, n)| (input, topic, partition, n)));
    }
}

macro_rules! input_set_for_tuple {
    ($($t:ident $i:tt),+) => {
        impl<$($t: Send + 'static),+> InputSet for ($(InputSlot<$t>,)+) {
            type Batches = ($(Batch<$t>,)+);

            fn start(&mut self, ctx: &InputContext) -> Result<()> {
                $(
                    let (pipeline, input) = (self.$i.pipeline, self.$i.name);
                    self.$i
                        .source()?
                        .start(&ctx.for_input(input))
                        .map_err(|source| Error::InputFailed { pipeline, input, source })?;
                )+
                Ok(())
            }

            fn next_batches(&mut self, time: Time, counts: &mut Vec<(&'static str, u64)>) -> Result<Self::Batches> {
                Ok(($({
                    let (pipeline, input) = (self.$i.pipeline, self.$i.name);
                    let batch = match self.$i.source.as_mut() {
                        Some(source) => source
                            .next_batch(time)
                            .map_err(|source| Error::InputBatchFailed { pipeline, input, time, source })?,
                        None => Batch::empty(),
                    };
                    counts.push((input, batch.len() as u64));
                    batch
                },)+))
            }

            fn consumed(&self) -> Consumed {
                let mut consumed = Consumed::default();
                $(if let Some(s) = self.$i.source.as_ref() { s.consumed(&mut consumed); })+
                consumed
            }

            fn batch_completed(&mut self, time: Time) {
                $(if let Some(s) = self.$i.source.as_mut() { s.batch_completed(time); })+
            }

            fn all_finished(&self) -> bool {
                true $(&& self.$i.source.as_ref().is_none_or(|s| s.is_finished()))+
            }

            fn stop_receiving(&mut self) {
                $(if let Some(s) = self.$i.source.as_mut() { s.stop_receiving(); })+
            }

            fn pending(&self) -> Vec<&'static str> {
                let mut pending = Vec::new();
                $(if self.$i.source.as_ref().is_some_and(|s| s.has_pending()) {
                    pending.push(self.$i.name);
                })+
                pending
            }

            fn positions(&mut self) -> Vec<(String, Option<InputPosition>)> {
                vec![$((self.$i.name.to_owned(), self.$i.source.as_mut().and_then(|s| s.position())),)+]
            }

            fn readings(&self) -> InputReadings {
                let mut all = InputReadings::default();
                $(if let Some(s) = self.$i.source.as_ref() {
                    all.add(self.$i.name, &**s);
                })+
                all
            }

            fn restore(&mut self, positions: &[(String, Option<InputPosition>)]) -> Result<()> {
                $(
                    let (pipeline, input) = (self.$i.pipeline, self.$i.name);
                    if let Some((_, Some(position))) = positions.iter().find(|(name, _)| name == input) {
                        self.$i
                            .source()?
                            .restore(position)
                            .map_err(|source| Error::InputFailed { pipeline, input, source })?;
                    }
                )+
                Ok(())
            }
        }
    };
}

/// No inputs: only for the stub `stream!` emits beside its errors.
impl InputSet for () {
    type Batches = ();
    fn start(&mut self, _: &InputContext) -> Result<()> {
        Ok(())
    }
    fn next_batches(&mut self, _: Time, _: &mut Vec<(&'static str, u64)>) -> Result<()> {
        Ok(())
    }
    fn consumed(&self) -> Consumed {
        Consumed::default()
    }
    fn batch_completed(&mut self, _: Time) {}
    fn all_finished(&self) -> bool {
        true
    }
    fn stop_receiving(&mut self) {}
    fn pending(&self) -> Vec<&'static str> {
        Vec::new()
    }
    fn positions(&mut self) -> Vec<(String, Option<InputPosition>)> {
        Vec::new()
    }
    fn readings(&self) -> InputReadings {
        InputReadings::default()
    }
    fn restore(&mut self, _: &[(String, Option<InputPosition>)]) -> Result<()> {
        Ok(())
    }
}

input_set_for_tuple!(A 0);
input_set_for_tuple!(A 0, B 1);
input_set_for_tuple!(A 0, B 1, C 2);
input_set_for_tuple!(A 0, B 1, C 2, D 3);
input_set_for_tuple!(A 0, B 1, C 2, D 3, E 4);
input_set_for_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
input_set_for_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
input_set_for_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
