//! Per-key state (spec 6, TV14-TV19) and checkpoints (spec 7): every stateful operator, and
//! "a run stopped at any batch and restarted from its checkpoint equals a run never stopped".

use std::path::PathBuf;
use streamdsl::prelude::*;
use streamdsl::state::State;
use streamdsl::testing::{Harness, TestRun};
use streamdsl::{Error, StreamingContext};

fn words(batches: &[&[&str]]) -> QueueStream<String> {
    queue_stream(
        batches
            .iter()
            .map(|b| b.iter().map(|w| w.to_string()).collect::<Vec<_>>()),
    )
}

fn sorted(run: &TestRun, stream: &str, millis: i64) -> Vec<String> {
    run.stream(stream).sorted_at(millis)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("streamdsl-state-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

stream! {
    pipeline RunningCount {
        batch = 1s;
        checkpoint;
        input words: String;
        let counts: (String, u64) = words
            .map(|w| (w, 1u64))
            .update_state_by_key(|new: Vec<u64>, old: Option<u64>| Some(new.iter().sum::<u64>() + old.unwrap_or(0)));
        counts.pprint();
    }
}

#[test]
fn tv14_tv16_update_state_by_key() {
    let r = Harness::new(RunningCount::new().words(words(&[&["a", "b", "a"], &["b"], &[]])))
        .run(3)
        .unwrap();
    assert_eq!(sorted(&r, "counts", 1000), [r#"("a", 2)"#, r#"("b", 1)"#]);
    assert_eq!(sorted(&r, "counts", 2000), [r#"("a", 2)"#, r#"("b", 2)"#]);
    assert_eq!(
        sorted(&r, "counts", 3000),
        [r#"("a", 2)"#, r#"("b", 2)"#],
        "state is output every batch"
    );
    let initial = RunningCount::new()
        .initial_counts([("a".to_string(), 10)])
        .words(words(&[&["b"]]));
    let r = Harness::new(initial).run(1).unwrap();
    assert_eq!(sorted(&r, "counts", 1000), [r#"("a", 10)"#, r#"("b", 1)"#]);
}

stream! {
    pipeline Expiring {
        batch = 1s;
        checkpoint;
        input words: String;
        let counts: (String, u64) = words
            .map(|w| (w, 1u64))
            .update_state_by_key(|new: Vec<u64>, old: Option<u64>| (!new.is_empty()).then(|| new.len() as u64 + old.unwrap_or(0)));
        counts.pprint();
    }
}

#[test]
fn tv15_none_removes_a_key() {
    let r = Harness::new(Expiring::new().words(words(&[&["a", "b", "a"], &["b"], &[]])))
        .run(3)
        .unwrap();
    assert_eq!(sorted(&r, "counts", 1000), [r#"("a", 2)"#, r#"("b", 1)"#]);
    assert_eq!(sorted(&r, "counts", 2000), [r#"("b", 2)"#]);
    assert!(sorted(&r, "counts", 3000).is_empty());
}

stream! {
    pipeline Sessions {
        batch = 1s;
        checkpoint;
        input pairs: (String, i64);
        let sums: (String, i64) = pairs.map_with_state(|key: &String, value: Option<i64>, state: &mut State<i64>| {
            let sum = value.unwrap_or(0) + state.get().copied().unwrap_or(0);
            state.update(sum);
            (key.clone(), sum)
        });
        sums.pprint();
        let snapshots: (String, i64) = sums.state_snapshots();
        snapshots.pprint();
        let idle: (String, &'static str) = pairs.map_with_state(|key: &String, value: Option<i64>, state: &mut State<i64>| {
            if state.is_timing_out() {
                (key.clone(), "timeout")
            } else {
                state.update(value.unwrap_or(0));
                (key.clone(), "data")
            }
        }, 2s);
        idle.pprint();
    }
}

fn pairs(batches: Vec<Vec<(&str, i64)>>) -> QueueStream<(String, i64)> {
    queue_stream(batches.into_iter().map(|b| {
        b.into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Vec<_>>()
    }))
}

/// TV18, and TV19 as documented: timeouts are evaluated every batch, so the timeout comes at
/// 4000 (the first batch after 2 s idle), not at Spark's next checkpoint batch (10000).
#[test]
fn tv18_tv19_map_with_state() {
    let input = pairs(vec![
        vec![("a", 1), ("a", 2)],
        vec![("b", 5)],
        vec![],
        vec![],
        vec![],
    ]);
    let r = Harness::new(Sessions::new().pairs(input)).run(5).unwrap();
    assert_eq!(
        r.stream("sums").records_at(1000),
        [r#"("a", 1)"#, r#"("a", 3)"#]
    );
    assert_eq!(r.stream("sums").records_at(2000), [r#"("b", 5)"#]);
    assert!(r.stream("sums").records_at(3000).is_empty());
    assert_eq!(sorted(&r, "snapshots", 1000), [r#"("a", 3)"#]);
    assert_eq!(
        sorted(&r, "snapshots", 3000),
        [r#"("a", 3)"#, r#"("b", 5)"#]
    );
    assert_eq!(
        r.stream("idle").records_at(1000),
        [r#"("a", "data")"#, r#"("a", "data")"#]
    );
    assert!(r.stream("idle").records_at(3000).is_empty());
    assert_eq!(r.stream("idle").records_at(4000), [r#"("a", "timeout")"#]);
    assert_eq!(r.stream("idle").records_at(5000), [r#"("b", "timeout")"#]);
}

stream! {
    /// Every stateful operator at once, checkpointed every batch.
    pipeline AllState {
        batch = 1s;
        checkpoint every 1s;
        input words: String;
        let pairs: (String, u64) = words.map(|w| (w, 1u64));
        let running: (String, u64) = pairs.update_state_by_key(|new: Vec<u64>, old: Option<u64>| Some(new.iter().sum::<u64>() + old.unwrap_or(0)));
        running.pprint();
        let windowed: (String, u64) = pairs.reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 3s);
        windowed.pprint();
        let slid: (String, u64) = pairs.reduce_by_key_and_window(|a, b| a + b, 3s, 2s);
        slid.pprint();
        let raw: String = words.window(3s, 2s);
        raw.pprint();
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
        }, 3s);
        seen.pprint();
        seen.state_snapshots().pprint();
    }
}

const INPUT: &[&[&str]] = &[
    &["a", "b", "a"],
    &["b", "c"],
    &[],
    &["a", "d", "d"],
    &["e"],
    &[],
    &["a", "b", "c", "d", "e"],
    &["c"],
];

/// Every output's sorted records at every batch time from `from` on.
fn outputs_from(run: &TestRun, outputs: usize, from: i64) -> Vec<(usize, i64, Vec<String>)> {
    let mut all = Vec::new();
    for o in 0..outputs {
        for b in run
            .output(o)
            .batches()
            .iter()
            .filter(|b| b.time.millis() >= from)
        {
            let mut records = b.records.clone();
            records.sort();
            all.push((o, b.time.millis(), records));
        }
    }
    all
}

#[test]
fn a_run_restarted_from_its_checkpoint_at_any_batch_equals_an_uninterrupted_run() {
    let n = INPUT.len();
    let outputs = 10;
    let whole = Harness::new(AllState::new().words(words(INPUT)))
        .run(n)
        .unwrap();
    for stop in 1..n {
        let dir = temp_dir(&format!("restart-{stop}"));
        let first = Harness::new(AllState::new().words(words(INPUT)))
            .checkpoint_dir(&dir)
            .run(stop)
            .unwrap();
        assert_eq!(
            outputs_from(&first, outputs, 0),
            outputs_from(&whole, outputs, 0)
                .into_iter()
                .filter(|o| o.1 <= stop as i64 * 1000)
                .collect::<Vec<_>>()
        );
        let rest = Harness::new(AllState::new().words(words(INPUT)))
            .checkpoint_dir(&dir)
            .run(n - stop)
            .unwrap();
        let resumed_at = (stop as i64 + 1) * 1000;
        assert!(
            outputs_from(&whole, outputs, resumed_at).len() >= 10 * (n - stop) - 8,
            "compares real outputs"
        );
        assert_eq!(
            rest.batches()[0].batch_time.millis(),
            resumed_at,
            "resumes after the checkpoint's batch"
        );
        assert_eq!(
            outputs_from(&rest, outputs, 0),
            outputs_from(&whole, outputs, resumed_at),
            "stopped after batch {stop}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

stream! {
    pipeline OtherShape {
        batch = 1s;
        checkpoint every 1s;
        input words: String;
        let pairs: (String, u64) = words.map(|w| (w, 1u64));
        let windowed: (String, u64) = pairs.reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 5s);
        windowed.pprint();
    }
}

#[test]
fn another_pipelines_checkpoint_is_refused_with_what_differs() {
    let dir = temp_dir("mismatch");
    Harness::new(AllState::new().words(words(INPUT)))
        .checkpoint_dir(&dir)
        .run(2)
        .unwrap();
    let err = StreamingContext::new()
        .checkpoint_dir(&dir)
        .manual_clock(ManualClock::new())
        .start(OtherShape::new().words(words(INPUT)))
        .err()
        .expect("refused");
    let text = err.to_string();
    assert!(matches!(err, Error::CheckpointMismatch { .. }), "{err:?}");
    assert!(
        text.contains("pipeline AllState") && text.contains("pipeline OtherShape"),
        "{text}"
    );
    assert!(
        text.contains("reduce_by_key_and_window(5000 ms)"),
        "names the changed window: {text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_corrupt_newest_checkpoint_is_skipped_for_the_previous_one() {
    let dir = temp_dir("corrupt");
    let input = || words(&[&["a"], &["a"], &["a"], &["a"]]);
    Harness::new(RunningCount::new().words(input()))
        .checkpoint_dir(&dir)
        .run(3)
        .unwrap();
    // `checkpoint;` with a 1 s batch: every 10 s, and at the stop (batch 3).
    let newest = dir.join("checkpoint-3000");
    let mut bytes = std::fs::read(&newest).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&newest, bytes).unwrap();
    let err = Harness::new(RunningCount::new().words(input()))
        .checkpoint_dir(&dir)
        .run(1)
        .unwrap_err();
    assert!(
        matches!(err, Error::CheckpointUnreadable { .. }),
        "the only checkpoint is corrupt: {err}"
    );
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();

    let dir = temp_dir("corrupt-previous");
    Harness::new(AllState::new().words(words(INPUT)))
        .checkpoint_dir(&dir)
        .run(3)
        .unwrap();
    std::fs::write(dir.join("checkpoint-3000"), b"torn").unwrap();
    let rest = Harness::new(AllState::new().words(words(INPUT)))
        .checkpoint_dir(&dir)
        .run(1)
        .unwrap();
    assert_eq!(
        rest.batches()[0].batch_time.millis(),
        3000,
        "resumed from checkpoint-2000"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_checkpoint_of_the_previous_format_is_refused_with_what_to_do() {
    let dir = temp_dir("format-1");
    let input = || words(&[&["a"], &["b"], &["a"]]);
    Harness::new(RunningCount::new().words(input()))
        .checkpoint_dir(&dir)
        .run(3)
        .unwrap();
    // The header's format version (bytes 8..12, little endian) as the previous format wrote
    // it; the checksum covers only the payload.
    let file = dir.join("checkpoint-3000");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
    std::fs::write(&file, bytes).unwrap();
    let err = Harness::new(RunningCount::new().words(input()))
        .checkpoint_dir(&dir)
        .run(1)
        .unwrap_err();
    assert!(matches!(err, Error::CheckpointUnreadable { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("checkpoint-3000")
            && text.contains("checkpoint format version 1; this build reads version 3 only")
            && text.contains("move the checkpoint directory away to start afresh"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tv17_a_checkpointing_pipeline_needs_a_checkpoint_directory() {
    let err = StreamingContext::new()
        .start(RunningCount::new().words(words(&[])))
        .err()
        .expect("refused");
    assert_eq!(
        err.to_string(),
        "pipeline `RunningCount` keeps state (counts: update_state_by_key) and checkpoints it, but no checkpoint \
         directory is set; set one with `StreamingContext::new().checkpoint_dir(\"…\")`"
    );
}

stream! {
    pipeline EveryThreeSeconds {
        batch = 3s;
        checkpoint;
        input words: String;
        words.count().pprint();
    }
}

stream! {
    pipeline EveryHalfSecond {
        batch = 500ms;
        checkpoint;
        input words: String;
        words.count().pprint();
    }
}

/// TV25: the default checkpoint interval is the first multiple of the batch interval that is
/// at least 10 s.
#[test]
fn tv25_default_checkpoint_intervals() {
    use std::time::Duration;
    assert_eq!(
        EveryThreeSeconds::new().info().checkpoint_interval,
        Some(Duration::from_secs(12))
    );
    assert_eq!(
        EveryHalfSecond::new().info().checkpoint_interval,
        Some(Duration::from_secs(10))
    );
    assert_eq!(
        RunningCount::new().info().checkpoint_interval,
        Some(Duration::from_secs(10))
    );
}

stream! {
    /// `map_with_state` with the batch time, as Spark's `StateSpec.function` with `Time`.
    pipeline TimedSessions {
        batch = 1s;
        checkpoint;
        input words: String;
        let seen: (String, i64) = words
            .map(|w| (w, 1u64))
            .map_with_state(|time: Time, word: &String, n: Option<u64>, state: &mut State<u64>| {
                state.update(state.get().copied().unwrap_or(0) + n.unwrap_or(0));
                (word.clone(), time.millis())
            });
        seen.pprint();
    }
}

#[test]
fn map_with_state_can_take_the_batch_time() {
    let run = Harness::new(TimedSessions::new().words(words(&[&["a"], &["b", "a"]])))
        .run(2)
        .unwrap();
    assert_eq!(sorted(&run, "seen", 1000), ["(\"a\", 1000)"]);
    assert_eq!(
        sorted(&run, "seen", 2000),
        ["(\"a\", 2000)", "(\"b\", 2000)"]
    );
}
