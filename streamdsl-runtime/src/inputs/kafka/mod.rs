//! `kafka_stream`: Kafka's direct stream (Spark's `KafkaUtils.createDirectStream`), done so
//! that state is exactly-once.
//!
//! At each batch time the input fixes, for every partition it owns, the offset range the
//! batch holds: from where the previous batch ended up to the partition's high watermark
//! (the newest record the broker had when it last answered), at most
//! `max_rate_per_partition × batch interval` records. It then polls librdkafka until it has
//! those records (bounded by the fetch timeout; a slow or unreachable broker gives a short or
//! empty batch, and the rest follows). A checkpoint records where each partition's next batch
//! starts, and those offsets win over the group's on restart, so a restarted pipeline
//! recomputes the batches it lost. After each batch's outputs the offsets are committed to
//! the consumer group (asynchronously; synchronously on revocation and at stop), with the
//! batch time as commit metadata, so lag shows in Kafka's tools and a pipeline without a
//! checkpoint resumes there; a transactional `save_to_kafka` commits them inside its
//! transaction instead. When the group's commit is ahead of the checkpoint (a crash between
//! the two), the batches up to the commit's batch time are recomputed with exactly the
//! records before the committed offsets, as Spark recomputes a lost batch from its saved
//! offset ranges; without that metadata (a broker that drops it), from the checkpoint's
//! offsets up to the high watermarks of the moment.
//!
//! Records polled beyond a batch's range wait for the next batch; a partition holding more
//! than `max_buffered_per_partition` of them, or `max_buffered_bytes_per_partition` of
//! message bytes, is paused, so memory stays bounded whatever the backlog and the message
//! size. The consumer is polled only on the driver thread, at batch time, like the
//! loop a user would write by hand; librdkafka fetches ahead in its own threads.

mod client;
mod config;
mod decode;

pub(crate) use client::{is_transport, offset_list};
pub(crate) use config::validate_bootstrap;
pub use config::{Assignment, KafkaConfig, StartFrom};
pub use decode::{DecodeWith, KafkaDecoder, KafkaMessage, KafkaRecord, KeyValueText, RawRecords};
/// The Kafka client crate this input is built on, for producers and admin calls in the same
/// program (same version, nothing more to compile).
pub use rdkafka;

