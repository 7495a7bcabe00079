//! `save_to_kafka(sink)`: each batch's records produced to a Kafka topic (feature `kafka`).
//!
//! The sink is a pipeline parameter (a [`KafkaSink`]), so the pipeline holds one librdkafka
//! producer, created at the first batch. Records become Kafka messages through
//! [`ToKafkaRecord`]: a `(key, value)` pair is the message's key and payload, anything else
//! [`KafkaBytes`] can write is a payload without key. For other records, a serializer makes
//! the message: `save_to_kafka(sink, |record| (key, value))`. Keys are partitioned as a Java producer partitions them (librdkafka's
//! `murmur2_random`), so a key lands on the partition a JVM consumer of the same topic
//! expects. Every message carries its batch time in a header ([`BATCH_TIME_HEADER`] by
//! default), the key to deduplicate what at-least-once delivery may repeat.
//!
//! Delivery ([`Delivery`]):
//!
//! - **At least once** (the default): an idempotent producer with `acks=all`; the batch counts
//!   as written when the broker acknowledged every message. Messages that failed are sent
//!   again, with backoff, up to [`KafkaSink::retries`]; when those run out the pipeline stops
//!   with the error, so a batch is never dropped and later batches never overtake it. A
//!   restart recomputes the batches after its checkpoint and sends them again: a consumer may
//!   see a batch twice, with the same batch-time header when the input recomputes it at its
//!   own time.
//! - **Exactly once**: one Kafka transaction per batch, with a `transactional.id` of the
//!   pipeline's name and the instance id given, stable across restarts. The transaction also
//!   commits the batch time as an offset of the sink's own consumer group (named like the
//!   transactional id), and a restarted pipeline skips the batches up to it: a batch
//!   committed just before a crash is not written again. When the pipeline reads Kafka
//!   through `kafka_stream`, the transaction commits the input's end offsets to the input's
//!   group too (Kafka's consume-transform-produce), with the batch time as commit metadata,
//!   and the input then commits nothing itself: output and input position move together.
//!   After a crash, the input recomputes the batches up to that time with exactly the
//!   records they held, whatever arrived meanwhile, so skipping them loses nothing. A second
//!   copy with the same id fences the first (which stops with [`KafkaSinkError::Fenced`]).
//!   This needs a broker with transactions (Apache Kafka, Redpanda); `read_committed`
//!   consumers see each record once.
//!
//! Memory stays bounded while the broker is slow: librdkafka's queue is capped
//! ([`KafkaSink::max_buffered_bytes`]) and the sink waits for room rather than growing it.
//! A record over the producer's `message.max.bytes` is a poison record: by default the batch
//! fails naming it ([`TooLarge::Fail`]), or it is skipped and counted ([`TooLarge::Skip`]).

use super::{OutputContext, StopPipeline};
use crate::error::BoxError;
use crate::inputs::kafka::{ConsumedOffsets, is_transport, offset_list, validate_bootstrap};
use crate::ops::Marker;
use crate::{Batch, Time};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig, ClientContext, Offset, TopicPartitionList};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The header every message gets unless [`KafkaSink::batch_time_header`] says otherwise: the
/// batch time in milliseconds since the epoch, as decimal text.
pub const BATCH_TIME_HEADER: &str = "streamdsl-batch-time";

/// How a record's parts are written as Kafka bytes: text as UTF-8, bytes as they are,
/// numbers as decimal text (as Java's `StringSerializer` writes `toString()`), `None` as null.
pub trait KafkaBytes {
    /// Appends the bytes to `out`; `false` for null (no key, or a tombstone payload).
    fn kafka_bytes(&self, out: &mut Vec<u8>) -> bool;
}

impl KafkaBytes for str {
    fn kafka_bytes(&self, out: &mut Vec<u8>) -> bool {
        out.extend_from_slice(self.as_bytes());
        true
    }
}

impl KafkaBytes for [u8] {
    fn kafka_bytes(&self, out: &mut Vec<u8>) -> bool {
        out.extend_from_slice(self);
        true
    }
}

impl KafkaBytes for String {
    fn kafka_bytes(&self, out: &mut Vec<u8>) -> bool {
        self.as_str().kafka_bytes(out)
    }
}

impl KafkaBytes for Vec<u8> {
    fn kafka_bytes(&self, out: &mut Vec<u8>) -> bool {
        self.as_slice().kafka_bytes(out)
    }
}

impl KafkaBytes for crate::Text {
    fn kafka_bytes(&self, out: &mut Vec<u8>) -> bool {
        self.as_str().kafka_bytes(out)
    }
}

impl<T: KafkaBytes + ?Sized> KafkaBytes for &T {
    fn kafka_bytes(&self, out: &mut Vec<u8>) -> bool {
        (**self).kafka_bytes(out)
    }
}

impl<T: KafkaBytes> KafkaBytes for Option<T> {
    fn kafka_bytes(&self, out: &mut Vec<u8>) -> bool {
        self.as_ref().is_some_and(|v| v.kafka_bytes(out))
    }
}

