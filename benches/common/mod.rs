//! Deterministic test data shared by the benchmarks: a small PRNG and Zipf-distributed words
//! shaped like `/work/shared/bench/gen_words.py` (generated here, so `cargo bench` needs no
//! Python). Each bench uses part of it, hence the `dead_code` allowance.
#![allow(dead_code)]

#[cfg(feature = "kafka")]
pub mod kafka;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use streamdsl::{BatchInfo, StreamingListener};

/// SplitMix64: a tiny deterministic PRNG, plenty for test data.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// Words drawn with a Zipf law over a vocabulary of distinct random lowercase words whose
/// lengths (2..=14) are weighted as in `gen_words.py` (mean ~7).
pub struct ZipfWords {
    pub rng: SplitMix64,
    vocab: Vec<String>,
    /// Cumulative Zipf weights by rank; a draw is the first rank whose weight exceeds u·total.
    cdf: Vec<f64>,
}

impl ZipfWords {
    /// A vocabulary of `size` words, Zipf exponent `s`, everything derived from `seed`.
    pub fn new(seed: u64, size: usize, s: f64) -> Self {
        const LEN_WEIGHTS: [u64; 13] = [3, 6, 9, 11, 12, 12, 11, 9, 7, 5, 3, 2, 1];
        let total: u64 = LEN_WEIGHTS.iter().sum();
        let mut rng = SplitMix64(seed);
        let mut seen = HashSet::with_capacity(size);
        let mut vocab = Vec::with_capacity(size);
        while vocab.len() < size {
            let mut pick = rng.below(total);
            let mut len = 2;
            for &w in &LEN_WEIGHTS {
                if pick < w {
                    break;
                }
                pick -= w;
                len += 1;
            }
            let word: String = (0..len)
                .map(|_| char::from(b'a' + rng.below(26) as u8))
                .collect();
            if seen.insert(word.clone()) {
                vocab.push(word);
            }
        }
        let cdf = (1..=size)
            .scan(0.0, |acc, rank| {
                *acc += 1.0 / (rank as f64).powf(s);
                Some(*acc)
            })
            .collect();
        ZipfWords { rng, vocab, cdf }
    }

    /// The next word.
    pub fn next_word(&mut self) -> &str {
        let last = self.vocab.len() - 1;
        let x = self.rng.next_f64() * self.cdf[last];
        let rank = self.cdf.partition_point(|&c| c <= x).min(last);
        &self.vocab[rank]
    }

    /// Appends a line of 5..15 words joined by single spaces (no line end), as
    /// `gen_words.py` writes them; returns its number of words.
    pub fn push_line(&mut self, line: &mut String) -> usize {
        let count = 5 + self.rng.below(11) as usize;
        for i in 0..count {
            if i > 0 {
                line.push(' ');
            }
            line.push_str(self.next_word());
        }
        count
    }
}

/// A count that pipeline outputs add to, and a wait for it to reach a total.
pub struct Progress {
    pub count: AtomicU64,
    total: u64,
    done: Mutex<bool>,
    reached: Condvar,
}

impl Progress {
    pub fn new(total: u64) -> Arc<Self> {
        Arc::new(Progress {
            count: AtomicU64::new(0),
            total,
            done: Mutex::new(false),
            reached: Condvar::new(),
        })
    }

    /// Waits until a batch has completed with the count at the total (`limit` at most).
    pub fn wait(&self, limit: Duration) {
        let done = self.done.lock().unwrap();
        let (done, timeout) = self
            .reached
            .wait_timeout_while(done, limit, |done| !*done)
            .unwrap();
        assert!(
            *done && !timeout.timed_out(),
            "{} of {} counted in {limit:?}",
            self.count.load(Ordering::Relaxed),
            self.total
        );
    }
}

/// A listener that ends the wait after the batch that reached the total (outputs done, its
/// records dropped).
pub struct Completion(pub Arc<Progress>);

impl StreamingListener for Completion {
    fn on_batch_completed(&mut self, _info: &BatchInfo) {
        let p = &self.0;
        if p.count.load(Ordering::Relaxed) >= p.total {
            *p.done.lock().unwrap() = true;
            p.reached.notify_all();
        }
    }
}

/// The median of some timings (the upper one of an even count).
pub fn median(times: impl AsRef<[f64]>) -> f64 {
    let mut sorted = times.as_ref().to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}
