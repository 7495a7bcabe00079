//! What `StreamingContext::metrics_addr` serves: a listener that keeps the pipeline's recent
//! history (the board) and its Prometheus metrics, and the HTTP server that shows them.
//!
//! Both are built from listener events only, the same a user's [`StreamingListener`] gets,
//! so the page, `/metrics` and a user's own listener never disagree.

mod prometheus;
pub(crate) mod server;

use crate::Time;
use crate::metrics::{BatchInfo, CheckpointInfo, OutputOperationInfo, StreamingListener};
use crate::pipeline::PipelineInfo;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

/// Batches the page keeps (Spark's UI keeps 1 000 too: `spark.streaming.ui.retainedBatches`).
const RETAINED_BATCHES: usize = 1000;
/// Checkpoints and warnings the page keeps.
const RETAINED_EVENTS: usize = 20;

/// The board and metrics of one running pipeline, shared by its listener and its server.
#[derive(Clone)]
pub(crate) struct Monitor(Arc<Shared>);

/// Each part behind its own lock, held briefly: a request copies the board (its batches are
/// shared, not copied) and serializes it after letting go, so serving never holds up the
/// driver's listener for longer than that copy.
struct Shared {
    board: Mutex<Board>,
    metrics: Mutex<prometheus::Metrics>,
}

/// What the page shows: `/api/status`, serialized as is.
#[derive(Clone, Serialize)]
struct Board {
    pipeline: &'static str,
    batch_interval_ms: u64,
    workers: usize,
    started_at_ms: i64,
    now_ms: i64,
    batches_completed: u64,
    records_total: u64,
    batches: VecDeque<Arc<BatchRow>>,
    inputs: Vec<InputRow>,
    state: Vec<StateRow>,
    counters: serde_json::Map<String, serde_json::Value>,
    checkpoints: VecDeque<CheckpointRow>,
    warnings: VecDeque<WarningRow>,
}

#[derive(Serialize)]
struct BatchRow {
    batch_time_ms: i64,
    records: u64,
    scheduling_delay_ms: f64,
    processing_ms: f64,
    total_delay_ms: f64,
    inputs: Vec<InputRecords>,
    outputs: Vec<OutputRow>,
}

#[derive(Serialize)]
struct InputRecords {
    name: &'static str,
    records: u64,
}

#[derive(Serialize)]
struct OutputRow {
    index: usize,
    operation: &'static str,
    stream: &'static str,
    duration_ms: f64,
    failure: Option<String>,
}

#[derive(Clone, Serialize)]
struct InputRow {
    name: &'static str,
    status: &'static str,
    records_total: u64,
    counters: serde_json::Map<String, serde_json::Value>,
    last_error: Option<String>,
}

#[derive(Clone, Serialize)]
struct StateRow {
    operator: &'static str,
    keys: usize,
}

#[derive(Clone, Serialize)]
struct CheckpointRow {
    batch_time_ms: i64,
    duration_ms: f64,
    bytes: u64,
    failure: Option<String>,
}

#[derive(Clone, Serialize)]
struct WarningRow {
    at_ms: i64,
    message: String,
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Keeps the last `limit` items.
fn push_bounded<T>(items: &mut VecDeque<T>, item: T, limit: usize) {
    if items.len() == limit {
        items.pop_front();
    }
    items.push_back(item);
}

impl From<&OutputOperationInfo> for OutputRow {
    fn from(o: &OutputOperationInfo) -> Self {
        OutputRow {
            index: o.index,
            operation: o.operation,
            stream: o.stream,
            duration_ms: millis(o.duration),
            failure: o.failure.clone(),
        }
    }
}

impl Monitor {
    pub(crate) fn new(info: &'static PipelineInfo, workers: usize) -> Self {
        let inputs = info.inputs.iter().map(|&name| InputRow {
            name,
            status: "starting",
            records_total: 0,
            counters: serde_json::Map::new(),
            last_error: None,
        });
        let board = Board {
            pipeline: info.name,
            batch_interval_ms: info.batch_interval.as_millis() as u64,
            workers,
            started_at_ms: wall_clock_ms(),
            now_ms: 0,
            batches_completed: 0,
            records_total: 0,
            batches: VecDeque::new(),
            inputs: inputs.collect(),
            state: Vec::new(),
            counters: serde_json::Map::new(),
            checkpoints: VecDeque::new(),
            warnings: VecDeque::new(),
        };
        Monitor(Arc::new(Shared {
            board: Mutex::new(board),
            metrics: Mutex::new(prometheus::Metrics::new(info.name)),
        }))
    }

