//! The driver: one loop per running pipeline. At each batch time it takes every input's
//! batch, runs the pipeline's per-batch code and outputs, and reports metrics. Batches run
//! strictly one after another in time order; a slow batch delays the next (no skipping), and
//! the delay shows as scheduling delay.

use crate::checkpoint::Checkpointer;
use crate::clock::Clock;
use crate::error::{BoxError, Chain, Error};
use crate::inputs::{Consumed, InputSet};
use crate::keep_up::KeepUp;
use crate::metrics::{BatchInfo, CheckpointInfo, ReceiverEvent, StreamingListener};
use crate::outputs::{CapturedBatch, Console, OutputContext, OutputRecord, OutputRunner};
use crate::pipeline::{Pipeline, PipelineInfo};
use crate::{Batch, Time, TimeZone};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// What the per-batch code of a pipeline sees of the runtime.
///
/// Only generated code uses it, so its methods are hidden from the documentation; the type
/// stays visible because compile errors about an output's records name it
/// ("required by a bound in `BatchContext::<'_>::output`").
pub struct BatchContext<'a> {
    time: Time,
    zero_time: Time,
    default_parallelism: usize,
    workers: usize,
    outputs: OutputRunner<'a>,
}

impl BatchContext<'_> {
    /// The batch time.
    #[doc(hidden)]
    pub fn time(&self) -> Time {
        self.time
    }

    /// Whether a stream sliding every `slide_ms` has a batch now: the batch time is a whole
    /// number of slides after the zero time (spec 1.2).
    #[doc(hidden)]
    pub fn is_valid(&self, slide_ms: i64) -> bool {
        (self.time.millis() - self.zero_time.millis()).rem_euclid(slide_ms) == 0
    }

    /// Partitions of keyed operators' output when none is given (Spark's `defaultParallelism`).
    #[doc(hidden)]
    pub fn default_parallelism(&self) -> usize {
        self.default_parallelism
    }

    /// How many threads the batch's loops may run on.
    #[doc(hidden)]
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs output number `index` (declaration order) on `batch`.
    #[doc(hidden)]
    pub fn output<T: OutputRecord>(
        &mut self,
        index: usize,
        batch: &Batch<T>,
        encode: Option<crate::outputs::Encode<T>>,
        op: impl FnOnce(&mut OutputContext<'_>, &Batch<T>) -> Result<(), BoxError>,
    ) {
        let time = self.time;
        self.outputs.run(index, time, batch, encode, op);
    }
}

/// How to stop a running pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopMode {
    /// Finish the batch in progress, if any, and stop; records received but not yet in a
    /// batch are dropped.
    Immediately,
    /// Stop receiving, then keep running batches on schedule until every input has delivered
    /// what it received (at least one more batch), bounded by the graceful-stop timeout. A
    /// queue's batches not yet taken are not received data: as in Spark, they are left.
    Gracefully,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Run,
    Stop(StopMode),
}

/// State shared between the driver thread and the handles.
#[derive(Default)]
pub(crate) struct Shared {
    pub(crate) status: Mutex<Status>,
    pub(crate) changed: Condvar,
}

#[derive(Default)]
pub(crate) struct Status {
    pub(crate) terminated: bool,
    pub(crate) errors: Vec<Error>,
    /// What the driver thread is doing, for the error if it panics there.
    pub(crate) phase: &'static str,
}

impl Shared {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ends the pipeline after a panic on the driver thread outside a batch's user code:
    /// the handles see a typed error naming where, instead of waiting forever.
    pub(crate) fn driver_panicked(&self, pipeline: &'static str, message: String) {
        let mut s = self.lock();
        let during = s.phase;
        tracing::error!(pipeline, during, %message, "the driver thread panicked; stopping");
        s.errors.push(Error::DriverPanicked {
            pipeline,
            during,
            message,
        });
        s.terminated = true;
        self.changed.notify_all();
    }

    fn report(&self, errors: impl IntoIterator<Item = Error>) {
        let mut s = self.lock();
        let before = s.errors.len();
        s.errors.extend(errors);
        if s.errors.len() > before {
            self.changed.notify_all();
        }
    }
}