use self::client::{Client, Ownership, Replay, TopicPartition, cached_high_watermark};
use super::{Consumed, InputContext, InputPosition, InputStream, InvalidUtf8};
use crate::{Batch, BoxError, Time};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerGroupMetadata};
use rdkafka::message::BorrowedMessage;
use rdkafka::{ClientConfig, ClientContext, Message, TopicPartitionList};
use std::collections::VecDeque;
use std::ffi::CString;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Reads Kafka as `(key, value)` text records, `(Option<String>, String)` (as PySpark's
/// `createStream`); see [`KafkaStream::invalid_utf8`] for bytes that are not UTF-8. Bind it
/// to a pipeline input declared `input messages: (Option<String>, String);` (the `streamdsl`
/// crate's docs show a whole KafkaWordCount).
///
/// ```no_run
/// use streamdsl_runtime::InvalidUtf8;
/// use streamdsl_runtime::inputs::kafka::{KafkaConfig, kafka_stream};
///
/// let config = KafkaConfig::subscribe("127.0.0.1:9092", "word-count", ["words"])
///     .max_rate_per_partition(10_000);
/// let messages = kafka_stream(config).invalid_utf8(InvalidUtf8::Skip);
/// # drop(messages);
/// ```
pub fn kafka_stream(config: KafkaConfig) -> KafkaStream<KeyValueText> {
    KafkaStream::new(config, KeyValueText::default())
}

/// Reads Kafka as [`KafkaRecord`]s: key and payload bytes with topic, partition, offset and
/// timestamp.
pub fn kafka_stream_raw(config: KafkaConfig) -> KafkaStream<RawRecords> {
    KafkaStream::new(config, RawRecords)
}

/// Reads Kafka through a user deserializer: `Ok(Some(record))`, `Ok(None)` to skip the
/// message (counted as `records_skipped`), `Err` to fail the batch.
///
/// ```
/// use streamdsl_runtime::inputs::kafka::{KafkaConfig, kafka_stream_with};
/// let numbers = kafka_stream_with(KafkaConfig::topics("127.0.0.1:9092", "sum", ["numbers"]), |m| {
///     let text = std::str::from_utf8(m.payload().unwrap_or_default())?;
///     Ok(Some(text.trim().parse::<i64>()?))
/// });
/// # drop(numbers);
/// ```
pub fn kafka_stream_with<T, F>(config: KafkaConfig, decode: F) -> KafkaStream<DecodeWith<F>>
where
    T: Send + 'static,
    F: FnMut(&KafkaMessage<'_>) -> Result<Option<T>, BoxError> + Send + 'static,
{
    KafkaStream::new(config, DecodeWith(decode))
}

/// Longest single wait inside a batch's poll loop (so rebalances and stops are seen).
const POLL_SLICE: Duration = Duration::from_millis(100);
/// Bound on the wait for leaving the consumer group when the input is dropped: a broker that
/// does not answer must not hold the process.
const CLOSE_WAIT: Duration = Duration::from_secs(5);
/// How often partitions added to the topics are looked for, with [`Assignment::Topics`].
const DISCOVERY_INTERVAL: Duration = Duration::from_secs(10);

/// Where one batch of a `kafka_stream` leaves its partitions: what a transactional
/// `save_to_kafka` commits to the input's group inside the batch's transaction.
pub(crate) struct ConsumedOffsets {
    pub(crate) group: ConsumerGroupMetadata,
    /// Where each owned partition's next batch starts.
    pub(crate) offsets: Vec<(TopicPartition, i64)>,
    sink_commits: Arc<AtomicBool>,
}

impl ConsumedOffsets {
    /// A transactional sink commits the input's offsets from now on; the input no longer
    /// does (also not for the batches the sink skips as committed before a restart).
    pub(crate) fn committed_by_transactions(&self) {
        self.sink_commits.store(true, Ordering::SeqCst);
    }
}

/// The Kafka input; made by [`kafka_stream`], [`kafka_stream_raw`] or [`kafka_stream_with`].
pub struct KafkaStream<D: KafkaDecoder> {
    config: KafkaConfig,
    restored: Vec<(TopicPartition, i64)>,
    per_batch: Option<i64>,
    fetch_timeout: Duration,
    /// Shared with the threads that wait for the broker at stop (bounded waits).
    consumer: Option<Arc<BaseConsumer<Client>>>,
    reader: Reader<D>,
    last_committed: Vec<(TopicPartition, i64)>,
    /// The offsets of the synchronous commit at stop, once tried.
    final_commit: Option<Vec<(TopicPartition, i64)>>,
    next_discovery: Option<Instant>,
    stopped: bool,
}

impl KafkaStream<KeyValueText> {
    /// What to do with keys and values that are not UTF-8 (default: lossy, counted as
    /// `invalid_utf8`; `Skip` drops the message; `Fail` fails the batch).
    pub fn invalid_utf8(mut self, policy: InvalidUtf8) -> Self {
        self.reader.decoder = KeyValueText::new(policy);
        self
    }
}

impl<D: KafkaDecoder> KafkaStream<D> {
    fn new(config: KafkaConfig, decoder: D) -> Self {
        let bound = CarryBound {
            records: config.max_buffered_per_partition,
            bytes: config.max_buffered_bytes_per_partition,
        };
        KafkaStream {
            config,
            restored: Vec::new(),
            per_batch: None,
            fetch_timeout: Duration::from_secs(1),
            consumer: None,
            reader: Reader::new(decoder, bound),
            last_committed: Vec::new(),
            final_commit: None,
            next_discovery: None,
            stopped: false,
        }
    }

    fn consumer_config(&self) -> ClientConfig {
        let config = &self.config;
        let mut client = ClientConfig::new();
        client
            .set("bootstrap.servers", &config.bootstrap_servers)
            .set("group.id", &config.group_id)
            // Offsets are committed by the input after each batch's outputs, not by a timer.
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("allow.auto.create.topics", "false")
            // Used only for an offset the broker no longer has (retention).
            .set(
                "auto.offset.reset",
                if config.start_from == config::StartFrom::Latest {
                    "latest"
                } else {
                    "earliest"
                },
            )
            .set("fetch.wait.max.ms", "100")
            // The consumer is polled at batch time only, so its queue fills up during a
            // backlog; librdkafka's default 1 s back-off then idles the fetcher (measured:
            // 220 k instead of 1.1 M records/s).
            .set("fetch.queue.backoff.ms", "10")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "1000")
            // A broker that stops answering is noticed in 10 s, not librdkafka's 60 s.
            .set("socket.timeout.ms", "10000")
            // Partitions added to subscribed topics show up within 10 s.
            .set("topic.metadata.refresh.interval.ms", "10000");
        for (key, value) in &config.properties {
            client.set(key, value);
        }
        client
    }

    /// Fails with a message naming the broker or topic when the broker cannot be reached or
    /// a topic does not exist; returns each topic's partition count.
    fn check_topics(
        &self,
        consumer: &BaseConsumer<Client>,
    ) -> Result<Vec<(String, i32)>, BoxError> {
        let (bootstrap, timeout) = (&self.config.bootstrap_servers, self.config.connect_timeout);
        let mut counts = Vec::new();
        for topic in self.config.topic_names() {
            let metadata = consumer.fetch_metadata(Some(topic), timeout).map_err(|e| {
                format!("could not reach the Kafka broker at {bootstrap} within {timeout:?} ({e}); is it running, and is the address right?")
            })?;
            let found = metadata.topics().iter().find(|t| t.name() == topic);
            match found {
                Some(t) if t.error().is_none() && !t.partitions().is_empty() => {
                    counts.push((topic.to_owned(), t.partitions().len() as i32));
                }
                _ => {
                    return Err(format!(
                        "topic `{topic}` does not exist at {bootstrap}; create it first (kafka_stream does not create topics)"
                    )
                    .into());
                }
            }
        }
        Ok(counts)
    }

    /// Assigns `partitions` (no group membership) at their resolved starts.
    fn assign(&mut self, partitions: &[TopicPartition]) -> Result<(), BoxError> {
        let Some(consumer) = self.consumer.as_ref() else {
            return Ok(());
        };
        let starts = consumer
            .context()
            .resolve_starts(consumer, partitions)
            .map_err(|e| {
                format!(
                    "could not look up the start offsets of {partitions:?} within {:?}: {e}",
                    self.config.connect_timeout
                )
            })?;
        let offsets = starts.iter().map(|(tp, start)| (tp, start.offset));
        consumer.incremental_assign(&offset_list(offsets, None))?;
        tracing::info!(partitions = ?starts, "Kafka partitions assigned");
        self.reader.apply(vec![Ownership::Assigned(
            starts.into_iter().map(|(tp, s)| (tp, Some(s))).collect(),
        )]);
        Ok(())
    }

    /// With [`Assignment::Topics`], every [`DISCOVERY_INTERVAL`]: assigns partitions added to
    /// the topics since (starting per [`StartFrom`]).
    fn discover_partitions(&mut self) {
        let now = Instant::now();
        if self.next_discovery.is_none_or(|due| now < due) {
            return;
        }
        self.next_discovery = Some(now + DISCOVERY_INTERVAL);
        let Some(consumer) = self.consumer.as_ref() else {
            return;
        };
        let mut added = Vec::new();
        for topic in self.config.topic_names() {
            // Short: this runs on the batch's time; an unreachable broker is retried later.
            let Ok(metadata) = consumer.fetch_metadata(Some(topic), Duration::from_millis(500))
            else {
                continue;
            };
            for t in metadata.topics().iter().filter(|t| t.name() == topic) {
                for p in t.partitions() {
                    let tp = (topic.to_owned(), p.id());
                    if !self.reader.owns(&tp) {
                        added.push(tp);
                    }
                }
            }
        }
        if !added.is_empty() {
            tracing::info!(partitions = ?added, "new Kafka partitions found");
            if let Err(e) = self.assign(&added) {
                tracing::warn!(error = %e, "could not assign new Kafka partitions; retrying later");
            }
        }
    }

    /// Waits (bounded) until the group assigns partitions and librdkafka knows their high
    /// watermarks, so that the first batch already has its full range.
    fn wait_until_ready(&mut self, assignment_wait: Duration) {
        let Some(consumer) = self.consumer.as_ref() else {
            return;
        };
        let deadline = Instant::now() + assignment_wait;
        while self.reader.partitions.is_empty() && Instant::now() < deadline {
            self.reader.poll_once(consumer, POLL_SLICE);
        }
        if self.reader.partitions.is_empty() {
            tracing::warn!(group = %self.config.group_id, "no Kafka partitions assigned yet; batches stay empty until the group assigns some");
            return;
        }
        let deadline = Instant::now() + self.config.connect_timeout;
        while !self.reader.watermarks_known(consumer) && Instant::now() < deadline {
            self.reader.poll_once(consumer, Duration::from_millis(20));
        }
    }

    /// Commits `offsets`, where the batch at `time` ended, for the group, asynchronously: a
    /// broker that does not answer must not hold a batch.
    fn commit(&mut self, offsets: Vec<(TopicPartition, i64)>, time: Time) {
        let Some(consumer) = self.consumer.as_ref() else {
            return;
        };
        if offsets.is_empty()
            || offsets == self.last_committed
            || !consumer.context().commits_itself()
        {
            return;
        }
        let list = offset_list(offsets.iter().map(|(tp, o)| (tp, *o)), Some(time));
        if let Err(e) = consumer.commit(&list, CommitMode::Async) {
            consumer
                .context()
                .commit_failures
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(error = %e, "committing offsets to Kafka failed; the next commit covers them");
            return;
        }
        self.last_committed = offsets;
    }
}

impl<D: KafkaDecoder> InputStream<D::Record> for KafkaStream<D> {
    fn describe(&self) -> String {
        format!(
            "kafka_stream {} {:?}",
            self.config.bootstrap_servers,
            self.config.topic_names()
        )
    }

    fn start(&mut self, ctx: &InputContext) -> Result<(), BoxError> {
        self.config.validate()?;
        let interval = ctx.batch_interval();
        self.per_batch = self.config.records_per_batch(interval);
        self.fetch_timeout = self
            .config
            .fetch_timeout
            .unwrap_or(interval.min(Duration::from_secs(1)));
        let client = Client::new(
            &self.config.bootstrap_servers,
            self.config.start_from.clone(),
            self.config.connect_timeout,
        );
        client.restore(self.restored.drain(..));
        let consumer: BaseConsumer<Client> = self
            .consumer_config()
            .create_with_context(client)
            .map_err(|e| format!("kafka_stream: the consumer configuration is invalid: {e}"))?;
        let counts = self.check_topics(&consumer)?;
        let assignment = self.config.assignment.clone();
        let assignment_wait = match &assignment {
            Assignment::Subscribe(topics) => {
                let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
                consumer.subscribe(&topics)?;
                self.consumer = Some(Arc::new(consumer));
                self.config.connect_timeout * 3
            }
            Assignment::Topics(_) => {
                self.consumer = Some(Arc::new(consumer));
                let all: Vec<TopicPartition> = counts
                    .iter()
                    .flat_map(|(topic, n)| (0..*n).map(move |p| (topic.clone(), p)))
                    .collect();
                self.assign(&all)?;
                self.next_discovery = Some(Instant::now() + DISCOVERY_INTERVAL);
                Duration::ZERO
            }
            Assignment::Partitions(partitions) => {
                for (topic, partition) in partitions {
                    let n = counts
                        .iter()
                        .find(|(t, _)| t == topic)
                        .map_or(0, |(_, n)| *n);
                    if !(0..n).contains(partition) {
                        return Err(format!("partition {partition} of topic `{topic}` does not exist (it has {n}: 0..{n})").into());
                    }
                }
                self.consumer = Some(Arc::new(consumer));
                self.assign(partitions)?;
                Duration::ZERO
            }
        };
        self.wait_until_ready(assignment_wait);
        Ok(())
    }

    fn next_batch(&mut self, time: Time) -> Result<Batch<D::Record>, BoxError> {
        if self.stopped || self.consumer.is_none() {
            return Ok(Batch::empty());
        }
        self.discover_partitions();
        let Some(consumer) = self.consumer.as_ref() else {
            return Ok(Batch::empty());
        };
        let reader = &mut self.reader;
        if let Some(changes) = consumer.context().take_changes() {
            reader.apply(changes);
        }
        reader.fix_ranges(consumer, self.per_batch, time);
        let deadline = Instant::now() + self.fetch_timeout;
        // At least one poll per batch, also when no range needs records: it serves
        // rebalances, errors and commit results.
        let mut polled = false;
        loop {
            let waiting = reader.waiting();
            if polled && !waiting {
                break;
            }
            let timeout = if waiting {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                (deadline - now).min(POLL_SLICE)
            } else {
                Duration::ZERO
            };
            polled = true;
            if !reader.poll_once(consumer, timeout) && !waiting {
                break;
            }
        }
        let batch = reader.take_batch(consumer);
        crate::checkpoint::crash_point("kafka-batch-fetched");
        batch
    }

    /// The batch's offsets, for a transactional sink to commit inside its transaction (with
    /// the consumer's group metadata, so that a fenced group member cannot commit).
    fn consumed(&self, into: &mut Consumed) {
        let Some(consumer) = self.consumer.as_ref() else {
            return;
        };
        let Some(group) = consumer.group_metadata() else {
            return;
        };
        into.kafka.push(ConsumedOffsets {
            group,
            offsets: self.reader.positions(),
            sink_commits: Arc::clone(&consumer.context().sink_commits),
        });
    }

    fn batch_completed(&mut self, time: Time) {
        crate::checkpoint::crash_point("kafka-before-commit");
        let completed = self.reader.positions();
        if let Some(consumer) = self.consumer.as_ref() {
            consumer
                .context()
                .set_completed(completed.iter().cloned(), time);
        }
        self.commit(completed, time);
    }

    /// Stops reading; commits the completed offsets and waits for the broker's answer, so a
    /// pipeline started next resumes exactly there. Skipped while the broker is known to be
    /// unreachable; a broker that stops answering makes it fail after `socket.timeout.ms`.
    fn stop_receiving(&mut self) {
        self.stopped = true;
        let completed = self.reader.positions();
        let Some(consumer) = self.consumer.as_ref() else {
            return;
        };
        let client = consumer.context();
        client.closing();
        // A graceful stop calls this when it begins and again after the last batch.
        if completed.is_empty()
            || !client.commits_itself()
            || client.unreachable()
            || self.final_commit.as_ref() == Some(&completed)
        {
            return;
        }
        self.final_commit = Some(completed.clone());
        let list = offset_list(
            completed.iter().map(|(tp, o)| (tp, *o)),
            client.completed_time(),
        );
        // librdkafka retries a synchronous commit for as long as the broker accepts the
        // connection without answering: wait for it on a thread of its own, boundedly.
        let committing = Arc::clone(consumer);
        let answered = bounded(CLOSE_WAIT, move || {
            committing.commit(&list, CommitMode::Sync)
        });
        match answered {
            Some(Ok(())) => {}
            Some(Err(e)) => {
                client
                    .commit_failures
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::warn!(error = %e, "the last offset commit failed; a pipeline without this checkpoint resumes at the previous one");
            }
            None => tracing::warn!(
                "the Kafka broker did not answer the last offset commit within {CLOSE_WAIT:?}; a pipeline without this checkpoint resumes at the previous one"
            ),
        }
        self.last_committed = completed;
    }

    fn position(&mut self) -> Option<InputPosition> {
        let mut offsets: Vec<(String, i32, i64)> = self
            .reader
            .positions()
            .into_iter()
            .chain(
                self.consumer
                    .as_ref()
                    .map(|c| c.context().pending_restored())
                    .unwrap_or_default(),
            )
            .chain(self.restored.iter().cloned())
            .map(|((topic, partition), offset)| (topic, partition, offset))
            .collect();
        offsets.sort();
        Some(InputPosition::Kafka { offsets })
    }

    fn restore(&mut self, position: &InputPosition) -> Result<(), BoxError> {
        let InputPosition::Kafka { offsets } = position else {
            return Err(
                format!("{} cannot be repositioned to {position:?}", self.describe()).into(),
            );
        };
        self.restored = offsets
            .iter()
            .map(|(t, p, o)| ((t.clone(), *p), *o))
            .collect();
        Ok(())
    }

    /// `lag_records`: the lag of every owned partition, summed.
    fn gauges(&self) -> Vec<(&'static str, u64)> {
        let lag = self.partition_lag().iter().map(|(_, _, n)| n).sum();
        vec![("lag_records", lag)]
    }

    /// Each owned partition's records past the last batch, up to its high watermark as last
    /// fetched (no broker round trip).
    fn partition_lag(&self) -> Vec<(String, i32, u64)> {
        let Some(consumer) = self.consumer.as_ref() else {
            return Vec::new();
        };
        let lag = self.reader.partitions.iter().filter_map(|p| {
            let high = cached_high_watermark(consumer, &p.topic_c, p.tp.1)?;
            let behind = high.saturating_sub(p.next?).max(0) as u64;
            Some((p.tp.0.clone(), p.tp.1, behind))
        });
        lag.collect()
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        use std::sync::atomic::Ordering::Relaxed;
        let mut counters = vec![
            ("records_skipped", self.reader.skipped),
            ("poll_errors", self.reader.poll_errors),
            ("partitions", self.reader.partitions.len() as u64),
        ];
        if let Some(consumer) = self.consumer.as_ref() {
            let client = consumer.context();
            counters.extend([
                ("broker_outages", client.outages.load(Relaxed)),
                ("rebalances", client.rebalances.load(Relaxed)),
                ("commit_failures", client.commit_failures.load(Relaxed)),
            ]);
        }
        counters.extend(self.reader.decoder.counters());
        counters
    }
}

impl<D: KafkaDecoder> Drop for KafkaStream<D> {
    /// Leaving the consumer group waits for the broker: it happens on a thread of its own,
    /// waited for at most 5 s.
    fn drop(&mut self) {
        let Some(consumer) = self.consumer.take() else {
            return;
        };
        if bounded(CLOSE_WAIT, move || drop(consumer)).is_none() {
            tracing::warn!(
                group = %self.config.group_id,
                "the Kafka consumer did not leave its group within {CLOSE_WAIT:?} (broker not answering); \
                 the group reassigns its partitions after session.timeout.ms"
            );
        }
    }
}

/// Runs `work` on a thread of its own and waits at most `limit` for it: `None` if it did not
/// finish in time (it goes on in the background).
fn bounded<T: Send + 'static>(
    limit: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("streamdsl-kafka-wait".into())
        .spawn(move || {
            let _ = sender.send(work());
        });
    match spawned {
        Ok(_) => receiver.recv_timeout(limit).ok(),
        Err(_) => None,
    }
}