macro_rules! decimal_kafka_bytes {
    ($($t:ty),*) => {$(
        impl KafkaBytes for $t {
            fn kafka_bytes(&self, out: &mut Vec<u8>) -> bool {
                use std::io::Write;
                // Writing to a `Vec` cannot fail.
                let _ = write!(out, "{self}");
                true
            }
        }
    )*};
}
decimal_kafka_bytes!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64
);

/// A record as a Kafka message: its key and payload.
#[diagnostic::on_unimplemented(
    message = "`save_to_kafka` cannot write records of type `{Self}` as Kafka messages",
    label = "records written to Kafka here",
    note = "a `(key, value)` pair is a message's key and payload, text or bytes or numbers; give `save_to_kafka(sink, |record| (key, value))` a function making one, or implement `ToKafkaRecord` for the type"
)]
pub trait ToKafkaRecord {
    /// Appends the key to `key` and the payload to `payload`; says which are present (not null).
    fn to_kafka(&self, key: &mut Vec<u8>, payload: &mut Vec<u8>) -> (bool, bool);
}

impl<K: KafkaBytes, V: KafkaBytes> ToKafkaRecord for (K, V) {
    fn to_kafka(&self, key: &mut Vec<u8>, payload: &mut Vec<u8>) -> (bool, bool) {
        (self.0.kafka_bytes(key), self.1.kafka_bytes(payload))
    }
}

macro_rules! payload_only {
    ($($t:ty),*) => {$(
        impl ToKafkaRecord for $t {
            fn to_kafka(&self, _: &mut Vec<u8>, payload: &mut Vec<u8>) -> (bool, bool) {
                (false, self.kafka_bytes(payload))
            }
        }
    )*};
}
payload_only!(String, &str, Vec<u8>, &[u8], crate::Text);

/// How records reach the topic (see the [module docs](self)).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Delivery {
    /// An idempotent producer, `acks=all`: every record at least once.
    #[default]
    AtLeastOnce,
    /// One transaction per batch, `transactional.id` = `<pipeline>-<instance>`: every record
    /// exactly once to `read_committed` consumers, across restarts.
    ExactlyOnce {
        /// Names this copy of the pipeline among several writing the same topic; keep it
        /// across restarts.
        instance: String,
    },
}

/// What happens to a record larger than the producer's `message.max.bytes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TooLarge {
    /// The batch fails with [`KafkaSinkError::RecordTooLarge`], naming the record; the
    /// pipeline stops.
    #[default]
    Fail,
    /// The record is left out and counted (`records_too_large`, [`KafkaSink::skipped`]).
    Skip,
}

/// Why `save_to_kafka` could not write a batch: the cause of the pipeline's
/// [`Error::SinkFailed`](crate::Error::SinkFailed).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KafkaSinkError {
    /// A setting is wrong; nothing was sent.
    #[error("{0}")]
    Setting(String),
    /// The producer could not be made from the settings.
    #[error("save_to_kafka: the producer could not be created (check the `set` properties)")]
    Producer(#[source] Box<KafkaError>),
    /// The topic does not exist and the broker does not create topics on first use.
    #[error(
        "save_to_kafka: topic `{topic}` does not exist on {bootstrap}; create it (kafka-topics.sh --create --topic {topic}) or enable the broker's auto.create.topics.enable"
    )]
    UnknownTopic {
        /// The topic.
        topic: String,
        /// The brokers.
        bootstrap: String,
    },
    /// The broker refused access to the topic.
    #[error(
        "save_to_kafka: not authorized to write topic `{topic}`; grant the principal WRITE on it (and, for exactly once, WRITE on its transactional id) or set the credentials with `set(\"sasl.username\", …)`"
    )]
    NotAuthorized {
        /// The topic.
        topic: String,
        /// What the broker answered.
        #[source]
        source: Box<KafkaError>,
    },
    /// A record is larger than the producer may send.
    #[error(
        "save_to_kafka: record {index} of the batch at {time_ms} ms ({bytes} bytes, key {key}) is larger than message.max.bytes allows for topic `{topic}`; raise it with `set(\"message.max.bytes\", …)` (and the topic's max.message.bytes), or skip such records with `too_large(TooLarge::Skip)`"
    )]
    RecordTooLarge {
        /// The record's position in the batch.
        index: usize,
        /// The batch time.
        time_ms: i64,
        /// Its key and payload bytes.
        bytes: usize,
        /// Its key, shortened, as text.
        key: String,
        /// The topic.
        topic: String,
    },
    /// Another copy of the pipeline with the same transactional id started.
    #[error(
        "save_to_kafka: transactional id `{id}` is now used by another copy of this pipeline, which fenced this one; run one copy per instance id"
    )]
    Fenced {
        /// The transactional id.
        id: String,
    },
    /// The broker does not support transactions.
    #[error(
        "save_to_kafka: the broker at {bootstrap} did not start a transactional producer (transactional id `{id}`); use a broker with transactions (Apache Kafka, Redpanda) or Delivery::AtLeastOnce"
    )]
    TransactionsUnsupported {
        /// The brokers.
        bootstrap: String,
        /// The transactional id.
        id: String,
        /// What librdkafka said.
        #[source]
        source: Box<KafkaError>,
    },
    /// The broker did not take the batch, and the retries ran out.
    #[error(
        "save_to_kafka: the batch at {time_ms} ms could not be written to topic `{topic}` after {attempts} attempts ({failed} records not acknowledged); is the broker at {bootstrap} up?"
    )]
    Undelivered {
        /// The batch time.
        time_ms: i64,
        /// The topic.
        topic: String,
        /// The brokers.
        bootstrap: String,
        /// Attempts made.
        attempts: u32,
        /// Records of the last attempt that were not acknowledged.
        failed: usize,
        /// The last failure.
        #[source]
        source: Box<KafkaError>,
    },
}

