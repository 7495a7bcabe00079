//! The pipeline's Prometheus metrics, updated from listener events and encoded in the
//! OpenMetrics text format (which Prometheus scrapes) by Prometheus's Rust client.
//!
//! Every name starts with `streamdsl_` and every series carries a `pipeline` label. Input
//! counters and gauges come from the inputs themselves (`lines_cut`, `buffered_bytes`, …): each
//! name becomes a family `streamdsl_input_<name>` (`_total` for counters) labelled by input.

use crate::metrics::{BatchInfo, CheckpointInfo, OutputOperationInfo};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InputLabels {
    input: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PartitionLabels {
    input: String,
    topic: String,
    partition: i32,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CounterLabels {
    counter: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutputLabels {
    output: String,
    operation: String,
    stream: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperatorLabels {
    operator: String,
}

/// A float gauge (seconds).
type Seconds = Gauge<f64, AtomicU64>;

/// The registry and the handles to its metrics.
pub(crate) struct Metrics {
    registry: Registry,
    batches: Counter,
    input_records: Family<InputLabels, Counter>,
    output_failures: Family<OutputLabels, Counter>,
    processing: Histogram,
    scheduling_delay: Histogram,
    total_delay: Histogram,
    state_entries: Family<OperatorLabels, Gauge>,
    partition_lag: Family<PartitionLabels, Gauge>,
    /// The pipeline's named counters.
    counters: Family<CounterLabels, Counter>,
    checkpoints: Counter,
    checkpoint_failures: Counter,
    checkpoint_duration: Seconds,
    checkpoint_size: Gauge,
    /// `streamdsl_input_<name>_total` and `streamdsl_input_<name>`, registered when an input
    /// first reports counter or gauge `name`.
    input_counters: HashMap<&'static str, Family<InputLabels, Counter>>,
    input_gauges: HashMap<&'static str, Family<InputLabels, Gauge>>,
}

/// Buckets from 1 ms to about 65 s, doubling.
fn delay_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// The family `input_<name>` of `families`, registered the first time an input reports it.
fn registered<'a, M>(
    registry: &mut Registry,
    families: &'a mut HashMap<&'static str, Family<InputLabels, M>>,
    name: &'static str,
    kind: &str,
) -> &'a Family<InputLabels, M>
where
    M: prometheus_client::metrics::TypedMetric + Default + Clone,
    Family<InputLabels, M>: prometheus_client::registry::Metric,
{
    families.entry(name).or_insert_with(|| {
        let family = Family::default();
        let help = format!("The inputs' `{name}` {kind}");
        registry.register(format!("input_{name}"), help, family.clone());
        family
    })
}

/// Raises a counter to `total`: sources report totals, Prometheus counters take increments.
fn raise_to(counter: &Counter, total: u64) {
    counter.inc_by(total.saturating_sub(counter.get()));
}

fn input(input: &str) -> InputLabels {
    InputLabels {
        input: input.to_owned(),
    }
}

impl Metrics {
    pub(crate) fn new(pipeline: &'static str) -> Self {
        let labels = [(Cow::Borrowed("pipeline"), Cow::Borrowed(pipeline))];
        let registry = Registry::with_prefix_and_labels("streamdsl", labels.into_iter());
        let mut metrics = Metrics {
            batches: Counter::default(),
            input_records: Family::default(),
            output_failures: Family::default(),
            processing: delay_buckets(),
            scheduling_delay: delay_buckets(),
            total_delay: delay_buckets(),
            state_entries: Family::default(),
            partition_lag: Family::default(),
            counters: Family::default(),
            checkpoints: Counter::default(),
            checkpoint_failures: Counter::default(),
            checkpoint_duration: Seconds::default(),
            checkpoint_size: Gauge::default(),
            input_counters: HashMap::new(),
            input_gauges: HashMap::new(),
            registry,
        };
        let m = &mut metrics;
        let r = &mut m.registry;
        r.register("batches", "Batches completed", m.batches.clone());
        r.register(
            "input_records",
            "Records taken into batches",
            m.input_records.clone(),
        );
        r.register(
            "output_failures",
            "Output operations that failed",
            m.output_failures.clone(),
        );
        let delays = [
            (
                "batch_processing",
                "Time to run a batch, outputs included",
                &m.processing,
            ),
            (
                "batch_scheduling_delay",
                "How late a batch started after its batch time",
                &m.scheduling_delay,
            ),
            (
                "batch_total_delay",
                "Scheduling delay plus processing time",
                &m.total_delay,
            ),
        ];
        for (name, help, histogram) in delays {
            r.register_with_unit(name, help, Unit::Seconds, histogram.clone());
        }
        r.register(
            "state_entries",
            "Entries a stateful operator keeps (keys; (key, batch) pairs of keyed windows)",
            m.state_entries.clone(),
        );
        r.register(
            "input_partition_lag_records",
            "Records of a Kafka partition not read yet, up to its high watermark",
            m.partition_lag.clone(),
        );
        r.register(
            "counter",
            "The pipeline's named counters (streamdsl::Counter)",
            m.counters.clone(),
        );
        r.register("checkpoints", "Checkpoints written", m.checkpoints.clone());
        r.register(
            "checkpoint_failures",
            "Checkpoints that could not be written",
            m.checkpoint_failures.clone(),
        );
        r.register_with_unit(
            "checkpoint_duration",
            "Time to write the last checkpoint",
            Unit::Seconds,
            m.checkpoint_duration.clone(),
        );
        r.register_with_unit(
            "checkpoint_size",
            "Size of the last checkpoint",
            Unit::Bytes,
            m.checkpoint_size.clone(),
        );
        metrics
    }

    pub(crate) fn batch_completed(&mut self, info: &BatchInfo) {
        self.batches.inc();
        for (name, records) in &info.input_records {
            self.input_records
                .get_or_create(&input(name))
                .inc_by(*records);
        }
        self.processing.observe(seconds(info.processing_time));
        self.scheduling_delay
            .observe(seconds(info.scheduling_delay()));
        self.total_delay.observe(seconds(info.total_delay()));
        for (operator, entries) in &info.state_entries {
            let labels = OperatorLabels {
                operator: (*operator).to_owned(),
            };
            self.state_entries
                .get_or_create(&labels)
                .set(*entries as i64);
        }
        for &(name, counter, total) in &info.input_counters {
            let family = registered(
                &mut self.registry,
                &mut self.input_counters,
                counter,
                "counter",
            );
            raise_to(&family.get_or_create(&input(name)), total);
        }
        for &(name, total) in &info.counters {
            let labels = CounterLabels {
                counter: name.to_owned(),
            };
            raise_to(&self.counters.get_or_create(&labels), total);
        }
        for (name, topic, partition, lag) in &info.partition_lag {
            let labels = PartitionLabels {
                input: (*name).to_owned(),
                topic: topic.clone(),
                partition: *partition,
            };
            self.partition_lag.get_or_create(&labels).set(*lag as i64);
        }
        for &(name, gauge, value) in &info.input_gauges {
            let family = registered(&mut self.registry, &mut self.input_gauges, gauge, "gauge");
            family.get_or_create(&input(name)).set(value as i64);
        }
    }

    pub(crate) fn output_completed(&mut self, info: &OutputOperationInfo) {
        if info.failure.is_some() {
            let labels = OutputLabels {
                output: info.index.to_string(),
                operation: info.operation.to_owned(),
                stream: info.stream.to_owned(),
            };
            self.output_failures.get_or_create(&labels).inc();
        }
    }

    pub(crate) fn checkpoint_completed(&mut self, info: &CheckpointInfo) {
        if info.failure.is_some() {
            self.checkpoint_failures.inc();
            return;
        }
        self.checkpoints.inc();
        self.checkpoint_duration.set(seconds(info.duration));
        self.checkpoint_size.set(info.bytes as i64);
    }

    /// The OpenMetrics text of every metric.
    pub(crate) fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
