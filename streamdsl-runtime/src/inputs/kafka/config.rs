//! What a `kafka_stream` connects to and how it reads: [`KafkaConfig`].

use crate::BoxError;
use std::time::Duration;

/// Which partitions a [`kafka_stream`](super::kafka_stream) reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Assignment {
    /// Join the consumer group and read the partitions the group assigns to this process:
    /// several copies of the same binary share the topics' partitions, and partitions added
    /// to a topic are picked up after librdkafka's next metadata refresh.
    Subscribe(Vec<String>),
    /// Read every partition of these topics, without group membership (the group id only
    /// names the committed offsets); partitions added while running are picked up.
    Topics(Vec<String>),
    /// Read exactly these `(topic, partition)`s, without group membership.
    Partitions(Vec<(String, i32)>),
}

/// Where a partition starts when neither a checkpoint nor a committed group offset says.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum StartFrom {
    /// The oldest record the broker keeps (Spark's `auto.offset.reset=earliest`).
    #[default]
    Earliest,
    /// Only records produced after the start.
    Latest,
    /// These offsets, by `(topic, partition)`; partitions not listed start at the earliest.
    Offsets(Vec<(String, i32, i64)>),
}

/// The configuration of a [`kafka_stream`](super::kafka_stream).
///
/// ```
/// use streamdsl_runtime::inputs::kafka::{KafkaConfig, StartFrom};
/// let config = KafkaConfig::subscribe("127.0.0.1:9092", "word-count", ["words"])
///     .start_from(StartFrom::Earliest)
///     .max_rate_per_partition(10_000)
///     .set("fetch.wait.max.ms", "50");
/// assert_eq!(config.group_id(), "word-count");
/// ```
#[derive(Clone, Debug)]
pub struct KafkaConfig {
    pub(super) bootstrap_servers: String,
    pub(super) group_id: String,
    pub(super) assignment: Assignment,
    pub(super) start_from: StartFrom,
    pub(super) max_rate_per_partition: Option<u64>,
    pub(super) properties: Vec<(String, String)>,
    pub(super) connect_timeout: Duration,
    pub(super) fetch_timeout: Option<Duration>,
    pub(super) max_buffered_per_partition: usize,
    pub(super) max_buffered_bytes_per_partition: usize,
}

impl KafkaConfig {
    fn new(bootstrap_servers: &str, group_id: &str, assignment: Assignment) -> Self {
        KafkaConfig {
            bootstrap_servers: bootstrap_servers.to_owned(),
            group_id: group_id.to_owned(),
            assignment,
            start_from: StartFrom::default(),
            max_rate_per_partition: None,
            properties: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            fetch_timeout: None,
            max_buffered_per_partition: 100_000,
            max_buffered_bytes_per_partition: 64 << 20,
        }
    }

    /// Reads `topics` as a member of consumer group `group_id` (Spark's `Subscribe`).
    /// `bootstrap_servers` is Kafka's comma-separated `host:port` list.
    pub fn subscribe(
        bootstrap_servers: &str,
        group_id: &str,
        topics: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let topics = topics.into_iter().map(Into::into).collect();
        KafkaConfig::new(bootstrap_servers, group_id, Assignment::Subscribe(topics))
    }

    /// Reads every partition of `topics` in this process, without joining the group (no
    /// rebalances, no join delay); offsets are still committed under `group_id`.
    pub fn topics(
        bootstrap_servers: &str,
        group_id: &str,
        topics: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let topics = topics.into_iter().map(Into::into).collect();
        KafkaConfig::new(bootstrap_servers, group_id, Assignment::Topics(topics))
    }

    /// Reads exactly these `(topic, partition)`s (Spark's `Assign`); offsets are committed
    /// under `group_id`.
    pub fn partitions(
        bootstrap_servers: &str,
        group_id: &str,
        partitions: impl IntoIterator<Item = (impl Into<String>, i32)>,
    ) -> Self {
        let partitions = partitions.into_iter().map(|(t, p)| (t.into(), p)).collect();
        KafkaConfig::new(
            bootstrap_servers,
            group_id,
            Assignment::Partitions(partitions),
        )
    }

    /// Where partitions without a checkpointed or committed offset start (default: earliest).
    pub fn start_from(mut self, start: StartFrom) -> Self {
        self.start_from = start;
        self
    }

    /// At most this many records per partition per second of batch interval (Spark's
    /// `maxRatePerPartition`): a batch takes at most `rate × interval` records of each
    /// partition, so a backlog drains in batches of bounded size.
    pub fn max_rate_per_partition(mut self, records_per_second: u64) -> Self {
        self.max_rate_per_partition = Some(records_per_second);
        self
    }

    /// A librdkafka consumer property, passed through (e.g. `security.protocol`,
    /// `fetch.wait.max.ms`). The input sets `group.id`, `bootstrap.servers` and
    /// `enable.auto.commit` itself.
    pub fn set(mut self, key: &str, value: &str) -> Self {
        self.properties.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Bound on each wait for the broker at start: reaching it, topic metadata, committed
    /// offsets, the first group assignment (default 10 s; a group join on some brokers takes
    /// several seconds, so the assignment wait is three times this).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a batch waits for the records its offset ranges name (default: the batch
    /// interval, at most 1 s). A batch that cannot get them in time (a slow or unreachable
    /// broker) is cut short at what arrived; the rest comes in the next batch.
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = Some(timeout);
        self
    }

