//! Word count: the `stream!` pipeline (run per batch with `BatchRunner`, one thread) against a
//! hand-written loop with an ahash `HashMap<&str, u64>`, on the same in-memory batch of lines.
//!
//! The data has the shape of `/work/shared/bench/gen_words.py` (generated here, so `cargo bench`
//! needs no Python): a vocabulary of 100 000 random lowercase words of 2..14 letters, tokens
//! drawn with a Zipf law (s = 1.0) over the vocabulary, lines of 5..15 words joined by single
//! spaces. One batch is [`BATCH_BYTES`] of text.
//!
//! Run with `cargo bench --bench word_count`. After the criterion group, an interleaved timing
//! loop prints the generated / hand-written time ratio on standard error.

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use streamdsl::Text;
use streamdsl::prelude::*;
use streamdsl::testing::BatchRunner;

mod common;
use common::ZipfWords;

/// Text per batch (line bytes plus one `'\n'` per line, as the file `gen_words.py` writes).
const BATCH_BYTES: usize = 8 << 20;
/// Distinct words.
const VOCAB: usize = 100_000;
/// Zipf exponent.
const ZIPF_S: f64 = 1.0;
/// Seed of the generator (any fixed value: the data is the same at every run).
const SEED: u64 = 42;
/// Rounds of the interleaved ratio loop after the criterion group.
const RATIO_ROUNDS: usize = 30;

/// The distinct words counted by the last batch of the pipeline (a check that both sides agree).
static LAST_DISTINCT: AtomicUsize = AtomicUsize::new(0);

stream! {
    /// Word count over lines of text.
    pipeline WordCount {
        batch = 1s;
        input lines: &str;
        lines
            .flat_map(|line| line.split(' '))
            .map(|word| (word, 1u64))
            .reduce_by_key(|a, b| a + b)
            .foreach_rdd(|batch| {
                LAST_DISTINCT.store(black_box(batch.len()), Ordering::Relaxed);
            });
    }
}

/// One batch of lines (without `'\n'`) and its size in bytes counting one `'\n'` per line.
fn generate_lines() -> (Vec<String>, usize) {
    let mut words = ZipfWords::new(SEED, VOCAB, ZIPF_S);
    let mut lines = Vec::new();
    let mut bytes = 0;
    while bytes < BATCH_BYTES {
        let count = 5 + words.rng.below(11);
        let mut line = String::with_capacity(count as usize * 8);
        for i in 0..count {
            if i > 0 {
                line.push(' ');
            }
            line.push_str(words.next_word());
        }
        bytes += line.len() + 1;
        lines.push(line);
    }
    (lines, bytes)
}

/// The hand-written word count: consumes the batch like the pipeline does (the lines are
/// dropped here), materializes the counts as a `Vec` like the pipeline's output batch, and
/// returns the number of distinct words.
fn hand_written(lines: Vec<String>) -> usize {
    // The seeds of the runtime's tables (`streamdsl::keyed::fixed_state`): same hasher.
    let state = ahash::RandomState::with_seeds(
        0x243f_6a88_85a3_08d3,
        0x1319_8a2e_0370_7344,
        0xa409_3822_299f_31d0,
        0x082e_fa98_ec4e_6c89,
    );
    let mut counts: HashMap<&str, u64, ahash::RandomState> = HashMap::with_hasher(state);
    for line in &lines {
        for word in line.split(' ') {
            *counts.entry(word).or_insert(0) += 1;
        }
    }
    let out: Vec<(&str, u64)> = counts.into_iter().collect();
    black_box(out.len())
}

/// The pipeline's per-batch code on one batch; the batch is consumed and dropped inside.
fn generated(runner: &mut BatchRunner<WordCount>, lines: Batch<Text>) {
    runner.run((lines,)).expect("word count runs");
}

/// The lines as the pipeline stores an input declared `&str` (the `String`s moved, untimed).
fn stored(lines: &[String]) -> Batch<Text> {
    Text::from_strings(Batch::from(lines.to_vec()))
}

fn word_count(c: &mut Criterion) {
    let (lines, bytes) = generate_lines();
    let words: usize = lines.iter().map(|l| l.split(' ').count()).sum();
    eprintln!(
        "word_count data: {} lines, {words} words, {bytes} bytes ({:.2} MB), vocabulary {VOCAB}, zipf {ZIPF_S}",
        lines.len(),
        bytes as f64 / 1e6
    );
    let mut runner = BatchRunner::new(WordCount::new());

    // Both sides agree on the number of distinct words.
    generated(&mut runner, stored(&lines));
    let distinct = hand_written(lines.clone());
    assert_eq!(
        LAST_DISTINCT.load(Ordering::Relaxed),
        distinct,
        "both sides count the same words"
    );
    eprintln!("word_count distinct words per batch: {distinct}");

    // Fairness: each iteration gets its own clone of the `Vec<String>`, made by the untimed
    // setup (for the pipeline, moved into its input storage, `Text`); both routines take it
    // by value, so the timed region of each side holds the same
    // work: tokenizing, counting, materializing the output, and dropping the output, the
    // table and the input lines. Only a `usize`/`()` leaves the timed region.
    let mut group = c.benchmark_group("word_count");
    group
        .throughput(Throughput::BytesDecimal(bytes as u64))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("generated", |b| {
        b.iter_batched(
            || stored(&lines),
            |input| generated(&mut runner, input),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("hand_written", |b| {
        b.iter_batched(|| lines.clone(), hand_written, BatchSize::PerIteration)
    });
    group.finish();

    // Criterion does not compare two functions, and it measures them one after the other, so
    // a change of machine load between the two skews their ratio. Time them alternately here
    // (same clones, same drops; the order flips every round so neither side always runs
    // first) and report the median of the per-round ratios (each from two adjacent runs, so
    // slow drifts of load cancel) and the ratio of the best times.
    let mut times = [Vec::new(), Vec::new()];
    for round in 0..RATIO_ROUNDS {
        for side in [round % 2, 1 - round % 2] {
            let start;
            if side == 0 {
                let input = stored(&lines);
                start = Instant::now();
                generated(&mut runner, input);
            } else {
                let input = lines.clone();
                start = Instant::now();
                black_box(hand_written(input));
            }
            times[side].push(start.elapsed().as_secs_f64());
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let [g, h] = &times;
    let paired = median(g.iter().zip(h).map(|(g, h)| g / h).collect());
    let mbps = |s: f64| bytes as f64 / s / 1e6;
    eprintln!(
        "word_count ratio generated/hand_written (interleaved, {RATIO_ROUNDS} rounds): \
         median of paired ratios {paired:.3}x, of best times {:.3}x; \
         median MB/s generated {:.1}, hand_written {:.1}; best MB/s generated {:.1}, hand_written {:.1}",
        best(g) / best(h),
        mbps(median(g.clone())),
        mbps(median(h.clone())),
        mbps(best(g)),
        mbps(best(h)),
    );
}

criterion_group!(benches, word_count);
criterion_main!(benches);
