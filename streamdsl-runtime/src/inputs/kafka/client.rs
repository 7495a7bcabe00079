//! The librdkafka side of `kafka_stream`: the consumer's context (logs, broker outages,
//! commit results, rebalances), where each newly owned partition starts, and the cached high
//! watermark that bounds each batch's offset ranges.

use super::config::StartFrom;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use std::collections::HashMap;
use std::ffi::CStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// A partition: `(topic, partition)`.
pub(super) type TopicPartition = (String, i32);

/// A change of the partitions this process owns, seen by the stream at its next poll.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Ownership {
    /// Newly owned, with the offset each starts at (`None`: not known, the first message
    /// tells).
    Assigned(Vec<(TopicPartition, Option<i64>)>),
    /// No longer owned.
    Revoked(Vec<TopicPartition>),
}

/// Shared between the consumer's callbacks (run inside `poll`, on the driver thread) and
/// the stream.
pub(super) struct Client {
    bootstrap: String,
    start_from: StartFrom,
    timeout: Duration,
    /// Offsets from a checkpoint, used at the first assignment only.
    restored: Mutex<HashMap<TopicPartition, i64>>,
    /// The end of each owned partition's last completed batch: committed on revocation.
    completed: Mutex<HashMap<TopicPartition, i64>>,
    changes: Mutex<Vec<Ownership>>,
    changed: AtomicBool,
    outage: AtomicBool,
    pub(super) outages: AtomicU64,
    pub(super) rebalances: AtomicU64,
    pub(super) commit_failures: AtomicU64,
    /// The stream is stopping: it commits its offsets itself, with a bounded wait.
    closing: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Errors that mean the broker cannot be reached right now (librdkafka keeps retrying).
pub(crate) fn is_transport(error: &KafkaError) -> bool {
    use RDKafkaErrorCode::*;
    matches!(
        error.rdkafka_error_code(),
        Some(
            BrokerTransportFailure
                | AllBrokersDown
                | Resolve
                | OperationTimedOut
                | RequestTimedOut
                | NetworkException
                | BrokerNotAvailable
                | CoordinatorNotAvailable
                | NotCoordinator
        )
    )
}

impl Client {
    pub(super) fn new(bootstrap: &str, start_from: StartFrom, timeout: Duration) -> Self {
        Client {
            bootstrap: bootstrap.to_owned(),
            start_from,
            timeout,
            restored: Mutex::default(),
            completed: Mutex::default(),
            changes: Mutex::default(),
            changed: AtomicBool::new(false),
            outage: AtomicBool::new(false),
            outages: AtomicU64::new(0),
            rebalances: AtomicU64::new(0),
            commit_failures: AtomicU64::new(0),
            closing: AtomicBool::new(false),
        }
    }

    /// Whether the broker is known to be unreachable now (an outage was reported and no
    /// message has come since).
    pub(super) fn unreachable(&self) -> bool {
        self.outage.load(Ordering::SeqCst)
    }

    /// The stream stops: revocations no longer commit (it committed, with a bounded wait).
    pub(super) fn closing(&self) {
        self.closing.store(true, Ordering::SeqCst);
    }

    pub(super) fn restore(&self, offsets: impl IntoIterator<Item = (TopicPartition, i64)>) {
        lock(&self.restored).extend(offsets);
    }

    /// Checkpointed offsets not yet applied (their partitions are not assigned yet).
    pub(super) fn pending_restored(&self) -> Vec<(TopicPartition, i64)> {
        lock(&self.restored)
            .iter()
            .map(|(tp, o)| (tp.clone(), *o))
            .collect()
    }

    pub(super) fn set_completed(&self, offsets: impl IntoIterator<Item = (TopicPartition, i64)>) {
        let mut completed = lock(&self.completed);
        completed.clear();
        completed.extend(offsets);
    }

    pub(super) fn take_changes(&self) -> Option<Vec<Ownership>> {
        // A plain load first: this runs after every poll, changes are rare.
        (self.changed.load(Ordering::Acquire) && self.changed.swap(false, Ordering::AcqRel))
            .then(|| std::mem::take(&mut *lock(&self.changes)))
    }

