//! `save_to_kafka` against a real Kafka-compatible broker on 127.0.0.1 (started by
//! scripts/test.sh through scripts/with-kafka.sh, address in `KAFKA_BOOTSTRAP`): every record
//! reaches the topic once, on the partition a Java producer picks for its key, with its batch
//! time in a header; poison records fail the batch naming them or are skipped and counted; an
//! unreachable broker stops the pipeline after bounded retries; a pipeline SIGKILLed at the
//! sink's crash points and restarted delivers every record at least once, and exactly the
//! uninterrupted run's records after deduplication by batch time and key.
//!
//! Exactly once, on the test broker: a second copy with the same instance id fences the
//! first; each transaction commits the Kafka input's offsets; killed before producing or after
//! a commit, a restarted pipeline gives a read_committed consumer each record's count once.
//! Killed inside a transaction (mid-produce, before the commit) needs a broker with
//! transaction isolation: the test broker (tansu 0.6.0) accepts the transactional calls but
//! shows the records of an unfinished transaction to read_committed consumers. Those run
//! against `KAFKA_TRANSACTIONAL_BOOTSTRAP` (e.g. an Apache Kafka broker) and say they are
//! skipped without it.
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
        Consumed, Message, bootstrap, committed_with_metadata, consume_all, create_topic,
        java_partition, murmur2, produce, unique,
    };
    use super::common::{chain, spawn_test_child};
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

    /// A record that is not a key-value pair.
    #[derive(Clone, Debug)]
    struct Reading {
        sensor: String,
        celsius: f64,
    }

    stream! {
        /// Readings written through a serializer: sensor as key, the temperature as text.
        pipeline ReadingsToKafka(sink: Arc<KafkaSink>) {
            batch = 1s;
            input readings: Reading;
            readings.save_to_kafka(sink, |r| (r.sensor.clone(), format!("{:.1} C", r.celsius)));
        }
    }

    #[test]
    fn a_serializer_makes_the_key_and_payload_of_other_records() {
        let Some(bootstrap) = bootstrap() else { return };
        let topic = unique("readings");
        create_topic(&bootstrap, &topic, 1);
        let reading = |sensor: &str, celsius| Reading {
            sensor: sensor.to_owned(),
            celsius,
        };
        let input = queue_stream(vec![vec![reading("s1", 20.25), reading("s2", -3.0)]]);
        Harness::new(
            ReadingsToKafka::new(Arc::new(KafkaSink::new(&bootstrap, &topic))).readings(input),
        )
        .run(1)
        .unwrap();
        let written: Vec<(i64, String, String)> =
            by_batch(&consume_all(&bootstrap, &topic, 1, false));
        assert_eq!(
            written,
            [
                (1000, "s1".to_owned(), "20.2 C".to_owned()),
                (1000, "s2".to_owned(), "-3.0 C".to_owned())
            ]
        );
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
        let [dir, input, group, output, delivery] = spec.split('|').collect::<Vec<_>>()[..] else {
            panic!("STREAMDSL_KAFKA_SINK_CHILD is dir|input|group|output|delivery: {spec}");
        };
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

    /// Empty batches in a row, after one with records, that end a child's run: the input
    /// is drained (3 s at 100 ms batches).
    const DRAINED_AFTER: usize = 30;

    /// Runs the child until it has drained the input (then kills it), or until it dies at its
    /// crash point. Returns whether it died.
    fn run_child(spec: &str, crash_at: Option<&str>, bootstrap: &str) -> bool {
        use std::io::BufRead;
        let mut child = spawn_test_child(
            "with_kafka::kafka_sink_child",
            &[
                ("STREAMDSL_KAFKA_SINK_CHILD", spec),
                ("KAFKA_BOOTSTRAP", bootstrap),
            ],
            crash_at,
        );
        let started = std::time::Instant::now();
        let (mut counted, mut empty_in_a_row) = (0u64, 0);
        for line in std::io::BufReader::new(child.0.stdout.take().unwrap()).lines() {
            let Ok(line) = line else { break };
            // The first line follows libtest's `test … ` on the same line.
            if let Some(n) = line
                .split_once("COUNTED\t")
                .and_then(|(_, rest)| rest.split_once('\t'))
                .map(|(_, n)| n.parse::<u64>().unwrap())
            {
                counted += n;
                empty_in_a_row = if n == 0 { empty_in_a_row + 1 } else { 0 };
                if counted > 0 && empty_in_a_row >= DRAINED_AFTER {
                    child.0.kill().unwrap();
                    let _ = child.0.wait();
                    return false;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "child ran too long (crash point {crash_at:?}): counted {counted}"
            );
        }
        let status = child.0.wait().unwrap();
        assert!(!status.success(), "the child stopped on its own");
        true
    }

    /// Each value's total over `records` (the counts added up).
    fn totals<'a>(
        records: impl IntoIterator<Item = &'a (i64, String, String)>,
    ) -> BTreeMap<String, u64> {
        let mut totals = BTreeMap::new();
        for (_, value, count) in records {
            *totals.entry(value.clone()).or_default() += count.parse::<u64>().unwrap();
        }
        totals
    }

    /// Each value's number of records in the kill tests' input: what the totals of every
    /// batch's counts, each batch written once, add up to.
    fn input_totals() -> BTreeMap<String, u64> {
        let mut totals = BTreeMap::new();
        for p in 0..KILL_PARTITIONS as usize {
            for i in 0..KILL_PER_PARTITION {
                *totals.entry(format!("w{}", (i * 7 + p) % 11)).or_default() += 1;
            }
        }
        totals
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

    /// Runs an uninterrupted reference and every crash scenario with `delivery`
    /// (`at-least-once` or `exactly-once:<instance>`), and checks what each wrote with
    /// `check(name, records)`. Batches are compared by their counts, not by their times or
    /// cuts: how a restarted Kafka input cuts the recomputed batches depends on the high
    /// watermarks it has seen by then.
    fn kill_scenarios(
        bootstrap: &str,
        delivery: &str,
        read_committed: bool,
        scenarios: &[(&str, &str)],
        check: impl Fn(&str, &[(i64, String, String)]),
    ) {
        let input = kill_input(bootstrap);
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
        assert!(!run_child(&reference_spec, None, bootstrap));
        let reference = by_batch(&consume_all(
            bootstrap,
            &output,
            KILL_PARTITIONS,
            read_committed,
        ));
        assert_eq!(
            totals(&reference),
            input_totals(),
            "the uninterrupted run wrote every record's count once"
        );
        for (i, (name, crash_at)) in scenarios.iter().enumerate() {
            let output = unique("sink-kill-out");
            create_topic(bootstrap, &output, KILL_PARTITIONS);
            let spec = spec(&format!("scenario-{i}"), &output);
            assert!(
                run_child(&spec, Some(crash_at), bootstrap),
                "{name}: the child died at {crash_at}"
            );
            assert!(
                !run_child(&spec, None, bootstrap),
                "{name}: the restarted child ran to the end"
            );
            let seen = by_batch(&consume_all(
                bootstrap,
                &output,
                KILL_PARTITIONS,
                read_committed,
            ));
            check(name, &seen);
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
            |name, seen| {
                // Batches repeated whole carry the same batch time: deduplicated by it, no
                // record of the input is missing.
                let distinct: BTreeSet<&(i64, String, String)> = seen.iter().collect();
                let (got, expected) = (totals(distinct.iter().copied()), input_totals());
                assert_eq!(
                    got.keys().collect::<Vec<_>>(),
                    expected.keys().collect::<Vec<_>>(),
                    "{name}: the values of the input, and only those"
                );
                for (value, n) in &expected {
                    assert!(
                        got[value] >= *n,
                        "{name}: every record of `{value}` counted at least once: {} of {n}",
                        got[value]
                    );
                }
                // Killed after its batch was delivered, before the checkpoint covering it: the
                // recomputed batch is written again.
                if name.starts_with("delivered") {
                    assert!(
                        seen.len() > distinct.len(),
                        "{name}: the recomputed batch was written again ({} records)",
                        seen.len()
                    );
                }
            },
        );
    }

    // ---- Exactly once ----

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
    /// every record's count once.
    fn exactly_once_scenarios(bootstrap: &str, scenarios: &[(&str, &str)]) {
        kill_scenarios(
            bootstrap,
            &format!("exactly-once:{}", unique("instance")),
            true,
            scenarios,
            |name, seen| {
                assert_eq!(
                    totals(seen),
                    input_totals(),
                    "{name}: a read_committed consumer sees every record's count once"
                );
            },
        );
    }

    /// Killed with a transaction begun but not produced into, and committed but not covered
    /// by the checkpoint yet (the checkpoint is every third batch, so up to three completed
    /// batches are recomputed): a read_committed consumer sees every record's count once.
    /// Neither leaves an unfinished transaction, so the test broker can show it.
    #[test]
    fn exactly_once_killed_before_producing_or_after_committing_gives_each_record_once() {
        let Some(bootstrap) = bootstrap() else { return };
        exactly_once_scenarios(
            &bootstrap,
            &[
                ("before producing", "kafka-sink-before-produce:3"),
                ("committed, before the checkpoint", "kafka-sink-committed:4"),
            ],
        );
    }

    /// Killed mid-produce and produced but not committed: the killed transaction's records
    /// must stay invisible to a read_committed consumer, which needs a broker with
    /// transaction isolation.
    #[test]
    fn exactly_once_killed_inside_a_transaction_gives_each_record_once() {
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

    /// Whether the broker returns the metadata of an offset commit (tansu 0.6.0 drops it).
    fn keeps_commit_metadata(bootstrap: &str, topic: &str) -> bool {
        use streamdsl::inputs::kafka::rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
        use streamdsl::inputs::kafka::rdkafka::{ClientConfig, Offset, TopicPartitionList};
        let group = unique("metadata-probe");
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("group.id", &group)
            .create()
            .unwrap();
        let mut list = TopicPartitionList::new();
        list.add_partition_offset(topic, 0, Offset::Offset(1))
            .unwrap();
        list.elements()[0].set_metadata("probe");
        consumer.commit(&list, CommitMode::Sync).unwrap();
        committed_with_metadata(bootstrap, &group, topic, 1)[0].1 == "probe"
    }

    /// Consume-transform-produce: each transaction commits the Kafka input's end offsets to
    /// its group, with the batch time. Killed right after a commit, before the input's own
    /// commit could run, the group has consumed exactly the records whose counts the
    /// transactions wrote.
    #[test]
    fn a_transaction_commits_the_kafka_inputs_offsets_with_its_records() {
        let Some(bootstrap) = bootstrap() else { return };
        let input = kill_input(&bootstrap);
        let output = unique("sink-offsets-out");
        create_topic(&bootstrap, &output, KILL_PARTITIONS);
        let (group, instance) = (unique("group"), unique("instance"));
        let dir = std::env::temp_dir().join(unique("streamdsl-kafka-sink-offsets"));
        let spec = format!(
            "{}|{input}|{group}|{output}|exactly-once:{instance}",
            dir.display()
        );
        assert!(run_child(&spec, Some("kafka-sink-committed:4"), &bootstrap));
        let written = by_batch(&consume_all(&bootstrap, &output, KILL_PARTITIONS, true));
        let counted: u64 = totals(&written).values().sum();
        assert!(counted > 0, "the transactions wrote counts");
        let committed = committed_with_metadata(&bootstrap, &group, &input, KILL_PARTITIONS);
        let consumed: i64 = committed.iter().map(|(offset, _)| offset).sum();
        assert_eq!(
            consumed as u64, counted,
            "the group consumed the records counted in the output: {committed:?}"
        );
        // The batch time rides in the commit's metadata, which some brokers do not keep.
        if !keeps_commit_metadata(&bootstrap, &input) {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "the broker keeps no offset commit metadata: the batch time of the commit is not checked"
            );
            return;
        }
        let last_written = written.iter().map(|(time, _, _)| *time).max().unwrap();
        for (_, metadata) in &committed {
            let time: i64 = metadata
                .strip_prefix("streamdsl-batch-time=")
                .and_then(|t| t.parse().ok())
                .unwrap_or_else(|| panic!("the commit names its batch time: {metadata:?}"));
            assert!(
                time >= last_written,
                "{time} is the last transaction's batch"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
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
