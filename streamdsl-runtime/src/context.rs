//! `StreamingContext`: configures and starts pipelines; `Running`: the handle of a started one.

use crate::checkpoint::Checkpointer;
use crate::clock::{Clock, ManualClock};
use crate::driver::{Command, Driver, DriverConfig, Shared, StopMode};
use crate::error::{Error, Result};
use crate::inputs::{InputContext, InputSet};
use crate::keep_up::KeepUp;
use crate::metrics::StreamingListener;
use crate::monitor::Monitor;
use crate::outputs::{CapturedBatch, Console};
use crate::pipeline::{InputsBound, Pipeline};
use crate::{Time, TimeZone};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// Runs pipelines: batch clock, inputs, per-batch code, outputs, metrics.
///
/// ```no_run
/// # use streamdsl_runtime::StreamingContext;
/// # use streamdsl_runtime::{InputsBound, Pipeline};
/// # fn demo<P: Pipeline + InputsBound>(pipeline: P) -> streamdsl_runtime::Result<()> {
/// // Run until Ctrl-C (then stop gracefully):
/// StreamingContext::new().run(pipeline)
/// # }
/// ```
///
/// A context is a set of settings; [`start`](Self::start) consumes it, so a pipeline cannot be
/// changed or restarted once running (Spark's `IllegalStateException`s become compile errors).
pub struct StreamingContext {
    clock: Clock,
    default_parallelism: usize,
    workers: usize,
    listeners: Vec<Box<dyn StreamingListener>>,
    console: Console,
    time_zone: TimeZone,
    capture: Option<Arc<Mutex<Vec<Vec<CapturedBatch>>>>>,
    graceful_timeout: Option<Duration>,
    stop_when_finished: bool,
    checkpoint_dir: Option<PathBuf>,
    metrics_addr: Option<String>,
}

impl Default for StreamingContext {
    fn default() -> Self {
        StreamingContext::new()
    }
}

impl StreamingContext {
    /// A context on the system clock, with one partition per available core as default
    /// parallelism (Spark's `local[*]`).
    pub fn new() -> Self {
        StreamingContext {
            clock: Clock::System,
            default_parallelism: std::thread::available_parallelism().map_or(1, |n| n.get()),
            workers: crate::workers::default_workers(),
            listeners: Vec::new(),
            console: Console::Stdout,
            time_zone: TimeZone::Local,
            capture: None,
            graceful_timeout: None,
            stop_when_finished: false,
            checkpoint_dir: None,
            metrics_addr: None,
        }
    }

    /// Serves the running pipeline's live page and metrics over HTTP on `addr` (e.g.
    /// `"127.0.0.1:4040"`, Spark's UI port; port 0 picks a free one, see
    /// [`Running::metrics_addr`]). Off by default.
    ///
    /// - `/` is the live page, like Spark's Streaming tab: input rate, scheduling delay,
    ///   processing time and total delay of the last 1 000 batches, the last batches with
    ///   their outputs, the inputs with their counters, the stateful operators' sizes, the
    ///   checkpoints and the keep-up warnings; it updates every second.
    /// - `/metrics` is the Prometheus scrape (OpenMetrics text): `streamdsl_batches_total`,
    ///   `streamdsl_input_records_total{input}`, `streamdsl_output_failures_total`, the inputs'
    ///   counters and gauges (`streamdsl_input_lines_cut_total`,
    ///   `streamdsl_input_buffered_bytes`, …), histograms `streamdsl_batch_processing_seconds`,
    ///   `streamdsl_batch_scheduling_delay_seconds`, `streamdsl_batch_total_delay_seconds`,
    ///   gauges `streamdsl_state_entries{operator}`,
    ///   `streamdsl_input_partition_lag_records{input,topic,partition}` (Kafka),
    ///   `streamdsl_checkpoint_duration_seconds`,
    ///   `streamdsl_checkpoint_size_bytes`; every series is labelled with the pipeline.
    /// - `/api/status` and `/api/batches/<batch time in ms>` are the page's JSON.
    ///
    /// Both are fed by a [`StreamingListener`] like a user's own, from the same events.
    /// [`start`](Self::start) fails if the address cannot be bound.
    pub fn metrics_addr(mut self, addr: impl Into<String>) -> Self {
        self.metrics_addr = Some(addr.into());
        self
    }