/// Where and how `save_to_kafka` writes.
///
/// ```
/// use streamdsl_runtime::outputs::kafka::{Delivery, KafkaSink, TooLarge};
/// let sink = KafkaSink::new("127.0.0.1:9092", "word-counts")
///     .delivery(Delivery::ExactlyOnce { instance: "eu-1".into() })
///     .too_large(TooLarge::Skip)
///     .set("compression.type", "lz4");
/// assert_eq!(sink.topic(), "word-counts");
/// ```
pub struct KafkaSink {
    bootstrap: String,
    topic: String,
    delivery: Delivery,
    batch_time_header: Option<String>,
    too_large: TooLarge,
    properties: Vec<(String, String)>,
    retries: u32,
    first_backoff: Duration,
    delivery_timeout: Duration,
    max_buffered_bytes: usize,
    producer: Mutex<Option<Connected>>,
    /// The `transactional.id`, once connected exactly once (for errors).
    connected_id: std::sync::OnceLock<String>,
    skipped: AtomicU64,
}

impl std::fmt::Debug for KafkaSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSink")
            .field("bootstrap", &self.bootstrap)
            .field("topic", &self.topic)
            .field("delivery", &self.delivery)
            .finish_non_exhaustive()
    }
}

impl KafkaSink {
    /// A sink to `topic` on the brokers `bootstrap_servers` (Kafka's `host:port` list),
    /// at least once.
    pub fn new(bootstrap_servers: &str, topic: &str) -> Self {
        KafkaSink {
            bootstrap: bootstrap_servers.to_owned(),
            topic: topic.to_owned(),
            delivery: Delivery::default(),
            batch_time_header: Some(BATCH_TIME_HEADER.to_owned()),
            too_large: TooLarge::default(),
            properties: Vec::new(),
            retries: 5,
            first_backoff: Duration::from_millis(200),
            delivery_timeout: Duration::from_secs(30),
            max_buffered_bytes: 64 << 20,
            producer: Mutex::new(None),
            connected_id: std::sync::OnceLock::new(),
            skipped: AtomicU64::new(0),
        }
    }

    /// At least once (default) or exactly once.
    pub fn delivery(mut self, delivery: Delivery) -> Self {
        self.delivery = delivery;
        self
    }

    /// The header that carries the batch time (default [`BATCH_TIME_HEADER`]); `None` sends
    /// messages without headers.
    pub fn batch_time_header(mut self, name: Option<&str>) -> Self {
        self.batch_time_header = name.map(str::to_owned);
        self
    }

    /// What a record over `message.max.bytes` does (default [`TooLarge::Fail`]).
    pub fn too_large(mut self, policy: TooLarge) -> Self {
        self.too_large = policy;
        self
    }

