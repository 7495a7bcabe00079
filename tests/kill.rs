//! Exactly-once state across crashes: a pipeline in a child process is killed with SIGKILL at
//! several points (mid-run, and inside a checkpoint write via the runtime's test-only crash
//! points), restarted on the same checkpoint directory, and from the batch after its
//! checkpoint on it must produce exactly the outputs of a run that was never killed.
//!
//! The child is this test binary, re-run on the `child` test with `STREAMDSL_KILL_CHILD` set.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use streamdsl::prelude::*;

const BATCHES: usize = 40;

stream! {
    /// Running word counts and a 5-batch sliding count, checkpointed every batch; the running
    /// counts are also saved as text files under `text_prefix`.
    pipeline Counting(text_prefix: String) {
        batch = 20ms;
        checkpoint every 20ms;
        input words: String;
        let pairs: (String, u64) = words.map(|w| (w, 1u64));
        let running: (String, u64) = pairs.update_state_by_key(|new: Vec<u64>, old: Option<u64>| Some(new.iter().sum::<u64>() + old.unwrap_or(0)));
        running.foreach_rdd(|time, batch| report(0, time, batch));
        running.save_as_text_files(text_prefix);
        let windowed: (String, u64) = pairs.reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 100ms);
        windowed.foreach_rdd(|time, batch| report(1, time, batch));
    }
}

/// One line per output batch: `OUT <batch time> <output> <sorted records>`.
fn report(output: usize, time: Time, batch: &Batch<(String, u64)>) {
    let mut records: Vec<String> = batch.iter().map(|(w, n)| format!("{w}={n}")).collect();
    records.sort();
    println!("OUT\t{}\t{output}\t{}", time.millis(), records.join(","));
}

/// Deterministic input: batch `k` holds a few of 7 words.
fn input() -> QueueStream<String> {
    queue_stream((0..BATCHES).map(|k| {
        (0..(k % 4 + 1))
            .map(|i| format!("w{}", (k * 3 + i) % 7))
            .collect::<Vec<_>>()
    }))
}

#[test]
fn child() {
    let Ok(dir) = std::env::var("STREAMDSL_KILL_CHILD") else {
        return;
    };
    let prefix = format!("{dir}/text/counts");
    StreamingContext::new()
        .checkpoint_dir(dir)
        .run_until_finished(Counting::new(prefix).words(input()))
        .unwrap();
}

/// What a child printed: per batch index (from the zero time), per output, the records.
type Outputs = BTreeMap<(i64, usize), String>;

struct ChildRun {
    outputs: Outputs,
    killed: bool,
}

/// What the child's environment sets beyond the test's own: a worker count (with every loop
/// split across them) and the hash seed of its tables.
#[derive(Clone, Copy, Default)]
struct ChildEnv {
    workers: Option<usize>,
    hash_seed: Option<u64>,
}