/// A polled message, decoded, waiting for its batch.
enum Pending<T> {
    /// A record and the bytes of its message.
    Record(T, usize),
    Skip,
    Fail(BoxError),
}

impl<T> Pending<T> {
    /// The bytes it holds (a skipped or failed message holds none).
    fn bytes(&self) -> usize {
        match self {
            Pending::Record(_, bytes) => *bytes,
            Pending::Skip | Pending::Fail(_) => 0,
        }
    }
}

/// One owned partition.
struct Partition<T> {
    tp: TopicPartition,
    topic_c: CString,
    /// The librdkafka topic handle of its messages (a cheap identity check per message).
    /// (An address, only compared.)
    topic_handle: usize,
    /// The first offset not yet in a batch (`None`: unknown until the first message).
    next: Option<i64>,
    /// The offset after the last message polled.
    received: Option<i64>,
    /// The end (exclusive) of the current batch's range.
    until: i64,
    /// Batches completed before a restart, recomputed with exactly their records.
    replay: Option<Replay>,
    /// Polled records at or beyond `until`, in offset order.
    carry: VecDeque<(i64, Pending<T>)>,
    /// The bytes of the carried messages (keys and payloads).
    carry_bytes: usize,
    /// The current batch's records of this partition.
    batch: Vec<T>,
    paused: bool,
}

