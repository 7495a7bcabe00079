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

/// Checks a function combining two values of the stream's records (the `f` and the inverse of
/// `reduce_by_key_and_window`).
#[inline(always)]
pub fn check_values<T: KeyValue, F: FnMut(T::Value, T::Value) -> T::Value>(
    _: &Marker<T>,
    f: F,
) -> F {
    f
}

/// Checks a filter of the stream's `(key, value)` records.
#[inline(always)]
pub fn check_filter<T: KeyValue, F: FnMut(&(T::Key, T::Value)) -> bool>(_: &Marker<T>, f: F) -> F {
    f
}

/// The filter that keeps every record.
#[inline(always)]
pub fn keep_all<T: KeyValue>(_: &Marker<T>) -> impl FnMut(&(T::Key, T::Value)) -> bool {
    |_| true
}

/// The batch of `(key, reduced value)`, hash-partitioned by key.
pub fn finish<K: Key, V, F>(sink: ReduceByKey<K, V, F>) -> Batch<(K, V)> {
    hash_partition(sink.table, |(k, _)| k, sink.partitions)
}
