//! The librdkafka side of `kafka_stream`: the consumer's context (logs, broker outages,
//! commit results, rebalances), where each newly owned partition starts, and the cached high
//! watermark that bounds each batch's offset ranges.

use super::config::StartFrom;
use crate::Time;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use std::collections::HashMap;
use std::ffi::CStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// A partition: `(topic, partition)`.
pub(super) type TopicPartition = (String, i32);

/// A change of the partitions this process owns, seen by the stream at its next poll.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Ownership {
    /// Newly owned, with where each starts (`None`: not known, the first message tells).
    Assigned(Vec<(TopicPartition, Option<Start>)>),
    /// No longer owned.
    Revoked(Vec<TopicPartition>),
}

/// Where a newly owned partition starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Start {
    pub(super) offset: i64,
    /// Batches already completed past `offset` before a restart, to recompute as they were.
    pub(super) replay: Option<Replay>,
}

/// The batches up to time `through_ms` had completed, ending at offset `until`, when the
/// pipeline stopped; its checkpoint is older. They are recomputed with exactly the records
/// before `until` (as Spark recomputes a lost batch from its saved offset ranges), so that
/// a transactional sink, which skips the batch times it committed, neither repeats nor loses
/// a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Replay {
    pub(super) through_ms: i64,
    pub(super) until: i64,
}

/// Commit metadata of `kafka_stream`'s offset commits: the time of the batch that ends
/// there (Kafka keeps a string with each committed offset).
const BATCH_TIME_METADATA: &str = "streamdsl-batch-time=";

/// What to recompute exactly for a partition restored at checkpoint offset `restored`, whose
/// group's committed offset is `committed` with commit `metadata`: a commit ahead of the
/// checkpoint, made by a batch of this input (its metadata names the batch time).
pub(super) fn replay_after_restore(
    restored: i64,
    committed: Option<i64>,
    metadata: &str,
) -> Option<Replay> {
    let until = committed.filter(|&committed| committed > restored)?;
    let through_ms = metadata.strip_prefix(BATCH_TIME_METADATA)?.parse().ok()?;
    Some(Replay { through_ms, until })
}

/// The end of each owned partition's last completed batch, and that batch's time.
#[derive(Default)]
struct Completed {
    offsets: HashMap<TopicPartition, i64>,
    time: Option<Time>,
}