/// The per-partition side of the stream: ranges, carried records, the batch being filled.
struct Reader<D: KafkaDecoder> {
    decoder: D,
    partitions: Vec<Partition<D::Record>>,
    last_hit: usize,
    bound: CarryBound,
    failure: Option<BoxError>,
    skipped: u64,
    poll_errors: u64,
}

impl<D: KafkaDecoder> Reader<D> {
    fn new(decoder: D, bound: CarryBound) -> Self {
        Reader {
            decoder,
            partitions: Vec::new(),
            last_hit: 0,
            bound,
            failure: None,
            skipped: 0,
            poll_errors: 0,
        }
    }

    fn owns(&self, tp: &TopicPartition) -> bool {
        self.partitions.iter().any(|p| &p.tp == tp)
    }

    fn apply(&mut self, changes: Vec<Ownership>) {
        for change in changes {
            match change {
                Ownership::Assigned(list) => {
                    for (tp, start) in list {
                        if self.owns(&tp) {
                            continue;
                        }
                        let topic_c = CString::new(tp.0.as_str()).unwrap_or_default();
                        let offset = start.map(|s| s.offset);
                        self.partitions.push(Partition {
                            tp,
                            topic_c,
                            topic_handle: 0,
                            next: offset,
                            received: offset,
                            until: i64::MIN,
                            replay: start.and_then(|s| s.replay),
                            carry: VecDeque::new(),
                            carry_bytes: 0,
                            batch: Vec::new(),
                            paused: false,
                        });
                    }
                }
                Ownership::Revoked(list) => {
                    // Their records in the batch being filled go too: the next owner starts at
                    // the last completed batch's end.
                    self.partitions.retain(|p| !list.contains(&p.tp));
                }
            }
        }
        self.last_hit = 0;
    }

