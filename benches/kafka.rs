//! Kafka: word count of [`MESSAGES`] pre-produced short messages through `kafka_stream`, against
//! a bare rdkafka consumer loop doing the same count, in the same run.
//!
//! * **Data**, produced once into a fresh topic of [`PARTITIONS`] partitions (round-robin,
//!   null keys as Spark's KafkaWordCountProducer): messages of 1..=5 words drawn with a Zipf
//!   law (s = 1.0) over 10 000 random lowercase words (benches/common), ~22 bytes each. The
//!   expected word counts are computed while producing.
//! * Both consumers get librdkafka's settings from `kafka_stream` (fetch wait 100 ms, no
//!   auto-commit) plus a 10 ms `fetch.queue.backoff.ms` ([`FETCH_QUEUE_BACKOFF_MS`]: with the
//!   default 1 s both sides idle most of the run and the comparison measures that wait).
//! * **Bare**: a `BaseConsumer`, a fresh group id, `assign` of every partition at offset 0, `poll` until all messages arrived; each
//!   payload is checked as UTF-8, split on `' '`, and counted into an ahash
//!   `HashMap<String, u64>` (a word is copied only the first time it is seen).
//! * **Pipeline**: `kafka_stream(KafkaConfig::topics(..))` with a fresh group id (the default
//!   `(Option<String>, String)` decoder: what a user reaches for; with null keys it allocates
//!   the value `String` only, as a `kafka_stream_with` decoder returning `String` would), input
//!   declared `&(Option<String>, String)` so words are slices, `flat_map` words, `map` to
//!   `(word, 1)`, `reduce_by_key`, and a `foreach_rdd` merging each batch into the same kind
//!   of `HashMap<String, u64>`. Batches of 100 ms (the fetch timeout defaults to the batch
//!   interval), the context's default parallelism. A run is stopped once every word is counted.
//!
//! Each run is timed from the creation of its consumer (`StreamingContext::start` for the
//! pipeline, which also waits for its first batch time: 50 ms on average) to the moment the
//! last word is counted; CPU is the process's user + system time over the same interval
//! (`/proc/self/stat`, 10 ms ticks), which includes librdkafka's threads. The broker runs
//! in another process; its CPU over the interval is shown too (`KAFKA_BROKER_PID`, set by
//! scripts/with-kafka.sh), since on a small machine it competes with the consumer for cores.
//! Both sides' counts must equal the expected counts in every run.
//!
//! Run with a throwaway broker:
//!
//! ```text
//! scripts/with-kafka.sh cargo bench --features kafka --bench kafka
//! ```
//!
//! After a criterion group (wall time per run), [`RATIO_ROUNDS`] paired rounds (the order
//! flips every round) print a table of each run and the median pipeline / bare ratios of
//! wall time and CPU time on standard error. `KAFKA_BENCH_MESSAGES` overrides the message count.

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use streamdsl::inputs::kafka::rdkafka;
use streamdsl::inputs::kafka::{KafkaConfig, kafka_stream};
use streamdsl::prelude::*;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::{ClientConfig, ClientContext, Message, Offset, TopicPartitionList};

mod common;
use common::kafka::{create_topic, delete_topic, unique};
use common::{ZipfWords, median};

/// Messages produced once and consumed by every run.
const MESSAGES: u64 = 1_000_000;
/// Partitions of the topic.
const PARTITIONS: i32 = 3;
/// Distinct words, and the Zipf exponent.
const VOCAB: usize = 10_000;
const ZIPF_S: f64 = 1.0;
/// Seed of the generator (any fixed value: the data is the same at every run).
const SEED: u64 = 11;
/// Paired rounds of the ratio loop (each runs both sides once).
const RATIO_ROUNDS: usize = 9;
/// Bound on one run: a run that does not count everything in this time fails.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);
/// librdkafka stops fetching a partition whose local queue holds `queued.min.messages`
/// (100 000) and looks again only after `fetch.queue.backoff.ms`, 1 s by default: a consumer
/// faster than that then idles most of the time, and both sides would measure that wait.
/// Both get this shorter back-off, so a run measures consuming, not waiting.
const FETCH_QUEUE_BACKOFF_MS: &str = "10";
/// Linux's `USER_HZ`: the unit of the times in `/proc/<pid>/stat` (fixed by the ABI).
const TICKS_PER_SECOND: f64 = 100.0;

/// Word counts with the runtime's hasher and seeds (`streamdsl::keyed::key_hasher`), so both
/// sides hash alike.
type Counts = HashMap<String, u64, ahash::RandomState>;

