//! Windowed word count (Spark's WindowedNetworkWordCount): every slide, the words of the lines
//! of the last window, counted with `reduce_by_key_and_window` and its inverse function, so a
//! slide costs the batches entering and leaving the window, not the window's length.
//!
//! Spark's example counts the last 30 s every 10 s; here the geometry is scaled down by 5:
//! batches of 1 s, a window of 6 s, a slide of 2 s (a window is still three slides). Each
//! window's counts are sorted by count (then word) before printing, so `pprint` shows the top
//! ten. The window's state is checkpointed to `<temp dir>/streamdsl-examples/windowed_word_count`,
//! emptied at start.
//!
//! With `<host> <port>`, the lines come from a TCP server (`socket_text_stream`, as Spark's
//! example) until Ctrl-C. Without, from memory: ten batches of text are queued, then six empty
//! ones so the words can be seen leaving the window, and the pipeline stops by itself once the
//! queue is drained (~16 s).
//!
//! ```text
//! cargo run --example windowed_word_count
//! cargo run --example line_server -- --rate 5 --repeat README.md   # in another terminal
//! cargo run --example windowed_word_count -- localhost 9999
//! ```

mod common;

use clap::Parser;
use streamdsl::prelude::*;

stream! {
    /// Word counts over the last 6 s, every 2 s.
    pub pipeline WindowedWordCount {
        batch = 1s;
        checkpoint;
        input lines: &str;
        // Window state outlives the batch, so its records own their words (`String`).
        let window_counts: (String, u64) = lines
            .flat_map(|line| line.split(' '))
            .filter(|word| !word.is_empty())
            .map(|word| (word.to_string(), 1u64))
            .reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 6s, 2s);
        window_counts
            .transform(|batch| {
                let mut counts = batch.into_vec();
                counts.sort_by(|(w1, c1), (w2, c2)| c2.cmp(c1).then_with(|| w1.cmp(w2)));
                counts
            })
            .pprint();
    }
}

const TEXT: &[&str] = &[
    "to be or not to be that is the question",
    "whether tis nobler in the mind to suffer",
    "the slings and arrows of outrageous fortune",
    "or to take arms against a sea of troubles",
    "and by opposing end them to die to sleep",
    "no more and by a sleep to say we end",
    "the heartache and the thousand natural shocks",
    "that flesh is heir to tis a consummation",
];

/// Word counts over the last 6 s, every 2 s, of queued text or of the lines of a TCP server.
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

/// Batches of text (two lines each, going round the text), then empty batches.
const TEXT_BATCHES: usize = 10;
const EMPTY_BATCHES: usize = 6;

fn main() -> streamdsl::Result<()> {
    let args = Args::parse();
    let pipeline = WindowedWordCount::new();
    let context = args
        .ui
        .context()
        .checkpoint_dir(common::fresh_checkpoint_dir("windowed_word_count"));
    if let (Some(host), Some(port)) = (args.host, args.port) {
        // Until Ctrl-C.
        return context.run(pipeline.lines(socket_text_stream(host, port)));
    }
    let batches = (0..TEXT_BATCHES + EMPTY_BATCHES).map(|k| {
        if k < TEXT_BATCHES {
            let first = 2 * k % TEXT.len();
            TEXT[first..first + 2]
                .iter()
                .map(|line| line.to_string())
                .collect::<Vec<_>>()
        } else {
            Vec::new()
        }
    });
    context.run_until_finished(pipeline.lines(queue_stream(batches)))
}