    fn watermarks_known(&self, consumer: &BaseConsumer<Client>) -> bool {
        self.partitions
            .iter()
            .all(|p| cached_high_watermark(consumer, &p.topic_c, p.tp.1).is_some())
    }

    /// Fixes each partition's range for the batch at `time` and moves carried records inside
    /// it into the batch.
    fn fix_ranges(&mut self, consumer: &BaseConsumer<Client>, per_batch: Option<i64>, time: Time) {
        for p in &mut self.partitions {
            let Some(next) = p.next else {
                p.until = i64::MIN;
                continue;
            };
            let high = || cached_high_watermark(consumer, &p.topic_c, p.tp.1);
            let (until, replay) = batch_end(next, high, per_batch, p.replay, time);
            p.replay = replay;
            p.until = until;
            while p.carry.front().is_some_and(|(offset, _)| *offset < until) {
                if let Some((_, pending)) = p.carry.pop_front() {
                    p.carry_bytes = p.carry_bytes.saturating_sub(pending.bytes());
                    take(p, pending, &mut self.failure, &mut self.skipped);
                }
            }
        }
    }

    /// Whether some partition's range is not complete yet.
    fn waiting(&self) -> bool {
        self.partitions
            .iter()
            .any(|p| p.received.is_some_and(|received| received < p.until))
    }

