//! `save_to_kafka` against a real Kafka-compatible broker on 127.0.0.1 (started by
//! scripts/test.sh through scripts/with-kafka.sh, address in `KAFKA_BOOTSTRAP`): every record
//! reaches the topic once, on the partition a Java producer picks for its key, with its batch
//! time in a header; poison records fail the batch naming them or are skipped and counted; an
//! unreachable broker stops the pipeline after bounded retries; a pipeline SIGKILLed at the
//! sink's crash points and restarted delivers every record at least once, and exactly the
//! uninterrupted run's records after deduplication by batch time and key.
//!
//! Exactly once: a second copy with the same instance id fences the first, and a batch whose
//! transaction committed just before a crash is not written again, on the test broker. That
//! records of an unfinished transaction never reach a read_committed consumer needs a broker
//! with transaction isolation; the test broker (tansu 0.6.0) accepts the transactional calls
//! but shows those records to read_committed consumers. That test runs against
//! `KAFKA_TRANSACTIONAL_BOOTSTRAP` (e.g. an Apache Kafka broker) and says it is skipped
//! without it.
//!
//! Every test makes its own topics. Every wait polls with a deadline.

#![cfg_attr(not(feature = "kafka"), allow(dead_code))]

#[cfg(not(feature = "kafka"))]
#[test]
#[ignore = "built without the `kafka` feature: run scripts/test.sh, or scripts/with-kafka.sh cargo test --features kafka --test kafka_sink"]
fn kafka_sink_tests() {}

#[cfg(feature = "kafka")]
mod common;

#[cfg(feature = "kafka")]
mod with_kafka {
    use super::common::kafka::{
        Consumed, Message, bootstrap, consume_all, create_topic, java_partition, murmur2, produce,
        unique,
    };
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::Arc;
    use std::time::Duration;
    use streamdsl::outputs::kafka::{
        BATCH_TIME_HEADER, Delivery, KafkaSink, KafkaSinkError, TooLarge,
    };
    use streamdsl::prelude::*;
    use streamdsl::testing::Harness;

    stream! {
        /// The classic word count, each batch's counts to Kafka.
        pipeline CountsToKafka(sink: Arc<KafkaSink>) {
            batch = 1s;
            input lines: String;
            let counts: (String, u64) = lines
                .flat_map(|line| line.split(' ').map(str::to_owned).collect::<Vec<_>>())
                .map(|word| (word, 1u64))
                .reduce_by_key(|a, b| a + b);
            counts.save_to_kafka(sink);
        }
    }

    fn lines(batches: &[&[&str]]) -> QueueStream<String> {
        queue_stream(
            batches
                .iter()
                .map(|b| b.iter().map(|l| (*l).to_owned()).collect::<Vec<String>>())
                .collect::<Vec<_>>(),
        )
    }

    /// The messages as `(batch time, key, payload)`, sorted.
    fn by_batch(messages: &[Consumed]) -> Vec<(i64, String, String)> {
        let mut records: Vec<(i64, String, String)> = messages
            .iter()
            .map(|m| {
                let time = m.header(BATCH_TIME_HEADER).expect("batch time header");
                (
                    time.parse().unwrap(),
                    m.key.clone().unwrap(),
                    m.payload.clone().unwrap(),
                )
            })
            .collect();
        records.sort();
        records
    }

    #[test]
    fn the_hash_is_javas_murmur2() {
        // Kafka's own test vectors (UtilsTest.testMurmur2).
        for (key, hash) in [
            ("21", -973932308),
            ("foobar", -790332482),
            ("a-little-bit-long-string", -985981536),
            ("a-little-bit-longer-string", -1486304829),
            (
                "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58897971,
            ),
            ("abc", 479470107),
        ] {
            assert_eq!(murmur2(key.as_bytes()), hash, "{key}");
        }
    }

