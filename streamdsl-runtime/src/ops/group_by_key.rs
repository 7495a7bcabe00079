//! `group_by_key([partitions])`: per batch, `(key, values)` with the values of each key in
//! arrival order (Spark `groupByKey`).

use super::Marker;
use crate::keyed::{Key, KeyMap, KeyValue, hash_partition, key_map};
use crate::{Batch, EndPartition, Sink};

/// The values seen per key; also one side of a join or cogroup.
pub struct GroupByKey<K, V> {
    groups: KeyMap<K, Vec<V>>,
    partitions: usize,
}

/// A grouping table, checked against the stream's record type.
#[inline(always)]
pub fn sink<T>(_: &Marker<T>, partitions: usize) -> GroupByKey<T::Key, T::Value>
where
    T: KeyValue,
    T::Key: Key,
{
    GroupByKey {
        groups: key_map(),
        partitions,
    }
}

impl<K, V> EndPartition for GroupByKey<K, V> {}

impl<T> Sink<T> for GroupByKey<T::Key, T::Value>
where
    T: KeyValue,
    T::Key: Key,
{
    #[inline(always)]
    fn push(&mut self, record: T) {
        let (k, v) = record.into_key_value();
        self.groups.entry(k).or_default().push(v);
    }
}

/// The batch of `(key, values)`, hash-partitioned by key.
pub fn finish<K: Key, V>(sink: GroupByKey<K, V>) -> Batch<(K, Vec<V>)> {
    hash_partition(sink.groups, |(k, _)| k, sink.partitions)
}

/// The values per key (for `update_state_by_key`).
pub fn groups<K, V>(sink: GroupByKey<K, V>) -> KeyMap<K, Vec<V>> {
    sink.groups
}

impl<K, V> GroupByKey<K, V> {
    /// An empty table.
    pub(crate) fn empty(partitions: usize) -> Self {
        GroupByKey {
            groups: key_map(),
            partitions,
        }
    }

    /// Adds one value.
    pub(crate) fn insert(&mut self, k: K, v: V)
    where
        K: Key,
    {
        self.groups.entry(k).or_default().push(v);
    }

    /// The table, for the joins and cogroup.
    pub(crate) fn into_groups(self) -> KeyMap<K, Vec<V>> {
        self.groups
    }
}
