//! Receivers: inputs that push records as they arrive (Spark's `Receiver`), such as a socket.
//!
//! A [`Receiver`] runs as a task on the pipeline's runtime and pushes records through a
//! [`ReceiverOutput`] into a bounded buffer. At each batch time the driver takes what the
//! buffer holds. A full buffer makes `push` wait, so a source faster than the pipeline is
//! slowed down (TCP flow control does the rest) and memory stays bounded. A receiver that fails
//! is restarted after a delay (Spark: 2 s), and its failures are logged and counted. An
//! optional rate limit caps records per second (Spark's `receiver.maxRate`), and an optional
//! write-ahead log makes what was received durable before it is accepted, so that it is
//! replayed after a crash (Spark's receiver WAL).

use super::wal::{Replayed, Wal, WalCodec};
use super::{InputContext, InputPosition, InputStream};
use crate::metrics::ReceiverEvent;
use crate::{Batch, BoxError, Time};
use std::collections::VecDeque;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore, mpsc};

/// A source that pushes records (Spark's custom receivers).
///
/// ```
/// use streamdsl_runtime::inputs::{Receiver, ReceiverOutput};
/// use streamdsl_runtime::BoxError;
///
/// /// Counts up forever.
/// struct Counter(u64);
///
/// impl Receiver for Counter {
///     type Record = u64;
///     fn describe(&self) -> String {
///         "counter".into()
///     }
///     async fn receive(&mut self, out: &mut ReceiverOutput<u64>) -> Result<(), BoxError> {
///         while out.push(self.0).await.is_ok() {
///             self.0 += 1;
///         }
///         Ok(())
///     }
/// }
/// ```
pub trait Receiver: Send + 'static {
    /// The records it pushes.
    type Record: Send + 'static;

    /// A short description for logs, e.g. `socket localhost:9999`.
    fn describe(&self) -> String;

    /// Receives until the source ends (`Ok`) or fails (`Err`: it is restarted after the
    /// restart delay). [`ReceiverOutput::push`] fails once the pipeline stops receiving; the
    /// receiver should then return.
    fn receive(
        &mut self,
        out: &mut ReceiverOutput<Self::Record>,
    ) -> impl Future<Output = Result<(), BoxError>> + Send;
}

/// Records (by weight) per buffered chunk: the unit handed from a receiver to the driver.
const CHUNK: usize = 1024;

/// Bytes after which a chunk is handed over whatever its weight, so that a chunk of long
/// records does not hold more than this outside the buffer's byte bound.
const CHUNK_BYTES: usize = 1 << 20;

/// Where a receiver pushes its records.
pub struct ReceiverOutput<T> {
    chunk: Vec<T>,
    /// The records the chunk stands for (a record may carry many, see `push_weighted`).
    chunk_weight: usize,
    sender: mpsc::UnboundedSender<Chunk<T>>,
    /// One permit per record the buffer has room for (the bound is in records, not chunks).
    /// The bytes the chunk's records hold.
    chunk_bytes: usize,
    space: Arc<Space>,
    /// Whether the receiver is waiting for room (a backpressure episode, reported once).
    backpressured: bool,
    shared: Arc<ReceiverShared>,
    rate: Option<RateLimit>,
    wal: Option<Wal<T>>,
}

/// The buffer between a receiver and the pipeline, bounded twice: in records (by weight) and
/// in bytes (counted in KiB, so a permit count fits a `u32`).
pub(crate) struct Space {
    records: Semaphore,
    kib: Semaphore,
    record_limit: u32,
    kib_limit: u32,
}

/// Room taken in a [`Space`].
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Permits {
    records: u32,
    kib: u32,
}

impl Space {
    fn new(records: usize, bytes: usize) -> Self {
        let record_limit = records.clamp(1, u32::MAX as usize) as u32;
        let kib_limit = bytes.div_ceil(1024).clamp(1, u32::MAX as usize) as u32;
        Space {
            records: Semaphore::new(record_limit as usize),
            kib: Semaphore::new(kib_limit as usize),
            record_limit,
            kib_limit,
        }
    }