    /// Where pipelines that checkpoint (`checkpoint;` in their declaration) keep their
    /// checkpoints (Spark's `ssc.checkpoint(dir)`). Created if missing. A pipeline started on a
    /// directory holding its checkpoint resumes from it: same zero time, state restored,
    /// inputs repositioned (Spark's `getOrCreate`).
    pub fn checkpoint_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.checkpoint_dir = Some(dir.into());
        self
    }

    /// Runs on a [`ManualClock`] instead of the system clock: batches happen when the clock is
    /// advanced past their time.
    pub fn manual_clock(mut self, clock: ManualClock) -> Self {
        self.clock = Clock::Manual(clock);
        self
    }

    /// Partitions of keyed operators' output when the pipeline gives none.
    pub fn default_parallelism(mut self, partitions: usize) -> Self {
        self.default_parallelism = partitions.max(1);
        self
    }

    /// How many threads run a batch's loops (default: the `STREAMDSL_WORKERS` environment
    /// variable if set, else one per available core). `1` runs everything on the driver
    /// thread. The records of every batch are the same for any count: see the crate docs'
    /// "Workers" section.
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Adds a listener for batch metrics.
    pub fn add_listener(mut self, listener: impl StreamingListener) -> Self {
        self.listeners.push(Box::new(listener));
        self
    }

    /// Bound on a graceful stop (default: ten batch intervals, as Spark).
    pub fn graceful_stop_timeout(mut self, timeout: Duration) -> Self {
        self.graceful_timeout = Some(timeout);
        self
    }

    /// Times printed by `pprint` in this zone (default: local).
    pub fn time_zone(mut self, zone: TimeZone) -> Self {
        self.time_zone = zone;
        self
    }

    /// Printed output goes into `buffer` instead of standard output.
    pub(crate) fn console_buffer(mut self, buffer: Arc<Mutex<Vec<u8>>>) -> Self {
        self.console = Console::Buffer(buffer);
        self
    }

    /// Every output's batches are rendered into `capture`.
    pub(crate) fn capture(mut self, capture: Arc<Mutex<Vec<Vec<CapturedBatch>>>>) -> Self {
        self.capture = Some(capture);
        self
    }

    /// Starts the pipeline on a driver thread of its own and returns at once.
    ///
    /// Fails if an input is unbound or cannot start.
    pub fn start<P: Pipeline + InputsBound>(mut self, mut pipeline: P) -> Result<Running> {
        let info = pipeline.info();
        let mut inputs = pipeline.take_inputs();
        let (checkpointer, resumed) = match (info.checkpoint_interval, &self.checkpoint_dir) {
            (Some(_), Some(dir)) => {
                let (c, resumed) = Checkpointer::recover(dir, info, &mut pipeline, &mut inputs)?;
                (Some(c), resumed)
            }
            (Some(_), None) => {
                let stateful = info.stateful.join(", ");
                return Err(Error::CheckpointDirNotSet {
                    pipeline: info.name,
                    stateful,
                });
            }
            (None, Some(dir)) => {
                tracing::warn!(pipeline = info.name, dir = %dir.display(), "the pipeline declares no `checkpoint`; the checkpoint directory is not used");
                (None, None)
            }
            (None, None) => (None, None),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(format!("streamdsl-{}", info.name))
            .enable_all()
            .build()?;
        let metrics_addr = match &self.metrics_addr {
            Some(addr) => {
                let monitor = Monitor::new(info, self.workers);
                let bound = serve_monitor(&runtime, addr, monitor.clone()).map_err(|source| {
                    Error::MetricsAddr {
                        addr: addr.clone(),
                        source,
                    }
                })?;
                self.listeners.insert(0, Box::new(monitor.listener()));
                tracing::info!(
                    pipeline = info.name,
                    "live page and metrics on http://{bound}/"
                );
                Some(bound)
            }
            None => None,
        };
        let (commands_tx, commands) = watch::channel(Command::Run);
        let shared = Arc::new(Shared::default());
        // Inputs start before the batch grid is laid: a Kafka group join may take seconds,
        // which would otherwise show as scheduling delay of the first batches.
        let (receiver_events_tx, receiver_events) = mpsc::unbounded_channel();
        let input_context = InputContext::new(
            runtime.handle().clone(),
            self.checkpoint_dir.clone(),
            info.batch_interval,
            receiver_events_tx,
        );
        inputs.start(&input_context)?;
        // A restored pipeline keeps its zero time and resumes after its last batch; batches
        // missed while it was down run at once, one after another (Spark's recovery).
        let (zero_time, first_batch) = match resumed {
            Some(r) => {
                let first = r.last_batch + info.batch_interval;
                let now = self.clock.now();
                if first > now + info.batch_interval {
                    // The checkpoint is from the future of this clock (moved back, or another
                    // machine's): nothing runs until then, which must not look like a hang.
                    tracing::warn!(
                        pipeline = info.name,
                        checkpoint_batch = %r.last_batch,
                        now = %now,
                        "the checkpoint's last batch is later than the clock; the first batch waits until {first}"
                    );
                }
                (r.zero_time, first)
            }
            None => {
                let first = Time::next_batch_after(self.clock.now(), info.batch_interval);
                (first - info.batch_interval, first)
            }
        };
        let driver = Driver {
            pipeline,
            inputs,
            info,
            config: DriverConfig {
                clock: self.clock,
                default_parallelism: self.default_parallelism,
                workers: self.workers,
                listeners: self.listeners,
                console: self.console,
                time_zone: self.time_zone,
                capture: self.capture,
                graceful_timeout: self.graceful_timeout,
                stop_when_finished: self.stop_when_finished,
            },
            shared: Arc::clone(&shared),
            commands,
            runtime,
            zero_time,
            first_batch,
            checkpointer,
            keep_up: KeepUp::new(info.batch_interval),
            receiver_events,
        };
        let thread = std::thread::Builder::new()
            .name(format!("streamdsl-driver-{}", info.name))
            .spawn(move || driver.run_catching_panics())?;
        Ok(Running {
            name: info.name,
            zero_time,
            first_batch,
            metrics_addr,
            shared,
            commands: commands_tx,
            thread: Some(thread),
        })
    }

    /// Starts the pipeline and runs it until Ctrl-C or SIGTERM, then stops gracefully (the
    /// next batch runs, then batches until what receivers received is processed, at most
    /// [`graceful_stop_timeout`](Self::graceful_stop_timeout); the last batch's state is
    /// checkpointed). Returns the first error an output reported, if any.
    ///
    /// The signals are caught from the start on: one that arrives while inputs start (a Kafka
    /// group join takes seconds) stops the pipeline gracefully as soon as it runs; a second
    /// one stops it at once (after the batch running, if any).
    ///
    /// Logs to standard error unless the program set up a `tracing` subscriber: see
    /// [`init_logging`](crate::init_logging).
    pub fn run<P: Pipeline + InputsBound>(self, pipeline: P) -> Result<()> {
        self.run_with_signals(pipeline)
    }

    /// Starts the pipeline and runs it until every input is finished (e.g. a queue drained with
    /// no feeder left), then stops; Ctrl-C and SIGTERM stop it as they stop [`run`](Self::run).
    /// Returns the first error reported, if any. Logs as `run` does.
    pub fn run_until_finished<P: Pipeline + InputsBound>(mut self, pipeline: P) -> Result<()> {
        self.stop_when_finished = true;
        self.run_with_signals(pipeline)
    }

    /// `run` and `run_until_finished`: the pipeline, stopped by the first signal gracefully
    /// and by a second one at once. The signal thread ends with the run.
    fn run_with_signals<P: Pipeline + InputsBound>(self, pipeline: P) -> Result<()> {
        crate::init_logging();
        let handoff: Arc<Mutex<Handoff>> = Arc::default();
        let (finished, finished_rx) = watch::channel(false);
        let (listening, ready) = std::sync::mpsc::channel();
        let on_signal = Arc::clone(&handoff);
        let signals = std::thread::Builder::new()
            .name("streamdsl-signals".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(stop_on_signals(on_signal, finished_rx, listening));
            })?;
        // Without signal handlers (e.g. no runtime), run anyway.
        let _ = ready.recv_timeout(Duration::from_secs(5));
        let result = self.start(pipeline).and_then(|running| {
            let requested = {
                let mut h = handoff.lock().unwrap_or_else(|e| e.into_inner());
                h.stopper = Some(running.stopper());
                h.requested
            };
            if let Some(mode) = requested {
                running.stopper().stop(mode);
            }
            running.await_termination()?;
            running.stop(StopMode::Gracefully)
        });
        let _ = finished.send(true);
        let _ = signals.join();
        result
    }
}

