//! A deterministic test harness for pipelines.
//!
//! Bind each input to a [`queue_stream`](crate::queue_stream) of batches, run the pipeline on a
//! [`ManualClock`] for a number of batches, and read what each output saw per batch time,
//! rendered with `{:?}`. Nothing sleeps: the harness advances the clock one batch interval at
//! a time and waits for that batch to complete. Zero time is 0, so batch `k` (from 1) is at
//! `k × interval`, the convention of the spec's test vectors; a pipeline restored from a
//! checkpoint directory carries on after the checkpoint's batch.
//!
//! ```ignore
//! // (compiled and run as part of the `streamdsl` crate's documentation tests)
//! use streamdsl::prelude::*;
//! use streamdsl::testing::Harness;
//!
//! stream! {
//!     pipeline Doubler {
//!         batch = 1s;
//!         input numbers: i64;
//!         numbers.map(|x| x * 2).pprint();
//!     }
//! }
//!
//! let run = Harness::new(Doubler::new().numbers(queue_stream(vec![vec![1, 2], vec![3]])))
//!     .run(3)
//!     .unwrap();
//! assert_eq!(run.output(0).records_at(1000), ["2", "4"]);
//! assert_eq!(run.output(0).records_at(2000), ["6"]);
//! assert!(run.output(0).records_at(3000).is_empty());
//! assert!(run.console().starts_with("-------------------------------------------\nTime: 1970-01-01 00:00:01\n"));
//! ```

use crate::clock::ManualClock;
use crate::driver::{BatchSettings, StopMode, execute};
use crate::error::{Error, Result};
use crate::inputs::{Consumed, InputSet};
use crate::metrics::{BatchInfo, StreamingListener};
use crate::outputs::CapturedBatch;
use crate::outputs::Console;
use crate::pipeline::{InputsBound, Pipeline, PipelineInfo};
use crate::{StreamingContext, Time, TimeZone};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs a pipeline on a manual clock and captures its outputs.
pub struct Harness<P> {
    pipeline: P,
    default_parallelism: usize,
    workers: usize,
    batch_timeout: Duration,
    advance_during: Option<Duration>,
    checkpoint_dir: Option<PathBuf>,
}

impl<P: Pipeline + InputsBound> Harness<P> {
    /// A harness for `pipeline` (with its inputs bound). Default parallelism is 2, as the
    /// PySpark `local[2]` runs the oracle outputs come from.
    pub fn new(pipeline: P) -> Self {
        Harness {
            pipeline,
            default_parallelism: 2,
            workers: crate::workers::default_workers(),
            batch_timeout: Duration::from_secs(60),
            advance_during: None,
            checkpoint_dir: None,
        }
    }