    /// The permits for `weight` records of `bytes` bytes; a chunk larger than the whole
    /// buffer takes all of it (it waits for an empty buffer, and still passes).
    fn permits(&self, weight: usize, bytes: usize) -> Permits {
        Permits {
            records: weight.min(self.record_limit as usize) as u32,
            kib: bytes.div_ceil(1024).min(self.kib_limit as usize) as u32,
        }
    }

    /// Whether taking `permits` would wait.
    fn is_full_for(&self, permits: Permits) -> bool {
        self.records.available_permits() < permits.records as usize
            || self.kib.available_permits() < permits.kib as usize
    }

    async fn take(&self, permits: Permits) -> Result<(), Stopped> {
        self.records
            .acquire_many(permits.records)
            .await
            .map_err(|_| Stopped)?
            .forget();
        self.kib
            .acquire_many(permits.kib)
            .await
            .map_err(|_| Stopped)?
            .forget();
        Ok(())
    }

    fn give_back(&self, permits: Permits) {
        self.records.add_permits(permits.records as usize);
        self.kib.add_permits(permits.kib as usize);
    }

    fn close(&self) {
        self.records.close();
        self.kib.close();
    }

    /// How full the buffer is: `(records by weight, bytes)` taken and not given back.
    fn fill(&self) -> (u64, u64) {
        let taken =
            |limit: u32, available: usize| u64::from(limit).saturating_sub(available as u64);
        (
            taken(self.record_limit, self.records.available_permits()),
            taken(self.kib_limit, self.kib.available_permits()) * 1024,
        )
    }
}

/// Records handed over together, with the write-ahead log sequence of the first.
pub(crate) struct Chunk<T> {
    first_seq: u64,
    records: Vec<T>,
    permits: Permits,
}

/// The pipeline stopped receiving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the pipeline stopped receiving")
    }
}

impl std::error::Error for Stopped {}

impl<T: Send + 'static> ReceiverOutput<T> {
    /// Takes one record; waits while the buffer is full or the rate limit is reached. The
    /// buffer's byte bound counts it as `size_of::<T>()`: a receiver of records that hold
    /// data on the heap says their size with [`push_sized`](Self::push_sized).
    pub async fn push(&mut self, record: T) -> Result<(), Stopped> {
        self.push_sized(record, 1, std::mem::size_of::<T>()).await
    }

    /// Takes a record that stands for `weight` records (a block of lines handed over
    /// together): the buffer bound and the rate limit count it as `weight`.
    pub async fn push_weighted(&mut self, record: T, weight: usize) -> Result<(), Stopped> {
        self.push_sized(record, weight, weight * std::mem::size_of::<T>())
            .await
    }

    /// Takes a record that stands for `weight` records and holds `bytes` bytes: the buffer
    /// bounds count both.
    pub async fn push_sized(
        &mut self,
        record: T,
        weight: usize,
        bytes: usize,
    ) -> Result<(), Stopped> {
        if self.stopping() {
            return Err(Stopped);
        }
        if let Some(rate) = &mut self.rate {
            rate.acquire(weight).await;
        }
        self.chunk.push(record);
        self.chunk_weight += weight;
        self.chunk_bytes += bytes;
        if self.chunk_weight >= CHUNK || self.chunk_bytes >= CHUNK_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    /// Hands the records pushed so far to the pipeline (made durable first when the
    /// write-ahead log is on). A receiver calls this before it waits for more input, so that
    /// what arrived is in the next batch.
    pub async fn flush(&mut self) -> Result<(), Stopped> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        // The next chunk starts at full capacity: no regrowth 0, 4, 8, … 1024 per chunk.
        let records = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        let weight = std::mem::take(&mut self.chunk_weight);
        let bytes = std::mem::take(&mut self.chunk_bytes);
        let first_seq = match &mut self.wal {
            Some(wal) => match wal.append(&records) {
                Ok(seq) => seq,
                Err(e) => {
                    // Not durable, so not accepted: the records are dropped, counted and
                    // reported; the receiver goes on.
                    tracing::error!(error = %e, records = records.len(), "write-ahead log append failed; records dropped");
                    self.count("wal_failures", records.len() as u64);
                    return Ok(());
                }
            },
            None => 0,
        };
        let permits = self.space.permits(weight, bytes);
        let full = self.space.is_full_for(permits);
        // `backpressure` counts episodes of waiting (a flood that never lets up is one),
        // `backpressure_waits` every wait: the driver's keep-up check warns once per run of
        // batches that saw waits (see `keep_up.rs`).
        if full {
            self.count("backpressure_waits", 1);
            if !self.backpressured {
                self.backpressured = true;
                self.count("backpressure", 1);
            }
        }
        self.space.take(permits).await?;
        if !full {
            self.backpressured = false;
        }
        self.shared
            .pending
            .fetch_add(records.len() as u64, Ordering::SeqCst);
        self.sender
            .send(Chunk {
                first_seq,
                records,
                permits,
            })
            .map_err(|_| Stopped)?;
        Ok(())
    }

    /// Whether the pipeline has stopped receiving (graceful stop).
    pub fn stopping(&self) -> bool {
        self.shared.stopping.load(Ordering::SeqCst)
    }

    /// Resolves when the pipeline stops receiving: for `select!` around a wait for input.
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let shared = Arc::clone(&self.shared);
        async move {
            loop {
                let notified = shared.stop.notified();
                if shared.stopping.load(Ordering::SeqCst) {
                    return;
                }
                notified.await;
            }
        }
    }

    /// Adds `n` to the input's counter `name` (e.g. `lines_cut`), shown in batch metrics.
    pub fn count(&self, name: &'static str, n: u64) {
        self.shared.count(name, n);
    }
}

