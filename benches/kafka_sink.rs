//! `save_to_kafka` against a bare rdkafka producer loop writing the same batches, in the same
//! run, exactly once (one transaction per batch) and at least once.
//!
//! * **Data**: [`BATCHES`] batches of [`RECORDS_PER_BATCH`] `(word, count)` records, words drawn
//!   with a Zipf law over 10 000 random lowercase words (benches/common), as a word count
//!   writes them: the word is the key, the count its decimal text.
//! * **Bare**: a `BaseProducer` with the sink's settings (idempotent, acks=all,
//!   murmur2_random, linger 5 ms, the same queue bounds; for exactly once a fresh
//!   `transactional.id` and `init_transactions`), then per batch: (`begin_transaction`,)
//!   `send` of every record with the batch-time header (waiting on a full queue), `flush`,
//!   (`commit_transaction`). It checks every delivery report.
//! * **Pipeline**: `input records: (String, u64); records.save_to_kafka(sink)`, run batch by
//!   batch with `BatchRunner` on the same batches (moved in untimed), a fresh instance id per
//!   run. Its exactly-once transactions also commit the batch time as its group's offset,
//!   which the bare loop does not: that is part of what the sink costs.
//!
//! Each run is timed from creating the producer (the pipeline: its first batch) to the last
//! batch acknowledged. Run with a throwaway broker:
//!
//! ```text
//! scripts/with-kafka.sh cargo bench --features kafka --bench kafka_sink
//! ```
//!
//! After a criterion group, [`RATIO_ROUNDS`] paired rounds (the order flips every round)
//! print the median pipeline / bare ratio of wall time for each delivery mode on standard
//! error (the issue's goal: within 1.25x).

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use streamdsl::inputs::kafka::rdkafka;
use streamdsl::outputs::kafka::{BATCH_TIME_HEADER, Delivery, KafkaSink};
use streamdsl::prelude::*;
use streamdsl::testing::BatchRunner;
use streamdsl::{Batch, Unbound};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::{ClientConfig, ClientContext};

mod common;
use common::kafka::{create_topic, delete_topic, unique};
use common::{ZipfWords, median};

/// Batches per run, and records per batch.
const BATCHES: usize = 20;
const RECORDS_PER_BATCH: usize = 5_000;
/// Partitions of the topic.
const PARTITIONS: i32 = 3;
/// Paired rounds of the ratio loop per delivery mode.
const RATIO_ROUNDS: usize = 7;

stream! {
    /// Each batch's records to Kafka.
    pipeline ToKafka(sink: KafkaSink) {
        batch = 1s;
        input records: (String, u64);
        records.save_to_kafka(sink);
    }
}

/// The batches of every run.
fn batches() -> Vec<Vec<(String, u64)>> {
    let mut words = ZipfWords::new(5, 10_000, 1.0);
    (0..BATCHES)
        .map(|_| {
            (0..RECORDS_PER_BATCH)
                .map(|i| (words.next_word().to_owned(), i as u64 % 97 + 1))
                .collect()
        })
        .collect()
}

/// The delivery modes compared.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    ExactlyOnce,
    AtLeastOnce,
}

/// Delivery reports of the bare producer: failures only.
struct Reports(Mutex<Vec<KafkaError>>);

impl ClientContext for Reports {}

impl ProducerContext for Reports {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result {
            self.0.lock().unwrap().push(e.clone());
        }
    }
}

