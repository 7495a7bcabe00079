//! `kafka_stream` against a real Kafka-compatible broker on 127.0.0.1 (started by
//! scripts/test.sh through scripts/with-kafka.sh, address in `KAFKA_BOOTSTRAP`): batches are
//! offset ranges bounded by the rate limit, every record arrives exactly once, offsets are
//! committed after outputs and a new pipeline resumes there, a checkpoint's offsets win,
//! consumer-group copies share partitions without losing or doubling records, bad settings
//! fail clearly, bad payloads follow their policy, a large backlog drains in bounded memory.
//!
//! Every test makes its own topics and groups. Every wait polls with a deadline.

#![cfg_attr(not(feature = "kafka"), allow(dead_code))]

#[cfg(not(feature = "kafka"))]
#[test]
#[ignore = "built without the `kafka` feature: run scripts/test.sh, or scripts/with-kafka.sh cargo test --features kafka --test kafka"]
fn kafka_tests() {}

#[cfg(feature = "kafka")]
mod common;

#[cfg(feature = "kafka")]
mod with_kafka {
    use super::common::kafka::{Message, bootstrap, committed, create_topic, produce, unique};
    use super::common::{Metrics, chain, peak_rss_kib, poll, printed, spawn_test_child};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use streamdsl::InvalidUtf8;
    use streamdsl::inputs::kafka::{KafkaConfig, kafka_stream};
    use streamdsl::prelude::*;

    /// Each batch's records, partition by partition.
    type Seen = Arc<Mutex<Vec<Vec<Vec<(Option<String>, String)>>>>>;

    stream! {
        /// Records every batch as it came, partitions kept apart.
        pipeline Messages(seen: Seen) {
            batch = 100ms;
            input messages: (Option<String>, String);
            messages.foreach_rdd(|batch| {
                seen.lock().unwrap().push(batch.partitions().map(<[_]>::to_vec).collect());
            });
        }
    }

    /// `n` messages per partition, valued `p<partition>-<index>`.
    fn numbered(partitions: i32, n: usize) -> Vec<Message> {
        (0..partitions)
            .flat_map(|p| {
                (0..n).map(move |i| Message::text(p, &format!("k{i}"), &format!("p{p}-{i}")))
            })
            .collect()
    }

