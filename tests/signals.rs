//! Ctrl-C and SIGTERM: `run_until_finished` stops gracefully on a signal, writing the last
//! batch's checkpoint, and exits normally (no status 130); a restart resumes right after that
//! batch.
//!
//! The child is this test binary, re-run on the `child` test with `STREAMDSL_SIGNAL_CHILD`
//! set to its checkpoint directory.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use streamdsl::prelude::*;

stream! {
    /// Running counts, checkpointed only every 10 s: the checkpoint a stop leaves is the
    /// stop's own.
    pipeline Counting {
        batch = 100ms;
        checkpoint every 10s;
        input words: String;
        let running: (String, u64) = words
            .map(|w| (w, 1u64))
            .update_state_by_key(|new: Vec<u64>, old: Option<u64>| Some(new.iter().sum::<u64>() + old.unwrap_or(0)));
        running.foreach_rdd(|time, _batch| println!("BATCH {}", time.millis()));
    }
}

#[test]
fn child() {
    let Ok(dir) = std::env::var("STREAMDSL_SIGNAL_CHILD") else {
        return;
    };
    // A feeder kept alive: the queue never finishes, only a signal stops the run.
    let words = queue_stream(Vec::<Vec<String>>::new());
    let feeder = words.feeder();
    feeder.push(vec!["a".to_owned()]);
    let result = StreamingContext::new()
        .checkpoint_dir(dir)
        .run_until_finished(Counting::new().words(words));
    println!("RESULT {result:?}");
    drop(feeder);
}

/// Runs the child on `dir` until it printed `batches` batches, then sends it SIGTERM; the
/// batch times it printed, its last line and whether it exited with success.
fn run_child(dir: &std::path::Path, batches: usize) -> (Vec<i64>, String, bool) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["child", "--exact", "--nocapture", "--test-threads", "1"])
        .env("STREAMDSL_SIGNAL_CHILD", dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let (mut times, mut last) = (Vec::new(), String::new());
    let mut signalled = false;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "child ran too long"
        );
        if let Some((_, time)) = line.split_once("BATCH ") {
            times.push(time.trim().parse().unwrap());
            if times.len() == batches && !signalled {
                signalled = true;
                let kill = Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .status()
                    .unwrap();
                assert!(kill.success());
            }
        }
        if line.contains("RESULT") {
            last = line;
        }
    }
    let status = child.wait().unwrap();
    (times, last, status.success())
}

#[test]
fn sigterm_stops_run_until_finished_gracefully_with_a_final_checkpoint() {
    let dir = std::env::temp_dir().join(format!("streamdsl-signals-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (first_run, result, success) = run_child(&dir, 5);
    assert!(success, "the child exits normally after the signal");
    assert!(
        result.contains("RESULT Ok(())"),
        "run_until_finished returned Ok: {result}"
    );
    let stopped_at = *first_run.last().unwrap();
    assert!(
        first_run.len() <= 5 + 2,
        "stopped promptly (the next batch at most, the queue has nothing received): {first_run:?}"
    );
    let (second_run, _, success) = run_child(&dir, 1);
    assert!(success);
    assert_eq!(
        second_run[0],
        stopped_at + 100,
        "the restart resumes right after the last batch: the stop checkpointed it"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
