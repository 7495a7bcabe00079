//! Spark's NetworkWordCount: counts the words of the lines received from a TCP server, every
//! second, until Ctrl-C (then stops gracefully: what was received is still counted).
//!
//! Start a server first, `nc -lk 9999` or this project's `line_server`, in another terminal:
//!
//! ```text
//! cargo run --example line_server -- --port 9999 README.md
//! cargo run --example network_word_count -- localhost 9999
//! ```
//!
//! A refused or closed connection is logged and retried every 2 s (Spark's receiver restart).
//! With `--ui 127.0.0.1:4040` the live page and `/metrics` show the batches, and the
//! `empty_words` counter (runs of spaces the split leaves).

mod common;

use clap::Parser;
use streamdsl::Counter;
use streamdsl::prelude::*;

/// Empty words skipped: a named counter, in every batch's metrics.
static EMPTY_WORDS: Counter = Counter::new("empty_words");

stream! {
    /// Words per batch. Lines are borrowed (`&str`), so the words are slices of them.
    pub pipeline NetworkWordCount {
        batch = 1s;
        input lines: &str;
        let counts = lines
            .flat_map(|line| line.split(' '))
            .filter(|word| {
                if word.is_empty() {
                    EMPTY_WORDS.add(1);
                }
                !word.is_empty()
            })
            .map(|word| (word, 1u64))
            .reduce_by_key(|a, b| a + b);
        counts.pprint();
    }
}

/// Counts the words of the lines a TCP server sends, every second.
#[derive(Parser, Debug)]
struct Args {
    /// Host of the server (e.g. localhost).
    host: String,
    /// Port of the server (e.g. 9999).
    port: u16,
    #[command(flatten)]
    ui: common::Ui,
}

fn main() -> streamdsl::Result<()> {
    let args = Args::parse();
    let lines = socket_text_stream(args.host, args.port);
    args.ui.context().run(NetworkWordCount::new().lines(lines))
}