#[cfg(test)]
impl<T: Send + 'static> ReceiverOutput<T> {
    /// An output for unit tests of receivers: unbounded, no rate limit, no log; the chunks
    /// handed over arrive on the returned channel.
    pub(crate) fn detached() -> (Self, mpsc::UnboundedReceiver<Chunk<T>>) {
        let (sender, chunks) = mpsc::unbounded_channel();
        let output = ReceiverOutput {
            chunk: Vec::new(),
            chunk_weight: 0,
            chunk_bytes: 0,
            sender,
            space: Arc::new(Space::new(u32::MAX as usize, usize::MAX)),
            backpressured: false,
            shared: Arc::default(),
            rate: None,
            wal: None,
        };
        (output, chunks)
    }

    /// The counter `name` so far.
    pub(crate) fn counter(&self, name: &str) -> u64 {
        let counters = self
            .shared
            .counters
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        counters
            .iter()
            .find(|(k, _)| *k == name)
            .map_or(0, |(_, n)| *n)
    }
}

/// A token bucket: at most `per_second` records per second, in bursts of up to a second's.
struct RateLimit {
    per_second: f64,
    tokens: f64,
    refilled: Instant,
}

impl RateLimit {
    /// Waits until `n` records may pass (in bursts of at most a second's worth).
    async fn acquire(&mut self, n: usize) {
        let mut left = n as f64;
        while left > 0.0 {
            let now = Instant::now();
            self.tokens = (self.tokens
                + now.duration_since(self.refilled).as_secs_f64() * self.per_second)
                .min(self.per_second);
            self.refilled = now;
            let wanted = left.min(self.per_second.max(1.0));
            if self.tokens >= wanted {
                self.tokens -= wanted;
                left -= wanted;
                continue;
            }
            tokio::time::sleep(Duration::from_secs_f64(
                (wanted - self.tokens) / self.per_second,
            ))
            .await;
        }
    }
}

/// Polls `future`, turning a panic in it into `Err` with the panic's message.
async fn catching_panics<F: Future>(future: F) -> Result<F::Output, String> {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(std::task::Poll::Ready(output)) => std::task::Poll::Ready(Ok(output)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(panic) => std::task::Poll::Ready(Err(crate::driver::panic_message(&*panic))),
        }
    })
    .await
}