/// Settings of one run, from the [`StreamingContext`](crate::StreamingContext).
pub(crate) struct DriverConfig {
    pub(crate) clock: Clock,
    pub(crate) default_parallelism: usize,
    pub(crate) workers: usize,
    pub(crate) listeners: Vec<Box<dyn StreamingListener>>,
    pub(crate) console: Console,
    pub(crate) time_zone: TimeZone,
    pub(crate) capture: Option<Arc<Mutex<Vec<Vec<CapturedBatch>>>>>,
    pub(crate) graceful_timeout: Option<Duration>,
    pub(crate) stop_when_finished: bool,
}

pub(crate) struct Driver<P: Pipeline> {
    pub(crate) pipeline: P,
    pub(crate) inputs: P::Inputs,
    pub(crate) info: &'static PipelineInfo,
    pub(crate) config: DriverConfig,
    pub(crate) shared: Arc<Shared>,
    pub(crate) commands: watch::Receiver<Command>,
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) zero_time: Time,
    pub(crate) first_batch: Time,
    pub(crate) checkpointer: Option<Checkpointer>,
    pub(crate) keep_up: KeepUp,
    pub(crate) receiver_events: mpsc::UnboundedReceiver<ReceiverEvent>,
}

impl<P: Pipeline> Driver<P> {
    /// Runs the loop on this thread; a panic in it (an input, a listener, the checkpoint
    /// step) ends the pipeline with [`Error::DriverPanicked`].
    pub(crate) fn run_catching_panics(self) {
        let (shared, pipeline) = (Arc::clone(&self.shared), self.info.name);
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| self.run())) {
            shared.driver_panicked(pipeline, panic_message(&*panic));
        }
    }

    fn phase(&self, phase: &'static str) {
        self.shared.lock().phase = phase;
    }

    /// Calls `event` on every listener.
    fn notify(&mut self, phase: &'static str, mut event: impl FnMut(&mut dyn StreamingListener)) {
        self.phase(phase);
        for l in &mut self.config.listeners {
            event(&mut **l);
        }
    }

    /// Hands the receivers' events that came since the last call to the listeners.
    fn deliver_receiver_events(&mut self) {
        while let Ok(event) = self.receiver_events.try_recv() {
            self.notify("in a listener's receiver event", |l| event.deliver(l));
        }
    }

    /// The loop; returns when the pipeline stops.
    fn run(mut self) {
        let interval = self.info.batch_interval;
        let zero_time = self.zero_time;
        self.notify("in a listener's on_streaming_started", |l| {
            l.on_streaming_started(zero_time)
        });
        tracing::info!(pipeline = self.info.name, %zero_time, "pipeline started");
        let mut time = self.first_batch;
        let mut last_batch: Option<Time> = None;
        let mut graceful_deadline: Option<Time> = None;
        loop {
            self.deliver_receiver_events();
            self.phase("waiting for the next batch time");
            let command = self.wait_for_tick(time, graceful_deadline.is_some());
            match command {
                Command::Stop(StopMode::Immediately) => break,
                Command::Stop(StopMode::Gracefully) if graceful_deadline.is_none() => {
                    self.inputs.stop_receiving();
                    let timeout = self.config.graceful_timeout.unwrap_or(interval * 10);
                    let deadline = time + timeout;
                    graceful_deadline = Some(deadline);
                    let pending = self.inputs.pending();
                    if pending.is_empty() {
                        tracing::info!(
                            pipeline = self.info.name,
                            "stopping gracefully after the batch at {time}"
                        );
                    } else {
                        tracing::info!(
                            pipeline = self.info.name,
                            "stopping gracefully: running batches until the records received by {} are processed,                              at most until {deadline} (StreamingContext::graceful_stop_timeout)",
                            pending.join(", ")
                        );
                    }
                    continue;
                }
                _ => {}
            }
            if !self.run_batch(time) {
                break;
            }
            last_batch = Some(time);
            if self
                .checkpointer
                .as_ref()
                .is_some_and(|c| c.due(zero_time, time))
            {
                self.checkpoint(time);
            }
            self.phase("completing the batch with the inputs (committing their positions)");
            self.inputs.batch_completed(time);
            if let Some(deadline) = graceful_deadline {
                let pending = self.inputs.pending();
                if pending.is_empty() {
                    break;
                }
                if time >= deadline {
                    tracing::warn!(
                        pipeline = self.info.name,
                        "the graceful stop timed out at {deadline} with records of {} not processed                          (a write-ahead log replays them after a restart)",
                        pending.join(", ")
                    );
                    break;
                }
            }
            if self.config.stop_when_finished && self.inputs.all_finished() {
                tracing::info!(
                    pipeline = self.info.name,
                    "every input is finished; stopping"
                );
                break;
            }
            time = time + interval;
        }
        self.phase("stopping the inputs");
        self.inputs.stop_receiving();
        // A stop writes the state of the last batch, so a restart does not redo batches.
        if let Some(last) = last_batch
            && self.checkpointer.as_ref().is_some_and(|c| c.behind(last))
        {
            self.checkpoint(last);
        }
        self.deliver_receiver_events();
        self.notify("in a listener's on_streaming_stopped", |l| {
            l.on_streaming_stopped()
        });
        tracing::info!(pipeline = self.info.name, "pipeline stopped");
        let mut s = self.shared.lock();
        s.terminated = true;
        self.shared.changed.notify_all();
    }

    /// Writes the checkpoint of the batch at `time`; a failure is reported and the pipeline
    /// keeps running (the next checkpoint may succeed).
    fn checkpoint(&mut self, time: Time) {
        self.phase("writing a checkpoint");
        let Some(checkpointer) = self.checkpointer.as_mut() else {
            return;
        };
        let started = Instant::now();
        let written = checkpointer.write(
            self.info,
            &self.pipeline,
            &mut self.inputs,
            self.zero_time,
            time,
        );
        let info = CheckpointInfo {
            batch_time: time,
            duration: started.elapsed(),
            bytes: *written.as_ref().unwrap_or(&0),
            failure: written.as_ref().err().map(|e| Chain(e).to_string()),
        };
        self.notify("in a listener's on_checkpoint_completed", |l| {
            l.on_checkpoint_completed(&info)
        });
        if let Err(e) = written {
            tracing::error!(
                pipeline = self.info.name,
                error = &e as &dyn std::error::Error,
                "checkpoint failed"
            );
            self.shared.report([e]);
        }
    }

    /// Waits until the clock reaches `time`, or a stop command arrives; returns the command
    /// in force (`Run` when the tick came). A graceful stop already being carried out does
    /// not interrupt the wait.
    fn wait_for_tick(&mut self, time: Time, stopping_gracefully: bool) -> Command {
        let clock = self.config.clock.clone();
        let commands = &mut self.commands;
        self.runtime.block_on(async {
            let current = *commands.borrow_and_update();
            let news = match current {
                Command::Stop(StopMode::Immediately) => true,
                Command::Stop(StopMode::Gracefully) => !stopping_gracefully,
                Command::Run => false,
            };
            if news {
                return current;
            }
            tokio::select! {
                biased;
                changed = commands.changed() => match changed {
                    Ok(()) => *commands.borrow_and_update(),
                    // Every handle is gone: nobody can stop us any more; keep running.
                    Err(_) => { clock.wait_until(time).await; Command::Run }
                },
                () = clock.wait_until(time) => Command::Run,
            }
        })
    }

    /// Runs the batch at `time`; `false` if the pipeline must stop (user code panicked, or a
    /// sink could not write the batch).
    fn run_batch(&mut self, time: Time) -> bool {
        self.notify("in a listener's on_batch_submitted", |l| {
            l.on_batch_submitted(time)
        });
        let processing_start = self.config.clock.now();
        let started = Instant::now();
        let mut input_records = Vec::new();
        self.phase("reading the inputs' batches");
        let batches = match self.inputs.next_batches(time, &mut input_records) {
            Ok(batches) => batches,
            Err(e) => {
                tracing::error!(pipeline = self.info.name, batch_time = %time, error = &e as &dyn std::error::Error, "input failed; stopping");
                self.shared.report([e]);
                return false;
            }
        };
        self.notify("in a listener's on_batch_started", |l| {
            l.on_batch_started(time)
        });
        let consumed = self.inputs.consumed();
        let settings = BatchSettings {
            info: self.info,
            runtime: self.runtime.handle(),
            zero_time: self.zero_time,
            default_parallelism: self.config.default_parallelism,
            workers: self.config.workers,
            console: &self.config.console,
            time_zone: self.config.time_zone,
            capture: self.config.capture.as_deref(),
            consumed: &consumed,
        };
        let listeners = &mut self.config.listeners;
        let outcome = execute(&mut self.pipeline, &settings, listeners, time, batches);
        let readings = self.inputs.readings();
        let mut info = BatchInfo {
            pipeline: self.info.name,
            batch_time: time,
            input_records,
            input_counters: readings.counters,
            processing_start,
            processing_time: started.elapsed(),
            outputs: outcome.outputs,
            input_gauges: readings.gauges,
            partition_lag: readings.partition_lag,
            counters: crate::counters::totals(),
            state_entries: self.pipeline.state_entries(),
            warnings: Vec::new(),
        };
        tracing::debug!(
            pipeline = info.pipeline,
            batch_time = %time,
            records = info.num_records(),
            scheduling_delay_ms = info.scheduling_delay().as_millis() as u64,
            processing_ms = info.processing_time.as_millis() as u64,
            "batch completed"
        );
        for notice in self.keep_up.observe(&info) {
            if notice.is_warning() {
                tracing::warn!(pipeline = info.pipeline, batch_time = %time, "{notice}");
                info.warnings.push(notice.to_string());
            } else {
                tracing::info!(pipeline = info.pipeline, batch_time = %time, "{notice}");
            }
        }
        let must_stop = outcome.must_stop;
        self.shared.report(outcome.errors);
        if must_stop {
            return false;
        }
        self.notify("in a listener's on_batch_completed", |l| {
            l.on_batch_completed(&info)
        });
        true
    }
}