    /// Polls once; `false` if nothing came.
    fn poll_once(&mut self, consumer: &BaseConsumer<Client>, timeout: Duration) -> bool {
        let got = match consumer.poll(timeout) {
            None => false,
            Some(Ok(message)) => {
                consumer.context().broker_reachable();
                self.accept(consumer, &message);
                true
            }
            Some(Err(e)) => {
                self.poll_errors += 1;
                consumer.context().error(e, "poll");
                true
            }
        };
        if let Some(changes) = consumer.context().take_changes() {
            self.apply(changes);
        }
        got
    }

    fn accept(&mut self, consumer: &BaseConsumer<Client>, message: &BorrowedMessage<'_>) {
        let Some(index) = self.find(message) else {
            return; // a partition revoked a moment ago
        };
        let offset = message.offset();
        let bytes = message.key_len() + message.payload_len();
        let decoded = self.decoder.decode(&KafkaMessage::new(message));
        let p = &mut self.partitions[index];
        if p.received.is_some_and(|received| offset < received) {
            return; // already polled (librdkafka re-fetches after a pause)
        }
        if p.next.is_none() {
            p.next = Some(offset);
        }
        p.received = Some(offset + 1);
        let pending = match decoded {
            Ok(Some(record)) => Pending::Record(record, bytes),
            Ok(None) => Pending::Skip,
            Err(e) => Pending::Fail(e),
        };
        if p.carry.is_empty() && offset < p.until {
            take(p, pending, &mut self.failure, &mut self.skipped);
            return;
        }
        p.carry_bytes += pending.bytes();
        p.carry.push_back((offset, pending));
        if !p.paused && self.bound.is_full(p.carry.len(), p.carry_bytes) {
            p.paused = true;
            set_paused(consumer, p, true);
        }
    }

