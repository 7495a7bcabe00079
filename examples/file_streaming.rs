//! Spark's HdfsWordCount (file streaming): every 2 s, counts the words of the files that
//! appeared in a directory since the previous batch, until Ctrl-C.
//!
//! Files present at start are not read, only new ones. Move (`mv`) complete files into the
//! directory: a file written in place may be read half written, and is not read again when it
//! grows (as in Spark). Names starting with `.` or `_` are skipped, so a file can be written
//! as `_name` or `.name` and then renamed.
//!
//! ```text
//! mkdir -p /tmp/words
//! cargo run --example file_streaming -- /tmp/words
//! # in another terminal:
//! cp README.md /tmp/_readme && mv /tmp/_readme /tmp/words/readme.txt
//! ```

mod common;

use clap::Parser;
use std::path::PathBuf;
use streamdsl::prelude::*;

stream! {
    /// Words of the new files, per batch.
    pub pipeline FileWordCount {
        batch = 2s;
        input lines: &str;
        let counts = lines
            .flat_map(|line| line.split(' '))
            .filter(|word| !word.is_empty())
            .map(|word| (word, 1u64))
            .reduce_by_key(|a, b| a + b);
        counts.pprint();
    }
}

/// Counts the words of the files that appear in a directory, every 2 s.
#[derive(Parser, Debug)]
struct Args {
    /// The directory to watch.
    dir: PathBuf,
    #[command(flatten)]
    ui: common::Ui,
}

fn main() -> streamdsl::Result<()> {
    let args = Args::parse();
    if !args.dir.is_dir() {
        eprintln!("file_streaming: {} is not a directory", args.dir.display());
        std::process::exit(2);
    }
    let lines = text_file_stream(args.dir);
    args.ui.context().run(FileWordCount::new().lines(lines))
}