    fn push_change(&self, change: Ownership) {
        lock(&self.changes).push(change);
        self.changed.store(true, Ordering::SeqCst);
    }

    /// Logged once per outage, not once per failed request or batch.
    pub(super) fn broker_unreachable(&self, reason: &str) {
        if !self.outage.swap(true, Ordering::SeqCst) {
            self.outages.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                bootstrap = %self.bootstrap,
                %reason,
                "Kafka broker unreachable; batches stay empty or short until it is back (reconnecting)"
            );
        }
    }

    pub(super) fn broker_reachable(&self) {
        // A plain load first: this runs for every message.
        if self.outage.load(Ordering::Relaxed) && self.outage.swap(false, Ordering::SeqCst) {
            tracing::info!(bootstrap = %self.bootstrap, "Kafka broker reachable again; catching up");
        }
    }

    /// Where each of `partitions` starts: the checkpoint's offset (used once), else the
    /// group's committed offset, else [`StartFrom`].
    pub(super) fn resolve_starts<C: ConsumerContext>(
        &self,
        consumer: &BaseConsumer<C>,
        partitions: &[TopicPartition],
    ) -> KafkaResult<Vec<(TopicPartition, i64)>> {
        let mut starts = Vec::with_capacity(partitions.len());
        let mut unknown = TopicPartitionList::new();
        {
            let mut restored = lock(&self.restored);
            for tp in partitions {
                match restored.remove(tp) {
                    Some(offset) => starts.push((tp.clone(), offset)),
                    None => {
                        unknown.add_partition(&tp.0, tp.1);
                    }
                }
            }
            // The checkpoint speaks for the first assignment only: a partition this process
            // gets later may have been read by another member since.
            restored.clear();
        }
        if unknown.count() == 0 {
            return Ok(starts);
        }
        let committed = consumer.committed_offsets(unknown, self.timeout)?;
        for element in committed.elements() {
            let tp = (element.topic().to_owned(), element.partition());
            let offset = match element.offset() {
                Offset::Offset(committed) => committed,
                _ => match &self.start_from {
                    StartFrom::Offsets(given) => {
                        match given.iter().find(|(t, p, _)| (t, *p) == (&tp.0, tp.1)) {
                            Some((_, _, offset)) => *offset,
                            None => consumer.fetch_watermarks(&tp.0, tp.1, self.timeout)?.0,
                        }
                    }
                    StartFrom::Earliest => consumer.fetch_watermarks(&tp.0, tp.1, self.timeout)?.0,
                    StartFrom::Latest => consumer.fetch_watermarks(&tp.0, tp.1, self.timeout)?.1,
                },
            };
            starts.push((tp, offset));
        }
        Ok(starts)
    }

    /// Commits the completed offsets of `partitions` and waits for the broker (a partition
    /// about to move to another process: it must resume exactly there).
    fn commit_completed<C: ConsumerContext>(
        &self,
        consumer: &BaseConsumer<C>,
        partitions: &[TopicPartition],
    ) {
        let completed = lock(&self.completed);
        let list = offset_list(
            partitions
                .iter()
                .filter_map(|tp| completed.get(tp).map(|&o| (tp, o))),
        );
        drop(completed);
        if list.count() > 0
            && let Err(e) = consumer.commit(&list, CommitMode::Sync)
        {
            self.commit_failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, "committing the offsets of revoked partitions failed; their next owner may read some records again");
        }
    }
}

/// librdkafka's list of `(topic, partition)`s at `offsets`: what assign and commit take.
pub(super) fn offset_list<'a>(
    offsets: impl IntoIterator<Item = (&'a TopicPartition, i64)>,
) -> TopicPartitionList {
    let mut list = TopicPartitionList::new();
    for ((topic, partition), offset) in offsets {
        // Infallible for a plain offset on a list we just built.
        let _ = list.add_partition_offset(topic, *partition, Offset::Offset(offset));
    }
    list
}

