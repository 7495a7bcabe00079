//! `group_by_key([partitions])`: per batch, `(key, values)` with the values of each key in
//! arrival order (Spark `groupByKey`).

use super::Marker;
use crate::keyed::{Key, KeyMap, KeyValue, hash_partition, key_map};
use crate::{Batch, Sink};

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

impl<K: Key, V> Sink for GroupByKey<K, V> {
    type Record = (K, V);
    #[inline(always)]
    fn push(&mut self, (k, v): (K, V)) {
        self.groups.entry(k).or_default().push(v);
    }
}

impl<K: Key, V> GroupByKey<K, V> {
    /// The batch of `(key, values)`, hash-partitioned by key.
    pub fn finish(self) -> Batch<(K, Vec<V>)> {
        hash_partition(self.groups, |(k, _)| k, self.partitions)
    }

    /// The table, for the joins and cogroup.
    pub(crate) fn into_groups(self) -> KeyMap<K, Vec<V>> {
        self.groups
    }
}
