//! Running word count on a queue of text lines (Spark's NetworkWordCountStateful, as PySpark's
//! `stateful_network_wordcount.py`, fed from memory): `update_state_by_key` adds each batch's
//! counts to every word's total, starting from the initial state `hello: 1, world: 1` (Spark's
//! `initialRDD`), and every batch prints the totals so far. Five batches of text are queued;
//! the pipeline stops by itself once the queue is drained. The state is checkpointed to
//! `<temp dir>/streamdsl-examples/stateful_word_count`, emptied at start.
//!
//! ```text
//! cargo run --example stateful_word_count
//! ```

mod common;

use streamdsl::prelude::*;

stream! {
    /// Every word's count since the start, printed at every batch.
    pub pipeline StatefulWordCount {
        batch = 1s;
        checkpoint;
        input lines: &str;
        // The state outlives the batch, so its records own their words (`String`).
        let running_counts: (String, u64) = lines
            .flat_map(|line| line.split(' '))
            .filter(|word| !word.is_empty())
            .map(|word| (word.to_string(), 1u64))
            .update_state_by_key(|new: Vec<u64>, old: Option<u64>| {
                Some(new.iter().sum::<u64>() + old.unwrap_or(0))
            });
        running_counts.pprint();
    }
}

/// One batch of lines per entry.
const BATCHES: &[&[&str]] = &[
    &["hello spark", "hello streaming"],
    &["hello rust"],
    &[],
    &["streaming state in rust", "world"],
    &["spark spark spark"],
];

/// The checkpoint directory, emptied first: a pipeline started on a directory holding its
/// checkpoint resumes from it (Spark's `getOrCreate`), and this demo starts afresh each run.
fn fresh_checkpoint_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir()
        .join("streamdsl-examples")
        .join("stateful_word_count");
    if let Err(e) = std::fs::remove_dir_all(&dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        panic!(
            "cannot empty the checkpoint directory {}: {e}",
            dir.display()
        );
    }
    dir
}

fn main() -> streamdsl::Result<()> {
    common::init_logging();
    let lines = queue_stream(
        BATCHES
            .iter()
            .map(|batch| batch.iter().map(|l| l.to_string()).collect::<Vec<_>>()),
    );
    let pipeline = StatefulWordCount::new()
        .initial_running_counts([("hello".into(), 1), ("world".into(), 1)])
        .lines(lines);
    StreamingContext::new()
        .checkpoint_dir(fresh_checkpoint_dir())
        .run_until_finished(pipeline)
}
