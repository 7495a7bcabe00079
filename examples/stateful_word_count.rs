//! Running word count (Spark's NetworkWordCountStateful, as PySpark's
//! `stateful_network_wordcount.py`): `update_state_by_key` adds each batch's counts to every
//! word's total, starting from the initial state `hello: 1, world: 1` (Spark's `initialRDD`),
//! and every batch prints the totals so far. The state is checkpointed to
//! `<temp dir>/streamdsl-examples/stateful_word_count`, emptied at start.
//!
//! With `<host> <port>`, the lines come from a TCP server (`socket_text_stream`, as Spark's
//! example) until Ctrl-C. Without, from memory: five batches of text are queued and the
//! pipeline stops by itself once the queue is drained.
//!
//! ```text
//! cargo run --example stateful_word_count
//! cargo run --example line_server -- --port 9999 README.md   # in another terminal
//! cargo run --example stateful_word_count -- localhost 9999
//! ```

mod common;

use clap::Parser;
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

/// Every word's count since the start, of queued text or of the lines of a TCP server.
#[derive(Parser, Debug)]
struct Args {
    /// Host of a server to read lines from (e.g. localhost); without it, queued text.
    #[arg(requires = "port")]
    host: Option<String>,
    /// Port of the server (e.g. 9999).
    port: Option<u16>,
    #[command(flatten)]
    ui: common::Ui,
}

/// One batch of lines per entry.
const BATCHES: &[&[&str]] = &[
    &["hello spark", "hello streaming"],
    &["hello rust"],
    &[],
    &["streaming state in rust", "world"],
    &["spark spark spark"],
];

fn main() -> streamdsl::Result<()> {
    let args = Args::parse();
    let pipeline =
        StatefulWordCount::new().initial_running_counts([("hello".into(), 1), ("world".into(), 1)]);
    let context = args
        .ui
        .context()
        .checkpoint_dir(common::fresh_checkpoint_dir("stateful_word_count"));
    if let (Some(host), Some(port)) = (args.host, args.port) {
        // Until Ctrl-C.
        return context.run(pipeline.lines(socket_text_stream(host, port)));
    }
    let lines = queue_stream(
        BATCHES
            .iter()
            .map(|batch| batch.iter().map(|l| l.to_string()).collect::<Vec<_>>()),
    );
    context.run_until_finished(pipeline.lines(lines))
}