    #[test]
    fn every_record_arrives_once_on_the_java_partition_of_its_key_with_its_batch_time() {
        let Some(bootstrap) = bootstrap() else { return };
        let topic = unique("counts");
        create_topic(&bootstrap, &topic, 3);
        let sink = Arc::new(KafkaSink::new(&bootstrap, &topic));
        let input = lines(&[
            &["to be or not to be", "that is the question"],
            &[],
            &["be quick", "or be dead", "quick quick"],
        ]);
        let run = Harness::new(CountsToKafka::new(Arc::clone(&sink)).lines(input))
            .run(3)
            .unwrap();
        let messages = consume_all(&bootstrap, &topic, 3, false);
        let mut expected = Vec::new();
        for time in [1000, 2000, 3000] {
            for (word, n) in run.records::<(String, u64)>("counts", time) {
                expected.push((time, word, n.to_string()));
            }
        }
        expected.sort();
        assert_eq!(
            by_batch(&messages),
            expected,
            "each count once, by batch time"
        );
        for m in &messages {
            let key = m.key.as_deref().unwrap();
            assert_eq!(
                m.partition,
                java_partition(key.as_bytes(), 3),
                "`{key}` is on the partition a Java producer puts it on"
            );
        }
        assert_eq!(sink.skipped(), 0);
    }

    stream! {
        /// Key-value records written as they come.
        pipeline PairsToKafka(sink: Arc<KafkaSink>) {
            batch = 1s;
            input pairs: (String, String);
            pairs.save_to_kafka(sink);
        }
    }

    fn pairs(batches: Vec<Vec<(&str, String)>>) -> QueueStream<(String, String)> {
        queue_stream(
            batches
                .into_iter()
                .map(|b| {
                    b.into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Vec<(String, String)>>()
                })
                .collect::<Vec<_>>(),
        )
    }

    /// A batch with a record over the producer's 10 000-byte `message.max.bytes`, between two
    /// small ones.
    fn with_a_poison_record() -> QueueStream<(String, String)> {
        pairs(vec![
            vec![("a", "small".into())],
            vec![
                ("b", "small".into()),
                ("huge", "x".repeat(20_000)),
                ("c", "small".into()),
            ],
        ])
    }

    /// An error and its causes.
    fn chain(error: &dyn std::error::Error) -> String {
        let mut text = error.to_string();
        let mut cause = error.source();
        while let Some(e) = cause {
            text.push_str(&format!(": {e}"));
            cause = e.source();
        }
        text
    }

    #[test]
    fn a_record_over_message_max_bytes_fails_the_batch_naming_it() {
        let Some(bootstrap) = bootstrap() else { return };
        let topic = unique("poison");
        create_topic(&bootstrap, &topic, 1);
        let sink = KafkaSink::new(&bootstrap, &topic).set("message.max.bytes", "10000");
        let error = Harness::new(PairsToKafka::new(Arc::new(sink)).pairs(with_a_poison_record()))
            .run(2)
            .unwrap_err();
        let text = chain(&error);
        assert!(
            text.contains("record 1 of the batch at 2000 ms")
                && text.contains("key `huge`")
                && text.contains("message.max.bytes")
                && text.contains("TooLarge::Skip"),
            "{text}"
        );
        let delivered: Vec<Option<String>> = consume_all(&bootstrap, &topic, 1, false)
            .into_iter()
            .map(|m| m.key)
            .collect();
        assert_eq!(
            delivered[0].as_deref(),
            Some("a"),
            "the batch before was written"
        );
        assert!(
            !delivered.contains(&Some("huge".into())),
            "the poison record was not"
        );
    }

