//! Word count: the `stream!` pipeline (run per batch with `BatchRunner`, on 1 and on 2 workers)
//! against a hand-written single-thread loop with an ahash `HashMap<&str, u64>`, on the same in-memory batch of lines.
//!
//! The data has the shape of `/work/shared/bench/gen_words.py` (generated here, so `cargo bench`
//! needs no Python): a vocabulary of 100 000 random lowercase words of 2..14 letters, tokens
//! drawn with a Zipf law (s = 1.0) over the vocabulary, lines of 5..15 words joined by single
//! spaces. One batch is [`BATCH_BYTES`] of text.
//!
//! A fourth side, the hand-written count on two threads (halves counted apart, then merged),
//! shows what two cores of the machine give a simple parallel split.
//!
//! Run with `cargo bench --bench word_count`. After the criterion group, an interleaved timing
//! loop prints the speedups and ratios on standard error.

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use streamdsl::Text;
use streamdsl::Unbound;
use streamdsl::prelude::*;
use streamdsl::testing::BatchRunner;

mod common;
use common::{ZipfWords, median};

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
        let mut line = String::with_capacity(128);
        words.push_line(&mut line);
        bytes += line.len() + 1;
        lines.push(line);
    }
    (lines, bytes)
}

/// The hand-written word count: consumes the batch like the pipeline does (the lines are
/// dropped here), materializes the counts as a `Vec` like the pipeline's output batch, and
/// returns the number of distinct words.
fn hand_written(lines: Vec<String>) -> usize {
    let counts = count_lines(&lines, &table_hasher());
    let out: Vec<(&str, u64)> = counts.into_iter().collect();
    black_box(out.len())
}

/// The seeds of the runtime's tables (`streamdsl::keyed::key_hasher`): same hasher.
fn table_hasher() -> ahash::RandomState {
    ahash::RandomState::with_seeds(
        0x243f_6a88_85a3_08d3,
        0x1319_8a2e_0370_7344,
        0xa409_3822_299f_31d0,
        0x082e_fa98_ec4e_6c89,
    )
}

/// The hand-written count of `lines` into one table.
fn count_lines<'a>(
    lines: &'a [String],
    state: &ahash::RandomState,
) -> HashMap<&'a str, u64, ahash::RandomState> {
    let mut counts = HashMap::with_hasher(state.clone());
    for line in lines {
        for word in line.split(' ') {
            *counts.entry(word).or_insert(0) += 1;
        }
    }
    counts
}

/// The hand-written count on two threads: each counts half of the lines into its own table,
/// then the second table is merged into the first. What two cores of this machine give a
/// simple parallel loop, as a reference for the pipeline's two workers.
fn hand_written_two_threads(lines: Vec<String>) -> usize {
    let state = table_hasher();
    let (first, second) = lines.split_at(lines.len() / 2);
    let (mut counts, later) = std::thread::scope(|s| {
        let later = s.spawn(|| count_lines(second, &state));
        let counts = count_lines(first, &state);
        (
            counts,
            later.join().expect("the counting thread does not panic"),
        )
    });
    for (word, n) in later {
        *counts.entry(word).or_insert(0) += n;
    }
    let out: Vec<(&str, u64)> = counts.into_iter().collect();
    black_box(out.len())
}

/// The pipeline's per-batch code on one batch; the batch is consumed and dropped inside.
fn generated(runner: &mut BatchRunner<WordCount<Unbound>>, lines: Batch<Text>) {
    runner.run((lines,)).expect("word count runs");
}

/// The lines as the pipeline stores an input declared `&str` (the `String`s moved, untimed).
fn stored(lines: &[String]) -> Batch<Text> {
    Text::from_strings(Batch::from(lines.to_vec()))
}

/// The sides of the comparison, in the order of the ratio loop.
const SIDES: [&str; 4] = [
    "generated, 1 worker",
    "generated, 2 workers",
    "hand_written",
    "hand_written, 2 threads",
];