/// State shared by a receiver's task and its input.
#[derive(Default)]
struct ReceiverShared {
    stopping: AtomicBool,
    stop: Notify,
    /// Records handed over and not yet taken into a batch.
    pending: AtomicU64,
    /// Whether the task has ended for good (source finished or stopped).
    finished: AtomicBool,
    counters: Mutex<Vec<(&'static str, u64)>>,
}

impl ReceiverShared {
    fn count(&self, name: &'static str, n: u64) {
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        match counters.iter_mut().find(|(k, _)| *k == name) {
            Some((_, v)) => *v += n,
            None => counters.push((name, n)),
        }
    }
}

impl<T> Drop for Running<T> {
    fn drop(&mut self) {
        // A receiver waiting for room gives up.
        self.space.close();
    }
}

/// An input fed by a [`Receiver`]; see [`receiver_stream`].
pub struct ReceiverStream<R: Receiver> {
    receiver: Option<R>,
    buffer_records: usize,
    buffer_bytes: usize,
    max_rate: Option<f64>,
    restart_delay: Duration,
    wal_codec: Option<WalCodec<R::Record>>,
    running: Option<Running<R::Record>>,
    description: String,
}

struct Running<T> {
    receiver: mpsc::UnboundedReceiver<Chunk<T>>,
    space: Arc<Space>,
    shared: Arc<ReceiverShared>,
    /// Write-ahead log sequence of the next record to take into a batch: the input's position.
    next_seq: u64,
    /// Records replayed from the log after a restart, delivered first, a buffer's worth of
    /// bytes per batch.
    replay: VecDeque<Replayed<T>>,
    /// The buffer's bytes: how much of the replay a batch takes.
    buffer_bytes: usize,
    /// The log's directory, to delete what checkpoints no longer need.
    wal_dir: Option<PathBuf>,
    /// The position written in the previous checkpoint: the log before it is not needed.
    checkpointed: u64,
}

/// An input fed by `receiver`: buffer of 1 Mi records and 128 MiB, no rate limit, 2 s
/// restart delay.
pub fn receiver_stream<R: Receiver>(receiver: R) -> ReceiverStream<R> {
    ReceiverStream {
        description: receiver.describe(),
        receiver: Some(receiver),
        // A batch takes at most the buffer, so this caps the rate at 1 Mi records per batch
        // interval (21 M/s with 50 ms batches; 256 Ki capped a socket at half its speed);
        // about 120 MB of 100-byte lines.
        buffer_records: 1024 * CHUNK,
        // Keeps a pipeline flooded with long lines at a few hundred MB: the buffer, plus the
        // batch being processed (its blocks and the lines made from them).
        buffer_bytes: 128 << 20,
        max_rate: None,
        restart_delay: Duration::from_secs(2),
        wal_codec: None,
        running: None,
    }
}

impl<R: Receiver> ReceiverStream<R> {
    /// Changes the receiver before it starts (for receivers' own settings).
    pub(crate) fn configure(mut self, change: impl FnOnce(&mut R)) -> Self {
        if let Some(receiver) = self.receiver.as_mut() {
            change(receiver);
            self.description = receiver.describe();
        }
        self
    }

    /// At most `records` are buffered between the receiver and the pipeline (default 1 Mi);
    /// a full buffer makes the receiver wait. Since a batch takes what the buffer holds, this
    /// also caps the input's rate at `records` per batch interval.
    pub fn buffer(mut self, records: usize) -> Self {
        self.buffer_records = records.max(1);
        self
    }

    /// At most `bytes` of records are buffered between the receiver and the pipeline
    /// (default 128 MiB), and a replay of the write-ahead log hands a batch at most that
    /// much; a full buffer makes the receiver wait (counted as `backpressure`, once per
    /// episode, with a warning).
    pub fn buffer_bytes(mut self, bytes: usize) -> Self {
        self.buffer_bytes = bytes.max(1);
        self
    }