    fn find(&mut self, message: &BorrowedMessage<'_>) -> Option<usize> {
        let (partition, handle) = (message.partition(), message.topic_ptr() as usize);
        let hit = |p: &Partition<D::Record>| p.tp.1 == partition && p.topic_handle == handle;
        if self.partitions.get(self.last_hit).is_some_and(hit) {
            return Some(self.last_hit);
        }
        if let Some(i) = self.partitions.iter().position(hit) {
            self.last_hit = i;
            return Some(i);
        }
        let topic = message.topic();
        let i = self
            .partitions
            .iter()
            .position(|p| p.tp.1 == partition && p.tp.0 == topic)?;
        self.partitions[i].topic_handle = handle;
        self.last_hit = i;
        Some(i)
    }

    /// Ends the batch: its records, partition by partition; resumes partitions whose carried
    /// records fell below half the bound.
    fn take_batch(
        &mut self,
        consumer: &BaseConsumer<Client>,
    ) -> Result<Batch<D::Record>, BoxError> {
        if let Some(e) = self.failure.take() {
            return Err(e);
        }
        let mut parts = Vec::with_capacity(self.partitions.len().max(1));
        for p in &mut self.partitions {
            parts.push(std::mem::take(&mut p.batch));
            if p.next.is_some() {
                p.next = p.carry.front().map(|(offset, _)| *offset).or(p.received);
            }
            if p.paused && self.bound.has_room(p.carry.len(), p.carry_bytes) {
                p.paused = false;
                set_paused(consumer, p, false);
            }
        }
        if parts.is_empty() {
            return Ok(Batch::empty());
        }
        Ok(Batch::from_partitions(parts))
    }

    /// Where each owned partition's next batch starts.
    fn positions(&self) -> Vec<(TopicPartition, i64)> {
        self.partitions
            .iter()
            .filter_map(|p| p.next.map(|next| (p.tp.clone(), next)))
            .collect()
    }
}