/// An empty [`Counts`].
fn new_counts() -> Counts {
    HashMap::with_hasher(ahash::RandomState::with_seeds(
        0x243f_6a88_85a3_08d3,
        0x1319_8a2e_0370_7344,
        0xa409_3822_299f_31d0,
        0x082e_fa98_ec4e_6c89,
    ))
}

/// Adds `n` to `word`'s count, copying the word only when it is new.
fn add(counts: &mut Counts, word: &str, n: u64) {
    match counts.get_mut(word) {
        Some(count) => *count += n,
        None => {
            counts.insert(word.to_owned(), n);
        }
    }
}

/// User + system CPU seconds of process `pid` (`"self"` for this one), dead threads included.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11); // field 3 is the first after ')'
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

/// CPU seconds of this process and of the broker, at one instant.
#[derive(Clone, Copy)]
struct Snapshot {
    at: Instant,
    cpu: f64,
    broker_cpu: Option<f64>,
}

impl Snapshot {
    /// Now; the broker's CPU too if its pid is known.
    fn take(broker: Option<&str>) -> Self {
        Snapshot {
            at: Instant::now(),
            cpu: cpu_seconds("self").expect("/proc/self/stat is readable"),
            broker_cpu: broker.and_then(cpu_seconds),
        }
    }
}

/// One timed run of one side.
#[derive(Clone, Copy)]
struct Run {
    wall: f64,
    cpu: f64,
    broker_cpu: Option<f64>,
}

impl Run {
    /// The wall and CPU time from `start` to `end`.
    fn between(start: Snapshot, end: Snapshot) -> Self {
        Run {
            wall: (end.at - start.at).as_secs_f64(),
            cpu: end.cpu - start.cpu,
            broker_cpu: end.broker_cpu.zip(start.broker_cpu).map(|(e, s)| e - s),
        }
    }
}

/// What every run needs: the broker, the topic, the expected counts.
struct Setup {
    bootstrap: String,
    broker_pid: Option<String>,
    topic: String,
    messages: u64,
    words: u64,
    expected: Counts,
}

/// Creates the topic and produces the messages (acks=all), counting their words; checks
/// that the broker acknowledged every one.
fn produce(bootstrap: &str, messages: u64) -> (String, u64, Counts) {
    let topic = unique("streamdsl-bench-kafka");
    create_topic(bootstrap, &topic, PARTITIONS);
    let producer: BaseProducer<Deliveries> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("acks", "all")
        .set("linger.ms", "20")
        .set("queue.buffering.max.messages", "1000000")
        .create_with_context(Deliveries::default())
        .expect("a producer");
    let mut generator = ZipfWords::new(SEED, VOCAB, ZIPF_S);
    let mut expected = new_counts();
    let (mut words, mut bytes) = (0u64, 0u64);
    let mut line = String::new();
    let start = Instant::now();
    for i in 0..messages {
        line.clear();
        for k in 0..1 + generator.rng.below(5) {
            if k > 0 {
                line.push(' ');
            }
            let word = generator.next_word();
            line.push_str(word);
            add(&mut expected, word, 1);
            words += 1;
        }
        bytes += line.len() as u64;
        let partition = (i % PARTITIONS as u64) as i32;
        let mut record = BaseRecord::<(), str>::to(&topic)
            .partition(partition)
            .payload(line.as_str());
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    producer.poll(Duration::from_millis(10));
                    record = back;
                }
                Err((e, _)) => panic!("producing to {topic}: {e}"),
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer
        .flush(Duration::from_secs(120))
        .expect("every message is acknowledged within 2 minutes");
    let acked = producer.context().acked.load(Ordering::Relaxed);
    assert_eq!(
        acked,
        messages,
        "every message is acknowledged ({} failed)",
        producer.context().failed.load(Ordering::Relaxed)
    );
    eprintln!(
        "kafka data: topic {topic}, {PARTITIONS} partitions, {messages} messages, {words} words \
         ({} distinct), {:.1} bytes/message, produced in {:.1} s",
        expected.len(),
        bytes as f64 / messages as f64,
        start.elapsed().as_secs_f64()
    );
    (topic, words, expected)
}