fn partitions_of(list: &TopicPartitionList) -> Vec<TopicPartition> {
    list.elements()
        .iter()
        .map(|e| (e.topic().to_owned(), e.partition()))
        .collect()
}

impl ClientContext for Client {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, facility: &str, message: &str) {
        // librdkafka logs every retry; outages are reported once through `error`.
        tracing::debug!(target: "librdkafka", ?level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if is_transport(&error) {
            self.broker_unreachable(reason);
        } else {
            tracing::warn!(bootstrap = %self.bootstrap, %error, reason, "Kafka client error");
        }
    }
}

impl ConsumerContext for Client {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        list: &mut TopicPartitionList,
    ) {
        self.rebalances.fetch_add(1, Ordering::Relaxed);
        let cooperative = matches!(
            consumer.rebalance_protocol(),
            RebalanceProtocol::Cooperative
        );
        let partitions = partitions_of(list);
        let result = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                let starts: Vec<(TopicPartition, Option<i64>)> = match self
                    .resolve_starts(consumer, &partitions)
                {
                    Ok(starts) => {
                        for ((topic, partition), offset) in &starts {
                            let _ = list.set_partition_offset(
                                topic,
                                *partition,
                                Offset::Offset(*offset),
                            );
                        }
                        starts.into_iter().map(|(tp, o)| (tp, Some(o))).collect()
                    }
                    Err(e) => {
                        // librdkafka then starts at the committed offset or auto.offset.reset.
                        tracing::warn!(error = %e, "could not look up where the assigned partitions start; using the group's committed offsets");
                        partitions.into_iter().map(|tp| (tp, None)).collect()
                    }
                };
                tracing::info!(partitions = ?starts, "Kafka partitions assigned");
                self.push_change(Ownership::Assigned(starts));
                if cooperative {
                    consumer.incremental_assign(list)
                } else {
                    consumer.assign(list)
                }
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                if !self.closing.load(Ordering::SeqCst) {
                    self.commit_completed(consumer, &partitions);
                }
                tracing::info!(?partitions, "Kafka partitions revoked");
                self.push_change(Ownership::Revoked(partitions));
                if cooperative {
                    consumer.incremental_unassign(list)
                } else {
                    consumer.unassign()
                }
            }
            other => {
                tracing::warn!(error = ?RDKafkaErrorCode::from(other), "Kafka rebalance failed; dropping the assignment until the next one");
                let owned = consumer
                    .assignment()
                    .map(|a| partitions_of(&a))
                    .unwrap_or_default();
                self.push_change(Ownership::Revoked(owned));
                consumer.unassign()
            }
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "applying the Kafka partition assignment failed");
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, _offsets: &TopicPartitionList) {
        match result {
            Ok(()) => self.broker_reachable(),
            Err(e) => {
                self.commit_failures.fetch_add(1, Ordering::Relaxed);
                if is_transport(&e) {
                    self.broker_unreachable(&e.to_string());
                } else {
                    tracing::warn!(error = %e, "committing offsets to Kafka failed; the next commit covers them");
                }
            }
        }
    }
}

/// The high watermark librdkafka last saw in a fetch response for this partition (no
/// request; `None` before the first fetch). The batch's range ends there: unlike a
/// ListOffsets request it costs nothing, and some brokers answer ListOffsets-latest wrongly.
pub(super) fn cached_high_watermark<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    topic: &CStr,
    partition: i32,
) -> Option<i64> {
    let (mut low, mut high) = (-1_i64, -1_i64);
    // SAFETY: the client pointer is valid while `consumer` lives; `topic` is a NUL-terminated
    // string; librdkafka only writes the two out-parameters.
    let err = unsafe {
        rdkafka::bindings::rd_kafka_get_watermark_offsets(
            consumer.client().native_ptr(),
            topic.as_ptr(),
            partition,
            &mut low,
            &mut high,
        )
    };
    (err == RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0).then_some(high)
}