/// Where the batch at `time` of a partition ends (exclusive), its next batch starting at
/// `next`: at the high watermark, at most `per_batch` records on; a batch recomputed after a
/// restart where it ended before (the first one takes all there is up to there when several
/// completed after the checkpoint). Also returns the replay still ahead.
fn batch_end(
    next: i64,
    high: impl FnOnce() -> Option<i64>,
    per_batch: Option<i64>,
    replay: Option<Replay>,
    time: Time,
) -> (i64, Option<Replay>) {
    match replay {
        Some(replay) if time.millis() <= replay.through_ms => {
            (replay.until.max(next), Some(replay))
        }
        _ => {
            let until = high().unwrap_or(next).max(next);
            (per_batch.map_or(until, |cap| until.min(next + cap)), None)
        }
    }
}

/// Moves a polled record into the partition's batch (a skipped one is counted; a failed one
/// fails the batch).
fn take<T>(
    p: &mut Partition<T>,
    pending: Pending<T>,
    failure: &mut Option<BoxError>,
    skipped: &mut u64,
) {
    match pending {
        Pending::Record(record, _) => p.batch.push(record),
        Pending::Skip => *skipped += 1,
        Pending::Fail(e) => {
            failure.get_or_insert(e);
        }
    }
}

/// How much a partition may carry beyond the current batch before its fetching pauses: in
/// records and in bytes; it resumes once both are down to half.
#[derive(Clone, Copy)]
struct CarryBound {
    records: usize,
    bytes: usize,
}

impl CarryBound {
    fn is_full(self, records: usize, bytes: usize) -> bool {
        records >= self.records || bytes >= self.bytes
    }

    fn has_room(self, records: usize, bytes: usize) -> bool {
        records <= self.records / 2 && bytes <= self.bytes / 2
    }
}

/// Pauses or resumes fetching from one partition (librdkafka drops what it fetched ahead for
/// it and, on resume, fetches again from the last polled offset).
fn set_paused<T>(consumer: &BaseConsumer<Client>, p: &Partition<T>, paused: bool) {
    let mut list = TopicPartitionList::new();
    list.add_partition(&p.tp.0, p.tp.1);
    let result = if paused {
        consumer.pause(&list)
    } else {
        consumer.resume(&list)
    };
    match result {
        Ok(()) => {
            tracing::debug!(partition = ?p.tp, paused, "Kafka partition fetching paused/resumed")
        }
        Err(e) => {
            tracing::warn!(partition = ?p.tp, paused, error = %e, "pausing/resuming a Kafka partition failed")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Replay, batch_end};
    use crate::Time;

    #[test]
    fn a_batch_ends_at_the_high_watermark_at_most_the_rate_on() {
        let at = Time::from_millis(1000);
        assert_eq!(
            batch_end(10, || Some(500), Some(100), None, at),
            (110, None)
        );
        assert_eq!(batch_end(10, || Some(50), Some(100), None, at), (50, None));
        assert_eq!(batch_end(10, || Some(50), None, None, at), (50, None));
        assert_eq!(
            batch_end(10, || None, Some(100), None, at),
            (10, None),
            "not fetched yet"
        );
    }

    #[test]
    fn batches_completed_before_a_restart_end_where_they_ended() {
        let replay = Some(Replay {
            through_ms: 3000,
            until: 250,
        });
        let no_watermark = || panic!("a recomputed batch does not depend on the broker");
        let first = batch_end(0, no_watermark, Some(100), replay, Time::from_millis(1000));
        assert_eq!(first, (250, replay), "all of it, past the rate");
        let second = batch_end(
            250,
            no_watermark,
            Some(100),
            replay,
            Time::from_millis(3000),
        );
        assert_eq!(
            second,
            (250, replay),
            "nothing new up to the last recomputed time"
        );
        let after = batch_end(
            250,
            || Some(900),
            Some(100),
            replay,
            Time::from_millis(3100),
        );
        assert_eq!(after, (350, None), "then as usual");
    }

    #[test]
    fn a_partition_pauses_on_records_or_bytes_and_resumes_below_half_of_both() {
        let bound = super::CarryBound {
            records: 100,
            bytes: 1000,
        };
        assert!(!bound.is_full(99, 999));
        assert!(bound.is_full(100, 0), "many small messages");
        assert!(bound.is_full(1, 1000), "one large message");
        assert!(bound.has_room(50, 500));
        assert!(!bound.has_room(10, 501), "bytes still above half");
        assert!(!bound.has_room(51, 10), "records still above half");
    }
}
