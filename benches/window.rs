//! Time per slide of `reduce_by_key_and_window`, with and without an inverse function, for a
//! window of 10 batches and of 1000 batches (slide: one batch). Each configuration is a
//! `stream!` pipeline run per batch with `BatchRunner` (default workers: one per core), as
//! users run it: the
//! batch is reduced by key, enters the window, the batch that leaves is taken out, and the
//! window's per-key counts are materialized as the output batch.
//!
//! Data: a vocabulary of [`VOCAB`] random lowercase words (2..14 letters), `(word, 1)` pairs
//! drawn with a Zipf law (s = 1.0) over it, [`PAIRS`] pairs a batch; [`VARIANTS`] different
//! batches are generated (deterministically) and fed in turn. Each pipeline is first run for
//! [`PREFILL`] batches, untimed, so its window is full; then one timed iteration is one slide:
//! one batch in, one batch out.
//!
//! Run with `cargo bench --bench window` (about 1.5 min, most of it the untimed prefill of the
//! 1000-batch window without inverse, whose every batch recomputes the growing window). After
//! each pair of benchmarks, an interleaved timing loop prints the window-1000 / window-10 time
//! ratio on standard error (goal with the inverse: within 1.2x, a slide costing the batches
//! entering and leaving, not the window's length).

use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, SamplingMode, criterion_group, criterion_main,
};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use streamdsl::prelude::*;
use streamdsl::testing::BatchRunner;

mod common;
use common::{ZipfWords, median};

/// Distinct words.
const VOCAB: usize = 10_000;
/// `(word, 1)` pairs per batch.
const PAIRS: usize = 10_000;
/// Zipf exponent.
const ZIPF_S: f64 = 1.0;
/// Different batches, fed in turn.
const VARIANTS: usize = 16;
/// Batches run before timing: the longest window, so every window is full.
const PREFILL: usize = 1000;
/// Seed of the generator (any fixed value: the data is the same at every run).
const SEED: u64 = 42;
/// Rounds of the interleaved ratio loops after the criterion group (with, without inverse).
const RATIO_ROUNDS: [usize; 2] = [40, 6];

/// The distinct keys and the sum of the counts of the last output batch.
static LAST_KEYS: AtomicU64 = AtomicU64::new(0);
static LAST_SUM: AtomicU64 = AtomicU64::new(0);

fn record(batch: &Batch<(String, u64)>) {
    let sum = batch.iter().map(|(_, count)| count).sum();
    LAST_KEYS.store(black_box(batch.len() as u64), Ordering::Relaxed);
    LAST_SUM.store(sum, Ordering::Relaxed);
}

stream! {
    /// Window of 10 batches with an inverse function.
    pipeline Inverse10 {
        batch = 1s;
        checkpoint;
        input pairs: (String, u64);
        let counts: (String, u64) = pairs.reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 10s);
        counts.foreach_rdd(record);
    }
}

stream! {
    /// Window of 1000 batches with an inverse function.
    pipeline Inverse1000 {
        batch = 1s;
        checkpoint;
        input pairs: (String, u64);
        let counts: (String, u64) = pairs.reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 1000s);
        counts.foreach_rdd(record);
    }
}

stream! {
    /// Window of 10 batches, recomputed at every slide.
    pipeline Plain10 {
        batch = 1s;
        input pairs: (String, u64);
        let counts: (String, u64) = pairs.reduce_by_key_and_window(|a, b| a + b, 10s);
        counts.foreach_rdd(record);
    }
}

stream! {
    /// Window of 1000 batches, recomputed at every slide.
    pipeline Plain1000 {
        batch = 1s;
        input pairs: (String, u64);
        let counts: (String, u64) = pairs.reduce_by_key_and_window(|a, b| a + b, 1000s);
        counts.foreach_rdd(record);
    }
}

/// `VARIANTS` batches of `PAIRS` Zipf-distributed `(word, 1)` pairs.
fn generate_batches() -> Vec<Pairs> {
    let mut words = ZipfWords::new(SEED, VOCAB, ZIPF_S);
    (0..VARIANTS)
        .map(|_| {
            (0..PAIRS)
                .map(|_| (words.next_word().to_owned(), 1))
                .collect()
        })
        .collect()
}

/// One batch of `(word, 1)` pairs.
type Pairs = Vec<(String, u64)>;

/// One configuration: its pipeline, run one batch (one slide) at a time.
struct Config {
    name: &'static str,
    /// Batches in the window.
    window: usize,
    slide: Box<dyn FnMut(Pairs)>,
    /// The next batch variant to feed.
    next: usize,
}