    /// A librdkafka producer property, passed through (`compression.type`,
    /// `message.max.bytes`, `security.protocol`, …). The sink sets `bootstrap.servers`,
    /// `acks`, `enable.idempotence`, `transactional.id` and `partitioner` itself.
    pub fn set(mut self, key: &str, value: &str) -> Self {
        self.properties.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Attempts after the first for the records of a batch that were not acknowledged
    /// (default 5), the first after `first_backoff` (default 200 ms), each wait doubling.
    pub fn retries(mut self, retries: u32, first_backoff: Duration) -> Self {
        self.retries = retries;
        self.first_backoff = first_backoff;
        self
    }

    /// How long librdkafka tries to deliver a message before it reports it failed (its
    /// `message.timeout.ms`, default 30 s): with the retries, how long a broker may be away
    /// before the pipeline stops.
    pub fn delivery_timeout(mut self, timeout: Duration) -> Self {
        self.delivery_timeout = timeout;
        self
    }

    /// Bytes of messages waiting for the broker before the sink waits for room (default
    /// 64 MiB): the memory a slow broker can cost.
    pub fn max_buffered_bytes(mut self, bytes: usize) -> Self {
        self.max_buffered_bytes = bytes.max(1024);
        self
    }

    /// The topic written.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Records left out as too large ([`TooLarge::Skip`]) so far.
    pub fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Whether batches are written in transactions.
    fn exactly_once(&self) -> bool {
        matches!(self.delivery, Delivery::ExactlyOnce { .. })
    }

    /// The `transactional.id` of a pipeline named `pipeline`, if exactly once.
    pub fn transactional_id(&self, pipeline: &str) -> Option<String> {
        match &self.delivery {
            Delivery::ExactlyOnce { instance } => Some(format!("{pipeline}-{instance}")),
            Delivery::AtLeastOnce => None,
        }
    }

    /// Checks what can be checked without a broker.
    fn validate(&self) -> Result<(), KafkaSinkError> {
        validate_bootstrap("save_to_kafka", &self.bootstrap).map_err(KafkaSinkError::Setting)?;
        if self.topic.trim().is_empty() {
            return Err(KafkaSinkError::Setting(
                "save_to_kafka: no topic to write; name one".into(),
            ));
        }
        if let Delivery::ExactlyOnce { instance } = &self.delivery
            && instance.trim().is_empty()
        {
            return Err(KafkaSinkError::Setting(
                "save_to_kafka: Delivery::ExactlyOnce needs an instance id (e.g. the host name), kept across restarts".into(),
            ));
        }
        const OWN: [&str; 5] = [
            "bootstrap.servers",
            "acks",
            "enable.idempotence",
            "transactional.id",
            "partitioner",
        ];
        if let Some((key, _)) = self
            .properties
            .iter()
            .find(|(k, _)| OWN.contains(&k.as_str()))
        {
            return Err(KafkaSinkError::Setting(format!(
                "save_to_kafka: property `{key}` is set by the sink itself; choose the delivery with `delivery(…)` instead"
            )));
        }
        Ok(())
    }

    fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.bootstrap)
            .set("acks", "all")
            .set("enable.idempotence", "true")
            // Java's default partitioner: keys land where a JVM producer puts them.
            .set("partitioner", "murmur2_random")
            .set("linger.ms", "5")
            .set(
                "message.timeout.ms",
                self.delivery_timeout.as_millis().max(1).to_string(),
            )
            .set(
                "queue.buffering.max.kbytes",
                (self.max_buffered_bytes / 1024).max(1).to_string(),
            )
            .set("queue.buffering.max.messages", "1000000");
        for (key, value) in &self.properties {
            config.set(key, value);
        }
        config
    }

    /// The producer, made and (exactly once) initialized for pipeline `pipeline`.
    fn connect(&self, pipeline: &str) -> Result<Connected, Failure> {
        self.validate().map_err(Failure::Permanent)?;
        let mut config = self.client_config();
        let id = self.transactional_id(pipeline);
        if let Some(id) = &id {
            config.set("transactional.id", id);
            let _ = self.connected_id.set(id.clone());
        }
        let producer: BaseProducer<Deliveries> = config
            .create_with_context(Deliveries::new(&self.bootstrap))
            .map_err(|e| Failure::Permanent(KafkaSinkError::Producer(Box::new(e))))?;
        let transaction = match id {
            None => None,
            Some(id) => Some(self.begin_transactions(&producer, id)?),
        };
        Ok(Connected {
            producer,
            transaction,
            key: Vec::new(),
            payload: Vec::new(),
        })
    }

    /// Initializes transactions (fencing older copies) and reads how far earlier runs got.
    fn begin_transactions(
        &self,
        producer: &BaseProducer<Deliveries>,
        id: String,
    ) -> Result<Transaction, Failure> {
        let timeout = self.delivery_timeout.max(Duration::from_secs(10));
        // An unreachable broker is worth a retry; any other refusal means no transactions.
        let refused = |source: KafkaError| {
            if is_transport(&source)
                || matches!(
                    source.rdkafka_error_code(),
                    Some(RDKafkaErrorCode::MessageTimedOut | RDKafkaErrorCode::OperationTimedOut)
                )
            {
                Failure::Transient(Vec::new(), Box::new(source))
            } else {
                Failure::Permanent(KafkaSinkError::TransactionsUnsupported {
                    bootstrap: self.bootstrap.clone(),
                    id: id.clone(),
                    source: Box::new(source),
                })
            }
        };
        producer.init_transactions(timeout).map_err(refused)?;
        let marker: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .set("group.id", &id)
            .set("enable.auto.commit", "false")
            .set("isolation.level", "read_committed")
            .create()
            .map_err(|e| Failure::Permanent(KafkaSinkError::Producer(Box::new(e))))?;
        let mut list = TopicPartitionList::new();
        list.add_partition(&self.topic, 0);
        let committed = marker.committed_offsets(list, timeout).map_err(refused)?;
        let committed_through = committed
            .find_partition(&self.topic, 0)
            .and_then(|e| match e.offset() {
                Offset::Offset(time) => Some(time),
                _ => None,
            })
            .unwrap_or(i64::MIN);
        Ok(Transaction {
            id,
            marker,
            committed_through,
        })
    }
}