/// Counts delivery reports: the check that the broker has every message (a ListOffsets
/// request is no check: tansu answers it with the start of the partition's last batch).
#[derive(Default)]
struct Deliveries {
    acked: AtomicU64,
    failed: AtomicU64,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        let counter = if result.is_ok() {
            &self.acked
        } else {
            &self.failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The librdkafka settings `kafka_stream` gives its consumer, so the bare loop fetches alike.
fn consumer_config(bootstrap: &str, group: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "100")
        .set("socket.timeout.ms", "10000")
        .set("fetch.queue.backoff.ms", FETCH_QUEUE_BACKOFF_MS);
    config
}

/// The bare loop: assign every partition at offset 0, poll and count until every message.
fn bare(setup: &Setup) -> (Run, Counts) {
    let broker = setup.broker_pid.as_deref();
    let start = Snapshot::take(broker);
    let consumer: BaseConsumer = consumer_config(&setup.bootstrap, &unique("streamdsl-bench-bare"))
        .create()
        .expect("a consumer");
    let mut partitions = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        partitions
            .add_partition_offset(&setup.topic, p, Offset::Offset(0))
            .expect("a valid offset");
    }
    consumer
        .assign(&partitions)
        .expect("assigns the partitions");
    let mut counts = new_counts();
    let mut received = 0;
    while received < setup.messages {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => {
                let text = std::str::from_utf8(message.payload().unwrap_or_default())
                    .expect("the payload is UTF-8");
                for word in text.split(' ') {
                    add(&mut counts, word, 1);
                }
                received += 1;
            }
            Some(Err(e)) => eprintln!("kafka bare consumer: {e}"),
            None => assert!(
                start.at.elapsed() < RUN_TIMEOUT,
                "bare consumer: {received} of {} messages in {RUN_TIMEOUT:?}",
                setup.messages
            ),
        }
    }
    let end = Snapshot::take(broker);
    (Run::between(start, end), counts)
}

/// The pipeline's counts and the instant the last word was counted.
struct Progress {
    counts: Mutex<Counts>,
    words: AtomicU64,
    total: u64,
    broker_pid: Option<String>,
    end: Mutex<Option<Snapshot>>,
    reached: Condvar,
}

impl Progress {
    /// Merges one batch; takes the end snapshot when the last word is in.
    fn merge(&self, batch: &Batch<(&str, u64)>) {
        let mut counts = self.counts.lock().unwrap();
        let mut words = 0;
        for (word, n) in batch.iter() {
            add(&mut counts, word, *n);
            words += n;
        }
        drop(counts);
        let total = self.words.fetch_add(words, Ordering::Relaxed) + words;
        if words > 0 && total >= self.total {
            *self.end.lock().unwrap() = Some(Snapshot::take(self.broker_pid.as_deref()));
            self.reached.notify_all();
        }
    }

    /// Waits for the end snapshot, at most `timeout`.
    fn wait(&self, timeout: Duration) -> Option<Snapshot> {
        let end = self.end.lock().unwrap();
        let (end, _) = self
            .reached
            .wait_timeout_while(end, timeout, |end| end.is_none())
            .unwrap();
        *end
    }
}

stream! {
    /// Word count of Kafka messages, merged into the counts of the whole run.
    pipeline KafkaWordCount(progress: Arc<Progress>) {
        batch = 100ms;
        input messages: &(Option<String>, String);
        messages
            .flat_map(|(_, value)| value.split(' '))
            .map(|word| (word, 1u64))
            .reduce_by_key(|a, b| a + b)
            .foreach_rdd(|batch| progress.merge(batch));
    }
}

/// The pipeline: `kafka_stream` over every partition, fresh group, until every word is counted.
fn pipeline(setup: &Setup) -> (Run, Counts) {
    let progress = Arc::new(Progress {
        counts: Mutex::new(new_counts()),
        words: AtomicU64::new(0),
        total: setup.words,
        broker_pid: setup.broker_pid.clone(),
        end: Mutex::new(None),
        reached: Condvar::new(),
    });
    let start = Snapshot::take(setup.broker_pid.as_deref());
    let config = KafkaConfig::topics(
        &setup.bootstrap,
        &unique("streamdsl-bench-pipeline"),
        [&setup.topic],
    )
    .set("fetch.queue.backoff.ms", FETCH_QUEUE_BACKOFF_MS);
    let running = StreamingContext::new()
        .start(KafkaWordCount::new(Arc::clone(&progress)).messages(kafka_stream(config)))
        .expect("the pipeline starts");
    let end = progress.wait(RUN_TIMEOUT);
    running
        .stop(StopMode::Immediately)
        .expect("the pipeline ran without errors");
    let end = end.unwrap_or_else(|| {
        panic!(
            "pipeline: {} of {} words in {RUN_TIMEOUT:?}",
            progress.words.load(Ordering::Relaxed),
            setup.words
        )
    });
    let counts = std::mem::replace(&mut *progress.counts.lock().unwrap(), new_counts());
    (Run::between(start, end), counts)
}

