//! Spark's KafkaWordCount: counts the words of the messages of Kafka topics over the last
//! 10 minutes, every 2 s (`reduce_by_key_and_window` with its inverse function, so a slide
//! costs the batches entering and leaving the window, not the window's 300 batches), until
//! Ctrl-C; then it stops gracefully and commits the offsets it has counted.
//!
//! It joins consumer group `<group>` (Spark's `Subscribe`): several copies with the same group
//! share the topics' partitions, and a restart resumes where the group's committed offsets
//! are, or where the checkpoint says when restarted on the same `--checkpoint` directory.
//! Partitions without either start at the earliest record the broker keeps.
//!
//! With a throwaway broker (scripts/with-kafka.sh) and `kafka_word_producer` feeding it:
//!
//! ```text
//! scripts/with-kafka.sh bash -c '
//!   cargo run --features kafka --example kafka_word_producer -- $KAFKA_BOOTSTRAP words 100 10 &
//!   cargo run --features kafka --example kafka_word_count -- $KAFKA_BOOTSTRAP word-count words'
//! ```
//!
//! With `--out-topic counts` every slide's counts also go to topic `counts` (word as the
//! message key, count as its decimal text, the batch time in header `streamdsl-batch-time`),
//! as Spark's KafkaWordCount would with a Kafka sink; `--exactly-once INSTANCE` writes them in
//! one transaction per batch, which also commits the input's offsets to its group (a broker
//! with transactions is needed).
//!
//! Or against a broker of your own: `cargo run --features kafka --example kafka_word_count --
//! broker:9092 word-count words,other-topic`.

mod common;

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use streamdsl::inputs::kafka::{KafkaConfig, kafka_stream};
use streamdsl::outputs::kafka::{Delivery, KafkaSink};
use streamdsl::prelude::*;

stream! {
    /// Word counts of the messages' values over the last 10 minutes, every 2 s.
    pub pipeline KafkaWordCount(out: Option<KafkaSink>) {
        batch = 2s;
        checkpoint;
        // Borrowed: the words are slices of the message value until the window owns them.
        input messages: &(Option<String>, String);
        // Window state outlives the batch, so its records own their words (`String`).
        let counts: (String, u64) = messages
            .flat_map(|(_, value)| value.split(' '))
            .filter(|word| !word.is_empty())
            .map(|word| (word.to_string(), 1u64))
            .reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 10min, 2s);
        counts.pprint();
        counts.save_to_kafka(out);
    }
}

/// Counts the words of Kafka messages over the last 10 minutes, every 2 s.
#[derive(Parser, Debug)]
struct Args {
    /// Kafka's bootstrap servers, `host:port[,host:port…]` (e.g. 127.0.0.1:9092).
    bootstrap: String,
    /// Consumer group id; the counted offsets are committed under it.
    group: String,
    /// Topics to read, comma-separated (e.g. words,more-words).
    topics: String,
    /// Checkpoint directory; restarted on the same directory, the pipeline resumes its window
    /// and offsets. Default: a fresh temporary directory, emptied at start.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// At most this many records per partition per second of batch (Spark's
    /// `maxRatePerPartition`), so that a backlog drains in bounded batches.
    #[arg(long, value_name = "RECORDS")]
    max_rate_per_partition: Option<u64>,
    /// Also write each slide's counts to this topic (key: the word, value: its count).
    #[arg(long, value_name = "TOPIC")]
    out_topic: Option<String>,
    /// Write the counts exactly once, in one transaction per batch, as this instance of the
    /// pipeline (keep it across restarts); needs `--out-topic` and a broker with transactions.
    #[arg(long, value_name = "INSTANCE", requires = "out_topic")]
    exactly_once: Option<String>,
    #[command(flatten)]
    ui: common::Ui,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let topics: Vec<&str> = args
        .topics
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    let mut config = KafkaConfig::subscribe(&args.bootstrap, &args.group, topics);
    if let Some(rate) = args.max_rate_per_partition {
        config = config.max_rate_per_partition(rate);
    }
    let checkpoint = args
        .checkpoint
        .unwrap_or_else(|| common::fresh_checkpoint_dir("kafka_word_count"));
    let out = args.out_topic.map(|topic| {
        let sink = KafkaSink::new(&args.bootstrap, &topic);
        match args.exactly_once {
            Some(instance) => sink.delivery(Delivery::ExactlyOnce { instance }),
            None => sink,
        }
    });
    let pipeline = KafkaWordCount::new(out).messages(kafka_stream(config));
    // Until Ctrl-C or SIGTERM.
    match args.ui.context().checkpoint_dir(checkpoint).run(pipeline) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Display, not Debug: an unreachable broker or a missing topic reads as a sentence.
            eprintln!("kafka_word_count: {e}");
            ExitCode::FAILURE
        }
    }
}
