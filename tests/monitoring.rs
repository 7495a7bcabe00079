//! `StreamingContext::metrics_addr` while a pipeline runs: `/metrics` read with a Prometheus
//! text-format parser, and the page's JSON, agree with what a listener of the same pipeline
//! saw (batches, records, delays, output failures, keep-up warnings, state entries,
//! checkpoints).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use streamdsl::prelude::*;
use streamdsl::{BatchInfo, CheckpointInfo, StreamingListener};

const BATCHES: usize = 6;

/// A named counter the output bumps.
static FAILED_BATCHES: streamdsl::Counter = streamdsl::Counter::new("failed_batches");

stream! {
    /// Running word counts, checkpointed every batch; an output of the words fails on
    /// batches holding the word `fail`.
    pipeline Monitored {
        batch = 1s;
        checkpoint every 1s;
        input words: String;
        let running: (String, u64) = words
            .map(|w| (w, 1u64))
            .update_state_by_key(|new: Vec<u64>, old: Option<u64>| Some(new.iter().sum::<u64>() + old.unwrap_or(0)));
        running.foreach_rdd(|_time, _batch| ());
        words.foreach_rdd(|_time, batch| {
            if batch.iter().any(|w| w == "fail") {
                FAILED_BATCHES.add(1);
                Err("the word `fail` came")
            } else {
                Ok(())
            }
        });
    }
}

stream! {
    /// No state, no checkpoint.
    pipeline Plain {
        batch = 1s;
        input words: String;
        words.pprint();
    }
}

#[derive(Default)]
struct Seen {
    batches: Vec<BatchInfo>,
    checkpoints: Vec<CheckpointInfo>,
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Seen>>);

impl StreamingListener for Recorder {
    fn on_batch_completed(&mut self, info: &BatchInfo) {
        self.0.lock().unwrap().batches.push(info.clone());
    }
    fn on_checkpoint_completed(&mut self, info: &CheckpointInfo) {
        self.0.lock().unwrap().checkpoints.push(info.clone());
    }
}

/// `GET path` over a fresh connection: the status and the body.
fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

fn sample<'a>(
    scrape: &'a prometheus_parse::Scrape,
    name: &str,
    labels: &[(&str, &str)],
) -> &'a prometheus_parse::Value {
    let found = scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)));
    &found
        .unwrap_or_else(|| panic!("no sample {name} {labels:?} in the scrape"))
        .value
}

fn number(value: &prometheus_parse::Value) -> f64 {
    match value {
        prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Untyped(v) => *v,
        other => panic!("not a number: {other:?}"),
    }
}