    /// At most `records_per_second` records are received per second (Spark's
    /// `spark.streaming.receiver.maxRate`).
    pub fn max_rate(mut self, records_per_second: u64) -> Self {
        self.max_rate = Some(records_per_second.max(1) as f64);
        self
    }

    /// How long to wait before restarting a receiver that failed or whose source closed
    /// (Spark: `spark.streaming.receiverRestartDelay`, 2 s).
    pub fn restart_delay(mut self, delay: Duration) -> Self {
        self.restart_delay = delay;
        self
    }

    /// Write received records to a log under the checkpoint directory before accepting them,
    /// and replay those not yet in a checkpointed batch after a restart (Spark's receiver
    /// write-ahead log): nothing received is lost when the pipeline is killed.
    pub fn write_ahead_log(mut self) -> Self
    where
        R::Record: serde::Serialize + serde::de::DeserializeOwned,
    {
        self.wal_codec = Some(WalCodec::postcard());
        self
    }
}

impl<R: Receiver> InputStream<R::Record> for ReceiverStream<R> {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn start(&mut self, ctx: &InputContext) -> Result<(), BoxError> {
        let Some(mut receiver) = self.receiver.take() else {
            return Err("receiver already started".into());
        };
        let restored = self.running.as_ref().map_or(0, |r| r.next_seq);
        let (sender, chunks) = mpsc::unbounded_channel();
        let space = Arc::new(Space::new(self.buffer_records, self.buffer_bytes));
        let shared = Arc::new(ReceiverShared::default());
        let mut running = Running {
            receiver: chunks,
            space: Arc::clone(&space),
            shared: Arc::clone(&shared),
            next_seq: restored,
            replay: VecDeque::new(),
            buffer_bytes: self.buffer_bytes,
            wal_dir: None,
            checkpointed: restored,
        };
        let wal = match &self.wal_codec {
            Some(codec) => {
                let dir = ctx.checkpoint_dir().ok_or(
                    "the write-ahead log needs a checkpoint directory; set one with StreamingContext::checkpoint_dir",
                )?;
                let dir = dir.join("received").join(ctx.input_name());
                let wal = Wal::open(&dir, codec.clone(), restored)?;
                // Received before a crash but not in a checkpointed batch: delivered again.
                let replay = wal.read_from(restored)?;
                if replay.damaged > 0 {
                    tracing::warn!(
                        input = %self.description,
                        damaged = replay.damaged,
                        bytes = replay.damaged_bytes,
                        replayed = replay.records.len(),
                        "the write-ahead log has damaged records (a write torn by a crash, or bytes changed on disk); \
                         they are skipped and the intact records around them replayed"
                    );
                    shared.count("wal_damaged_bytes", replay.damaged_bytes);
                }
                running.replay = replay.records.into();
                shared
                    .pending
                    .fetch_add(running.replay.len() as u64, Ordering::SeqCst);
                running.wal_dir = Some(dir);
                Some(wal)
            }
            None => None,
        };
        let mut out = ReceiverOutput {
            chunk: Vec::with_capacity(CHUNK),
            chunk_weight: 0,
            chunk_bytes: 0,
            sender,
            space,
            backpressured: false,
            shared: Arc::clone(&shared),
            rate: self.max_rate.map(|per_second| RateLimit {
                per_second,
                tokens: per_second,
                refilled: Instant::now(),
            }),
            wal,
        };
        let (delay, description) = (self.restart_delay, self.description.clone());
        let (input, report) = (ctx.input_name(), ctx.receiver_events());
        ctx.runtime().spawn(async move {
            loop {
                report(ReceiverEvent::Started(input));
                let result = catching_panics(receiver.receive(&mut out)).await;
                let flushed = out.flush().await;
                if out.stopping() || flushed.is_err() {
                    break;
                }
                match result {
                    Ok(Ok(())) => {
                        tracing::info!(input = %description, "receiver finished");
                        break;
                    }
                    Ok(Err(e)) => {
                        out.count("receiver_restarts", 1);
                        tracing::warn!(input = %description, error = %e, delay_ms = delay.as_millis() as u64, "receiver failed; restarting");
                        report(ReceiverEvent::Error(input, e.to_string()));
                    }
                    // A panic is a failure too: restarted like one (Spark restarts a
                    // receiver whatever stopped it), and counted apart.
                    Err(message) => {
                        out.count("receiver_panics", 1);
                        out.count("receiver_restarts", 1);
                        tracing::error!(input = %description, panic = %message, delay_ms = delay.as_millis() as u64, "receiver panicked; restarting");
                        report(ReceiverEvent::Error(input, format!("panicked: {message}")));
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = out.stopped() => break,
                }
            }
            out.shared.finished.store(true, Ordering::SeqCst);
            report(ReceiverEvent::Stopped(input));
        });
        self.running = Some(running);
        Ok(())
    }