    /// Records held per partition beyond the current batch before fetching from it pauses
    /// (default 100 000): memory stays bounded whatever the backlog.
    pub fn max_buffered_per_partition(mut self, records: usize) -> Self {
        self.max_buffered_per_partition = records.max(1);
        self
    }

    /// Bytes (keys and payloads) held per partition beyond the current batch before fetching
    /// from it pauses (default 64 MiB): large messages are bounded as well as many.
    pub fn max_buffered_bytes_per_partition(mut self, bytes: usize) -> Self {
        self.max_buffered_bytes_per_partition = bytes.max(1);
        self
    }

    /// The consumer group id.
    pub fn group_id(&self) -> &str {
        &self.group_id
    }

    /// The topics read.
    pub fn topic_names(&self) -> Vec<&str> {
        let mut topics: Vec<&str> = match &self.assignment {
            Assignment::Subscribe(t) | Assignment::Topics(t) => {
                t.iter().map(String::as_str).collect()
            }
            Assignment::Partitions(p) => p.iter().map(|(t, _)| t.as_str()).collect(),
        };
        topics.sort_unstable();
        topics.dedup();
        topics
    }

    /// Checks what can be checked without a broker: a clear error naming the setting.
    pub(super) fn validate(&self) -> Result<(), BoxError> {
        validate_bootstrap("kafka_stream", &self.bootstrap_servers)?;
        if self.group_id.trim().is_empty() {
            return Err("kafka_stream: the consumer group id is missing; set one (Kafka keeps the committed offsets under it, e.g. `KafkaConfig::subscribe(servers, \"my-app\", topics)`)".into());
        }
        if self.topic_names().is_empty() {
            return Err("kafka_stream: no topics to read; name at least one".into());
        }
        if let Some(name) = self.topic_names().into_iter().find(|t| t.trim().is_empty()) {
            return Err(format!("kafka_stream: invalid topic name `{name}`").into());
        }
        if self.max_rate_per_partition == Some(0) {
            return Err("kafka_stream: max_rate_per_partition is 0, so nothing would ever be read; use at least 1".into());
        }
        const OWN: [&str; 4] = [
            "group.id",
            "bootstrap.servers",
            "enable.auto.commit",
            "enable.auto.offset.store",
        ];
        if let Some((key, _)) = self
            .properties
            .iter()
            .find(|(k, _)| OWN.contains(&k.as_str()))
        {
            return Err(format!("kafka_stream: property `{key}` is set by the input itself; use the KafkaConfig constructor's arguments instead").into());
        }
        Ok(())
    }

    /// The per-partition bound of one batch, if rate-limited.
    pub(super) fn records_per_batch(&self, batch_interval: Duration) -> Option<i64> {
        self.max_rate_per_partition.map(|rate| {
            let per_batch = rate as f64 * batch_interval.as_secs_f64();
            (per_batch.ceil() as i64).max(1)
        })
    }
}

/// Checks a `host:port,…` bootstrap list; the error names `what` (the input or sink) and the
/// malformed entry.
pub(crate) fn validate_bootstrap(what: &str, servers: &str) -> Result<(), String> {
    let list = servers.trim();
    if list.is_empty() {
        return Err(format!(
            "{what}: no bootstrap servers; give `host:port` (e.g. `127.0.0.1:9092`)"
        ));
    }
    for server in list.split(',').map(str::trim) {
        let server = server
            .split_once("://")
            .map_or(server, |(_, address)| address);
        let valid = server.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
        });
        if !valid {
            return Err(format!(
                "{what}: malformed bootstrap server `{server}` in `{servers}`; expected `host:port`, e.g. `127.0.0.1:9092`"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(config: KafkaConfig) -> String {
        config.validate().unwrap_err().to_string()
    }

    #[test]
    fn malformed_settings_are_named() {
        assert!(
            error(KafkaConfig::subscribe("localhost", "g", ["t"]))
                .contains("malformed bootstrap server `localhost`")
        );
        assert!(error(KafkaConfig::subscribe("a:1,b:x", "g", ["t"])).contains("`b:x`"));
        assert!(error(KafkaConfig::subscribe("", "g", ["t"])).contains("no bootstrap servers"));
        assert!(error(KafkaConfig::subscribe("h:1", " ", ["t"])).contains("group id is missing"));
        assert!(error(KafkaConfig::topics("h:1", "g", Vec::<String>::new())).contains("no topics"));
        assert!(
            error(KafkaConfig::topics("h:1", "g", ["t"]).set("group.id", "x"))
                .contains("`group.id`")
        );
        assert!(
            error(KafkaConfig::topics("h:1", "g", ["t"]).max_rate_per_partition(0))
                .contains("is 0")
        );
        KafkaConfig::subscribe("127.0.0.1:9092, [::1]:9093", "g", ["t"])
            .validate()
            .unwrap();
    }

    #[test]
    fn the_rate_limit_is_per_partition_per_batch() {
        let config = KafkaConfig::topics("h:1", "g", ["t"]).max_rate_per_partition(1000);
        assert_eq!(
            config.records_per_batch(Duration::from_millis(500)),
            Some(500)
        );
        assert_eq!(config.records_per_batch(Duration::from_millis(1)), Some(1));
        assert_eq!(
            KafkaConfig::topics("h:1", "g", ["t"]).records_per_batch(Duration::from_secs(1)),
            None
        );
    }
}
