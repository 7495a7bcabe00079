//! `kafka_stream` while its broker goes away: the broker process (started by
//! scripts/with-kafka.sh, pid in `KAFKA_BROKER_PID`) is paused with SIGSTOP for several batch
//! intervals and resumed with SIGCONT. The pipeline keeps running empty batches, reports the
//! outage once, and afterwards catches up without losing or doubling a record.
//!
//! `save_to_kafka` the same way: a batch produced while the broker is paused waits (librdkafka
//! retries, the sink retries what was not acknowledged) and arrives once it is back; the
//! pipeline goes on.
//!
//! A test binary of its own: pausing the shared broker would stall every other Kafka test
//! running beside it (cargo runs test binaries one after another). Its tests take turns
//! (`BROKER`), for the same reason.

#[cfg(not(feature = "kafka"))]
#[test]
#[ignore = "built without the `kafka` feature: run scripts/test.sh, or scripts/with-kafka.sh cargo test --features kafka --test kafka_broker_outage"]
fn kafka_broker_outage_tests() {}

#[cfg(feature = "kafka")]
mod common;

#[cfg(feature = "kafka")]
mod with_kafka {
    use super::common::kafka::{Message, bootstrap, consume_all, create_topic, produce, unique};
    use super::common::{Metrics, poll};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    use streamdsl::inputs::kafka::{KafkaConfig, kafka_stream};
    use streamdsl::outputs::kafka::{BATCH_TIME_HEADER, KafkaSink};
    use streamdsl::prelude::*;

    type Seen = Arc<Mutex<Vec<String>>>;

    stream! {
        /// Records every value.
        pipeline Values(seen: Seen) {
            batch = 100ms;
            input messages: (Option<String>, String);
            messages.foreach_rdd(|batch| {
                seen.lock().unwrap().extend(batch.iter().map(|(_, v)| v.clone()));
            });
        }
    }

    /// Held by each test while it runs: one pauses the broker the other uses.
    static BROKER: Mutex<()> = Mutex::new(());

    fn broker_pid() -> String {
        std::env::var("KAFKA_BROKER_PID")
            .expect("KAFKA_BROKER_PID: the broker's pid, set by scripts/with-kafka.sh")
    }

    /// The paused broker, resumed when dropped (also when an assertion fails).
    struct Paused(String);

    impl Paused {
        fn signal(pid: &str, signal: &str) {
            let status = std::process::Command::new("kill")
                .args([signal, pid])
                .status()
                .unwrap();
            assert!(status.success(), "kill {signal} {pid}");
        }

        fn new(pid: &str) -> Self {
            Paused::signal(pid, "-STOP");
            Paused(pid.to_owned())
        }
    }

    impl Drop for Paused {
        fn drop(&mut self) {
            Paused::signal(&self.0, "-CONT");
        }
    }

    fn messages(range: std::ops::Range<usize>) -> Vec<Message> {
        range
            .map(|i| Message::text((i % 2) as i32, "k", &format!("v{i}")))
            .collect()
    }

    #[test]
    fn a_paused_broker_gives_empty_batches_one_outage_report_and_no_lost_record() {
        let Some(bootstrap) = bootstrap() else { return };
        let _turn = BROKER.lock().unwrap_or_else(|e| e.into_inner());
        let pid = broker_pid();
        let topic = unique("outage");
        create_topic(&bootstrap, &topic, 2);
        produce(&bootstrap, &topic, messages(0..200));

        let seen = Seen::default();
        let metrics = Metrics::default();
        // A broker that stops answering is noticed after 3 s (default 10 s).
        let config = KafkaConfig::topics(&bootstrap, &unique("outage-group"), [&topic])
            .set("socket.timeout.ms", "3000");
        let running = StreamingContext::new()
            .add_listener(metrics.clone())
            .start(Values::new(seen.clone()).messages(kafka_stream(config)))
            .unwrap();
        poll("the first 200 records", || {
            seen.lock().unwrap().len() >= 200
        });

        let paused = Paused::new(&pid);
        poll("the outage to be noticed", || {
            metrics.input_counter("messages", "broker_outages") >= 1
        });
        // Batches go on while the broker is away.
        metrics.wait_batches(10);
        drop(paused);

        produce(&bootstrap, &topic, messages(200..400));
        poll("all 400 records", || seen.lock().unwrap().len() >= 400);
        metrics.wait_batches(5);
        running.stop(StopMode::Gracefully).unwrap();

        let mut values = seen.lock().unwrap().clone();
        values.sort();
        let mut expected: Vec<String> = (0..400).map(|i| format!("v{i}")).collect();
        expected.sort();
        assert_eq!(values, expected, "every record once");
        assert_eq!(
            metrics.input_counter("messages", "broker_outages"),
            1,
            "one outage, reported once"
        );
    }

    stream! {
        /// Key-value records to Kafka.
        pipeline ToKafka(sink: KafkaSink) {
            batch = 100ms;
            input pairs: (String, String);
            pairs.save_to_kafka(sink);
        }
    }

    #[test]
    fn a_batch_written_while_the_broker_is_paused_arrives_when_it_is_back() {
        let Some(bootstrap) = bootstrap() else { return };
        let _turn = BROKER.lock().unwrap_or_else(|e| e.into_inner());
        let topic = unique("sink-outage");
        create_topic(&bootstrap, &topic, 2);
        // Each attempt gives up after 2 s; ten retries outlast a 4 s pause.
        let sink = KafkaSink::new(&bootstrap, &topic)
            .delivery_timeout(Duration::from_secs(2))
            .retries(10, Duration::from_millis(200));
        let input = queue_stream(Vec::<Vec<(String, String)>>::new());
        let feeder = input.feeder();
        let metrics = Metrics::default();
        let running = StreamingContext::new()
            .add_listener(metrics.clone())
            .start(ToKafka::new(sink).pairs(input))
            .unwrap();
        let batch = |range: std::ops::Range<usize>| -> Vec<(String, String)> {
            range.map(|i| (format!("k{i}"), format!("v{i}"))).collect()
        };
        let keys = |messages: &[super::common::kafka::Consumed]| {
            let mut keys: Vec<String> = messages.iter().filter_map(|m| m.key.clone()).collect();
            keys.sort();
            keys.dedup();
            keys
        };
        feeder.push(batch(0..50));
        poll("the first batch on the topic", || {
            keys(&consume_all(&bootstrap, &topic, 2, false)).len() >= 50
        });

        let paused = Paused::new(&broker_pid());
        feeder.push(batch(50..100));
        std::thread::sleep(Duration::from_secs(4));
        drop(paused);
        feeder.push(batch(100..150));
        poll("every batch on the topic", || {
            keys(&consume_all(&bootstrap, &topic, 2, false)).len() >= 150
        });
        metrics.wait_batches(2);
        running.stop(StopMode::Gracefully).unwrap();

        let messages = consume_all(&bootstrap, &topic, 2, false);
        let mut expected: Vec<String> = (0..150).map(|i| format!("k{i}")).collect();
        expected.sort();
        assert_eq!(keys(&messages), expected, "every record, none lost");
        let mut by_time: Vec<(String, String)> = messages
            .iter()
            .map(|m| {
                let time = m.header(BATCH_TIME_HEADER).unwrap().to_owned();
                (time, m.key.clone().unwrap())
            })
            .collect();
        let written = by_time.len();
        by_time.sort();
        by_time.dedup();
        assert_eq!(
            by_time.len(),
            150,
            "each record in one batch (repeats, if any, carry the same batch time): {written} messages"
        );
    }
}
