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
    use super::common::{Metrics, poll};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
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
        let (seen, _) = run_until(config, 3000);

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
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "with_kafka::kafka_child",
                "--exact",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(
                "STREAMDSL_KAFKA_CHILD",
                format!("{}|{topic}|{group}", dir.display()),
            )
            .env_remove("STREAMDSL_CRASH_AT")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        if let Some(point) = crash_at {
            command.env("STREAMDSL_CRASH_AT", point);
        }
        let mut child = command.spawn().unwrap();
        let started = std::time::Instant::now();
        let mut outputs = Outputs::new();
        let mut lines = 0;
        let mut killed = false;
        for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
            let Ok(line) = line else { break };
            if let Some((_, rest)) = line.split_once("OUT\t") {
                let mut fields = rest.splitn(3, '\t');
                let time: i64 = fields.next().unwrap().parse().unwrap();
                let output: usize = fields.next().unwrap().parse().unwrap();
                outputs.insert((time, output), fields.next().unwrap_or("").to_owned());
                lines += 1;
                if kill_after == Some(lines) {
                    child.kill().unwrap();
                    killed = true;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "child ran too long"
            );
        }
        let status = child.wait().unwrap();
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
}
