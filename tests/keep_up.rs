//! Keep-up warnings in the log, captured by a `tracing` subscriber: a pipeline whose output
//! is slow for a while, and one whose receiver is flooded, each log exactly one warning for
//! the episode and one line when it is over; a listener gets the same warnings in
//! `BatchInfo::warnings`.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use streamdsl::BoxError;
use streamdsl::inputs::{Receiver, ReceiverOutput, receiver_stream};
use streamdsl::prelude::*;

/// Every log line of this test binary, from every thread (the drivers run on their own).
fn log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&log);
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(move || Captured(Arc::clone(&writer)))
            .init();
        log
    })
}

struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The captured lines of `pipeline` that contain `text`.
fn lines_of(pipeline: &str, text: &str) -> Vec<String> {
    let log = log().lock().unwrap();
    String::from_utf8_lossy(&log)
        .lines()
        .filter(|l| l.contains(&format!("pipeline=\"{pipeline}\"")) && l.contains(text))
        .map(str::to_owned)
        .collect()
}

stream! {
    /// Batch `k` holds the number `k`; the output takes 150 ms on the first eight batches of a
    /// 50 ms interval, then nothing.
    pipeline SlowOutput {
        batch = 50ms;
        input numbers: u64;
        numbers.foreach_rdd(|_time, batch| {
            if batch.iter().any(|&k| k < 8) {
                std::thread::sleep(Duration::from_millis(150));
            }
        });
    }
}

/// Collects the keep-up warnings of every batch.
struct Warnings(Arc<Mutex<Vec<String>>>);

impl StreamingListener for Warnings {
    fn on_batch_completed(&mut self, info: &BatchInfo) {
        self.0.lock().unwrap().extend(info.warnings.iter().cloned());
    }
}

#[test]
fn a_slow_output_is_warned_about_once_and_the_catching_up_said() {
    log();
    let input = queue_stream((0..60u64).map(|k| vec![k]));
    let warnings = Arc::new(Mutex::new(Vec::new()));
    StreamingContext::new()
        .add_listener(Warnings(Arc::clone(&warnings)))
        .run_until_finished(SlowOutput::new().numbers(input))
        .unwrap();
    let warnings = warnings.lock().unwrap();
    assert_eq!(
        warnings.len(),
        1,
        "one warning for listeners: {warnings:#?}"
    );
    let behind = lines_of("SlowOutput", "falling behind");
    assert!(
        behind.iter().all(|line| line.contains(&warnings[0])),
        "listeners get the text of the log: {warnings:?} vs {behind:#?}"
    );
    assert_eq!(behind.len(), 1, "one warning for the episode: {behind:#?}");
    assert!(behind[0].contains("WARN"), "{}", behind[0]);
    assert!(
        behind[0].contains("foreach_rdd of numbers"),
        "names the slow output: {}",
        behind[0]
    );
    let caught_up = lines_of("SlowOutput", "caught up");
    assert_eq!(caught_up.len(), 1, "{caught_up:#?}");
    println!("{}\n{}", behind[0], caught_up[0]);
}

/// Pushes records as fast as its buffer takes them for a while, then rests before it ends,
/// so that the last batches see no wait.
struct Flood {
    records: u64,
}

impl Receiver for Flood {
    type Record = u64;
    fn describe(&self) -> String {
        "flood".into()
    }
    async fn receive(&mut self, out: &mut ReceiverOutput<u64>) -> Result<(), BoxError> {
        for k in 0..self.records {
            if out.push(k).await.is_err() {
                return Ok(());
            }
        }
        out.flush().await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok(())
    }
}

stream! {
    /// Takes 20 ms a batch, so a flooding receiver's small buffer fills between batches.
    pipeline Flooded {
        batch = 50ms;
        input numbers: u64;
        numbers.foreach_rdd(|_time, _batch| std::thread::sleep(Duration::from_millis(20)));
    }
}

#[test]
fn a_flooded_receiver_is_warned_about_once_per_episode() {
    log();
    let input = receiver_stream(Flood { records: 20_000 }).buffer(1000);
    StreamingContext::new()
        .run_until_finished(Flooded::new().numbers(input))
        .unwrap();
    let full = lines_of("Flooded", "buffer is full");
    assert_eq!(full.len(), 1, "one warning for the flood: {full:#?}");
    assert!(
        full[0].contains("WARN") && full[0].contains("input numbers"),
        "{}",
        full[0]
    );
    let eased = lines_of("Flooded", "no longer waits");
    assert_eq!(eased.len(), 1, "{eased:#?}");
    println!("{}\n{}", full[0], eased[0]);
}