#[test]
fn metrics_and_the_page_json_agree_with_what_a_listener_saw() {
    let dir = std::env::temp_dir().join(format!("streamdsl-monitoring-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let words = ["a b", "b c fail", "c fail", "fail a a a", "d", "e"];
    let input = queue_stream(
        words
            .iter()
            .map(|line| line.split(' ').map(str::to_owned).collect::<Vec<_>>()),
    );
    let clock = ManualClock::new();
    let seen = Recorder::default();
    let running = StreamingContext::new()
        .manual_clock(clock.clone())
        .checkpoint_dir(&dir)
        .metrics_addr("127.0.0.1:0")
        .add_listener(seen.clone())
        .start(Monitored::new().words(input))
        .unwrap();
    let addr = running.metrics_addr().expect("the server is bound");
    clock.advance(Duration::from_secs(BATCHES as u64));
    let started = Instant::now();
    while {
        let seen = seen.0.lock().unwrap();
        seen.batches.len() < BATCHES || seen.checkpoints.len() < BATCHES
    } {
        assert!(started.elapsed() < Duration::from_secs(60), "batches ran");
        std::thread::sleep(Duration::from_millis(10));
    }

    let (status, text) = get(addr, "/metrics");
    assert_eq!(status, 200);
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).unwrap();
    let seen = seen.0.lock().unwrap();
    let pipeline = ("pipeline", "Monitored");
    let records: u64 = seen.batches.iter().map(BatchInfo::num_records).sum();
    let failures = seen
        .batches
        .iter()
        .filter(|b| b.outputs[1].failure.is_some())
        .count();
    assert_eq!(failures, 3, "the three batches with `fail`");
    let warnings: Vec<&String> = seen.batches.iter().flat_map(|b| &b.warnings).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("foreach_rdd of words keeps failing: 3 batches in a row")),
        "{warnings:?}"
    );
    let count = |name, labels: &[(&str, &str)]| number(sample(&scrape, name, labels));
    assert_eq!(
        count("streamdsl_batches_total", &[pipeline]),
        BATCHES as f64
    );
    assert_eq!(
        count(
            "streamdsl_input_records_total",
            &[pipeline, ("input", "words")]
        ),
        records as f64
    );
    assert_eq!(
        count(
            "streamdsl_output_failures_total",
            &[pipeline, ("operation", "foreach_rdd"), ("stream", "words")]
        ),
        failures as f64
    );
    let last = seen.batches.last().unwrap();
    assert!(
        last.counters.contains(&("failed_batches", 3)),
        "{:?}",
        last.counters
    );
    assert_eq!(
        count(
            "streamdsl_counter_total",
            &[pipeline, ("counter", "failed_batches")]
        ),
        3.0
    );
    assert_eq!(last.state_entries, [("running", 6)], "keys a to e and fail");
    assert_eq!(
        count(
            "streamdsl_state_entries",
            &[pipeline, ("operator", "running")]
        ),
        6.0
    );
    let processing = match sample(&scrape, "streamdsl_batch_processing_seconds", &[pipeline]) {
        prometheus_parse::Value::Histogram(buckets) => buckets.clone(),
        other => panic!("a histogram: {other:?}"),
    };
    let infinite = processing.iter().find(|b| b.less_than == f64::INFINITY);
    assert_eq!(infinite.unwrap().count, BATCHES as f64);
    let sum: f64 = seen
        .batches
        .iter()
        .map(|b| b.processing_time.as_secs_f64())
        .sum();
    assert!(
        (count("streamdsl_batch_processing_seconds_sum", &[pipeline]) - sum).abs() < 1e-6,
        "the processing times' sum"
    );
    let written = seen.checkpoints.iter().filter(|c| c.failure.is_none());
    assert_eq!(
        count("streamdsl_checkpoints_total", &[pipeline]),
        written.count() as f64
    );
    assert_eq!(
        count("streamdsl_checkpoint_size_bytes", &[pipeline]),
        seen.checkpoints.last().unwrap().bytes as f64
    );

    let (status, json) = get(addr, "/api/status");
    assert_eq!(status, 200);
    let status: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(status["pipeline"], "Monitored");
    assert_eq!(status["batches_completed"], BATCHES);
    assert_eq!(status["records_total"], records);
    let times: Vec<i64> = status["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["batch_time_ms"].as_i64().unwrap())
        .collect();
    let seen_times: Vec<i64> = seen.batches.iter().map(|b| b.batch_time.millis()).collect();
    assert_eq!(times, seen_times);
    assert_eq!(status["inputs"][0]["records_total"], records);
    assert_eq!(status["state"][0]["keys"], 6);
    assert_eq!(status["counters"]["failed_batches"], 3);
    let page_warnings: Vec<&str> = status["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        page_warnings, warnings,
        "the page lists the listener's warnings"
    );
    assert_eq!(status["checkpoints"].as_array().unwrap().len(), BATCHES);

    let second = &seen.batches[1];
    let (status, json) = get(
        addr,
        &format!("/api/batches/{}", second.batch_time.millis()),
    );
    assert_eq!(status, 200);
    let batch: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(batch["records"], second.num_records());
    assert_eq!(batch["outputs"][1]["failure"], "the word `fail` came");
    assert_eq!(get(addr, "/api/batches/12345").0, 404);
    assert_eq!(get(addr, "/nothing").0, 404);
    let (status, page) = get(addr, "/");
    assert_eq!(status, 200);
    assert!(page.contains("api/status"), "the page polls the JSON");
    drop(seen);
    // The failed outputs are the pipeline's first error.
    assert!(running.stop(StopMode::Immediately).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_address_in_use_fails_start_with_the_address_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let error = StreamingContext::new()
        .manual_clock(ManualClock::new())
        .metrics_addr(addr.clone())
        .start(Plain::new().words(queue_stream(Vec::<Vec<String>>::new())))
        .err()
        .expect("the address is taken");
    let message = error.to_string();
    assert!(message.contains(&addr), "{message}");
    assert!(message.contains("metrics_addr"), "{message}");
}