    /// The checkpoint directory of a pipeline that checkpoints. By default the harness uses a
    /// fresh temporary directory and deletes it afterwards; give one to keep the checkpoints
    /// (e.g. to run again from them, as a restart would).
    pub fn checkpoint_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.checkpoint_dir = Some(dir.into());
        self
    }

    /// Partitions of keyed operators' output when the pipeline gives none.
    pub fn default_parallelism(mut self, partitions: usize) -> Self {
        self.default_parallelism = partitions;
        self
    }

    /// Threads that run a batch's loops (default as [`StreamingContext::workers`]).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// How long to wait for one batch before reporting the driver stuck (default 60 s; only
    /// reached if the pipeline hangs).
    pub fn batch_timeout(mut self, timeout: Duration) -> Self {
        self.batch_timeout = timeout;
        self
    }

    /// Makes every batch "take" `d` of clock time, as a slow batch would: the manual clock is
    /// advanced by `d` while the batch runs, so the following batches start late and their
    /// scheduling delay shows it.
    pub fn each_batch_takes(mut self, d: Duration) -> Self {
        self.advance_during = Some(d);
        self
    }

    /// Runs `batches` batches and returns what the outputs saw.
    pub fn run(self, batches: usize) -> Result<TestRun> {
        let info = self.pipeline.info();
        let clock = ManualClock::new();
        let capture = Arc::new(Mutex::new(vec![Vec::new(); info.outputs.len()]));
        let console = Arc::new(Mutex::new(Vec::new()));
        let (done_tx, done_rx) = mpsc::channel();
        let listener = Recorder {
            done: done_tx,
            clock: clock.clone(),
            advance: self.advance_during,
        };
        let temporary = (info.checkpoint_interval.is_some() && self.checkpoint_dir.is_none())
            .then(TempDir::new);
        let checkpoint_dir = self
            .checkpoint_dir
            .clone()
            .or_else(|| temporary.as_ref().map(|t| t.0.clone()));
        let mut context = StreamingContext::new();
        if let Some(dir) = checkpoint_dir {
            context = context.checkpoint_dir(dir);
        }
        let running = context
            .manual_clock(clock.clone())
            .default_parallelism(self.default_parallelism)
            .workers(self.workers)
            .time_zone(TimeZone::Utc)
            .console_buffer(Arc::clone(&console))
            .capture(Arc::clone(&capture))
            .add_listener(listener)
            .start(self.pipeline)?;
        let mut infos = Vec::with_capacity(batches);
        let first =
            running.first_batch().millis() / crate::time::duration_millis(info.batch_interval);
        for k in first..first + batches as i64 {
            let time = Time::from_millis(k * crate::time::duration_millis(info.batch_interval));
            clock.advance_to(time);
            match done_rx.recv_timeout(self.batch_timeout) {
                Ok(batch) => infos.push(batch),
                Err(_) => {
                    return Err(running.stop(StopMode::Immediately).err().unwrap_or(
                        Error::HarnessTimeout {
                            pipeline: info.name,
                            time,
                            waited_ms: self.batch_timeout.as_millis() as u64,
                        },
                    ));
                }
            }
        }
        running.stop(StopMode::Immediately)?;
        let outputs = std::mem::take(&mut *capture.lock().unwrap_or_else(|e| e.into_inner()));
        let console = String::from_utf8_lossy(&console.lock().unwrap_or_else(|e| e.into_inner()))
            .into_owned();
        Ok(TestRun {
            info,
            outputs,
            console,
            batches: infos,
        })
    }
}

/// A directory under the system's temporary directory, deleted when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        TempDir(std::env::temp_dir().join(format!("streamdsl-harness-{}-{n}", std::process::id())))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Forwards each completed batch to the harness.
struct Recorder {
    done: mpsc::Sender<BatchInfo>,
    clock: ManualClock,
    advance: Option<Duration>,
}

impl StreamingListener for Recorder {
    fn on_batch_completed(&mut self, info: &BatchInfo) {
        if let Some(d) = self.advance {
            self.clock.advance_to(info.processing_start + d);
        }
        let _ = self.done.send(info.clone());
    }
}

/// What a harness run produced.
#[derive(Debug)]
pub struct TestRun {
    info: &'static PipelineInfo,
    outputs: Vec<Vec<CapturedBatch>>,
    console: String,
    batches: Vec<BatchInfo>,
}

impl TestRun {
    /// Output number `index` (declaration order, from 0).
    pub fn output(&self, index: usize) -> OutputRecords<'_> {
        OutputRecords {
            batches: self.outputs.get(index).map_or(&[], Vec::as_slice),
        }
    }

    /// The records of `stream`'s first output at `millis`, as values of type `R` (see
    /// [`OutputRecords::records`]; the crate docs' "Testing" has an example).
    pub fn records<R: serde::de::DeserializeOwned>(&self, stream: &str, millis: i64) -> Vec<R> {
        self.stream(stream).records(millis)
    }

    /// The first output of the stream named `stream` (a `let` name or an input name), or the
    /// output labelled so (`pprint(label = "…")`).
    ///
    /// # Panics
    /// If the pipeline has no output of that stream: a mistake in the test itself.
    pub fn stream(&self, stream: &str) -> OutputRecords<'_> {
        let index = self
            .info
            .outputs
            .iter()
            .position(|o| o.label == Some(stream))
            .or_else(|| self.info.outputs.iter().position(|o| o.stream == stream))
            .unwrap_or_else(|| {
                let names: Vec<_> = self.info.outputs.iter().map(|o| o.stream).collect();
                panic!(
                    "pipeline `{}` has no output of stream `{stream}`; outputs write {names:?}",
                    self.info.name
                )
            });
        self.output(index)
    }

    /// Everything the outputs printed (`pprint`), times in UTC.
    pub fn console(&self) -> &str {
        &self.console
    }

    /// The metrics of each batch, in time order.
    pub fn batches(&self) -> &[BatchInfo] {
        &self.batches
    }
}