fn word_count(c: &mut Criterion) {
    let (lines, bytes) = generate_lines();
    let words: usize = lines.iter().map(|l| l.split(' ').count()).sum();
    eprintln!(
        "word_count data: {} lines, {words} words, {bytes} bytes ({:.2} MB), vocabulary {VOCAB}, zipf {ZIPF_S}",
        lines.len(),
        bytes as f64 / 1e6
    );
    let mut runners = [1, 2].map(|workers| BatchRunner::new(WordCount::new()).workers(workers));

    // Every side agrees on the number of distinct words.
    let distinct = hand_written(lines.clone());
    assert_eq!(hand_written_two_threads(lines.clone()), distinct);
    for runner in &mut runners {
        generated(runner, stored(&lines));
        assert_eq!(
            LAST_DISTINCT.load(Ordering::Relaxed),
            distinct,
            "both sides count the same words"
        );
    }
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
    for (runner, name) in runners
        .iter_mut()
        .zip(["generated_1_worker", "generated_2_workers"])
    {
        group.bench_function(name, |b| {
            b.iter_batched(
                || stored(&lines),
                |input| generated(runner, input),
                BatchSize::PerIteration,
            )
        });
    }
    group.bench_function("hand_written", |b| {
        b.iter_batched(|| lines.clone(), hand_written, BatchSize::PerIteration)
    });
    group.bench_function("hand_written_2_threads", |b| {
        b.iter_batched(
            || lines.clone(),
            hand_written_two_threads,
            BatchSize::PerIteration,
        )
    });
    group.finish();

    // Criterion does not compare two functions, and it measures them one after the other, so
    // a change of machine load between them skews their ratio. Time them alternately here
    // (same clones, same drops; the order rotates every round so no side always runs first)
    // and report medians of per-round ratios (each from adjacent runs, so slow drifts of load
    // cancel) and ratios of the best times.
    let mut times: [Vec<f64>; 4] = Default::default();
    for round in 0..RATIO_ROUNDS {
        for k in 0..SIDES.len() {
            let side = (round + k) % SIDES.len();
            let start;
            if side >= 2 {
                let input = lines.clone();
                let count = [hand_written, hand_written_two_threads][side - 2];
                start = Instant::now();
                black_box(count(input));
            } else {
                let input = stored(&lines);
                start = Instant::now();
                generated(&mut runners[side], input);
            }
            times[side].push(start.elapsed().as_secs_f64());
        }
    }
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let paired =
        |a: &[f64], b: &[f64]| median(a.iter().zip(b).map(|(a, b)| a / b).collect::<Vec<f64>>());
    let mbps = |s: f64| bytes as f64 / s / 1e6;
    let [one, two, hand, hand_two] = &times;
    for (name, t) in SIDES.iter().zip(&times) {
        eprintln!(
            "word_count {name}: median {:.1} MB/s, best {:.1} MB/s",
            mbps(median(t.clone())),
            mbps(best(t))
        );
    }
    // `slow / fast`: how many times faster `fast` is (a ratio of times).
    let speedup = |what: &str, slow: &[f64], fast: &[f64]| {
        eprintln!(
            "word_count {what} (interleaved, {RATIO_ROUNDS} rounds): median of paired time \
             ratios {:.3}x, of best times {:.3}x",
            paired(slow, fast),
            best(slow) / best(fast),
        );
    };
    speedup("speedup 2 workers vs 1 worker", one, two);
    speedup("speedup 2 workers vs hand_written", hand, two);
    speedup(
        "speedup of the hand-written count on 2 threads vs 1 (this machine's ceiling for a simple split)",
        hand,
        hand_two,
    );
    speedup(
        "speedup 2 workers vs the hand-written count on 2 threads",
        hand_two,
        two,
    );
    speedup("speedup generated 1 worker vs hand_written", hand, one);
}

criterion_group!(benches, word_count);
criterion_main!(benches);