/// The bare loop: one run over `batches` to `topic`.
fn bare(bootstrap: &str, topic: &str, mode: Mode, batches: &[Vec<(String, u64)>]) -> Duration {
    let started = Instant::now();
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "5")
        .set("queue.buffering.max.kbytes", "65536")
        .set("queue.buffering.max.messages", "1000000");
    if mode == Mode::ExactlyOnce {
        config.set("transactional.id", unique("bare"));
    }
    let producer: BaseProducer<Reports> = config
        .create_with_context(Reports(Mutex::new(Vec::new())))
        .expect("a producer");
    let timeout = Duration::from_secs(30);
    if mode == Mode::ExactlyOnce {
        producer.init_transactions(timeout).expect("transactions");
    }
    let mut payload = String::new();
    for (n, batch) in batches.iter().enumerate() {
        let time = ((n + 1) * 1000).to_string();
        if mode == Mode::ExactlyOnce {
            producer.begin_transaction().expect("begin");
        }
        for (word, count) in batch {
            payload.clear();
            use std::fmt::Write;
            let _ = write!(payload, "{count}");
            let mut record = BaseRecord::to(topic)
                .key(word.as_str())
                .payload(payload.as_str())
                .headers(OwnedHeaders::new().insert(Header {
                    key: BATCH_TIME_HEADER,
                    value: Some(&time),
                }));
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        producer.poll(Duration::from_millis(50));
                        record = back;
                    }
                    Err((e, _)) => panic!("send: {e}"),
                }
            }
        }
        producer.flush(timeout).expect("flush");
        assert!(
            producer.context().0.lock().unwrap().is_empty(),
            "every record delivered"
        );
        if mode == Mode::ExactlyOnce {
            producer.commit_transaction(timeout).expect("commit");
        }
    }
    started.elapsed()
}

/// The pipeline: one run over `batches` to `topic`.
fn pipeline(bootstrap: &str, topic: &str, mode: Mode, batches: &[Vec<(String, u64)>]) -> Duration {
    let sink = KafkaSink::new(bootstrap, topic);
    let sink = match mode {
        Mode::ExactlyOnce => sink.delivery(Delivery::ExactlyOnce {
            instance: unique("bench"),
        }),
        Mode::AtLeastOnce => sink,
    };
    let mut runner: BatchRunner<ToKafka<Unbound>> = BatchRunner::new(ToKafka::new(sink));
    let mut elapsed = Duration::ZERO;
    for batch in batches {
        let input: Batch<(String, u64)> = batch.clone().into();
        let started = Instant::now();
        runner.run((input,)).expect("the batch is written");
        elapsed += started.elapsed();
    }
    elapsed
}

/// The sides, in ratio order: pipeline first.
type Side = fn(&str, &str, Mode, &[Vec<(String, u64)>]) -> Duration;
const SIDES: [(&str, Side); 2] = [("pipeline", pipeline), ("bare", bare)];

fn kafka_sink(c: &mut Criterion) {
    let Ok(bootstrap) = std::env::var("KAFKA_BOOTSTRAP") else {
        eprintln!(
            "kafka_sink bench: KAFKA_BOOTSTRAP is not set. Run it with a broker: \
             scripts/with-kafka.sh cargo bench --features kafka --bench kafka_sink"
        );
        std::process::exit(2);
    };
    let batches = batches();
    let records = (BATCHES * RECORDS_PER_BATCH) as u64;
    let topic = unique("streamdsl-bench-sink");
    create_topic(&bootstrap, &topic, PARTITIONS);

    let mut group = c.benchmark_group("kafka_sink");
    group
        .throughput(Throughput::Elements(records))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    for mode in [Mode::ExactlyOnce, Mode::AtLeastOnce] {
        for (name, side) in SIDES {
            group.bench_function(format!("{name}_{mode:?}"), |b| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| side(&bootstrap, &topic, mode, &batches))
                        .sum()
                })
            });
        }
    }
    group.finish();

    for mode in [Mode::ExactlyOnce, Mode::AtLeastOnce] {
        let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
        for round in 0..RATIO_ROUNDS {
            for k in [round % 2, 1 - round % 2] {
                let side = SIDES[k].1;
                times[k].push(side(&bootstrap, &topic, mode, &batches).as_secs_f64());
            }
        }
        for (k, (name, _)) in SIDES.iter().enumerate() {
            let t = median(times[k].clone());
            eprintln!(
                "kafka_sink {mode:?} {name}: median {t:.3} s = {:.0} records/s",
                records as f64 / t
            );
        }
        let ratio = median(
            times[0]
                .iter()
                .zip(&times[1])
                .map(|(p, b)| p / b)
                .collect::<Vec<f64>>(),
        );
        eprintln!(
            "kafka_sink {mode:?} ratio pipeline/bare (median of {RATIO_ROUNDS} paired time ratios): {ratio:.3}x (goal: within 1.25x)"
        );
    }
    delete_topic(&bootstrap, &topic);
}

criterion_group!(benches, kafka_sink);
criterion_main!(benches);