    fn board(&self) -> MutexGuard<'_, Board> {
        lock(&self.0.board)
    }

    fn metrics(&self) -> MutexGuard<'_, prometheus::Metrics> {
        lock(&self.0.metrics)
    }

    /// `/api/status`: the board as JSON.
    pub(crate) fn status_json(&self) -> String {
        let mut board = self.board().clone();
        board.now_ms = wall_clock_ms();
        serde_json::to_string(&board).unwrap_or_default()
    }

    /// `/api/batches/<ms>`: one retained batch as JSON.
    pub(crate) fn batch_json(&self, batch_time_ms: i64) -> Option<String> {
        let board = self.board();
        let row = board
            .batches
            .iter()
            .find(|b| b.batch_time_ms == batch_time_ms);
        let row = Arc::clone(row?);
        drop(board);
        serde_json::to_string(&*row).ok()
    }

    /// `/metrics`: the OpenMetrics text.
    pub(crate) fn metrics_text(&self) -> String {
        self.metrics().encode()
    }

    /// The listener that feeds this monitor.
    pub(crate) fn listener(&self) -> impl StreamingListener {
        MonitorListener(self.clone())
    }
}

struct MonitorListener(Monitor);

/// A lock whose holder panicked is still good: every update leaves the board consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Board {
    fn input(&mut self, name: &str) -> Option<&mut InputRow> {
        self.inputs.iter_mut().find(|i| i.name == name)
    }
}

impl StreamingListener for MonitorListener {
    fn on_batch_started(&mut self, _batch_time: Time) {
        let mut board = self.0.board();
        for input in board.inputs.iter_mut().filter(|i| i.status == "starting") {
            input.status = "active";
        }
    }

    fn on_output_operation_completed(&mut self, _batch_time: Time, info: &OutputOperationInfo) {
        self.0.metrics().output_completed(info);
    }

    fn on_batch_completed(&mut self, info: &BatchInfo) {
        self.0.metrics().batch_completed(info);
        let mut board = self.0.board();
        let board = &mut *board;
        board.batches_completed += 1;
        board.records_total += info.num_records();
        for &(name, records) in &info.input_records {
            if let Some(input) = board.input(name) {
                input.records_total += records;
            }
        }
        for &(name, counter, total) in &info.input_counters {
            if let Some(input) = board.input(name) {
                input.counters.insert(counter.to_owned(), total.into());
            }
        }
        for &(name, total) in &info.counters {
            board.counters.insert(name.to_owned(), total.into());
        }
        board.state = info
            .state_entries
            .iter()
            .map(|&(operator, keys)| StateRow { operator, keys })
            .collect();
        let row = BatchRow {
            batch_time_ms: info.batch_time.millis(),
            records: info.num_records(),
            scheduling_delay_ms: millis(info.scheduling_delay()),
            processing_ms: millis(info.processing_time),
            total_delay_ms: millis(info.total_delay()),
            inputs: info
                .input_records
                .iter()
                .map(|&(name, records)| InputRecords { name, records })
                .collect(),
            outputs: info.outputs.iter().map(OutputRow::from).collect(),
        };
        push_bounded(&mut board.batches, Arc::new(row), RETAINED_BATCHES);
        for warning in &info.warnings {
            let row = WarningRow {
                at_ms: wall_clock_ms(),
                message: warning.clone(),
            };
            push_bounded(&mut board.warnings, row, RETAINED_EVENTS);
        }
    }

    fn on_checkpoint_completed(&mut self, info: &CheckpointInfo) {
        self.0.metrics().checkpoint_completed(info);
        let mut board = self.0.board();
        let row = CheckpointRow {
            batch_time_ms: info.batch_time.millis(),
            duration_ms: millis(info.duration),
            bytes: info.bytes,
            failure: info.failure.clone(),
        };
        push_bounded(&mut board.checkpoints, row, RETAINED_EVENTS);
    }

    fn on_receiver_started(&mut self, input: &'static str) {
        if let Some(row) = self.0.board().input(input) {
            row.status = "receiving";
        }
    }

    fn on_receiver_error(&mut self, input: &'static str, error: &str) {
        if let Some(row) = self.0.board().input(input) {
            row.status = "restarting";
            row.last_error = Some(error.to_owned());
        }
    }

    fn on_receiver_stopped(&mut self, input: &'static str) {
        if let Some(row) = self.0.board().input(input) {
            row.status = "stopped";
        }
    }

    fn on_streaming_stopped(&mut self) {
        for input in &mut self.0.board().inputs {
            input.status = "stopped";
        }
    }
}