/// What one batch's code needs besides its input.
pub(crate) struct BatchSettings<'a> {
    pub(crate) info: &'static PipelineInfo,
    pub(crate) runtime: &'a tokio::runtime::Handle,
    pub(crate) zero_time: Time,
    pub(crate) default_parallelism: usize,
    pub(crate) workers: usize,
    pub(crate) console: &'a Console,
    pub(crate) time_zone: TimeZone,
    pub(crate) capture: Option<&'a Mutex<Vec<Vec<CapturedBatch>>>>,
    /// Where the batch leaves its inputs, for transactional outputs.
    pub(crate) consumed: &'a Consumed,
}

/// What running one batch's code gave.
pub(crate) struct BatchOutcome {
    pub(crate) outputs: Vec<crate::metrics::OutputOperationInfo>,
    /// Output failures, and the panic if user code panicked.
    pub(crate) errors: Vec<Error>,
    pub(crate) must_stop: bool,
}

/// Runs the per-batch code of `pipeline` on `batches` at `time`, outputs included; a panic in
/// user code is caught and reported as [`Error::Panicked`].
pub(crate) fn execute<P: Pipeline>(
    pipeline: &mut P,
    settings: &BatchSettings<'_>,
    listeners: &mut [Box<dyn StreamingListener>],
    time: Time,
    batches: <P::Inputs as InputSet>::Batches,
) -> BatchOutcome {
    let mut ctx = BatchContext {
        time,
        zero_time: settings.zero_time,
        default_parallelism: settings.default_parallelism,
        workers: settings.workers,
        outputs: OutputRunner {
            info: settings.info,
            console: settings.console,
            time_zone: settings.time_zone,
            capture: settings.capture,
            runtime: settings.runtime,
            consumed: settings.consumed,
            listeners,
            finished: Vec::new(),
            errors: Vec::new(),
            stop: false,
        },
    };
    let result = catch_unwind(AssertUnwindSafe(|| pipeline.run_batch(&mut ctx, batches)));
    let BatchContext { outputs, .. } = ctx;
    let mut errors = outputs.errors;
    // A panic, or a sink that lost a batch, stops the pipeline.
    let must_stop = result.is_err() || outputs.stop;
    if let Err(panic) = result {
        let message = panic_message(&*panic);
        tracing::error!(pipeline = settings.info.name, batch_time = %time, %message, "user code panicked; stopping");
        errors.push(Error::Panicked {
            pipeline: settings.info.name,
            time,
            message,
        });
    }
    BatchOutcome {
        outputs: outputs.finished,
        errors,
        must_stop,
    }
}

pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_owned()
    }
}
