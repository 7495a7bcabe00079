//! Writing a checkpoint of a 100 000-key `(String, u64)` state durably: streamdsl's checkpoint
//! (state serialized by the pipeline, checkpoint file with header and CRC, temporary file,
//! fsync, rename, fsync of the directory, pruning) against a hand-written serialize + write +
//! fsync + rename + directory fsync of the same map, in the same run.
//!
//! Run with `cargo bench --bench checkpoint`. The driver writes checkpoints on its own
//! thread between batches, so this time is also how long a checkpoint holds up batches.

use criterion::{Criterion, criterion_group, criterion_main};
use std::fs::{self, File};
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use streamdsl::Unbound;
use streamdsl::checkpoint::{CheckpointData, CheckpointDir};
use streamdsl::prelude::*;

const KEYS: u64 = 100_000;

stream! {
    pipeline RunningCount {
        batch = 1s;
        checkpoint;
        input words: String;
        let counts: (String, u64) = words
            .map(|w| (w, 1u64))
            .update_state_by_key(|new: Vec<u64>, old: Option<u64>| Some(new.iter().sum::<u64>() + old.unwrap_or(0)));
        counts.foreach_rdd(|b| { black_box(b.len()); });
    }
}

fn entries() -> Vec<(String, u64)> {
    (0..KEYS)
        .map(|i| (format!("word{i:07}"), i * 7 % 1000))
        .collect()
}

fn bench_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("streamdsl-bench-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The baseline: the map serialized with postcard, written to a temporary file, fsynced,
/// renamed, and the directory fsynced.
fn hand_written(dir: &Path, map: &std::collections::HashMap<String, u64>, n: u64) {
    let bytes = postcard::to_stdvec(map).unwrap();
    let tmp = dir.join(".state.tmp");
    let mut file = File::create(&tmp).unwrap();
    file.write_all(&bytes).unwrap();
    file.sync_all().unwrap();
    fs::rename(&tmp, dir.join(format!("state-{n}"))).unwrap();
    File::open(dir).unwrap().sync_all().unwrap();
}

/// What the driver does for a checkpoint: the pipeline's state serialized, then written with
/// its metadata as `checkpoint-<n>`.
fn streamdsl_checkpoint(pipeline: &RunningCount<Unbound>, ckpt: &CheckpointDir, n: i64) -> PathBuf {
    let data = CheckpointData {
        pipeline: pipeline.info().name.to_owned(),
        fingerprint: pipeline
            .info()
            .fingerprint
            .iter()
            .map(|l| l.to_string())
            .collect(),
        zero_time: 0,
        batch_time: n * 1000,
        inputs: Vec::new(),
        state: pipeline.save_state().unwrap(),
    };
    ckpt.write(&data).unwrap()
}

fn checkpoint(c: &mut Criterion) {
    let pipeline = RunningCount::new().initial_counts(entries());
    let map: std::collections::HashMap<String, u64> = entries().into_iter().collect();
    let (ours, theirs) = (bench_dir("streamdsl"), bench_dir("hand"));
    let ckpt = CheckpointDir::open(&ours).unwrap();
    let mut group = c.benchmark_group("checkpoint_100k_keys");
    group.sample_size(20);
    let mut n = 0i64;
    group.bench_function("streamdsl", |b| {
        b.iter(|| {
            n += 1;
            black_box(streamdsl_checkpoint(&pipeline, &ckpt, n));
        })
    });
    let mut m = 0u64;
    group.bench_function("hand_written", |b| {
        b.iter(|| {
            m += 1;
            hand_written(&theirs, &map, m % 3);
        })
    });
    group.finish();
    // Criterion times the two one after the other, so load that changes in between skews its
    // ratio; alternating them gives a steadier one.
    let mut ratios = Vec::new();
    for round in 0..30 {
        let started = std::time::Instant::now();
        n += 1;
        streamdsl_checkpoint(&pipeline, &ckpt, n);
        let ours_time = started.elapsed();
        let started = std::time::Instant::now();
        hand_written(&theirs, &map, round % 3);
        ratios.push(ours_time.as_secs_f64() / started.elapsed().as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "state: {} bytes; streamdsl / hand-written, median of 30 alternating rounds: {:.3}x (goal: within 1.25x)",
        pipeline.save_state().unwrap().len(),
        ratios[ratios.len() / 2]
    );
    let _ = fs::remove_dir_all(&ours);
    let _ = fs::remove_dir_all(&theirs);
}

criterion_group!(benches, checkpoint);
criterion_main!(benches);
