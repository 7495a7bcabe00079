//! Spark's RDDQueueStream example: five batches of the numbers 1..=1000 are queued; each batch
//! is mapped to `(x % 10, 1)` and reduced by key, so every batch prints the ten pairs
//! `(d, 100)`. The pipeline stops by itself, gracefully, once the queue is drained.
//!
//! ```text
//! cargo run --example queue_stream
//! ```

mod common;

use clap::Parser;
use streamdsl::prelude::*;

stream! {
    /// Counts numbers by their last digit.
    pub pipeline QueueStream {
        batch = 1s;
        input numbers: i64;
        let mapped = numbers.map(|x| (x % 10, 1));
        let reduced = mapped.reduce_by_key(|a, b| a + b);
        reduced.pprint();
    }
}

/// Options of the example.
#[derive(Parser, Debug)]
struct Args {
    #[command(flatten)]
    ui: common::Ui,
}

fn main() -> streamdsl::Result<()> {
    let args = Args::parse();
    // Like the PySpark example's `sc.parallelize(range(1, 1001), 10)`: ten partitions a batch.
    let batches = (0..5).map(|_| {
        let numbers: Vec<i64> = (1..=1000).collect();
        Batch::from_partitions(numbers.chunks(100).map(<[i64]>::to_vec))
    });
    let pipeline = QueueStream::new().numbers(queue_stream(batches));
    args.ui.context().run_until_finished(pipeline)
}