/// Shared between the consumer's callbacks (run inside `poll`, on the driver thread) and
/// the stream.
pub(super) struct Client {
    bootstrap: String,
    start_from: StartFrom,
    timeout: Duration,
    /// Offsets from a checkpoint, used at the first assignment only.
    restored: Mutex<HashMap<TopicPartition, i64>>,
    /// The last completed batch: committed on revocation.
    completed: Mutex<Completed>,
    changes: Mutex<Vec<Ownership>>,
    changed: AtomicBool,
    outage: AtomicBool,
    pub(super) outages: AtomicU64,
    pub(super) rebalances: AtomicU64,
    pub(super) commit_failures: AtomicU64,
    /// The stream is stopping: it commits its offsets itself, with a bounded wait.
    closing: AtomicBool,
    /// A transactional sink commits the offsets inside its transactions: the input commits
    /// none itself (a commit of its own could land after a newer transaction's, or name an
    /// older batch time, and move the group back).
    pub(super) sink_commits: Arc<AtomicBool>,
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
            sink_commits: Arc::default(),
        }
    }

    /// Whether the broker is known to be unreachable now (an outage was reported and no
    /// message has come since).
    pub(super) fn unreachable(&self) -> bool {
        self.outage.load(Ordering::SeqCst)
    }

    /// Whether the input commits its offsets itself (no transactional sink does).
    pub(super) fn commits_itself(&self) -> bool {
        !self.sink_commits.load(Ordering::SeqCst)
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

    pub(super) fn set_completed(
        &self,
        offsets: impl IntoIterator<Item = (TopicPartition, i64)>,
        time: Time,
    ) {
        let mut completed = lock(&self.completed);
        completed.offsets.clear();
        completed.offsets.extend(offsets);
        completed.time = Some(time);
    }

    /// The time of the last completed batch.
    pub(super) fn completed_time(&self) -> Option<Time> {
        lock(&self.completed).time
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

    /// Where each of `partitions` starts: the checkpoint's offset (used once, with what to
    /// recompute exactly if the group committed further), else the group's committed offset,
    /// else [`StartFrom`].
    pub(super) fn resolve_starts<C: ConsumerContext>(
        &self,
        consumer: &BaseConsumer<C>,
        partitions: &[TopicPartition],
    ) -> KafkaResult<Vec<(TopicPartition, Start)>> {
        // The checkpoint speaks for the first assignment only: a partition this process gets
        // later may have been read by another member since.
        let mut restored = std::mem::take(&mut *lock(&self.restored));
        let mut list = TopicPartitionList::new();
        for tp in partitions {
            list.add_partition(&tp.0, tp.1);
        }
        let committed = match consumer.committed_offsets(list, self.timeout) {
            Ok(committed) => committed,
            // Restored partitions need the group only for the exact recomputation.
            Err(e) if partitions.iter().all(|tp| restored.contains_key(tp)) => {
                tracing::warn!(error = %e, "could not read the group's committed offsets; starting at the checkpoint's (batches completed after it are recomputed from what the broker has now)");
                return Ok(partitions
                    .iter()
                    .map(|tp| {
                        let offset = restored[tp];
                        (
                            tp.clone(),
                            Start {
                                offset,
                                replay: None,
                            },
                        )
                    })
                    .collect());
            }
            Err(e) => return Err(e),
        };
        let mut starts = Vec::with_capacity(partitions.len());
        for element in committed.elements() {
            let tp = (element.topic().to_owned(), element.partition());
            let committed = match element.offset() {
                Offset::Offset(committed) => Some(committed),
                _ => None,
            };
            let start = match restored.remove(&tp) {
                Some(offset) => Start {
                    offset,
                    replay: replay_after_restore(offset, committed, element.metadata()),
                },
                None => Start {
                    offset: match committed {
                        Some(committed) => committed,
                        None => self.start_from_offset(consumer, &tp)?,
                    },
                    replay: None,
                },
            };
            starts.push((tp, start));
        }
        Ok(starts)
    }

    /// Where a partition without checkpointed or committed offset starts.
    fn start_from_offset<C: ConsumerContext>(
        &self,
        consumer: &BaseConsumer<C>,
        (topic, partition): &TopicPartition,
    ) -> KafkaResult<i64> {
        let watermarks = || consumer.fetch_watermarks(topic, *partition, self.timeout);
        Ok(match &self.start_from {
            StartFrom::Offsets(given) => {
                match given.iter().find(|(t, p, _)| (t, p) == (topic, partition)) {
                    Some((_, _, offset)) => *offset,
                    None => watermarks()?.0,
                }
            }
            StartFrom::Earliest => watermarks()?.0,
            StartFrom::Latest => watermarks()?.1,
        })
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
                .filter_map(|tp| completed.offsets.get(tp).map(|&o| (tp, o))),
            completed.time,
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

/// librdkafka's list of `(topic, partition)`s at `offsets`: what assign and commit take. A
/// commit passes the time of the batch that ends there (see [`Replay`]).
pub(crate) fn offset_list<'a>(
    offsets: impl IntoIterator<Item = (&'a TopicPartition, i64)>,
    batch_time: Option<Time>,
) -> TopicPartitionList {
    let mut list = TopicPartitionList::new();
    for ((topic, partition), offset) in offsets {
        // Infallible for a plain offset on a list we just built.
        let _ = list.add_partition_offset(topic, *partition, Offset::Offset(offset));
    }
    if let Some(time) = batch_time {
        let metadata = format!("{BATCH_TIME_METADATA}{}", time.millis());
        for mut element in list.elements() {
            element.set_metadata(&metadata);
        }
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
                let starts: Vec<(TopicPartition, Option<Start>)> = match self
                    .resolve_starts(consumer, &partitions)
                {
                    Ok(starts) => {
                        for ((topic, partition), start) in &starts {
                            let _ = list.set_partition_offset(
                                topic,
                                *partition,
                                Offset::Offset(start.offset),
                            );
                        }
                        starts.into_iter().map(|(tp, s)| (tp, Some(s))).collect()
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
                if !self.closing.load(Ordering::SeqCst) && self.commits_itself() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_of_this_input_ahead_of_the_checkpoint_is_recomputed_exactly() {
        let list = offset_list([(&("t".to_owned(), 0), 250)], Some(Time::from_millis(4000)));
        let element = list.find_partition("t", 0).unwrap();
        assert_eq!(element.offset(), Offset::Offset(250));
        assert_eq!(
            replay_after_restore(200, Some(250), element.metadata()),
            Some(Replay {
                through_ms: 4000,
                until: 250
            })
        );
    }

    #[test]
    fn other_commits_leave_the_checkpoint_alone() {
        let ours = "streamdsl-batch-time=4000";
        assert_eq!(
            replay_after_restore(250, Some(250), ours),
            None,
            "same place"
        );
        assert_eq!(replay_after_restore(300, Some(250), ours), None, "behind");
        assert_eq!(replay_after_restore(200, None, ours), None, "no commit");
        // Moved by hand (`kafka-consumer-groups --reset-offsets`) or by another program.
        assert_eq!(replay_after_restore(200, Some(250), ""), None);
        assert_eq!(
            replay_after_restore(200, Some(250), "streamdsl-batch-time=x"),
            None
        );
        let plain = offset_list([(&("t".to_owned(), 0), 1)], None);
        assert_eq!(plain.find_partition("t", 0).unwrap().metadata(), "");
    }
}