    #[test]
    fn a_record_over_message_max_bytes_is_skipped_and_counted_when_asked() {
        let Some(bootstrap) = bootstrap() else { return };
        let topic = unique("poison-skip");
        create_topic(&bootstrap, &topic, 1);
        let sink = Arc::new(
            KafkaSink::new(&bootstrap, &topic)
                .set("message.max.bytes", "10000")
                .too_large(TooLarge::Skip),
        );
        Harness::new(PairsToKafka::new(Arc::clone(&sink)).pairs(with_a_poison_record()))
            .run(2)
            .unwrap();
        let keys: Vec<String> = consume_all(&bootstrap, &topic, 1, false)
            .into_iter()
            .filter_map(|m| m.key)
            .collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(sink.skipped(), 1);
    }

    #[test]
    fn an_unreachable_broker_stops_the_pipeline_after_bounded_retries() {
        // Nothing listens on port 1: every delivery times out.
        let sink = KafkaSink::new("127.0.0.1:1", "nowhere")
            .delivery_timeout(Duration::from_millis(500))
            .retries(2, Duration::from_millis(10));
        let started = std::time::Instant::now();
        let error = Harness::new(
            PairsToKafka::new(Arc::new(sink)).pairs(pairs(vec![vec![("k", "v".into())]])),
        )
        .run(1)
        .unwrap_err();
        let text = chain(&error);
        assert!(
            text.contains("could not be written to topic `nowhere` after 3 attempts")
                && text.contains("1 records not acknowledged")
                && text.contains("127.0.0.1:1"),
            "{text}"
        );
        let source = std::error::Error::source(&error).expect("the sink's error");
        assert!(
            matches!(
                source.downcast_ref::<KafkaSinkError>(),
                Some(KafkaSinkError::Undelivered { attempts: 3, .. })
            ),
            "{source:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(30), "bounded");
    }

    #[test]
    fn bad_settings_stop_the_first_batch_naming_them() {
        let error = Harness::new(
            PairsToKafka::new(Arc::new(
                KafkaSink::new("127.0.0.1:9092", "t").set("acks", "0"),
            ))
            .pairs(pairs(vec![vec![("k", "v".into())]])),
        )
        .run(1)
        .unwrap_err();
        assert!(
            chain(&error).contains("property `acks` is set by the sink itself"),
            "{error}"
        );
    }

    // ---- SIGKILL and restart: at least once, exactly once after deduplication ----

    const KILL_PARTITIONS: i32 = 3;
    const KILL_PER_PARTITION: usize = 600;

    stream! {
        /// Per batch, the count of each value read from Kafka, written back to Kafka;
        /// checkpointed every third batch.
        pipeline KafkaToKafka(sink: KafkaSink) {
            batch = 100ms;
            checkpoint every 300ms;
            input messages: (Option<String>, String);
            let counts: (String, u64) = messages
                .map(|(_, value)| (value, 1u64))
                .reduce_by_key(|a, b| a + b);
            counts.save_to_kafka(sink);
            counts.foreach_rdd(|time, batch| {
                let n: u64 = batch.iter().map(|(_, n)| n).sum();
                println!("COUNTED\t{}\t{n}", time.millis());
            });
        }
    }

    /// The child process: runs `KafkaToKafka` from the input topic to the output topic, on
    /// the checkpoint directory given in `STREAMDSL_KAFKA_SINK_CHILD`, until the parent kills
    /// it.
    #[test]
    fn kafka_sink_child() {
        let Ok(spec) = std::env::var("STREAMDSL_KAFKA_SINK_CHILD") else {
            return;
        };
        let mut parts = spec.split('|');
        let (dir, input, group, output, delivery) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let bootstrap = std::env::var("KAFKA_BOOTSTRAP").unwrap();
        // 1000 records/s per partition × 100 ms: 100 per partition per batch, 6 batches.
        let config = KafkaConfig::topics(&bootstrap, group, [input])
            .max_rate_per_partition(1000)
            .fetch_timeout(Duration::from_secs(10));
        let mut sink = KafkaSink::new(&bootstrap, output);
        if let Some(instance) = delivery.strip_prefix("exactly-once:") {
            sink = sink.delivery(Delivery::ExactlyOnce {
                instance: instance.to_owned(),
            });
        }
        let running = StreamingContext::new()
            .checkpoint_dir(dir)
            .start(KafkaToKafka::new(sink).messages(kafka_stream(config)))
            .unwrap();
        // Until the parent kills it.
        let _ = running.await_termination_or_timeout(Duration::from_secs(60));
    }

    /// Records counted per batch time, over the runs of one checkpoint directory (a batch
    /// recomputed after a restart counts once).
    type Counted = BTreeMap<i64, u64>;

    /// Runs the child until the batches in `counted` hold `total` records (then kills it), or
    /// until it dies at its crash point. Returns whether it died.
    fn run_child(
        spec: &str,
        crash_at: Option<&str>,
        total: u64,
        bootstrap: &str,
        counted: &mut Counted,
    ) -> bool {
        use std::io::BufRead;
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "with_kafka::kafka_sink_child",
                "--exact",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("STREAMDSL_KAFKA_SINK_CHILD", spec)
            .env("KAFKA_BOOTSTRAP", bootstrap)
            .env_remove("STREAMDSL_CRASH_AT")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        if let Some(point) = crash_at {
            command.env("STREAMDSL_CRASH_AT", point);
        }
        let mut child = KillOnDrop(command.spawn().unwrap());
        let started = std::time::Instant::now();
        let done = |counted: &Counted| counted.values().sum::<u64>() >= total;
        for line in std::io::BufReader::new(child.0.stdout.take().unwrap()).lines() {
            let Ok(line) = line else { break };
            // The first line follows libtest's `test … ` on the same line.
            if let Some((time, n)) = line
                .split_once("COUNTED\t")
                .map(|(_, rest)| rest)
                .and_then(|rest| rest.split_once('\t'))
            {
                counted.insert(time.parse().unwrap(), n.parse().unwrap());
                if done(counted) {
                    child.0.kill().unwrap();
                    let _ = child.0.wait();
                    return false;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "child ran too long (crash point {crash_at:?}): counted {} of {total} in {counted:?}",
                counted.values().sum::<u64>()
            );
        }
        let status = child.0.wait().unwrap();
        assert!(!status.success(), "the child stopped on its own");
        true
    }

    /// A child process that a failing assertion does not leave running.
    struct KillOnDrop(std::process::Child);

    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// The records of an output topic as `(batch index, value, count)`: batch indexes count
    /// from the run's first batch with records.
    fn relative(messages: &[Consumed]) -> Vec<(i64, String, String)> {
        let records = by_batch(messages);
        let first = records.first().map_or(0, |r| r.0);
        records
            .into_iter()
            .map(|(t, k, v)| ((t - first) / 100, k, v))
            .collect()
    }

    /// The records grouped into batches by batch time, in time order, each batch's records
    /// deduplicated. A restart recomputes the lost batches at the times it runs them (the
    /// input's ranges resume from the checkpoint), so runs are compared batch by batch, by
    /// content.
    fn batches(records: &[(i64, String, String)]) -> Vec<BTreeSet<(String, String)>> {
        let mut by_time: BTreeMap<i64, BTreeSet<(String, String)>> = BTreeMap::new();
        for (t, k, v) in records {
            by_time
                .entry(*t)
                .or_default()
                .insert((k.clone(), v.clone()));
        }
        by_time.into_values().collect()
    }

    /// Produces the input topic of the kill tests: 600 records per partition over 11 values.
    fn kill_input(bootstrap: &str) -> String {
        let topic = unique("sink-kill-in");
        create_topic(bootstrap, &topic, KILL_PARTITIONS);
        produce(
            bootstrap,
            &topic,
            (0..KILL_PARTITIONS).flat_map(|p| {
                (0..KILL_PER_PARTITION)
                    .map(move |i| Message::text(p, "k", &format!("w{}", (i * 7 + p as usize) % 11)))
            }),
        );
        topic
    }

    /// Runs the reference and every crash scenario with `delivery` (`at-least-once` or
    /// `exactly-once:<instance>`) and checks each against the reference with `check`.
    fn kill_scenarios(
        bootstrap: &str,
        delivery: &str,
        read_committed: bool,
        scenarios: &[(&str, &str)],
        check: impl Fn(&str, &[(i64, String, String)], &[(i64, String, String)]),
    ) {
        let input = kill_input(bootstrap);
        let total = (KILL_PARTITIONS as usize * KILL_PER_PARTITION) as u64;
        let scratch = std::env::temp_dir().join(unique("streamdsl-kafka-sink-kill"));
        // Each run directory reads the input as a group of its own.
        let spec = |dir: &str, output: &str| {
            let group = unique("group");
            let dir = scratch.join(dir);
            format!("{}|{input}|{group}|{output}|{delivery}", dir.display())
        };
        let output = unique("sink-kill-reference");
        create_topic(bootstrap, &output, KILL_PARTITIONS);
        let reference_spec = spec("reference", &output);
        assert!(!run_child(
            &reference_spec,
            None,
            total,
            bootstrap,
            &mut Counted::new()
        ));
        let reference = relative(&consume_all(
            bootstrap,
            &output,
            KILL_PARTITIONS,
            read_committed,
        ));
        let counted: u64 = reference.iter().map(|r| r.2.parse::<u64>().unwrap()).sum();
        assert_eq!(counted, total, "the reference wrote every count");
        for (i, (name, crash_at)) in scenarios.iter().enumerate() {
            let output = unique("sink-kill-out");
            create_topic(bootstrap, &output, KILL_PARTITIONS);
            let spec = spec(&format!("scenario-{i}"), &output);
            let mut counted = Counted::new();
            assert!(
                run_child(&spec, Some(crash_at), total, bootstrap, &mut counted),
                "{name}: the child died at {crash_at}"
            );
            assert!(
                !run_child(&spec, None, total, bootstrap, &mut counted),
                "{name}: the restarted child ran to the end"
            );
            let seen = relative(&consume_all(
                bootstrap,
                &output,
                KILL_PARTITIONS,
                read_committed,
            ));
            check(name, &seen, &reference);
        }
        let _ = std::fs::remove_dir_all(&scratch);
    }

    #[test]
    fn killed_at_the_sinks_crash_points_every_record_arrives_at_least_once() {
        let Some(bootstrap) = bootstrap() else { return };
        let scenarios = [
            ("mid-produce", "kafka-sink-mid-produce:3"),
            ("delivered, before the checkpoint", "kafka-sink-delivered:4"),
        ];
        kill_scenarios(
            &bootstrap,
            "at-least-once",
            false,
            &scenarios,
            |name, seen, reference| {
                let (seen_batches, expected) = (batches(seen), batches(reference));
                for (k, batch) in expected.iter().enumerate() {
                    assert!(
                        seen_batches.contains(batch),
                        "{name}: batch {k} of the uninterrupted run arrived whole"
                    );
                }
                for batch in &seen_batches {
                    assert!(
                        expected.iter().any(|e| batch.is_subset(e)),
                        "{name}: every record written belongs to a batch of the uninterrupted run: {batch:?}"
                    );
                }
                // Killed after its batch was delivered, before the checkpoint covering it: the
                // recomputed batch is written again.
                if name.starts_with("delivered") {
                    assert!(
                        seen.len() > reference.len(),
                        "{name}: the recomputed batch was written again: {} vs {} records",
                        seen.len(),
                        reference.len()
                    );
                }
            },
        );
    }

    // ---- Exactly once: needs a broker with transactions ----

    /// The address of a broker with transactions, from `KAFKA_TRANSACTIONAL_BOOTSTRAP`;
    /// without it the test says it is skipped.
    fn transactional_bootstrap() -> Option<String> {
        let found = std::env::var("KAFKA_TRANSACTIONAL_BOOTSTRAP").ok();
        if found.is_none() {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "exactly-once test skipped: it needs a broker with transactions (read_committed \
                 isolation), e.g. Apache Kafka; set KAFKA_TRANSACTIONAL_BOOTSTRAP to its address. \
                 The test broker (tansu) shows aborted records to read_committed consumers."
            );
        }
        found
    }

    /// Runs the exactly-once kill scenarios on `bootstrap`: a `read_committed` consumer sees
    /// the uninterrupted run's batches, each record once.
    fn exactly_once_scenarios(bootstrap: &str, scenarios: &[(&str, &str)]) {
        kill_scenarios(
            bootstrap,
            &format!("exactly-once:{}", unique("instance")),
            true,
            scenarios,
            |name, seen, reference| {
                assert_eq!(
                    batches(seen),
                    batches(reference),
                    "{name}: a read_committed consumer sees the uninterrupted run's batches"
                );
                assert_eq!(seen.len(), reference.len(), "{name}: each record once");
            },
        );
    }

    /// A transaction begun but not produced into, and one committed just before the crash (the
    /// checkpoint does not cover its batch yet): the restart writes neither twice. The second
    /// is the sink's own doing (the batch time committed as its group's offset in the same
    /// transaction), so it is checked on the test broker too.
    #[test]
    fn exactly_once_a_restart_does_not_write_a_committed_batch_again() {
        let Some(bootstrap) = bootstrap() else { return };
        exactly_once_scenarios(
            &bootstrap,
            &[
                ("before producing", "kafka-sink-before-produce:3"),
                ("committed, before the checkpoint", "kafka-sink-committed:4"),
            ],
        );
    }

    /// Killed with a transaction open (mid-produce, or produced and flushed but not
    /// committed): the restart aborts it (`init_transactions` of the same id), and its records
    /// never reach a read_committed consumer. Needs a broker with transaction isolation.
    #[test]
    fn exactly_once_records_of_an_unfinished_transaction_are_never_seen() {
        let Some(bootstrap) = transactional_bootstrap() else {
            return;
        };
        exactly_once_scenarios(
            &bootstrap,
            &[
                ("mid-produce", "kafka-sink-mid-produce:3"),
                ("before the commit", "kafka-sink-before-commit:4"),
            ],
        );
    }

    #[test]
    fn a_second_copy_with_the_same_instance_fences_the_first() {
        let Some(bootstrap) = bootstrap() else { return };
        let topic = unique("fenced");
        create_topic(&bootstrap, &topic, 1);
        let instance = unique("instance");
        let sink = |_: ()| {
            Arc::new(
                KafkaSink::new(&bootstrap, &topic).delivery(Delivery::ExactlyOnce {
                    instance: instance.clone(),
                }),
            )
        };
        let batch = |k: &str| pairs(vec![vec![(k, "v".into())]]);
        let first = sink(());
        let mut zombie =
            streamdsl::testing::BatchRunner::new(PairsToKafka::new(Arc::clone(&first)));
        zombie
            .run((vec![("z1".to_owned(), "v".to_owned())].into(),))
            .unwrap();
        Harness::new(PairsToKafka::new(sink(())).pairs(batch("new")))
            .run(1)
            .unwrap();
        let error = zombie
            .run((vec![("z2".to_owned(), "v".to_owned())].into(),))
            .unwrap_err();
        assert!(chain(&error).contains("fenced"), "{error}");
        let keys: BTreeMap<String, usize> = consume_all(&bootstrap, &topic, 1, true)
            .into_iter()
            .fold(BTreeMap::new(), |mut m, c| {
                *m.entry(c.key.unwrap()).or_default() += 1;
                m
            });
        assert_eq!(keys.get("z2"), None, "the fenced copy wrote nothing more");
    }
}
