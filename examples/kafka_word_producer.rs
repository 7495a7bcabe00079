//! Spark's KafkaWordCountProducer: every second, `<messagesPerSec>` messages of
//! `<wordsPerMessage>` random digits `0`..`9` separated by spaces, to `<topic>` (null keys, so
//! librdkafka spreads them over the partitions), until Ctrl-C; then what is still in flight
//! is delivered (bounded wait) and the totals are printed. Feed `kafka_word_count` with it:
//!
//! ```text
//! cargo run --features kafka --example kafka_word_producer -- 127.0.0.1:9092 words 100 10
//! ```
//!
//! A topic that does not exist is created (`--partitions`, default 3), so that the demo needs
//! no Kafka tools; a broker that cannot be reached at start is an error message and exit
//! status 1, and delivery failures while running (the broker went away) are reported on
//! standard error, at most once a second, while librdkafka keeps retrying.
//!
//! Uses rdkafka through `streamdsl::inputs::kafka::rdkafka`: the same client the input is
//! built on, nothing more to compile.

use clap::Parser;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientConfig, ClientContext};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use streamdsl::inputs::kafka::rdkafka;

/// Sends random digits to a Kafka topic, `messages_per_sec` messages every second.
#[derive(Parser, Debug)]
struct Args {
    /// Kafka's bootstrap servers, `host:port[,host:port…]` (e.g. 127.0.0.1:9092).
    bootstrap: String,
    /// The topic to write to.
    topic: String,
    /// Messages sent every second.
    messages_per_sec: u32,
    /// Words (random digits 0-9) per message.
    words_per_message: u32,
    /// Partitions of the topic if it has to be created.
    #[arg(long, default_value_t = 3)]
    partitions: i32,
}

/// Bound on each wait for the broker: metadata at start, the final flush.
const BROKER_TIMEOUT: Duration = Duration::from_secs(10);

/// Delivery results, counted by librdkafka's callbacks (on the producer's polling thread) and
/// reported by the main loop.
#[derive(Default)]
struct Deliveries {
    acked: AtomicU64,
    failed: AtomicU64,
    /// The latest delivery or client error not reported yet.
    last_error: Mutex<Option<String>>,
}

impl Deliveries {
    /// Keeps `error` for the main loop's next report (the latest wins).
    fn record_error(&self, error: String) {
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
    }

    /// The error not reported yet, if any.
    fn take_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

impl ClientContext for Deliveries {
    // librdkafka logs every reconnection attempt to stderr by default; the main loop reports
    // outages once a second instead.
    fn log(&self, _level: rdkafka::config::RDKafkaLogLevel, _facility: &str, _message: &str) {}

    fn error(&self, error: KafkaError, reason: &str) {
        self.record_error(format!("{error} ({reason})"));
    }
}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.acked.fetch_add(1, Ordering::Relaxed);
            }
            Err((e, _)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                self.record_error(format!("delivery failed: {e}"));
            }
        }
    }
}

/// SplitMix64, seeded from std's per-process random hasher keys: random digits without a
/// `rand` dependency.
struct Digits(u64);

impl Digits {
    /// Seeded differently in every run.
    fn new() -> Self {
        use std::hash::{BuildHasher, RandomState};
        Digits(RandomState::new().hash_one(std::process::id()))
    }

    /// A random ASCII digit.
    fn next(&mut self) -> u8 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        b'0' + ((u128::from(z) * 10) >> 64) as u8
    }

    /// `words` random digits separated by single spaces (Spark's `mkString(" ")`).
    fn message(&mut self, words: u32, out: &mut String) {
        out.clear();
        for i in 0..words {
            if i > 0 {
                out.push(' ');
            }
            out.push(char::from(self.next()));
        }
    }
}