/// The configuration `$name` of pipeline `$pipeline`, whose window is `$window` batches.
macro_rules! config {
    ($name:literal, $window:literal, $pipeline:ident) => {{
        let mut runner = BatchRunner::new($pipeline::new());
        Config {
            name: $name,
            window: $window,
            slide: Box::new(move |pairs: Pairs| {
                runner.run((Batch::from(pairs),)).expect("window runs");
            }),
            next: 0,
        }
    }};
}

impl Config {
    fn input(&mut self, batches: &[Pairs]) -> Pairs {
        let pairs = batches[self.next % batches.len()].clone();
        self.next += 1;
        pairs
    }

    /// Runs `PREFILL` batches untimed and checks the full window's output.
    fn prefill(&mut self, batches: &[Pairs]) -> u64 {
        let start = Instant::now();
        for _ in 0..PREFILL {
            let pairs = self.input(batches);
            (self.slide)(pairs);
        }
        let (keys, sum) = (
            LAST_KEYS.load(Ordering::Relaxed),
            LAST_SUM.load(Ordering::Relaxed),
        );
        assert_eq!(
            sum,
            (self.window * PAIRS) as u64,
            "{}: the window counts every pair of its batches",
            self.name
        );
        eprintln!(
            "window {}: prefilled {PREFILL} batches in {:.1} s; {keys} keys in the window",
            self.name,
            start.elapsed().as_secs_f64()
        );
        keys
    }

    /// One criterion benchmark: each iteration is one slide, on the next batch variant (cloned
    /// untimed; the timed region drops it).
    fn bench(&mut self, group: &mut BenchmarkGroup<'_, WallTime>, batches: &[Pairs]) {
        let Config {
            name, slide, next, ..
        } = self;
        group.bench_function(*name, |b| {
            b.iter_batched(
                || {
                    let pairs = batches[*next % batches.len()].clone();
                    *next += 1;
                    pairs
                },
                &mut *slide,
                BatchSize::PerIteration,
            )
        });
    }

    /// Seconds of one slide.
    fn time_slide(&mut self, batches: &[Pairs]) -> f64 {
        let pairs = self.input(batches);
        let start = Instant::now();
        (self.slide)(pairs);
        start.elapsed().as_secs_f64()
    }
}

/// Times the two configurations alternately (the order flips every round, so neither always
/// runs first) and prints the median of the per-round ratios `long / short`.
fn interleaved_ratio(short: &mut Config, long: &mut Config, batches: &[Pairs], rounds: usize) {
    let mut times = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        for side in [round % 2, 1 - round % 2] {
            let config = if side == 0 { &mut *short } else { &mut *long };
            times[side].push(config.time_slide(batches));
        }
    }
    let [s, l] = &times;
    let paired = median(l.iter().zip(s).map(|(l, s)| l / s).collect::<Vec<f64>>());
    eprintln!(
        "window ratio {} / {} (interleaved, {rounds} rounds): median of paired ratios {paired:.3}x; \
         median slide {:.3} ms / {:.3} ms",
        long.name,
        short.name,
        median(l.clone()) * 1e3,
        median(s.clone()) * 1e3,
    );
}

fn window(c: &mut Criterion) {
    let batches = generate_batches();
    eprintln!(
        "window data: {VARIANTS} batches of {PAIRS} (word, 1) pairs, vocabulary {VOCAB}, zipf {ZIPF_S}"
    );

    let mut group = c.benchmark_group("window");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    // With the inverse. One pair of pipelines at a time, so a single 1000-batch window is in
    // memory at once.
    let mut short = config!("inverse_10", 10, Inverse10);
    let mut long = config!("inverse_1000", 1000, Inverse1000);
    let inverse_keys = [short.prefill(&batches), long.prefill(&batches)];
    short.bench(&mut group, &batches);
    long.bench(&mut group, &batches);
    interleaved_ratio(&mut short, &mut long, &batches, RATIO_ROUNDS[0]);
    drop((short, long));

    // Without the inverse: every slide recomputes the window from its batches.
    let mut short = config!("plain_10", 10, Plain10);
    let mut long = config!("plain_1000", 1000, Plain1000);
    let plain_keys = [short.prefill(&batches), long.prefill(&batches)];
    assert_eq!(
        inverse_keys, plain_keys,
        "the inverse never changes the result"
    );
    short.bench(&mut group, &batches);
    group.measurement_time(Duration::from_secs(8));
    long.bench(&mut group, &batches);
    interleaved_ratio(&mut short, &mut long, &batches, RATIO_ROUNDS[1]);
    group.finish();
}

criterion_group!(benches, window);
criterion_main!(benches);