    fn all_values(seen: &Seen) -> Vec<String> {
        seen.lock()
            .unwrap()
            .iter()
            .flatten()
            .flatten()
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Runs `Messages` until it has seen `expected` records, then stops it gracefully.
    fn run_until(config: KafkaConfig, expected: usize) -> (Seen, Metrics) {
        let seen = Seen::default();
        let metrics = Metrics::default();
        let running = StreamingContext::new()
            .add_listener(metrics.clone())
            .start(Messages::new(seen.clone()).messages(kafka_stream(config)))
            .unwrap();
        poll(&format!("{expected} records"), || {
            all_values(&seen).len() >= expected
        });
        running.stop(StopMode::Gracefully).unwrap();
        (seen, metrics)
    }

    #[test]
    fn batches_are_rate_limited_offset_ranges_and_every_record_arrives_once() {
        let Some(bootstrap) = bootstrap() else { return };
        let (topic, group) = (unique("ranges"), unique("ranges-group"));
        create_topic(&bootstrap, &topic, 3);
        produce(&bootstrap, &topic, numbered(3, 1000));
        // 2000 records/s per partition × 100 ms = 200 per partition per batch.
        let config = KafkaConfig::topics(&bootstrap, &group, [&topic])
            .max_rate_per_partition(2000)
            .fetch_timeout(Duration::from_secs(10));
        let (seen, metrics) = run_until(config, 3000);
        let lag = metrics.input_gauge_per_batch("messages", "lag_records");
        assert!(
            lag.iter().any(|&l| l >= 400),
            "the batches after the first leave records behind: {lag:?}"
        );
        assert_eq!(lag.last(), Some(&0), "none left at the end: {lag:?}");
        let last = metrics
            .0
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .partition_lag
            .clone();
        let partitions: Vec<(i32, u64)> = last.iter().map(|(_, _, p, n)| (*p, *n)).collect();
        assert_eq!(partitions.len(), 3, "each partition's lag: {last:?}");
        assert!(partitions.iter().all(|(_, n)| *n == 0), "{last:?}");

        let batches = seen.lock().unwrap().clone();
        let full: Vec<_> = batches
            .iter()
            .filter(|b| b.iter().any(|p| !p.is_empty()))
            .collect();
        assert_eq!(full.len(), 5, "1000 per partition in batches of 200");
        for (k, batch) in full.iter().enumerate() {
            assert_eq!(batch.len(), 3, "one batch partition per Kafka partition");
            for part in batch.iter() {
                assert_eq!(
                    part.len(),
                    200,
                    "batch {k}: the range is exactly the rate limit"
                );
                let p = &part[0].1[..2];
                let expected: Vec<String> = (k * 200..(k + 1) * 200)
                    .map(|i| format!("{p}-{i}"))
                    .collect();
                let got: Vec<String> = part.iter().map(|(_, v)| v.clone()).collect();
                assert_eq!(got, expected, "in offset order, each once");
                assert!(
                    part.iter()
                        .all(|(key, v)| key.as_deref() == Some(&format!("k{}", &v[3..])[..]))
                );
            }
        }
        // Committed after the outputs: a monitoring tool sees no lag.
        assert_eq!(committed(&bootstrap, &group, &topic, 3), [1000, 1000, 1000]);
    }

    #[test]
    fn offsets_are_committed_after_each_batch_while_running() {
        let Some(bootstrap) = bootstrap() else { return };
        let (topic, group) = (unique("running"), unique("running-group"));
        create_topic(&bootstrap, &topic, 2);
        produce(&bootstrap, &topic, numbered(2, 50));
        let seen = Seen::default();
        let input = kafka_stream(KafkaConfig::topics(&bootstrap, &group, [&topic]));
        let running = StreamingContext::new()
            .start(Messages::new(seen.clone()).messages(input))
            .unwrap();
        poll("every record", || all_values(&seen).len() >= 100);
        // Before any stop: what monitoring tools see as the group's lag.
        poll("the committed offsets at the end", || {
            committed(&bootstrap, &group, &topic, 2) == [50, 50]
        });
        running.stop(StopMode::Gracefully).unwrap();
    }

    #[test]
    fn a_pipeline_without_checkpoint_resumes_at_the_groups_committed_offsets() {
        let Some(bootstrap) = bootstrap() else { return };
        let (topic, group) = (unique("resume"), unique("resume-group"));
        create_topic(&bootstrap, &topic, 2);
        produce(&bootstrap, &topic, numbered(2, 100));
        let config = || KafkaConfig::topics(&bootstrap, &group, [&topic]);
        let (first, _) = run_until(config(), 200);
        assert_eq!(all_values(&first).len(), 200);
        assert_eq!(committed(&bootstrap, &group, &topic, 2), [100, 100]);

        produce(
            &bootstrap,
            &topic,
            (0..2)
                .flat_map(|p| (100..130).map(move |i| Message::text(p, "k", &format!("p{p}-{i}")))),
        );
        let (second, _) = run_until(config(), 60);
        let mut values = all_values(&second);
        values.sort();
        let mut expected: Vec<String> = (0..2)
            .flat_map(|p| (100..130).map(move |i| format!("p{p}-{i}")))
            .collect();
        expected.sort();
        assert_eq!(
            values, expected,
            "exactly the records after the committed offsets"
        );
    }

    // ---- SIGKILL and restart: exactly-once state, the checkpoint's offsets win ----

    const KILL_PARTITIONS: i32 = 3;
    const KILL_PER_PARTITION: usize = 600;

    stream! {
        /// Running counts per value and a 5-batch window, checkpointed every third batch (so the
        /// group's committed offsets run ahead of the checkpoint, which must win on restart).
        pipeline KafkaCounting {
            batch = 100ms;
            checkpoint every 300ms;
            input messages: (Option<String>, String);
            let pairs: (String, u64) = messages.map(|(_, value)| (value, 1u64));
            let running: (String, u64) = pairs.update_state_by_key(|new: Vec<u64>, old: Option<u64>| Some(new.iter().sum::<u64>() + old.unwrap_or(0)));
            running.foreach_rdd(|time, batch| report(0, time, batch));
            let windowed: (String, u64) = pairs.reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 500ms);
            windowed.foreach_rdd(|time, batch| report(1, time, batch));
        }
    }