/// Resolves on Ctrl-C or SIGTERM: what [`StreamingContext::run`] stops on, for programs that
/// run their own async loop beside a pipeline (e.g. a producer).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// The running pipeline's stopper, once there is one, and a stop asked for before that.
#[derive(Default)]
struct Handoff {
    stopper: Option<Stopper>,
    requested: Option<StopMode>,
}

impl Handoff {
    fn stop(&mut self, mode: StopMode) {
        match &self.stopper {
            Some(stopper) => stopper.stop(mode),
            None => self.requested = Some(mode),
        }
    }
}

/// Registers the signal handlers (then says so on `listening`), stops the pipeline
/// gracefully on the first signal and at once on the second; returns when the run is over.
async fn stop_on_signals(
    handoff: Arc<Mutex<Handoff>>,
    mut finished: watch::Receiver<bool>,
    listening: std::sync::mpsc::Sender<()>,
) {
    let first = shutdown_signal();
    tokio::pin!(first);
    // Polled once so that the handlers exist before the pipeline starts.
    std::future::poll_fn(|cx| {
        let _ = first.as_mut().poll(cx);
        std::task::Poll::Ready(())
    })
    .await;
    let _ = listening.send(());
    let stop = |mode| handoff.lock().unwrap_or_else(|e| e.into_inner()).stop(mode);
    tokio::select! {
        () = &mut first => {}
        _ = finished.wait_for(|done| *done) => return,
    }
    tracing::info!("shutdown signal received; stopping gracefully (a second one stops at once)");
    stop(StopMode::Gracefully);
    tokio::select! {
        () = shutdown_signal() => {
            tracing::warn!("second shutdown signal; stopping at once");
            stop(StopMode::Immediately);
        }
        _ = finished.wait_for(|done| *done) => {}
    }
}

