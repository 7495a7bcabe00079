//! The broker side of the Kafka tests: finding the broker the test script started, topics,
//! producing, reading a group's committed offsets.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use streamdsl::inputs::kafka::rdkafka;
use streamdsl::inputs::kafka::rdkafka::admin::{
    AdminClient, AdminOptions, NewTopic, TopicReplication,
};
use streamdsl::inputs::kafka::rdkafka::client::DefaultClientContext;
use streamdsl::inputs::kafka::rdkafka::consumer::{BaseConsumer, Consumer};
use streamdsl::inputs::kafka::rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use streamdsl::inputs::kafka::rdkafka::{ClientConfig, Offset, TopicPartitionList};

/// The broker's address from `KAFKA_BOOTSTRAP` (set by scripts/with-kafka.sh); without it the
/// test says it is skipped and how to run it (fails instead with `STREAMDSL_REQUIRE_KAFKA=1`).
pub fn bootstrap() -> Option<String> {
    if let Ok(bootstrap) = std::env::var("KAFKA_BOOTSTRAP") {
        return Some(bootstrap);
    }
    let how = "Kafka test skipped: KAFKA_BOOTSTRAP is not set. Run with a broker: \
               scripts/test.sh, or scripts/with-kafka.sh cargo test --features kafka --test kafka";
    assert!(std::env::var("STREAMDSL_REQUIRE_KAFKA").is_err(), "{how}");
    // Straight to stderr: libtest would hide a passing test's eprintln!.
    let _ = writeln!(std::io::stderr(), "{how}");
    None
}

/// A name no other test or run uses.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Creates `topic` with `partitions` partitions.
pub fn create_topic(bootstrap: &str, topic: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = runtime()
        .block_on(admin.create_topics([&new], &options))
        .unwrap();
    for result in results {
        result.unwrap_or_else(|(t, e)| panic!("creating topic {t}: {e}"));
    }
}

/// One message to produce.
pub struct Message {
    pub partition: i32,
    pub key: Option<Vec<u8>>,
    pub payload: Option<Vec<u8>>,
}

impl Message {
    /// A text message with a text key.
    pub fn text(partition: i32, key: &str, payload: &str) -> Self {
        Message {
            partition,
            key: Some(key.as_bytes().to_vec()),
            payload: Some(payload.as_bytes().to_vec()),
        }
    }
}

/// Produces `messages` (acks=all) and waits until every one is acknowledged.
pub fn produce(bootstrap: &str, topic: &str, messages: impl IntoIterator<Item = Message>) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .unwrap();
    for m in messages {
        let mut record = BaseRecord::<[u8], [u8]>::to(topic).partition(m.partition);
        if let Some(key) = m.key.as_deref() {
            record = record.key(key);
        }
        if let Some(payload) = m.payload.as_deref() {
            record = record.payload(payload);
        }
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((
                    rdkafka::error::KafkaError::MessageProduction(
                        rdkafka::types::RDKafkaErrorCode::QueueFull,
                    ),
                    back,
                )) => {
                    producer.poll(Duration::from_millis(10));
                    record = back;
                }
                Err((e, _)) => panic!("produce: {e}"),
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(60)).unwrap();
    assert_eq!(producer.in_flight_count(), 0, "unacknowledged messages");
}

/// The offsets `group` committed for `topic`'s partitions `0..partitions` (-1: none).
pub fn committed(bootstrap: &str, group: &str, topic: &str, partitions: i32) -> Vec<i64> {
    let with_metadata = committed_with_metadata(bootstrap, group, topic, partitions);
    with_metadata
        .into_iter()
        .map(|(offset, _)| offset)
        .collect()
}

/// The offsets `group` committed for `topic`'s partitions `0..partitions` (-1: none), each
/// with its commit's metadata.
pub fn committed_with_metadata(
    bootstrap: &str,
    group: &str,
    topic: &str,
    partitions: i32,
) -> Vec<(i64, String)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut list = TopicPartitionList::new();
    list.add_partition_range(topic, 0, partitions - 1);
    let committed = consumer
        .committed_offsets(list, Duration::from_secs(10))
        .unwrap();
    (0..partitions)
        .map(|p| match committed.find_partition(topic, p) {
            Some(e) => match e.offset() {
                Offset::Offset(o) => (o, e.metadata().to_owned()),
                _ => (-1, String::new()),
            },
            None => (-1, String::new()),
        })
        .collect()
}

/// A message as a consumer of the output topic sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumed {
    pub partition: i32,
    pub key: Option<String>,
    pub payload: Option<String>,
    /// The headers, as text.
    pub headers: Vec<(String, String)>,
}

impl Consumed {
    /// The value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every message of `topic`'s partitions `0..partitions`, read from the start until none has
/// come for a second (the test broker's high watermarks are not reliable enough to stop at);
/// `read_committed` skips what aborted transactions wrote.
pub fn consume_all(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    read_committed: bool,
) -> Vec<Consumed> {
    use streamdsl::inputs::kafka::rdkafka::Message as _;
    use streamdsl::inputs::kafka::rdkafka::message::Headers as _;
    let isolation = if read_committed {
        "read_committed"
    } else {
        "read_uncommitted"
    };
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .set("isolation.level", isolation)
        .create()
        .unwrap();
    let mut list = TopicPartitionList::new();
    for p in 0..partitions {
        list.add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&list).unwrap();
    let mut messages = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut last = std::time::Instant::now();
    while last.elapsed() < Duration::from_secs(1) {
        assert!(
            std::time::Instant::now() < deadline,
            "reading {topic} to its end took over 30 s"
        );
        let Some(message) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let message = message.unwrap();
        last = std::time::Instant::now();
        let text = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
        let headers = message.headers().map_or_else(Vec::new, |h| {
            h.iter()
                .map(|h| (h.key.to_owned(), text(h.value).unwrap_or_default()))
                .collect()
        });
        messages.push(Consumed {
            partition: message.partition(),
            key: text(message.key()),
            payload: text(message.payload()),
            headers,
        });
    }
    messages
}

/// The partition Java's default partitioner gives a key among `partitions`: murmur2 of the key
/// bytes, made positive, modulo the count.
pub fn java_partition(key: &[u8], partitions: i32) -> i32 {
    ((murmur2(key) as u32 & 0x7fff_ffff) % partitions as u32) as i32
}

/// Kafka's `Utils.murmur2` (the Java client's key hash).
pub fn murmur2(key: &[u8]) -> i32 {
    const M: u32 = 0x5bd1_e995;
    let mut h: u32 = 0x9747_b28c ^ key.len() as u32;
    let chunks = key.chunks_exact(4);
    let tail = chunks.remainder();
    for chunk in chunks {
        let mut k = u32::from_le_bytes(chunk.try_into().unwrap());
        k = k.wrapping_mul(M);
        k ^= k >> 24;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    if tail.len() >= 3 {
        h ^= (tail[2] as u32) << 16;
    }
    if tail.len() >= 2 {
        h ^= (tail[1] as u32) << 8;
    }
    if !tail.is_empty() {
        h ^= tail[0] as u32;
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}