    fn next_batch(&mut self, _time: Time) -> Result<Batch<R::Record>, BoxError> {
        let Some(running) = self.running.as_mut() else {
            return Ok(Batch::empty());
        };
        if !running.replay.is_empty() {
            // A buffer's worth of the replay (at least one record); what is newer waits.
            let mut records = Vec::new();
            let mut bytes = 0;
            while let Some(replayed) = running
                .replay
                .pop_front_if(|r| records.is_empty() || bytes + r.bytes <= running.buffer_bytes)
            {
                bytes += replayed.bytes;
                running.next_seq = replayed.seq + 1;
                records.push(replayed.record);
            }
            running
                .shared
                .pending
                .fetch_sub(records.len() as u64, Ordering::SeqCst);
            return Ok(Batch::from(records));
        }
        let mut records =
            Vec::with_capacity(running.shared.pending.load(Ordering::SeqCst) as usize);
        while let Ok(chunk) = running.receiver.try_recv() {
            running.next_seq = chunk.first_seq + chunk.records.len() as u64;
            running.space.give_back(chunk.permits);
            records.extend(chunk.records);
        }
        running
            .shared
            .pending
            .fetch_sub(records.len() as u64, Ordering::SeqCst);
        Ok(Batch::from(records))
    }

    fn is_finished(&self) -> bool {
        self.running.as_ref().is_some_and(|r| {
            r.shared.finished.load(Ordering::SeqCst) && r.shared.pending.load(Ordering::SeqCst) == 0
        })
    }

    fn stop_receiving(&mut self) {
        if let Some(r) = &self.running {
            r.shared.stopping.store(true, Ordering::SeqCst);
            r.shared.stop.notify_waiters();
        }
    }

    fn has_pending(&self) -> bool {
        self.running
            .as_ref()
            .is_some_and(|r| r.shared.pending.load(Ordering::SeqCst) > 0)
    }

    fn position(&mut self) -> Option<InputPosition> {
        let running = self.running.as_mut().filter(|_| self.wal_codec.is_some())?;
        // The previous checkpoint is on disk now: the log before its position can go.
        if let Some(dir) = &running.wal_dir
            && let Err(e) = Wal::<R::Record>::delete_before(dir, running.checkpointed)
        {
            tracing::warn!(input = %self.description, error = %e, "could not delete old write-ahead log segments");
        }
        running.checkpointed = running.next_seq;
        Some(InputPosition::Log {
            next: running.next_seq,
        })
    }

    fn restore(&mut self, position: &InputPosition) -> Result<(), BoxError> {
        match position {
            InputPosition::Log { next } if self.wal_codec.is_some() => {
                // Remembered for `start`, which replays the log from there.
                let (_, chunks) = mpsc::unbounded_channel();
                self.running = Some(Running {
                    receiver: chunks,
                    space: Arc::new(Space::new(0, 0)),
                    shared: Arc::default(),
                    next_seq: *next,
                    replay: VecDeque::new(),
                    buffer_bytes: self.buffer_bytes,
                    wal_dir: None,
                    checkpointed: *next,
                });
                Ok(())
            }
            InputPosition::Log { .. } => {
                tracing::warn!(input = %self.description, "checkpoint has a write-ahead log position but the log is off; not replayed");
                Ok(())
            }
            other => {
                Err(format!("{} cannot be repositioned to {other:?}", self.description).into())
            }
        }
    }