/// Binds `addr` and serves `monitor` there on `runtime`; the bound address.
fn serve_monitor(
    runtime: &tokio::runtime::Runtime,
    addr: &str,
    monitor: Monitor,
) -> std::io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let _entered = runtime.enter();
    let listener = tokio::net::TcpListener::from_std(listener)?;
    runtime.spawn(crate::monitor::server::serve(listener, monitor));
    Ok(bound)
}

/// A running pipeline. Dropping it stops the pipeline immediately.
pub struct Running {
    name: &'static str,
    zero_time: Time,
    first_batch: Time,
    metrics_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
    commands: watch::Sender<Command>,
    thread: Option<JoinHandle<()>>,
}

/// Asks a running pipeline to stop, from any thread.
#[derive(Clone)]
pub struct Stopper {
    commands: watch::Sender<Command>,
}

impl Stopper {
    /// Requests a stop; an immediate stop overrides a graceful one.
    pub fn stop(&self, mode: StopMode) {
        self.commands.send_if_modified(|c| {
            let stronger = !matches!(
                (*c, mode),
                (Command::Stop(StopMode::Immediately), _)
                    | (Command::Stop(StopMode::Gracefully), StopMode::Gracefully)
            );
            if stronger {
                *c = Command::Stop(mode);
            }
            stronger
        });
    }
}

impl Running {
    /// The pipeline's zero time: its first batch is one interval later.
    pub fn zero_time(&self) -> Time {
        self.zero_time
    }

    /// The time of the first batch of this run: one interval after the zero time, or, for a
    /// pipeline restored from a checkpoint, one interval after the checkpoint's batch.
    pub fn first_batch(&self) -> Time {
        self.first_batch
    }

    /// The name of the running pipeline.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Where the live page and metrics are served, if
    /// [`StreamingContext::metrics_addr`] was set: the bound address (with the port picked
    /// when port 0 was asked for).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// A handle that can stop the pipeline from another thread.
    pub fn stopper(&self) -> Stopper {
        Stopper {
            commands: self.commands.clone(),
        }
    }

    /// Blocks until the pipeline stops, or returns the first error reported (an output that
    /// failed keeps the pipeline running, as in Spark; call [`stop`](Self::stop) then).
    pub fn await_termination(&self) -> Result<()> {
        self.wait(None).map(|_| ())
    }

    /// As [`await_termination`](Self::await_termination) with a bound: `Ok(true)` if the
    /// pipeline stopped, `Ok(false)` on timeout.
    pub fn await_termination_or_timeout(&self, timeout: Duration) -> Result<bool> {
        self.wait(Some(timeout))
    }

    fn wait(&self, timeout: Option<Duration>) -> Result<bool> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut s = self.shared.lock();
        loop {
            if !s.errors.is_empty() {
                return Err(s.errors.remove(0));
            }
            if s.terminated {
                return Ok(true);
            }
            s = match deadline {
                None => self
                    .shared
                    .changed
                    .wait(s)
                    .unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(false);
                    }
                    self.shared
                        .changed
                        .wait_timeout(s, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }

    /// Stops the pipeline and waits for it. Returns the first error reported and not yet
    /// returned by `await_termination`, if any.
    pub fn stop(mut self, mode: StopMode) -> Result<()> {
        self.stopper().stop(mode);
        self.join();
        let mut s = self.shared.lock();
        if s.errors.is_empty() {
            Ok(())
        } else {
            Err(s.errors.remove(0))
        }
    }

    fn join(&mut self) {
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!(pipeline = self.name, "the driver thread panicked");
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stopper().stop(StopMode::Immediately);
        self.join();
    }
}