/// Runs the child on `dir`; with `crash_at` it kills itself there, with `kill_after` the
/// parent kills it after that many output lines.
fn run_child(
    dir: &Path,
    crash_at: Option<&str>,
    kill_after: Option<usize>,
    env: ChildEnv,
) -> ChildRun {
    let mut command = Command::new(std::env::current_exe().unwrap());
    if let Some(n) = env.workers {
        command
            .env("STREAMDSL_WORKERS", n.to_string())
            .env("STREAMDSL_PARALLEL_MIN_RECORDS", "2");
    }
    if let Some(seed) = env.hash_seed {
        command.env("STREAMDSL_HASH_SEED", seed.to_string());
    }
    command
        .args(["child", "--exact", "--nocapture", "--test-threads", "1"])
        .env("STREAMDSL_KILL_CHILD", dir)
        .env_remove("STREAMDSL_CRASH_AT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(point) = crash_at {
        command.env("STREAMDSL_CRASH_AT", point);
    }
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let Ok(line) = line else { break };
        // libtest's "test child ... " has no newline, so the first report may follow it.
        if let Some((_, rest)) = line.split_once("OUT\t") {
            lines.push(rest.to_owned());
            if kill_after == Some(lines.len()) {
                child.kill().unwrap();
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "child ran too long"
        );
    }
    let status = child.wait().unwrap();
    let outputs = lines
        .iter()
        .map(|l| {
            let mut parts = l.splitn(3, '\t');
            let time: i64 = parts.next().unwrap().parse().unwrap();
            let output: usize = parts.next().unwrap().parse().unwrap();
            ((time, output), parts.next().unwrap_or("").to_owned())
        })
        .collect();
    ChildRun {
        outputs,
        killed: !status.success(),
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("streamdsl-kill-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Batch times relative to the run's first batch, so runs started at different wall-clock
/// times compare; `first` is the first batch time of the uninterrupted run of that directory.
fn relative(outputs: &Outputs, first: i64) -> Outputs {
    outputs
        .iter()
        .map(|((t, o), r)| (((t - first) / 20, *o), r.clone()))
        .collect()
}

/// The text-file output of a run: per batch (relative to the first), its records; and any
/// leftover (hidden) entry, which there must not be.
fn text_outputs(dir: &Path, first: i64) -> (BTreeMap<i64, Vec<String>>, Vec<String>) {
    let mut batches = BTreeMap::new();
    let mut leftovers = Vec::new();
    for entry in std::fs::read_dir(dir.join("text")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(time) = name
            .strip_prefix("counts-")
            .and_then(|t| t.parse::<i64>().ok())
        else {
            leftovers.push(name);
            continue;
        };
        assert!(entry.path().join("_SUCCESS").exists(), "{name} is complete");
        let mut records = Vec::new();
        for part in std::fs::read_dir(entry.path()).unwrap() {
            let part = part.unwrap();
            if part.file_name().to_string_lossy().starts_with("part-") {
                records.extend(
                    std::fs::read_to_string(part.path())
                        .unwrap()
                        .lines()
                        .map(str::to_owned),
                );
            }
        }
        records.sort();
        batches.insert((time - first) / 20, records);
    }
    (batches, leftovers)
}

fn check_kill(name: &str, crash_at: Option<&str>, kill_after: Option<usize>) {
    check_kill_on(name, crash_at, kill_after, [ChildEnv::default(); 2]);
}

/// As [`check_kill`], the killed child in environment `envs[0]`, the restarted one in
/// `envs[1]`; the reference run inherits the test's environment.
fn check_kill_on(
    name: &str,
    crash_at: Option<&str>,
    kill_after: Option<usize>,
    envs: [ChildEnv; 2],
) {
    let reference_dir = temp_dir(&format!("{name}-reference"));
    let reference = run_child(&reference_dir, None, None, ChildEnv::default());
    assert!(!reference.killed);
    let reference_first = reference.outputs.keys().next().unwrap().0;
    let reference = relative(&reference.outputs, reference_first);
    assert_eq!(
        reference.len(),
        BATCHES * 2,
        "one line per batch per output"
    );

    let dir = temp_dir(name);
    let crashed = run_child(&dir, crash_at, kill_after, envs[0]);
    assert!(crashed.killed, "the child was killed");
    let first = crashed.outputs.keys().next().map_or(i64::MAX, |k| k.0);
    let restarted = run_child(&dir, None, None, envs[1]);
    assert!(!restarted.killed);
    let resumed = relative(
        &restarted.outputs,
        first.min(restarted.outputs.keys().next().unwrap().0),
    );
    let resumed_from = resumed.keys().next().unwrap().0;
    assert!(
        resumed_from > 0 || crashed.outputs.is_empty(),
        "{name}: restarted from its checkpoint, not from scratch"
    );
    let expected: Outputs = reference
        .into_iter()
        .filter(|((k, _), _)| *k >= resumed_from)
        .collect();
    assert_eq!(
        resumed, expected,
        "{name}: outputs after the restart equal the uninterrupted run's"
    );
    let (text, leftovers) =
        text_outputs(&dir, first.min(restarted.outputs.keys().next().unwrap().0));
    let (reference_text, _) = text_outputs(&reference_dir, reference_first);
    assert!(
        leftovers.is_empty(),
        "{name}: no partial batch directory is left: {leftovers:?}"
    );
    assert_eq!(
        text, reference_text,
        "{name}: one complete directory per batch, as without the kill"
    );
    let _ = std::fs::remove_dir_all(&reference_dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn killed_while_writing_a_checkpoint_file() {
    check_kill("temp-written", Some("checkpoint-temp-written:7"), None);
}

#[test]
fn killed_after_a_checkpoint_rename_before_the_directory_sync() {
    check_kill("renamed", Some("checkpoint-renamed:12"), None);
}

#[test]
fn killed_while_writing_a_text_file_batch() {
    check_kill("text-files", Some("text-files-written:9"), None);
}

#[test]
fn killed_mid_run() {
    for after in [5, 23, 51] {
        check_kill(&format!("mid-run-{after}"), None, Some(after));
    }
}

#[test]
fn killed_on_two_workers_restarted_on_one_and_killed_on_one_restarted_on_four() {
    let on = |n| ChildEnv {
        workers: Some(n),
        hash_seed: None,
    };
    check_kill_on("workers-2-to-1", None, Some(23), [on(2), on(1)]);
    check_kill_on(
        "workers-1-to-4",
        Some("checkpoint-renamed:12"),
        None,
        [on(1), on(4)],
    );
}

/// Tables hash with per-process seeds: the restarted process hashes every key differently,
/// and its restored state (running counts, window panes) must still find every key.
#[test]
fn killed_and_restarted_under_another_hash_seed() {
    let seeded = |seed| ChildEnv {
        workers: Some(2),
        hash_seed: Some(seed),
    };
    check_kill_on("hash-seed", None, Some(31), [seeded(1), seeded(2)]);
}