/// The sink's producer, once connected.
struct Connected {
    producer: BaseProducer<Deliveries>,
    transaction: Option<Transaction>,
    /// Reused buffers of the record being sent.
    key: Vec<u8>,
    payload: Vec<u8>,
}

/// The state of exactly-once delivery.
struct Transaction {
    id: String,
    /// A consumer of the sink's own group: its metadata joins the offset commit to each
    /// transaction.
    marker: BaseConsumer,
    /// The time of the last batch a transaction committed (`i64::MIN`: none).
    committed_through: i64,
}

/// The producer's context: delivery reports of the current attempt, logs to `tracing`.
struct Deliveries {
    bootstrap: String,
    /// Records (by index in the batch) the broker did not take, with why.
    failed: Mutex<Vec<(usize, KafkaError)>>,
}

impl Deliveries {
    fn new(bootstrap: &str) -> Self {
        Deliveries {
            bootstrap: bootstrap.to_owned(),
            failed: Mutex::new(Vec::new()),
        }
    }

    fn failed(&self) -> MutexGuard<'_, Vec<(usize, KafkaError)>> {
        self.failed.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ClientContext for Deliveries {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, facility: &str, message: &str) {
        tracing::debug!(target: "librdkafka", ?level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if is_transport(&error) {
            tracing::debug!(bootstrap = %self.bootstrap, %error, reason, "Kafka broker unreachable (the producer keeps retrying)");
        } else {
            tracing::warn!(bootstrap = %self.bootstrap, %error, reason, "Kafka producer error");
        }
    }
}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, index: usize) {
        if let Err((error, _)) = result {
            self.failed().push((index, error.clone()));
        }
    }
}

/// How one attempt at a batch failed.
enum Failure {
    /// Retrying cannot help.
    Permanent(KafkaSinkError),
    /// These records (indexes in the batch) may go through on a later attempt.
    Transient(Vec<usize>, Box<KafkaError>),
}

/// Whether a transactional producer's error means a newer copy with its id took over.
fn is_fenced(code: RDKafkaErrorCode) -> bool {
    use RDKafkaErrorCode::*;
    matches!(code, ProducerFenced | Fenced | InvalidProducerEpoch)
}

/// Whether the broker refused the producer's id or epoch: a new producer gets a new one.
fn producer_id_refused(code: RDKafkaErrorCode) -> bool {
    use RDKafkaErrorCode::*;
    matches!(
        code,
        ProducerFenced
            | Fenced
            | InvalidProducerEpoch
            | OutOfOrderSequenceNumber
            | UnknownProducerId
            | InvalidProducerIdMapping
    )
}

fn stop(error: KafkaSinkError) -> BoxError {
    StopPipeline(error.into()).into()
}

/// What `save_to_kafka` takes: a [`KafkaSink`], or an `Option<KafkaSink>` when writing to
/// Kafka is chosen at run time (`None` writes nothing).
#[diagnostic::on_unimplemented(
    message = "`save_to_kafka` takes a `KafkaSink` parameter, not `{Self}`",
    note = "declare the pipeline parameter as `sink: KafkaSink` (or `Option<KafkaSink>`) and build it with `KafkaSink::new(servers, topic)`"
)]
pub trait AsKafkaSink {
    /// The sink, if there is one.
    fn kafka_sink(&self) -> Option<&KafkaSink>;
}

impl AsKafkaSink for KafkaSink {
    fn kafka_sink(&self) -> Option<&KafkaSink> {
        Some(self)
    }
}

impl AsKafkaSink for std::sync::Arc<KafkaSink> {
    fn kafka_sink(&self) -> Option<&KafkaSink> {
        Some(self)
    }
}

impl AsKafkaSink for Option<KafkaSink> {
    fn kafka_sink(&self) -> Option<&KafkaSink> {
        self.as_ref()
    }
}

/// Writes `batch` (the generated code calls this).
#[doc(hidden)]
pub fn write<T: ToKafkaRecord>(
    out: &mut OutputContext<'_>,
    sink: &impl AsKafkaSink,
    batch: &Batch<T>,
) -> Result<(), BoxError> {
    match sink.kafka_sink() {
        Some(sink) => write_records(out, sink, batch.iter().collect()),
        None => Ok(()),
    }
}

/// Checks `serialize(&record)` against the stream's record type.
#[doc(hidden)]
#[inline(always)]
pub fn check_serializer<T, R: ToKafkaRecord, F: FnMut(&T) -> R>(_: &Marker<T>, f: F) -> F {
    f
}

/// Writes what `serialize` makes of each record of `batch` (the generated code calls this).
#[doc(hidden)]
pub fn write_with<T, R: ToKafkaRecord>(
    out: &mut OutputContext<'_>,
    sink: &impl AsKafkaSink,
    batch: &Batch<T>,
    serialize: impl FnMut(&T) -> R,
) -> Result<(), BoxError> {
    let Some(sink) = sink.kafka_sink() else {
        return Ok(());
    };
    let serialized: Vec<R> = batch.iter().map(serialize).collect();
    write_records(out, sink, serialized.iter().collect())
}

