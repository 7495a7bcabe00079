//! Workers: a batch's records, in order, and pprint's text are the same for any worker count
//! (see the crate docs' "Workers" section), for every operator that hashes keys into key
//! groups, keeps state, or sees partitions. Batches are large enough (6 000 words) for the
//! loops to run in parallel.

use streamdsl::outputs::CapturedBatch;
use streamdsl::prelude::*;
use streamdsl::state::State;
use streamdsl::testing::{Harness, TestRun};

stream! {
    pipeline EveryKeyed {
        batch = 1s;
        checkpoint every 2s;
        input words: String;
        let pairs: (String, u64) = words.map(|w| (w, 1u64));
        pairs.reduce_by_key(|a, b| a + b).pprint();
        pairs.reduce_by_key(|a, b| a + b, 3).glom().map(|p| p.len()).pprint();
        words.count_by_value().pprint();
        pairs.group_by_key().map_values(|v| v.len()).pprint();
        let lengths = words.map(|w| (w.clone(), w.len())).filter(|(w, _)| w.starts_with('a'));
        pairs.join(lengths).pprint();
        pairs.left_outer_join(lengths).pprint();
        pairs.right_outer_join(lengths).pprint();
        pairs.full_outer_join(lengths).pprint();
        pairs.cogroup(lengths).map_values(|(l, r)| (l.len(), r.len())).pprint();
        words.count().pprint();
        pairs.map(|(_, n)| n).reduce(|a, b| a + b).pprint();
        words.repartition(3).glom().map(|p| p.len()).pprint();
        words.union(words).count_by_value().pprint();
        words.transform(|batch: Batch<String>| batch.into_iter().take(5).collect::<Vec<_>>()).pprint();
        let running: (String, u64) = pairs.update_state_by_key(|new: Vec<u64>, old: Option<u64>| Some(new.iter().sum::<u64>() + old.unwrap_or(0)));
        running.pprint();
        let windowed: (String, u64) = pairs.reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 3s);
        windowed.pprint();
        let slid: (String, u64) = pairs.reduce_by_key_and_window(|a, b| a + b, 3s, 2s);
        slid.pprint();
        let raw: String = words.window(2s);
        raw.count().pprint();
        let total: u64 = pairs.map(|(_, n)| n).reduce_by_window(|a, b| a + b, |a, b| a - b, 3s, 1s);
        total.pprint();
        words.count_by_window(2s).pprint();
        let distinct: (String, u64) = words.count_by_value_and_window(2s);
        distinct.pprint();
        let grouped: (String, Vec<u64>) = pairs.group_by_key_and_window(2s);
        grouped.map_values(|v| v.len()).pprint();
        let seen: (String, u64) = pairs.map_with_state(|w: &String, n: Option<u64>, s: &mut State<u64>| {
            let total = n.unwrap_or(0) + s.get().copied().unwrap_or(0);
            s.update(total);
            (w.clone(), total)
        });
        seen.pprint();
        seen.state_snapshots().pprint();
    }
}

/// Batches of `per_batch` words over a vocabulary of 700 (some batches hold only part of it,
/// so keys come and go).
fn batches(count: usize, per_batch: usize) -> Vec<Vec<String>> {
    let mut x: u64 = 7;
    (0..count)
        .map(|b| {
            (0..per_batch)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let vocabulary = if b % 3 == 2 { 100 } else { 700 };
                    let n = (x >> 33) % vocabulary;
                    format!("{}{n}", ["a", "b", "c"][(n % 3) as usize])
                })
                .collect()
        })
        .collect()
}

fn run(workers: usize) -> TestRun {
    let pipeline = EveryKeyed::new().words(queue_stream(batches(6, 6_000)));
    Harness::new(pipeline)
        .workers(workers)
        .run(7)
        .expect("the pipeline runs")
}

#[test]
fn every_output_is_the_same_on_one_two_and_four_workers() {
    let one = run(1);
    let outputs = EveryKeyed::new().info().outputs.len();
    assert!(
        one.output(0).records_at(1000).len() > 600,
        "keys of the first batch"
    );
    for workers in [2, 4] {
        let other = run(workers);
        for o in 0..outputs {
            assert_eq!(
                other.output(o).batches(),
                one.output(o).batches(),
                "output {o} with {workers} workers"
            );
        }
        assert_eq!(
            other.console(),
            one.console(),
            "pprint text with {workers} workers"
        );
    }
}

/// Every output batch from `from` on, in order.
fn batches_from(run: &TestRun, outputs: usize, from: i64) -> Vec<(usize, Vec<CapturedBatch>)> {
    (0..outputs)
        .map(|o| {
            let batches = run.output(o).batches();
            (
                o,
                batches
                    .iter()
                    .filter(|b| b.time.millis() >= from)
                    .cloned()
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn a_checkpoint_of_two_workers_restores_on_one_and_one_of_one_on_four() {
    let outputs = EveryKeyed::new().info().outputs.len();
    let whole = run(1);
    for (before, after) in [(2, 1), (1, 4)] {
        let dir = std::env::temp_dir().join(format!(
            "streamdsl-workers-restore-{before}-{after}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let input = || queue_stream(batches(6, 6_000));
        // Checkpoints are every 2 batches: stopping after batch 4 resumes at batch 5.
        Harness::new(EveryKeyed::new().words(input()))
            .workers(before)
            .checkpoint_dir(&dir)
            .run(4)
            .expect("the first run");
        let rest = Harness::new(EveryKeyed::new().words(input()))
            .workers(after)
            .checkpoint_dir(&dir)
            .run(3)
            .expect("the restarted run");
        assert_eq!(
            rest.batches()[0].batch_time.millis(),
            5000,
            "resumed after the checkpoint"
        );
        let (got, want) = (
            batches_from(&rest, outputs, 0),
            batches_from(&whole, outputs, 5000),
        );
        let differing: Vec<usize> = (0..outputs).filter(|&o| got[o] != want[o]).collect();
        assert!(
            differing.is_empty(),
            "checkpointed on {before} workers, restored on {after}: outputs {differing:?} differ"
        );
        std::fs::remove_dir_all(&dir).expect("removes the checkpoint directory");
    }
}
