//! What the live page and `/metrics` cost a running pipeline: the same word count over a
//! backlog of 400 small batches (a manual clock moved past them at once, so batches run back
//! to back and per-batch costs show), without the endpoint and with it on while a client
//! scrapes `/metrics` and polls `/api/status` every 10 ms. Prints each side's batches per
//! second and the ratio (on / off; 1.00 means serving costs nothing measurable).
//!
//! Run with `cargo bench --bench monitoring`.

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use streamdsl::prelude::*;
use streamdsl::{ManualClock, StopMode, StreamingContext, Time};

mod common;
use common::{Completion, Progress, ZipfWords, median};

/// Batches per run.
const BATCHES: usize = 400;
/// Lines per batch.
const LINES: usize = 200;
/// Rounds of the interleaved loop.
const ROUNDS: usize = 9;

stream! {
    /// The classic word count; its output adds the words it counted to `progress`.
    pipeline MonitoredWordCount(progress: Arc<Progress>) {
        batch = 100ms;
        input lines: String;
        lines
            .flat_map(|line| line.split(' ').map(str::to_owned).collect::<Vec<_>>())
            .map(|word| (word, 1u64))
            .reduce_by_key(|a, b| a + b)
            .foreach_rdd(|batch| {
                let words: u64 = batch.iter().map(|(_, n)| n).sum();
                progress.count.fetch_add(words, Ordering::Relaxed);
            });
    }
}

/// The batches of lines, and their words.
fn data() -> (Vec<Vec<String>>, u64) {
    let mut zipf = ZipfWords::new(7, 10_000, 1.0);
    let mut words = 0;
    let batches = (0..BATCHES)
        .map(|_| {
            (0..LINES)
                .map(|_| {
                    let mut line = String::new();
                    words += zipf.push_line(&mut line) as u64;
                    line
                })
                .collect()
        })
        .collect();
    (batches, words)
}

/// `GET path`, the body read and dropped.
fn get(addr: SocketAddr, path: &str) {
    if let Ok(mut stream) = TcpStream::connect(addr) {
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        let mut sink = Vec::new();
        let _ = stream
            .write_all(request.as_bytes())
            .and_then(|()| stream.read_to_end(&mut sink));
    }
}

/// One run over every batch; with `serve`, the endpoint is on and scraped throughout.
fn run(batches: &[Vec<String>], words: u64, serve: bool) -> Duration {
    let progress = Progress::new(words);
    let pipeline =
        MonitoredWordCount::new(Arc::clone(&progress)).lines(queue_stream(batches.to_vec()));
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let clock = ManualClock::starting_at(Time::from_millis(now.as_millis() as i64));
    let mut context = StreamingContext::new()
        .manual_clock(clock.clone())
        .add_listener(Completion(Arc::clone(&progress)));
    if serve {
        context = context.metrics_addr("127.0.0.1:0");
    }
    let running = context.start(pipeline).expect("the pipeline starts");
    let done = Arc::new(AtomicBool::new(false));
    let scraper = running.metrics_addr().map(|addr| {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                get(addr, "/metrics");
                get(addr, "/api/status");
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    });
    let start = Instant::now();
    clock.advance_to(running.first_batch() + Duration::from_millis(100 * BATCHES as u64 + 100));
    progress.wait(Duration::from_secs(300));
    let elapsed = start.elapsed();
    done.store(true, Ordering::Relaxed);
    if let Some(scraper) = scraper {
        scraper.join().expect("the scraper does not panic");
    }
    running
        .stop(StopMode::Immediately)
        .expect("the pipeline stops");
    elapsed
}

fn monitoring(c: &mut Criterion) {
    let (batches, words) = data();
    let mut group = c.benchmark_group("monitoring");
    group
        .throughput(Throughput::Elements(BATCHES as u64))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    for (name, serve) in [("endpoint_off", false), ("endpoint_on_scraped", true)] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| run(&batches, words, serve)).sum())
        });
    }
    group.finish();

    // Interleaved rounds (the order turns each round), medians compared.
    let mut times: [Vec<f64>; 2] = Default::default();
    for round in 0..ROUNDS {
        for k in 0..2 {
            let side = (round + k) % 2;
            times[side].push(run(&batches, words, side == 1).as_secs_f64());
        }
    }
    let [off, on] = [median(&times[0]), median(&times[1])];
    eprintln!(
        "monitoring: endpoint off {:.0} batches/s, on and scraped every 10 ms {:.0} batches/s (median of {ROUNDS}); on vs off: {:.3}x",
        BATCHES as f64 / off,
        BATCHES as f64 / on,
        off / on
    );
}

criterion_group!(benches, monitoring);
criterion_main!(benches);