/// Checks that the broker answers and creates `topic` if it does not exist.
async fn ensure_topic(producer: &ThreadedProducer<Deliveries>, args: &Args) -> Result<(), String> {
    let metadata = producer
        .client()
        .fetch_metadata(Some(&args.topic), BROKER_TIMEOUT)
        .map_err(|e| {
            format!(
                "could not reach the Kafka broker at {} within {BROKER_TIMEOUT:?} ({e}); is it running, and is the address right?",
                args.bootstrap
            )
        })?;
    let exists = metadata
        .topics()
        .iter()
        .any(|t| t.name() == args.topic && t.error().is_none() && !t.partitions().is_empty());
    if exists {
        return Ok(());
    }
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &args.bootstrap)
        .create()
        .map_err(|e| format!("cannot create an admin client: {e}"))?;
    let topic = NewTopic::new(&args.topic, args.partitions, TopicReplication::Fixed(1));
    let options = AdminOptions::new().operation_timeout(Some(BROKER_TIMEOUT));
    let results = admin
        .create_topics([&topic], &options)
        .await
        .map_err(|e| format!("creating topic `{}` failed: {e}", args.topic))?;
    for result in results {
        match result {
            Ok(_) => eprintln!(
                "kafka_word_producer: created topic `{}` with {} partitions",
                args.topic, args.partitions
            ),
            // Created by someone else in between: fine.
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, e)) => return Err(format!("creating topic `{name}` failed: {e}")),
        }
    }
    Ok(())
}

/// Sends one second's messages; a full local queue (the broker is slow or gone) waits for
/// room rather than dropping messages.
async fn send_second(
    producer: &ThreadedProducer<Deliveries>,
    args: &Args,
    digits: &mut Digits,
    line: &mut String,
) -> u64 {
    let mut sent = 0;
    for _ in 0..args.messages_per_sec {
        digits.message(args.words_per_message, line);
        let mut record = BaseRecord::<(), str>::to(&args.topic).payload(line.as_str());
        loop {
            match producer.send(record) {
                Ok(()) => {
                    sent += 1;
                    break;
                }
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err((e, _)) => {
                    producer.context().record_error(format!("send failed: {e}"));
                    break;
                }
            }
        }
    }
    sent
}

/// Connects, creates the topic if needed, sends every second until a signal, then flushes.
async fn run(args: Args) -> Result<(), String> {
    let producer: ThreadedProducer<Deliveries> = ClientConfig::new()
        .set("bootstrap.servers", &args.bootstrap)
        .set("linger.ms", "5")
        // Else the metadata request at start may make the broker create the topic with its
        // default partition count, before `ensure_topic` can honour `--partitions`.
        .set("allow.auto.create.topics", "false")
        .create_with_context(Deliveries::default())
        .map_err(|e| format!("invalid producer configuration: {e}"))?;
    ensure_topic(&producer, &args).await?;
    eprintln!(
        "kafka_word_producer: sending {} messages of {} digits per second to `{}` at {}; Ctrl-C to stop",
        args.messages_per_sec, args.words_per_message, args.topic, args.bootstrap
    );
    let mut digits = Digits::new();
    let mut line = String::new();
    let mut sent = 0u64;
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    // After a stall (a full queue), keep one send per second rather than bursting to catch up.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stop = streamdsl::shutdown_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = ticks.tick() => {
                tokio::select! {
                    _ = &mut stop => break,
                    n = send_second(&producer, &args, &mut digits, &mut line) => sent += n,
                }
                if let Some(error) = producer.context().take_error() {
                    eprintln!(
                        "kafka_word_producer: {error}; {} messages in flight, librdkafka keeps retrying",
                        producer.in_flight_count()
                    );
                }
            }
        }
    }
    eprintln!(
        "kafka_word_producer: stopping; delivering {} messages still in flight",
        producer.in_flight_count()
    );
    let flushed = producer.flush(BROKER_TIMEOUT);
    let deliveries = producer.context();
    eprintln!(
        "kafka_word_producer: sent {sent}, acknowledged {}, failed {}",
        deliveries.acked.load(Ordering::Relaxed),
        deliveries.failed.load(Ordering::Relaxed)
    );
    flushed.map_err(|e| {
        format!(
            "{} messages were not delivered within {BROKER_TIMEOUT:?}: {e}",
            producer.in_flight_count()
        )
    })
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("kafka_word_producer: cannot start a tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kafka_word_producer: {e}");
            ExitCode::FAILURE
        }
    }
}
