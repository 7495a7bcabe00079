//! `reduce_by_key(f[, partitions])`: per batch, one `(key, value)` per key, the values
//! combined with `f` (Spark `reduceByKey`; combined as they arrive, like a map-side combine).

use super::Marker;
use crate::keyed::{Key, KeyMap, KeyValue, hash_partition, key_map};
use crate::{Batch, EndPartition, Sink};
use hashbrown::hash_map::Entry;

/// The per-key accumulation of one batch.
pub struct ReduceByKey<K, V, F> {
    table: KeyMap<K, V>,
    f: F,
    partitions: usize,
}

/// A reducer with `f`, checked against the stream's value type.
#[inline(always)]
pub fn sink<T, F>(_: &Marker<T>, f: F, partitions: usize) -> ReduceByKey<T::Key, T::Value, F>
where
    T: KeyValue,
    T::Key: Key,
    F: FnMut(T::Value, T::Value) -> T::Value,
{
    ReduceByKey {
        table: key_map(),
        f,
        partitions,
    }
}

impl<K, V, F> EndPartition for ReduceByKey<K, V, F> {}

impl<T, F> Sink<T> for ReduceByKey<T::Key, T::Value, F>
where
    T: KeyValue,
    T::Key: Key,
    F: FnMut(T::Value, T::Value) -> T::Value,
{
    #[inline(always)]
    fn push(&mut self, record: T) {
        let (k, v) = record.into_key_value();
        match self.table.entry(k) {
            Entry::Occupied(e) => {
                let f = &mut self.f;
                e.replace_entry_with(|_, old| Some(f(old, v)));
            }
            Entry::Vacant(e) => {
                e.insert(v);
            }
        }
    }
}

/// The batch of `(key, reduced value)`, hash-partitioned by key.
pub fn finish<K: Key, V, F>(sink: ReduceByKey<K, V, F>) -> Batch<(K, V)> {
    hash_partition(sink.table, |(k, _)| k, sink.partitions)
}
