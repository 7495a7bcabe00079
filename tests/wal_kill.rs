//! The receivers' write-ahead log under a real crash in the middle of a write: a child
//! process is killed while appending a record, after writing each possible number of its
//! bytes (`STREAMDSL_WAL_TEAR`, feature `fault-injection`); restarted on the same directory,
//! it replays every record made durable before the torn one, and none of the torn one.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use streamdsl::BoxError;
use streamdsl::inputs::{Receiver, ReceiverOutput, receiver_stream};
use streamdsl::prelude::*;

stream! {
    /// Prints every record; sets `done` once it printed `last`.
    pipeline Printed(last: String, done: Arc<AtomicBool>) {
        batch = 50ms;
        input records: String;
        records.foreach_rdd(|batch| {
            for record in batch.iter() {
                println!("RECORD\t{record}");
                if record == last {
                    done.store(true, Ordering::SeqCst);
                }
            }
        });
    }
}

/// Pushes its records one append each, then waits (the parent ends it).
struct Appends(Vec<String>);

impl Receiver for Appends {
    type Record = String;

    fn describe(&self) -> String {
        "appends".into()
    }

    async fn receive(&mut self, out: &mut ReceiverOutput<String>) -> Result<(), BoxError> {
        for record in std::mem::take(&mut self.0) {
            out.push(record).await?;
            out.flush().await?;
        }
        out.stopped().await;
        Ok(())
    }
}

/// The child: `STREAMDSL_WAL_KILL_CHILD` is `<dir> <records, comma-separated>`.
#[test]
fn wal_kill_child() {
    let Ok(spec) = std::env::var("STREAMDSL_WAL_KILL_CHILD") else {
        return;
    };
    let (dir, records) = spec.split_once(' ').unwrap();
    let records: Vec<String> = records.split(',').map(str::to_owned).collect();
    let last = records.last().cloned().unwrap_or_default();
    let done = Arc::new(AtomicBool::new(false));
    let input = receiver_stream(Appends(records)).write_ahead_log();
    let running = StreamingContext::new()
        .checkpoint_dir(dir)
        .start(Printed::new(last, Arc::clone(&done)).records(input))
        .unwrap();
    // Killed by the torn write, or until its last record is printed (bounded).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done.load(Ordering::SeqCst) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(running);
    std::process::exit(0);
}

/// Runs the child; the records it printed.
fn run_child(dir: &Path, records: &[&str], tear: Option<(usize, usize)>) -> Vec<String> {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "wal_kill_child",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(
            "STREAMDSL_WAL_KILL_CHILD",
            format!("{} {}", dir.display(), records.join(",")),
        );
    if let Some((append, bytes)) = tear {
        command.env("STREAMDSL_WAL_TEAR", format!("{append}:{bytes}"));
    }
    let output = command.output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.split_once("RECORD\t").map(|(_, r)| r.to_owned()))
        .collect()
}

#[test]
fn a_write_torn_at_any_offset_by_a_kill_loses_only_the_torn_record() {
    let records: Vec<String> = (0..8).map(|k| format!("r{k}")).collect();
    let records: Vec<&str> = records.iter().map(String::as_str).collect();
    // An append of one two-character record: 16 bytes of header, 3 of postcard.
    const FRAME: usize = 16 + 3;
    for bytes in 0..FRAME {
        let dir: PathBuf =
            std::env::temp_dir().join(format!("streamdsl-wal-kill-{}-{bytes}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        // Killed while the 8th record's append has written `bytes` of its bytes.
        run_child(&dir, &records, Some((8, bytes)));
        let replayed = run_child(&dir, &["after"], None);
        let expected: BTreeSet<String> = records[..7]
            .iter()
            .map(|r| r.to_string())
            .chain(["after".to_owned()])
            .collect();
        let got: BTreeSet<String> = replayed.iter().cloned().collect();
        assert_eq!(got, expected, "torn after {bytes} bytes: {replayed:?}");
        assert_eq!(
            replayed.last().map(String::as_str),
            Some("after"),
            "replayed first"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