/// A side of the comparison: its name and one run.
type Side = (&'static str, fn(&Setup) -> (Run, Counts));
/// Both sides, in the table's order; the ratios are the first's over the second's.
const SIDES: [Side; 2] = [("pipeline", pipeline), ("bare", bare)];

/// One run of `side`, its counts checked against the expected ones.
fn checked(setup: &Setup, (name, run): Side) -> Run {
    let (timing, counts) = run(setup);
    assert!(
        counts == setup.expected,
        "{name}: the word counts differ from the produced data ({} distinct words, {} expected)",
        counts.len(),
        setup.expected.len()
    );
    timing
}

/// Produces the data, runs the criterion group, then the paired rounds and their table.
fn kafka(c: &mut Criterion) {
    let Ok(bootstrap) = std::env::var("KAFKA_BOOTSTRAP") else {
        eprintln!(
            "kafka bench: KAFKA_BOOTSTRAP is not set. Run it with a broker: \
             scripts/with-kafka.sh cargo bench --features kafka --bench kafka"
        );
        std::process::exit(2);
    };
    let messages = std::env::var("KAFKA_BENCH_MESSAGES")
        .ok()
        .map(|n| n.parse().expect("KAFKA_BENCH_MESSAGES is a number"))
        .unwrap_or(MESSAGES);
    let (topic, words, expected) = produce(&bootstrap, messages);
    let setup = Setup {
        bootstrap,
        broker_pid: std::env::var("KAFKA_BROKER_PID").ok(),
        topic,
        messages,
        words,
        expected,
    };

    let mut group = c.benchmark_group("kafka");
    group
        .throughput(Throughput::Elements(messages))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    for side in SIDES {
        group.bench_function(side.0, |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| Duration::from_secs_f64(checked(&setup, side).wall))
                    .sum()
            })
        });
    }
    group.finish();

    // Criterion measures the sides one after the other and without CPU time; here they
    // alternate (the order flips every round, so neither always runs first) and each round's
    // ratios come from two adjacent runs, so drifts of machine load skew both alike.
    let mut runs: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
    for round in 0..RATIO_ROUNDS {
        for k in [round % 2, 1 - round % 2] {
            runs[k].push(checked(&setup, SIDES[k]));
        }
    }
    let rate = |r: &Run| messages as f64 / r.wall;
    let broker = |r: &Run| r.broker_cpu.map_or("-".to_string(), |c| format!("{c:.2}"));
    eprintln!(
        "\nkafka word count, {messages} messages ({words} words), {RATIO_ROUNDS} paired rounds"
    );
    eprintln!(
        "{:>5}  {:<8}  {:>7}  {:>11}  {:>6}  {:>8}  {:>10}  {:>9}",
        "round", "side", "wall s", "records/s", "CPU s", "broker s", "wall ratio", "CPU ratio"
    );
    for (round, (p, b)) in runs[0].iter().zip(&runs[1]).enumerate() {
        for (k, r) in [p, b].into_iter().enumerate() {
            let ratios = if k == 0 {
                format!("{:>10.3}  {:>9.3}", p.wall / b.wall, p.cpu / b.cpu)
            } else {
                String::new()
            };
            eprintln!(
                "{round:>5}  {:<8}  {:>7.3}  {:>11.0}  {:>6.2}  {:>8}  {ratios}",
                SIDES[k].0,
                r.wall,
                rate(r),
                r.cpu,
                broker(r)
            );
        }
    }
    let column = |k: usize, f: fn(&Run) -> f64| median(runs[k].iter().map(f).collect::<Vec<f64>>());
    for (k, (name, _)) in SIDES.iter().enumerate() {
        let wall = column(k, |r| r.wall);
        eprintln!(
            "median {name:<8}  wall {wall:.3} s = {:.0} records/s, CPU {:.2} s",
            messages as f64 / wall,
            column(k, |r| r.cpu)
        );
    }
    let paired = |f: fn(&Run) -> f64| {
        median(
            runs[0]
                .iter()
                .zip(&runs[1])
                .map(|(p, b)| f(p) / f(b))
                .collect::<Vec<f64>>(),
        )
    };
    eprintln!(
        "kafka ratio pipeline/bare (median of paired ratios): wall time {:.3}x, CPU time {:.3}x (goal: within 1.25x)",
        paired(|r| r.wall),
        paired(|r| r.cpu)
    );

    delete_topic(&setup.bootstrap, &setup.topic);
}

criterion_group!(benches, kafka);
criterion_main!(benches);
