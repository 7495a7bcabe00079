//! Word count on a queue of text lines (Spark's NetworkWordCount, fed from memory): each
//! batch's lines are split on spaces and the words counted. Lines are fed while the pipeline
//! runs, through a queue feeder; the pipeline stops once the feeder is gone and the queue
//! drained.
//!
//! ```text
//! cargo run --example word_count
//! ```

mod common;

use clap::Parser;
use std::time::Duration;
use streamdsl::prelude::*;

stream! {
    /// Words per batch. Lines are borrowed (`&str`), so the words are slices of them.
    pub pipeline WordCount {
        batch = 500ms;
        input lines: &str;
        let counts = lines
            .flat_map(|line| line.split(' '))
            .filter(|word| !word.is_empty())
            .map(|word| (word, 1u64))
            .reduce_by_key(|a, b| a + b);
        counts.pprint();
    }
}

const TEXT: &[&str] = &[
    "to be or not to be that is the question",
    "whether tis nobler in the mind to suffer",
    "the slings and arrows of outrageous fortune",
    "or to take arms against a sea of troubles",
];

/// Options of the example.
#[derive(Parser, Debug)]
struct Args {
    #[command(flatten)]
    ui: common::Ui,
}

fn main() -> streamdsl::Result<()> {
    let args = Args::parse();
    let lines = queue_stream(Vec::<Vec<String>>::new());
    let feeder = lines.feeder();
    let producer = std::thread::spawn(move || {
        for chunk in TEXT.chunks(2) {
            feeder.push(chunk.iter().map(|l| l.to_string()).collect::<Vec<_>>());
            std::thread::sleep(Duration::from_millis(500));
        }
        // Dropping the feeder closes the queue: the pipeline stops once it is drained.
    });
    let result = args
        .ui
        .context()
        .run_until_finished(WordCount::new().lines(lines));
    producer.join().expect("the producer thread does not panic");
    result
}