    fn gauges(&self) -> Vec<(&'static str, u64)> {
        self.running.as_ref().map_or_else(Vec::new, |r| {
            let (records, bytes) = r.space.fill();
            vec![("buffered_records", records), ("buffered_bytes", bytes)]
        })
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        self.running.as_ref().map_or_else(Vec::new, |r| {
            r.shared
                .counters
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_weighted_record_takes_its_weight_of_buffer_space() {
        let (mut out, mut chunks) = ReceiverOutput::<&str>::detached();
        out.push_weighted("700 lines", 700).await.unwrap();
        out.push("one").await.unwrap();
        out.flush().await.unwrap();
        let chunk = chunks.try_recv().unwrap();
        assert_eq!(chunk.records, ["700 lines", "one"]);
        assert_eq!(chunk.permits.records, 701);
        // A chunk is handed over once it stands for CHUNK records, whatever their count.
        out.push_weighted("big", CHUNK).await.unwrap();
        assert_eq!(chunks.try_recv().unwrap().records, ["big"]);
    }

    #[tokio::test]
    async fn the_buffer_is_bounded_in_bytes_and_backpressure_is_counted_once_per_episode() {
        let (mut out, mut chunks) = ReceiverOutput::<Vec<u8>>::detached();
        out.space = Arc::new(Space::new(1 << 20, 3 << 20));
        let long = |kib: usize| vec![b'x'; kib << 10];
        // Each 1 MiB record is a chunk of its own (CHUNK_BYTES), so three fill the buffer.
        for _ in 0..3 {
            out.push_sized(long(1024), 1, 1 << 20).await.unwrap();
        }
        assert_eq!(out.counter("backpressure"), 0);
        let waiting = tokio::time::timeout(
            Duration::from_millis(100),
            out.push_sized(long(1024), 1, 1 << 20),
        );
        assert!(
            waiting.await.is_err(),
            "a full buffer in bytes makes the receiver wait"
        );
        assert_eq!(out.counter("backpressure"), 1);
        // The pipeline takes a chunk: room for the next, and the episode ends.
        let taken = chunks.try_recv().unwrap();
        out.space.give_back(taken.permits);
        out.push_sized(long(1024), 1, 1 << 20).await.unwrap();
        assert_eq!(out.counter("backpressure"), 1, "one episode, one count");
    }

    #[test]
    fn a_replay_is_handed_over_a_buffers_worth_of_bytes_per_batch() {
        let (_, receiver) = mpsc::unbounded_channel::<Chunk<u32>>();
        let replay = (0..10u32).map(|n| Replayed {
            seq: 100 + u64::from(n),
            bytes: 400,
            record: n,
        });
        let mut stream = receiver_stream(Never).buffer_bytes(1000);
        stream.running = Some(Running {
            receiver,
            space: Arc::new(Space::new(10, 1000)),
            shared: Arc::default(),
            next_seq: 100,
            replay: replay.collect(),
            buffer_bytes: 1000,
            wal_dir: None,
            checkpointed: 100,
        });
        let mut batches = Vec::new();
        for t in 1..=5 {
            let batch = stream.next_batch(Time::from_millis(t * 1000)).unwrap();
            batches.push(batch.into_iter().collect::<Vec<_>>());
        }
        assert_eq!(
            batches,
            [vec![0, 1], vec![2, 3], vec![4, 5], vec![6, 7], vec![8, 9]]
        );
        assert_eq!(stream.running.as_ref().unwrap().next_seq, 110);
    }

    /// A receiver that never runs (the tests drive the stream's buffer directly).
    struct Never;

    impl Receiver for Never {
        type Record = u32;
        fn describe(&self) -> String {
            "never".into()
        }
        async fn receive(&mut self, _: &mut ReceiverOutput<u32>) -> Result<(), BoxError> {
            Ok(())
        }
    }
}
