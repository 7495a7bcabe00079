//! Output operations: what a pipeline does with a stream's batches. They run once per batch
//! where the stream has a batch (empty ones included), in declaration order.

pub mod database;
#[doc(hidden)]
pub mod foreach_batch;
#[doc(hidden)]
pub mod foreach_rdd;
#[cfg(feature = "kafka")]
pub mod kafka;
#[doc(hidden)]
pub mod pprint;
pub mod save_as_text_files;

use crate::error::{BoxError, Chain, Error};
use crate::inputs::Consumed;
use crate::metrics::{OutputOperation, OutputOperationInfo, StreamingListener};
use crate::pipeline::PipelineInfo;
use crate::{Batch, Time, TimeZone};
use std::fmt::Debug;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Records of a stream with an output must implement `Debug`, so that `pprint`, logs and the
/// [`testing`](crate::testing) harness can show them.
#[diagnostic::on_unimplemented(
    message = "records of an output stream must implement `Debug`, but `{Self}` does not",
    label = "this stream has an output",
    note = "add `#[derive(Debug)]` to the record type"
)]
pub trait OutputRecord: Debug {}
#[diagnostic::do_not_recommend]
impl<T: Debug + ?Sized> OutputRecord for T {}

/// What an output function may return: `()` or a `Result` whose error is reported.
pub trait OutputResult {
    /// The result as an error or not.
    fn into_output_result(self) -> Result<(), BoxError>;
}

impl OutputResult for () {
    fn into_output_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<E: Into<BoxError>> OutputResult for Result<(), E> {
    fn into_output_result(self) -> Result<(), BoxError> {
        self.map_err(Into::into)
    }
}

/// An output error after which the pipeline must stop: a sink that could not write a batch
/// stops the pipeline rather than let later batches overtake the one it lost.
#[derive(Debug)]
pub struct StopPipeline(pub BoxError);

impl std::fmt::Display for StopPipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for StopPipeline {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Where printed output goes: standard output, or a buffer (the test harness).
#[derive(Clone, Debug, Default)]
pub(crate) enum Console {
    #[default]
    Stdout,
    Buffer(Arc<Mutex<Vec<u8>>>),
}

/// One output's batches as the test harness saw them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedBatch {
    /// The batch time.
    pub time: Time,
    /// Each record rendered with `{:?}`, in batch order.
    pub records: Vec<String>,
    /// The records as data (postcard), if their type implements serde's `Serialize`: what
    /// [`OutputRecords::records`](crate::testing::OutputRecords::records) decodes.
    pub(crate) data: Option<Vec<u8>>,
}

/// Encodes a batch's records as data for the test harness.
pub type Encode<T> = fn(&Batch<T>) -> Vec<u8>;

/// Picks how the harness captures records of type `T` as data: the generated code calls
/// `(&&capturer(batch)).encoder()` with [`CaptureData`] and [`CaptureText`] in scope, and
/// method resolution takes `CaptureData` (on `&Capturer`) when `T` is `Serialize`.
#[doc(hidden)]
pub fn capturer<T>(_: &Batch<T>) -> Capturer<T> {
    Capturer(std::marker::PhantomData)
}

#[doc(hidden)]
pub struct Capturer<T>(std::marker::PhantomData<T>);

/// Records that serde can write are captured as data too.
#[doc(hidden)]
pub trait CaptureData<T> {
    fn encoder(&self) -> Option<Encode<T>>;
}

impl<T: serde::Serialize> CaptureData<T> for &Capturer<T> {
    fn encoder(&self) -> Option<Encode<T>> {
        Some(|batch| postcard::to_stdvec(&batch.iter().collect::<Vec<&T>>()).unwrap_or_default())
    }
}

/// Other records are captured as text only.
#[doc(hidden)]
pub trait CaptureText<T> {
    fn encoder(&self) -> Option<Encode<T>>;
}

impl<T> CaptureText<T> for Capturer<T> {
    fn encoder(&self) -> Option<Encode<T>> {
        None
    }
}

/// Everything an output operation may use while it runs.
#[doc(hidden)]
pub struct OutputContext<'a> {
    time: Time,
    time_zone: TimeZone,
    console: &'a mut dyn Write,
    runtime: &'a tokio::runtime::Handle,
    pipeline: &'static str,
    consumed: &'a Consumed,
}

impl<'a> OutputContext<'a> {
    /// The batch time.
    pub fn time(&self) -> Time {
        self.time
    }