    /// Set in the child when the running counts cover every record produced.
    static COUNTED_ALL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

    /// One line per output batch: `OUT <batch time> <output> <sorted records>`.
    fn report(output: usize, time: Time, batch: &Batch<(String, u64)>) {
        let mut records: Vec<String> = batch.iter().map(|(w, n)| format!("{w}={n}")).collect();
        records.sort();
        println!("OUT\t{}\t{output}\t{}", time.millis(), records.join(","));
        if output == 0
            && batch.iter().map(|(_, n)| n).sum::<u64>()
                == KILL_PARTITIONS as u64 * KILL_PER_PARTITION as u64
        {
            COUNTED_ALL.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// The child process: runs `KafkaCounting` on the topic, group and checkpoint directory
    /// given in `STREAMDSL_KAFKA_CHILD` until it has counted every record.
    #[test]
    fn kafka_child() {
        let Ok(spec) = std::env::var("STREAMDSL_KAFKA_CHILD") else {
            return;
        };
        let mut parts = spec.split('|');
        let (dir, topic, group) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let bootstrap = std::env::var("KAFKA_BOOTSTRAP").unwrap();
        // 1000 records/s per partition × 100 ms: 100 per partition per batch, 6 batches.
        let config = KafkaConfig::topics(&bootstrap, group, [topic])
            .max_rate_per_partition(1000)
            .fetch_timeout(Duration::from_secs(10));
        let running = StreamingContext::new()
            .checkpoint_dir(dir)
            .start(KafkaCounting::new().messages(kafka_stream(config)))
            .unwrap();
        while !COUNTED_ALL.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
        running.stop(StopMode::Immediately).unwrap();
    }

    /// Per batch index (from the zero time), per output, the records.
    type Outputs = std::collections::BTreeMap<(i64, usize), String>;

    /// Runs the child until it has counted every record and stopped, or until it dies (a
    /// crash point); after `kill_after` output lines the parent SIGKILLs it.
    /// Returns the outputs and whether it was killed.
    fn run_child(
        dir: &std::path::Path,
        topic: &str,
        group: &str,
        crash_at: Option<&str>,
        kill_after: Option<usize>,
    ) -> (Outputs, bool) {
        use std::io::BufRead;
        let spec = format!("{}|{topic}|{group}", dir.display());
        let mut child = spawn_test_child(
            "with_kafka::kafka_child",
            &[("STREAMDSL_KAFKA_CHILD", &spec)],
            crash_at,
        );
        let started = std::time::Instant::now();
        let mut outputs = Outputs::new();
        let mut lines = 0;
        let mut killed = false;
        for line in std::io::BufReader::new(child.0.stdout.take().unwrap()).lines() {
            let Ok(line) = line else { break };
            if let Some((_, rest)) = line.split_once("OUT\t") {
                let mut fields = rest.splitn(3, '\t');
                let time: i64 = fields.next().unwrap().parse().unwrap();
                let output: usize = fields.next().unwrap().parse().unwrap();
                outputs.insert((time, output), fields.next().unwrap_or("").to_owned());
                lines += 1;
                if kill_after == Some(lines) {
                    child.0.kill().unwrap();
                    killed = true;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "child ran too long"
            );
        }
        let status = child.0.wait().unwrap();
        (outputs, killed || !status.success())
    }

    /// Batch times as batch indexes from `first`.
    fn relative(outputs: &Outputs, first: i64) -> Outputs {
        outputs
            .iter()
            .map(|((t, o), r)| (((t - first) / 100, *o), r.clone()))
            .collect()
    }

    #[test]
    fn killed_pipelines_restart_to_the_outputs_of_an_uninterrupted_run() {
        let Some(bootstrap) = bootstrap() else { return };
        let topic = unique("kill");
        create_topic(&bootstrap, &topic, KILL_PARTITIONS);
        produce(
            &bootstrap,
            &topic,
            (0..KILL_PARTITIONS).flat_map(|p| {
                (0..KILL_PER_PARTITION)
                    .map(move |i| Message::text(p, "k", &format!("w{}", (i * 7 + p as usize) % 11)))
            }),
        );
        let scratch = std::env::temp_dir().join(unique("streamdsl-kafka-kill"));
        let (reference, killed) = run_child(
            &scratch.join("reference"),
            &topic,
            &unique("reference"),
            None,
            None,
        );
        assert!(!killed);
        let reference_first = reference.keys().next().unwrap().0;
        let reference = relative(&reference, reference_first);
        // The batch that counted the last record; later batches depend on when DONE was seen.
        let done = reference
            .iter()
            .find(|((_, o), r)| {
                *o == 0
                    && r.split(',')
                        .map(|kv| kv.split('=').nth(1).unwrap().parse::<u64>().unwrap())
                        .sum::<u64>()
                        == 1800
            })
            .map(|((k, _), _)| *k)
            .unwrap();
        assert_eq!(done, 5, "six batches of 100 records per partition");

        let scenarios: [(&str, Option<&str>, Option<usize>); 4] = [
            ("mid-run", None, Some(7)),
            (
                "mid-batch, after its range was fetched",
                Some("kafka-batch-fetched:4"),
                None,
            ),
            ("mid-checkpoint", Some("checkpoint-temp-written:2"), None),
            (
                "after the outputs, before the offset commit",
                Some("kafka-before-commit:5"),
                None,
            ),
        ];
        for (i, (name, crash_at, kill_after)) in scenarios.into_iter().enumerate() {
            let dir = scratch.join(format!("scenario-{i}"));
            let group = unique("killed");
            let (crashed, killed) = run_child(&dir, &topic, &group, crash_at, kill_after);
            assert!(killed, "{name}: the child was killed");
            let (restarted, killed) = run_child(&dir, &topic, &group, None, None);
            assert!(!killed, "{name}: the restarted child ran to the end");
            let first = crashed
                .keys()
                .next()
                .map_or(i64::MAX, |k| k.0)
                .min(restarted.keys().next().unwrap().0);
            let resumed = relative(&restarted, first);
            let resumed_from = resumed.keys().next().unwrap().0;
            assert!(
                resumed_from > 0,
                "{name}: restarted from its checkpoint, not from scratch"
            );
            let upto = |o: &Outputs| -> Outputs {
                o.iter()
                    .filter(|((k, _), _)| *k >= resumed_from && *k <= done)
                    .map(|(k, v)| (*k, v.clone()))
                    .collect()
            };
            assert_eq!(
                upto(&resumed),
                upto(&reference),
                "{name}: outputs after the restart equal the uninterrupted run's"
            );
        }
        let _ = std::fs::remove_dir_all(&scratch);
    }

    // ---- Bad settings fail clearly; bad payloads follow their policy ----

    /// The error `StreamingContext::start` gives for `config`, with its causes.
    fn start_error(config: KafkaConfig) -> String {
        let seen = Seen::default();
        match StreamingContext::new().start(Messages::new(seen).messages(kafka_stream(config))) {
            Ok(running) => {
                drop(running);
                panic!("the pipeline started")
            }
            Err(e) => chain(&e),
        }
    }

    #[test]
    fn bad_settings_fail_at_start_naming_what_is_wrong() {
        let Some(bootstrap) = bootstrap() else { return };
        let topic = unique("settings");
        create_topic(&bootstrap, &topic, 2);

        // Nothing listens on port 1: a bounded wait, then the address in the message.
        let error = start_error(
            KafkaConfig::topics("127.0.0.1:1", "g", [&topic])
                .connect_timeout(Duration::from_secs(2)),
        );
        assert!(
            error.contains("input `messages`")
                && error.contains("could not reach the Kafka broker at 127.0.0.1:1"),
            "{error}"
        );

        let error = start_error(KafkaConfig::topics(
            &bootstrap,
            "g",
            ["no-such-topic-streamdsl"],
        ));
        assert!(
            error.contains("topic `no-such-topic-streamdsl` does not exist"),
            "{error}"
        );

        let error = start_error(KafkaConfig::subscribe(&bootstrap, "", [&topic]));
        assert!(error.contains("consumer group id is missing"), "{error}");

        let error = start_error(KafkaConfig::topics("127.0.0.1", "g", [&topic]));
        assert!(
            error.contains("malformed bootstrap server `127.0.0.1`"),
            "{error}"
        );

        let error = start_error(KafkaConfig::partitions(&bootstrap, "g", [(&topic, 5)]));
        assert!(
            error.contains(&format!(
                "partition 5 of topic `{topic}` does not exist (it has 2"
            )),
            "{error}"
        );

        let error = start_error(
            KafkaConfig::topics(&bootstrap, "g", [&topic]).set("no.such.property", "1"),
        );
        assert!(
            error.contains("configuration is invalid") && error.contains("no.such.property"),
            "{error}"
        );
    }

    /// A valid message, one that is not UTF-8, an empty and a null payload, a null key.
    fn awkward_messages() -> Vec<Message> {
        vec![
            Message::text(0, "k", "a"),
            Message {
                partition: 0,
                key: Some(b"k".to_vec()),
                payload: Some(b"x\xff\xfey".to_vec()),
            },
            Message::text(0, "k", ""),
            Message {
                partition: 0,
                key: Some(b"k".to_vec()),
                payload: None,
            },
            Message {
                partition: 0,
                key: None,
                payload: Some(b"b".to_vec()),
            },
        ]
    }

    #[test]
    fn invalid_utf8_is_replaced_or_skipped_and_empty_payloads_and_null_keys_are_records() {
        let Some(bootstrap) = bootstrap() else { return };
        let topic = unique("utf8");
        create_topic(&bootstrap, &topic, 1);
        produce(&bootstrap, &topic, awkward_messages());
        let k = |v: &str| (Some("k".to_owned()), v.to_owned());

        for (policy, expected) in [
            (
                InvalidUtf8::Lossy,
                vec![
                    k("a"),
                    k("x\u{fffd}\u{fffd}y"),
                    k(""),
                    k(""),
                    (None, "b".to_owned()),
                ],
            ),
            (
                InvalidUtf8::Skip,
                vec![k("a"), k(""), k(""), (None, "b".to_owned())],
            ),
        ] {
            let seen = Seen::default();
            let metrics = Metrics::default();
            let input = kafka_stream(KafkaConfig::topics(
                &bootstrap,
                &unique("utf8-group"),
                [&topic],
            ))
            .invalid_utf8(policy);
            let running = StreamingContext::new()
                .add_listener(metrics.clone())
                .start(Messages::new(seen.clone()).messages(input))
                .unwrap();
            poll("every record", || {
                seen.lock().unwrap().iter().flatten().flatten().count() >= expected.len()
            });
            metrics.wait_batches(1);
            running.stop(StopMode::Gracefully).unwrap();
            let got: Vec<_> = seen
                .lock()
                .unwrap()
                .iter()
                .flatten()
                .flatten()
                .cloned()
                .collect();
            assert_eq!(got, expected, "{policy:?}");
            assert_eq!(
                metrics.input_counter("messages", "invalid_utf8"),
                1,
                "{policy:?}: counted"
            );
        }
    }

    #[test]
    fn invalid_utf8_with_fail_stops_the_pipeline_before_the_batch_and_a_restart_reads_it_again() {
        let Some(bootstrap) = bootstrap() else { return };
        let topic = unique("utf8-fail");
        let group = unique("utf8-fail-group");
        create_topic(&bootstrap, &topic, 1);
        produce(&bootstrap, &topic, awkward_messages());
        let seen = Seen::default();
        let input = kafka_stream(KafkaConfig::topics(&bootstrap, &group, [&topic]))
            .invalid_utf8(InvalidUtf8::Fail);
        let running = StreamingContext::new()
            .start(Messages::new(seen.clone()).messages(input))
            .unwrap();
        let error = chain(&running.await_termination().unwrap_err());
        assert!(
            error.contains("input `messages` of pipeline `Messages` failed batch")
                && error.contains(&format!(
                    "payload of the message at {topic}/0 offset 1 is not UTF-8"
                )),
            "{error}"
        );
        drop(running);
        assert!(all_values(&seen).is_empty(), "the failed batch did not run");
        assert_eq!(
            committed(&bootstrap, &group, &topic, 1),
            [0],
            "the group stays at the start of the failed batch"
        );

        // Read past it with another policy: nothing was lost.
        let input = kafka_stream(KafkaConfig::topics(&bootstrap, &group, [&topic]))
            .invalid_utf8(InvalidUtf8::Skip);
        let running = StreamingContext::new()
            .start(Messages::new(seen.clone()).messages(input))
            .unwrap();
        poll("the four valid records", || all_values(&seen).len() >= 4);
        running.stop(StopMode::Gracefully).unwrap();
        assert_eq!(all_values(&seen), ["a", "", "", "b"]);
    }

    #[test]
    fn manual_assignment_reads_exactly_the_partitions_given_across_topics() {
        let Some(bootstrap) = bootstrap() else { return };
        let (first, second) = (unique("manual-a"), unique("manual-b"));
        create_topic(&bootstrap, &first, 3);
        create_topic(&bootstrap, &second, 1);
        produce(&bootstrap, &first, numbered(3, 50));
        produce(
            &bootstrap,
            &second,
            (0..50).map(|i| Message::text(0, "k", &format!("q0-{i}"))),
        );
        let partitions = [
            (first.as_str(), 0),
            (first.as_str(), 2),
            (second.as_str(), 0),
        ];
        let config = KafkaConfig::partitions(&bootstrap, &unique("manual-group"), partitions);
        let (seen, metrics) = run_until(config, 150);
        let mut values = all_values(&seen);
        values.sort();
        let mut expected: Vec<String> = ["p0", "p2", "q0"]
            .iter()
            .flat_map(|p| (0..50).map(move |i| format!("{p}-{i}")))
            .collect();
        expected.sort();
        assert_eq!(
            values, expected,
            "partitions 0 and 2 of the first topic, all of the second"
        );
        assert_eq!(metrics.input_counter("messages", "partitions"), 3);
    }

    // ---- Consumer groups: copies of a binary share partitions ----

    #[test]
    fn two_copies_in_one_group_share_the_partitions_without_losing_or_doubling_records() {
        let Some(bootstrap) = bootstrap() else { return };
        let (topic, group) = (unique("group"), unique("group-g"));
        create_topic(&bootstrap, &topic, 3);
        let start =
            |seen: &Seen, metrics: &Metrics| {
                StreamingContext::new()
                    .add_listener(metrics.clone())
                    .start(Messages::new(seen.clone()).messages(kafka_stream(
                        KafkaConfig::subscribe(&bootstrap, &group, [&topic]),
                    )))
                    .unwrap()
            };
        let (seen_a, metrics_a) = (Seen::default(), Metrics::default());
        let a = start(&seen_a, &metrics_a);
        produce(&bootstrap, &topic, numbered(3, 200));
        poll("copy A reads the first 600", || {
            all_values(&seen_a).len() >= 600
        });

        // B joins: the group rebalances; A keeps some partitions, B gets the others.
        let (seen_b, metrics_b) = (Seen::default(), Metrics::default());
        let b = start(&seen_b, &metrics_b);
        poll("both copies own partitions", || {
            metrics_a.input_counter("messages", "partitions") > 0
                && metrics_b.input_counter("messages", "partitions") > 0
                && metrics_a.input_counter("messages", "partitions")
                    + metrics_b.input_counter("messages", "partitions")
                    == 3
        });
        produce(
            &bootstrap,
            &topic,
            (0..3)
                .flat_map(|p| (200..400).map(move |i| Message::text(p, "k", &format!("p{p}-{i}")))),
        );
        poll("1200 records between the copies", || {
            all_values(&seen_a).len() + all_values(&seen_b).len() >= 1200
        });
        a.stop(StopMode::Gracefully).unwrap();
        b.stop(StopMode::Gracefully).unwrap();

        let (values_a, values_b) = (all_values(&seen_a), all_values(&seen_b));
        let set_a: std::collections::BTreeSet<_> = values_a.iter().cloned().collect();
        let set_b: std::collections::BTreeSet<_> = values_b.iter().cloned().collect();
        assert_eq!(set_a.len(), values_a.len(), "copy A saw no record twice");
        assert_eq!(set_b.len(), values_b.len(), "copy B saw no record twice");
        assert!(set_a.is_disjoint(&set_b), "no record in both copies");
        assert_eq!(set_a.len() + set_b.len(), 1200, "no record lost");
        assert!(!set_b.is_empty(), "B read the partitions it got");
    }

    // ---- A backlog much larger than a batch drains in bounded memory ----

    const BACKLOG: usize = 1_000_000;
    const BACKLOG_PAYLOAD: usize = 300;

    stream! {
        /// Counts each batch's records per partition.
        pipeline Backlog {
            batch = 200ms;
            input messages: (Option<String>, String);
            messages.foreach_rdd(|batch| {
                let sizes: Vec<String> = batch.partitions().map(|p| p.len().to_string()).collect();
                println!("BATCH\t{}", sizes.join(","));
            });
        }
    }

    /// The child process of the backlog test: reads the backlog at 100 000 records/s per
    /// partition (20 000 per 200 ms batch, ~7 MB) and prints its batches and peak memory.
    #[test]
    fn kafka_backlog_child() {
        let Ok(spec) = std::env::var("STREAMDSL_KAFKA_BACKLOG") else {
            return;
        };
        let (topic, group) = spec.split_once('|').unwrap();
        let bootstrap = std::env::var("KAFKA_BOOTSTRAP").unwrap();
        let config = KafkaConfig::topics(&bootstrap, group, [topic])
            .max_rate_per_partition(100_000)
            .max_buffered_per_partition(10_000)
            .set("queued.max.messages.kbytes", "4096");
        let metrics = Metrics::default();
        let running = StreamingContext::new()
            .add_listener(metrics.clone())
            .start(Backlog::new().messages(kafka_stream(config)))
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while metrics
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|b| b.num_records())
            .sum::<u64>()
            < BACKLOG as u64
        {
            assert!(std::time::Instant::now() < deadline, "backlog not drained");
            std::thread::sleep(Duration::from_millis(20));
        }
        running.stop(StopMode::Immediately).unwrap();
        println!("PEAK_RSS_KIB\t{}", peak_rss_kib());
    }

    #[test]
    fn a_backlog_of_a_million_records_drains_in_rate_limited_batches_with_bounded_memory() {
        let Some(bootstrap) = bootstrap() else { return };
        let (topic, group) = (unique("backlog"), unique("backlog-group"));
        create_topic(&bootstrap, &topic, 3);
        let payload = "x".repeat(BACKLOG_PAYLOAD);
        produce(
            &bootstrap,
            &topic,
            (0..BACKLOG).map(|i| Message {
                partition: (i % 3) as i32,
                key: None,
                payload: Some(payload.as_bytes().to_vec()),
            }),
        );
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "with_kafka::kafka_backlog_child",
                "--exact",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("STREAMDSL_KAFKA_BACKLOG", format!("{topic}|{group}"))
            .stderr(std::process::Stdio::inherit())
            .output()
            .unwrap();
        assert!(output.status.success(), "the child drained the backlog");
        let stdout = String::from_utf8(output.stdout).unwrap();
        let mut total = 0;
        let mut batches = 0;
        for line in stdout
            .lines()
            .filter_map(|l| l.split_once("BATCH\t").map(|(_, r)| r))
        {
            for size in line.split(',').map(|n| n.parse::<usize>().unwrap()) {
                assert!(
                    size <= 20_000,
                    "a batch partition holds at most rate × interval records: {size}"
                );
                total += size;
            }
            batches += 1;
        }
        assert_eq!(total, BACKLOG, "every record, once");
        assert!(
            batches >= BACKLOG / 60_000,
            "the rate limit spread the backlog over batches"
        );
        let peak: u64 = printed(&stdout, "PEAK_RSS_KIB").parse().unwrap();
        let backlog_kib = (BACKLOG * BACKLOG_PAYLOAD / 1024) as u64;
        eprintln!(
            "backlog: {BACKLOG} records in {batches} batches; peak RSS {peak} KiB, payloads {backlog_kib} KiB"
        );
        assert!(
            peak < backlog_kib / 2,
            "memory stays bounded: peak {peak} KiB for a backlog of {backlog_kib} KiB"
        );
    }
}
