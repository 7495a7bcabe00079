//! `count_by_value([partitions])`: `(value, count)` for each distinct record of a batch.

use super::Marker;
use crate::keyed::{Key, KeyMap, hash_partition, key_map};
use crate::{Batch, EndPartition, Sink};

/// Counts per distinct record.
pub struct CountByValue<T> {
    counts: KeyMap<T, u64>,
    partitions: usize,
}

/// A counter whose output has `partitions` partitions.
#[inline(always)]
pub fn sink<T: Key>(_: &Marker<T>, partitions: usize) -> CountByValue<T> {
    CountByValue {
        counts: key_map(),
        partitions,
    }
}

impl<T> EndPartition for CountByValue<T> {}

impl<T: Key> Sink<T> for CountByValue<T> {
    #[inline(always)]
    fn push(&mut self, record: T) {
        *self.counts.entry(record).or_insert(0) += 1;
    }
}

/// The batch of `(value, count)` pairs, hash-partitioned by value.
pub fn finish<T: Key>(sink: CountByValue<T>) -> Batch<(T, u64)> {
    hash_partition(sink.counts, |(v, _)| v, sink.partitions)
}