    /// The pipeline's name.
    pub fn pipeline(&self) -> &'static str {
        self.pipeline
    }

    /// A context for an output's unit test: pipeline `test`, UTC, no inputs.
    #[cfg(test)]
    pub(crate) fn for_test(
        runtime: &'a tokio::runtime::Handle,
        console: &'a mut dyn Write,
        time: Time,
    ) -> Self {
        const NOTHING: &Consumed = &Consumed::NONE;
        OutputContext {
            time,
            time_zone: TimeZone::Utc,
            console,
            runtime,
            pipeline: "test",
            consumed: NOTHING,
        }
    }

    /// Where the batch leaves its inputs (what a transactional sink commits with its records).
    #[cfg_attr(not(feature = "kafka"), allow(dead_code))]
    pub(crate) fn consumed(&self) -> &Consumed {
        self.consumed
    }

    /// How to show times (local zone, or UTC in the test harness).
    pub fn time_zone(&self) -> TimeZone {
        self.time_zone
    }

    /// Where printed output goes.
    pub fn console(&mut self) -> &mut dyn Write {
        self.console
    }

    /// Runs a future to completion on the pipeline's runtime: how asynchronous outputs
    /// (`foreach_batch`, database sinks) finish before the batch counts as done.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The pipeline's tokio runtime.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        self.runtime
    }
}

/// Runs the outputs of one batch: timing, capture, errors.
pub(crate) struct OutputRunner<'a> {
    pub(crate) info: &'static PipelineInfo,
    pub(crate) console: &'a Console,
    pub(crate) time_zone: TimeZone,
    pub(crate) capture: Option<&'a Mutex<Vec<Vec<CapturedBatch>>>>,
    pub(crate) runtime: &'a tokio::runtime::Handle,
    pub(crate) consumed: &'a Consumed,
    /// Told when each output starts and completes.
    pub(crate) listeners: &'a mut [Box<dyn StreamingListener>],
    pub(crate) finished: Vec<OutputOperationInfo>,
    pub(crate) errors: Vec<Error>,
    /// An output failed so that the pipeline must stop.
    pub(crate) stop: bool,
}

impl OutputRunner<'_> {
    pub(crate) fn run<T: OutputRecord>(
        &mut self,
        index: usize,
        time: Time,
        batch: &Batch<T>,
        encode: Option<Encode<T>>,
        op: impl FnOnce(&mut OutputContext<'_>, &Batch<T>) -> Result<(), BoxError>,
    ) {
        if let Some(capture) = self.capture {
            let records = batch.iter().map(|r| format!("{r:?}")).collect();
            let data = encode.map(|encode| encode(batch));
            let mut c = capture.lock().unwrap_or_else(|e| e.into_inner());
            if c.len() <= index {
                c.resize_with(index + 1, Vec::new);
            }
            c[index].push(CapturedBatch {
                time,
                records,
                data,
            });
        }
        let out = &self.info.outputs[index];
        let operation = OutputOperation {
            index,
            operation: out.operation,
            stream: out.stream,
        };
        for l in self.listeners.iter_mut() {
            l.on_output_operation_started(time, &operation);
        }
        let started = Instant::now();
        // Printed output is collected and written when the output is done, so that an output
        // waiting on I/O holds no lock on standard output.
        let mut text = Vec::new();
        let mut ctx = OutputContext {
            time,
            time_zone: self.time_zone,
            console: &mut text,
            runtime: self.runtime,
            pipeline: self.info.name,
            consumed: self.consumed,
        };
        let result = op(&mut ctx, batch);
        if !text.is_empty() {
            match self.console {
                Console::Stdout => {
                    let mut stdout = std::io::stdout().lock();
                    let _ = stdout.write_all(&text).and_then(|()| stdout.flush());
                }
                Console::Buffer(buf) => buf
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(&text),
            }
        }
        if let Err(source) = &result {
            tracing::error!(pipeline = self.info.name, output = index, operation = out.operation,
                stream = out.stream, batch_time = %time, error = &**source as &dyn std::error::Error, "output operation failed");
        }
        let completed = OutputOperationInfo {
            index,
            operation: out.operation,
            stream: out.stream,
            duration: started.elapsed(),
            failure: result.as_ref().err().map(|e| Chain(&**e).to_string()),
        };
        for l in self.listeners.iter_mut() {
            l.on_output_operation_completed(time, &completed);
        }
        self.finished.push(completed);
        if let Err(source) = result {
            let (pipeline, operation, stream) = (self.info.name, out.operation, out.stream);
            self.errors.push(match source.downcast::<StopPipeline>() {
                Ok(stop) => {
                    self.stop = true;
                    Error::SinkFailed {
                        pipeline,
                        index,
                        operation,
                        stream,
                        time,
                        source: stop.0,
                    }
                }
                Err(source) => Error::OutputFailed {
                    pipeline,
                    index,
                    operation,
                    stream,
                    time,
                    source,
                },
            });
        }
    }
}
