//! What the integration tests of live inputs share: batch metrics and bounded polling.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use streamdsl::prelude::*;

#[cfg(feature = "kafka")]
pub mod kafka;

/// The batch metrics of a run.
#[derive(Clone, Default)]
pub struct Metrics(pub Arc<Mutex<Vec<BatchInfo>>>);

impl StreamingListener for Metrics {
    fn on_batch_completed(&mut self, info: &BatchInfo) {
        self.0.lock().unwrap().push(info.clone());
    }
}

impl Metrics {
    /// Batches completed so far.
    pub fn batches(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// Counter `name` of the input `lines` as of the last batch.
    pub fn counter(&self, name: &str) -> u64 {
        self.input_counter("lines", name)
    }

    /// Counter `name` of `input` as of the last batch.
    pub fn input_counter(&self, input: &str, name: &str) -> u64 {
        self.0
            .lock()
            .unwrap()
            .last()
            .map_or(0, |info| info.counter(input, name))
    }

    /// Gauge `name` of `input` after each batch (batches without it left out).
    pub fn input_gauge_per_batch(&self, input: &str, name: &str) -> Vec<u64> {
        let batches = self.0.lock().unwrap();
        let gauge = |info: &BatchInfo| {
            let mut gauges = info.input_gauges.iter();
            gauges
                .find(|(i, g, _)| *i == input && *g == name)
                .map(|g| g.2)
        };
        batches.iter().filter_map(gauge).collect()
    }

    /// Every counter of the input `lines` as of the last batch.
    pub fn counters(&self) -> BTreeMap<&'static str, u64> {
        self.0
            .lock()
            .unwrap()
            .last()
            .map_or_else(BTreeMap::new, |info| {
                info.input_counters
                    .iter()
                    .filter(|(input, _, _)| *input == "lines")
                    .map(|(_, name, n)| (*name, *n))
                    .collect()
            })
    }

    /// Waits for `n` more batches to complete.
    pub fn wait_batches(&self, n: usize) {
        let target = self.batches() + n;
        poll(&format!("{n} more batches"), || self.batches() >= target);
    }
}

/// How long a test waits for anything.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Polls `done` until it holds; fails after [`DEADLINE`].
pub fn poll(what: &str, mut done: impl FnMut() -> bool) {
    poll_check(|| if done() { Ok(()) } else { Err(what.to_owned()) });
}

/// Polls `check` until it is `Ok`; fails after [`DEADLINE`] with its last `Err`: what it
/// waits for.
pub fn poll_check(mut check: impl FnMut() -> Result<(), String>) {
    let start = Instant::now();
    while let Err(what) = check() {
        assert!(
            start.elapsed() < DEADLINE,
            "timed out after {DEADLINE:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Peak resident memory of this process, in KiB (for child processes of memory tests, which
/// print it as `PEAK_RSS_KIB\t<n>`).
pub fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// What a child process printed as `<name>\t<value>`.
pub fn printed(stdout: &str, name: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.split_once(&format!("{name}\t")))
        .unwrap_or_else(|| panic!("no {name} in {stdout}"))
        .1
        .trim()
        .to_owned()
}

/// A child process running test `test` of this test binary alone (stdout piped, stderr
/// dropped), with the crash point `crash_at` (`point:n`, see the `fault-injection` feature) if
/// given; it is killed when dropped, so a failing assertion does not leave it running.
pub fn spawn_test_child(test: &str, env: &[(&str, &str)], crash_at: Option<&str>) -> KillOnDrop {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([test, "--exact", "--nocapture", "--test-threads", "1"])
        .envs(env.iter().copied())
        .env_remove("STREAMDSL_CRASH_AT")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    if let Some(point) = crash_at {
        command.env("STREAMDSL_CRASH_AT", point);
    }
    KillOnDrop(command.spawn().unwrap())
}

/// A child process, killed when dropped.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An error and its causes, `error: cause: …` (each message leaves its cause out).
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(&format!(": {e}"));
        cause = e.source();
    }
    text
}