/// The batches one output saw.
#[derive(Clone, Copy, Debug)]
pub struct OutputRecords<'a> {
    batches: &'a [CapturedBatch],
}

impl<'a> OutputRecords<'a> {
    /// Every batch the output ran on, in time order.
    pub fn batches(&self) -> &'a [CapturedBatch] {
        self.batches
    }

    /// The times the output ran at, in milliseconds.
    pub fn times(&self) -> Vec<i64> {
        self.batches.iter().map(|b| b.time.millis()).collect()
    }

    /// The records at `millis`, in batch order; empty if the output did not run then.
    pub fn records_at(&self, millis: i64) -> &'a [String] {
        self.batches
            .iter()
            .find(|b| b.time.millis() == millis)
            .map_or(&[], |b| b.records.as_slice())
    }

    /// The records at `millis`, sorted: for comparing batches whose order is not a contract
    /// (keyed operators' output is in hash order).
    pub fn sorted_at(&self, millis: i64) -> Vec<String> {
        let mut records = self.records_at(millis).to_vec();
        records.sort();
        records
    }

    /// The records at `millis` as values of type `R`, in batch order; empty if the output did
    /// not run then. The stream's records must implement serde's `Serialize`, and `R` be a
    /// type they read back as (the same type, or its owned form: `(String, u64)` for
    /// `(&str, u64)`).
    ///
    /// # Panics
    /// If the records are not `Serialize`, or do not read back as `R`: a mistake in the test.
    pub fn records<R: serde::de::DeserializeOwned>(&self, millis: i64) -> Vec<R> {
        let Some(batch) = self.batches.iter().find(|b| b.time.millis() == millis) else {
            return Vec::new();
        };
        let Some(data) = &batch.data else {
            panic!(
                "the records at {millis} ms are captured as text only: their type does not implement \
                 serde's `Serialize`; derive it, or compare `records_at`'s `Debug` text"
            );
        };
        postcard::from_bytes(data).unwrap_or_else(|e| {
            panic!(
                "the records at {millis} ms do not read back as `{}`: {e}",
                std::any::type_name::<R>()
            )
        })
    }
}

/// Runs a pipeline's per-batch code directly, one call per batch, on the calling thread: no
/// driver, no clock, no inputs. For benchmarks and for tests that build batches themselves.
///
/// Batch times start at one interval and advance by one interval per call. Printed output
/// goes to standard output.
pub struct BatchRunner<P> {
    pipeline: P,
    runtime: tokio::runtime::Runtime,
    time: Time,
    default_parallelism: usize,
    workers: usize,
    console: Console,
}

impl<P: Pipeline> BatchRunner<P> {
    /// A runner for `pipeline`; its bound inputs are ignored.
    pub fn new(pipeline: P) -> Self {
        BatchRunner {
            pipeline,
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a one-thread runtime for asynchronous outputs"),
            time: Time::from_millis(0),
            default_parallelism: 1,
            workers: crate::workers::default_workers(),
            console: Console::Stdout,
        }
    }

    /// Partitions of keyed operators' output when the pipeline gives none (default 1).
    pub fn default_parallelism(mut self, partitions: usize) -> Self {
        self.default_parallelism = partitions.max(1);
        self
    }

    /// Threads that run a batch's loops (default as [`StreamingContext::workers`]).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Runs the next batch with one batch per input (a tuple, in input order) and returns the
    /// first error an output reported, or the panic of user code.
    pub fn run(&mut self, batches: <P::Inputs as InputSet>::Batches) -> Result<()> {
        let info = self.pipeline.info();
        self.time = self.time + info.batch_interval;
        let settings = BatchSettings {
            info,
            runtime: self.runtime.handle(),
            zero_time: Time::from_millis(0),
            default_parallelism: self.default_parallelism,
            workers: self.workers,
            console: &self.console,
            time_zone: TimeZone::Local,
            capture: None,
            consumed: &Consumed::default(),
        };
        let outcome = execute(&mut self.pipeline, &settings, &mut [], self.time, batches);
        outcome.errors.into_iter().next().map_or(Ok(()), Err)
    }
}