/// Writes `records`, one batch.
fn write_records<T: ToKafkaRecord>(
    out: &mut OutputContext<'_>,
    sink: &KafkaSink,
    records: Vec<&T>,
) -> Result<(), BoxError> {
    let time_ms = out.time().millis();
    let pipeline = out.pipeline();
    let consumed = &out.consumed().kafka;
    if sink.exactly_once() {
        consumed
            .iter()
            .for_each(ConsumedOffsets::committed_by_transactions);
    }
    let mut slot = sink.producer.lock().unwrap_or_else(|e| e.into_inner());
    let mut pending: Vec<usize> = (0..records.len()).collect();
    let mut backoff = sink.first_backoff;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let outcome = match slot.as_mut() {
            Some(connected) => Ok(connected),
            None => sink.connect(pipeline).map(|c| slot.insert(c)),
        }
        .and_then(|connected| {
            if connected
                .transaction
                .as_ref()
                .is_some_and(|t| time_ms <= t.committed_through)
            {
                // Committed by a transaction before the restart that recomputes it.
                return Ok(());
            }
            sink.attempt(connected, time_ms, &records, &pending, consumed)
        });
        let error = match outcome {
            Ok(()) => return Ok(()),
            Err(Failure::Permanent(e)) => return Err(stop(e)),
            Err(Failure::Transient(failed, error)) => {
                match slot.as_ref() {
                    // In a transaction every record goes again; otherwise only those not taken.
                    Some(connected) if connected.transaction.is_none() => pending = failed,
                    _ => {}
                }
                // A producer in a fatal state, or whose producer id the broker no longer
                // takes (an idempotent producer whose messages timed out while the broker
                // was away), takes no more messages: the next attempt makes a new one (for
                // exactly once, one that aborts the open transaction).
                let fatal = slot
                    .as_ref()
                    .and_then(|c| c.producer.client().fatal_error());
                let stale_id = error.rdkafka_error_code().is_some_and(producer_id_refused);
                if fatal.is_some() || stale_id {
                    let code = fatal.as_ref().map(|f| f.0).or(error.rdkafka_error_code());
                    if sink.exactly_once() && code.is_some_and(is_fenced) {
                        return Err(stop(sink.fenced()));
                    }
                    tracing::warn!(topic = %sink.topic, ?code, "save_to_kafka: the producer cannot go on; making a new one");
                    *slot = None;
                }
                error
            }
        };
        if attempts > sink.retries {
            return Err(stop(KafkaSinkError::Undelivered {
                time_ms,
                topic: sink.topic.clone(),
                bootstrap: sink.bootstrap.clone(),
                attempts,
                failed: pending.len(),
                source: error,
            }));
        }
        tracing::warn!(topic = %sink.topic, batch_time_ms = time_ms, attempt = attempts, records = pending.len(), %error, "save_to_kafka: records not acknowledged; retrying");
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

impl KafkaSink {
    /// Sends the `pending` records of a batch and waits for the broker (in a transaction if
    /// exactly once).
    fn attempt<T: ToKafkaRecord>(
        &self,
        connected: &mut Connected,
        time_ms: i64,
        records: &[&T],
        pending: &[usize],
        consumed: &[ConsumedOffsets],
    ) -> Result<(), Failure> {
        let Connected {
            producer,
            transaction,
            key,
            payload,
        } = connected;
        let transactional = transaction.is_some();
        if transactional {
            producer
                .begin_transaction()
                .map_err(|e| self.classify(e, pending.to_vec()))?;
        }
        let result = self.produce(producer, key, payload, time_ms, records, pending);
        let result = result.and_then(|()| match transaction {
            Some(transaction) => self.commit(producer, transaction, time_ms, pending, consumed),
            None => {
                crate::checkpoint::crash_point("kafka-sink-delivered");
                Ok(())
            }
        });
        if transactional && result.is_err() {
            // Nothing of an aborted transaction reaches a `read_committed` consumer.
            let _ = producer.abort_transaction(self.delivery_timeout);
        }
        result
    }

    /// Sends the records and waits until the broker took or refused each.
    fn produce<T: ToKafkaRecord>(
        &self,
        producer: &BaseProducer<Deliveries>,
        key: &mut Vec<u8>,
        payload: &mut Vec<u8>,
        time_ms: i64,
        records: &[&T],
        pending: &[usize],
    ) -> Result<(), Failure> {
        producer.context().failed().clear();
        crate::checkpoint::crash_point("kafka-sink-before-produce");
        let time_text = time_ms.to_string();
        let crash_at = pending.len() / 2;
        for (n, &index) in pending.iter().enumerate() {
            if n == crash_at {
                crate::checkpoint::crash_point("kafka-sink-mid-produce");
            }
            key.clear();
            payload.clear();
            let (has_key, has_payload) = records[index].to_kafka(key, payload);
            let mut record = BaseRecord::<[u8], [u8], usize>::with_opaque_to(&self.topic, index);
            if has_key {
                record = record.key(key.as_slice());
            }
            if has_payload {
                record = record.payload(payload.as_slice());
            }
            if let Some(name) = &self.batch_time_header {
                record = record.headers(OwnedHeaders::new().insert(Header {
                    key: name,
                    value: Some(&time_text),
                }));
            }
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    // The queue is full (a slow broker): wait for room, memory stays bounded.
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        producer.poll(Duration::from_millis(50));
                        record = back;
                    }
                    Err((
                        KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge),
                        _,
                    )) => {
                        self.oversized(index, time_ms, key, has_key, key.len() + payload.len())?;
                        break;
                    }
                    Err((error, _)) => return Err(self.classify(error, pending.to_vec())),
                }
            }
        }
        // Waits for every delivery report (bounded by the delivery timeout).
        let flushed = producer.flush(self.delivery_timeout + Duration::from_secs(5));
        let failed = std::mem::take(&mut *producer.context().failed());
        if let Err(error) = flushed
            && failed.is_empty()
        {
            return Err(self.classify(error, pending.to_vec()));
        }
        let mut retry = Vec::new();
        let mut last = None;
        for (index, error) in failed {
            if error.rdkafka_error_code() == Some(RDKafkaErrorCode::MessageSizeTooLarge) {
                key.clear();
                payload.clear();
                let (has_key, _) = records[index].to_kafka(key, payload);
                self.oversized(index, time_ms, key, has_key, key.len() + payload.len())?;
                continue;
            }
            match self.classify(error, vec![index]) {
                Failure::Permanent(e) => return Err(Failure::Permanent(e)),
                Failure::Transient(_, e) => {
                    retry.push(index);
                    last = Some(e);
                }
            }
        }
        match last {
            Some(error) => {
                retry.sort_unstable();
                Err(Failure::Transient(retry, error))
            }
            None => Ok(()),
        }
    }

    /// A record over `message.max.bytes`: the batch fails naming it, or it is skipped.
    fn oversized(
        &self,
        index: usize,
        time_ms: i64,
        key: &[u8],
        has_key: bool,
        bytes: usize,
    ) -> Result<(), Failure> {
        match self.too_large {
            TooLarge::Skip => {
                self.skipped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(topic = %self.topic, batch_time_ms = time_ms, index, bytes, "save_to_kafka: record over message.max.bytes skipped");
                Ok(())
            }
            TooLarge::Fail => {
                let key = if has_key {
                    let text = String::from_utf8_lossy(&key[..key.len().min(40)]);
                    format!("`{text}`")
                } else {
                    "none".to_owned()
                };
                Err(Failure::Permanent(KafkaSinkError::RecordTooLarge {
                    index,
                    time_ms,
                    bytes,
                    key,
                    topic: self.topic.clone(),
                }))
            }
        }
    }

    /// Commits the batch's transaction, with the batch time as the sink group's offset and
    /// the Kafka inputs' end offsets as their groups' (consume-transform-produce: output and
    /// input positions move together).
    fn commit(
        &self,
        producer: &BaseProducer<Deliveries>,
        transaction: &mut Transaction,
        time_ms: i64,
        pending: &[usize],
        consumed: &[ConsumedOffsets],
    ) -> Result<(), Failure> {
        crate::checkpoint::crash_point("kafka-sink-before-commit");
        let retry = |e| self.classify(e, pending.to_vec());
        for input in consumed.iter().filter(|c| !c.offsets.is_empty()) {
            let ends = input.offsets.iter().map(|(tp, offset)| (tp, *offset));
            let list = offset_list(ends, Some(Time::from_millis(time_ms)));
            producer
                .send_offsets_to_transaction(&list, &input.group, self.delivery_timeout)
                .map_err(retry)?;
        }
        let mut offsets = TopicPartitionList::new();
        offsets
            .add_partition_offset(&self.topic, 0, Offset::Offset(time_ms))
            .map_err(retry)?;
        let group = transaction.marker.group_metadata().ok_or_else(|| {
            Failure::Permanent(KafkaSinkError::Setting(format!(
                "save_to_kafka: no consumer group metadata for transactional id `{}`",
                transaction.id
            )))
        })?;
        producer
            .send_offsets_to_transaction(&offsets, &group, self.delivery_timeout)
            .map_err(retry)?;
        producer
            .commit_transaction(self.delivery_timeout)
            .map_err(retry)?;
        transaction.committed_through = time_ms;
        crate::checkpoint::crash_point("kafka-sink-committed");
        Ok(())
    }

    /// Whether `error` is worth retrying for `records`.
    fn classify(&self, error: KafkaError, records: Vec<usize>) -> Failure {
        use RDKafkaErrorCode::*;
        let topic = self.topic.clone();
        match error.rdkafka_error_code() {
            Some(UnknownTopicOrPartition | UnknownTopic | UnknownPartition) => {
                Failure::Permanent(KafkaSinkError::UnknownTopic {
                    topic,
                    bootstrap: self.bootstrap.clone(),
                })
            }
            Some(
                TopicAuthorizationFailed
                | ClusterAuthorizationFailed
                | TransactionalIdAuthorizationFailed,
            ) => Failure::Permanent(KafkaSinkError::NotAuthorized {
                topic,
                source: Box::new(error),
            }),
            // Another copy with the same transactional id took over; other fatal errors are
            // mended by a new producer (see `write`).
            Some(code) if self.exactly_once() && is_fenced(code) => {
                Failure::Permanent(self.fenced())
            }
            _ => Failure::Transient(records, Box::new(error)),
        }
    }

    /// The transactional id, for an error.
    fn fenced(&self) -> KafkaSinkError {
        let id = self.connected_id.get().cloned().unwrap_or_default();
        KafkaSinkError::Fenced { id }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(record: &impl ToKafkaRecord) -> (Option<String>, Option<String>) {
        let (mut key, mut payload) = (Vec::new(), Vec::new());
        let (has_key, has_payload) = record.to_kafka(&mut key, &mut payload);
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (
            has_key.then(|| text(key)),
            has_payload.then(|| text(payload)),
        )
    }

    #[test]
    fn pairs_are_key_and_payload_numbers_as_decimal_text_none_as_null() {
        assert_eq!(
            bytes(&("word".to_owned(), 3u64)),
            (Some("word".into()), Some("3".into()))
        );
        assert_eq!(bytes(&(None::<String>, "v")), (None, Some("v".into())));
        assert_eq!(bytes(&("k", None::<String>)), (Some("k".into()), None));
        assert_eq!(bytes(&"line".to_owned()), (None, Some("line".into())));
        assert_eq!(
            bytes(&(-2i32, 1.5f64)),
            (Some("-2".into()), Some("1.5".into()))
        );
    }

    #[test]
    fn bad_settings_are_named_before_connecting() {
        let error = |sink: KafkaSink| sink.validate().unwrap_err().to_string();
        assert!(error(KafkaSink::new("localhost", "t")).contains("malformed bootstrap server"));
        assert!(error(KafkaSink::new("h:1", " ")).contains("no topic"));
        assert!(
            error(KafkaSink::new("h:1", "t").delivery(Delivery::ExactlyOnce {
                instance: String::new()
            }))
            .contains("instance id")
        );
        assert!(error(KafkaSink::new("h:1", "t").set("acks", "1")).contains("`acks`"));
        KafkaSink::new("h:1", "t").validate().unwrap();
    }

    /// What each broker answer means for the batch (the test broker creates topics on first
    /// use and has no ACLs, so these answers are checked here).
    #[test]
    fn broker_answers_are_permanent_or_worth_a_retry() {
        let sink = KafkaSink::new("h:1", "counts");
        let permanent = |code| match sink.classify(KafkaError::MessageProduction(code), vec![3]) {
            Failure::Permanent(e) => e.to_string(),
            Failure::Transient(..) => panic!("{code:?} is permanent"),
        };
        let unknown = permanent(RDKafkaErrorCode::UnknownTopicOrPartition);
        assert!(
            unknown.contains("topic `counts` does not exist on h:1; create it"),
            "{unknown}"
        );
        assert!(
            permanent(RDKafkaErrorCode::TopicAuthorizationFailed)
                .contains("not authorized to write topic `counts`")
        );
        // Fenced by another copy stops an exactly-once sink; an at-least-once sink makes a new
        // producer (see `write`).
        let exactly_once = KafkaSink::new("h:1", "counts").delivery(Delivery::ExactlyOnce {
            instance: "a".into(),
        });
        let fenced = KafkaError::MessageProduction(RDKafkaErrorCode::ProducerFenced);
        assert!(matches!(
            exactly_once.classify(fenced, vec![3]),
            Failure::Permanent(KafkaSinkError::Fenced { .. })
        ));
        for code in [
            RDKafkaErrorCode::ProducerFenced,
            RDKafkaErrorCode::MessageTimedOut,
            RDKafkaErrorCode::AllBrokersDown,
            RDKafkaErrorCode::NotEnoughReplicas,
        ] {
            match sink.classify(KafkaError::MessageProduction(code), vec![3]) {
                Failure::Transient(records, _) => assert_eq!(records, [3]),
                Failure::Permanent(e) => panic!("{code:?} is worth a retry: {e}"),
            }
        }
    }

    #[test]
    fn the_transactional_id_is_the_pipeline_and_the_instance() {
        let sink = KafkaSink::new("h:1", "t");
        assert_eq!(sink.transactional_id("Counts"), None);
        let sink = sink.delivery(Delivery::ExactlyOnce {
            instance: "a".into(),
        });
        assert_eq!(sink.transactional_id("Counts").as_deref(), Some("Counts-a"));
    }
}
