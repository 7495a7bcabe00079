//! `reduce_by_key(f[, partitions])`: per batch, one `(key, value)` per key, the values
//! combined with `f` (Spark `reduceByKey`; combined as they arrive, like a map-side combine).

use super::Marker;
use crate::keyed::{Key, KeyMap, KeyValue, hash_partition, key_map};
use crate::{Batch, Sink};
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

impl<K: Key, V, F: FnMut(V, V) -> V> Sink for ReduceByKey<K, V, F> {
    type Record = (K, V);
    #[inline(always)]
    fn push(&mut self, (k, v): (K, V)) {
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

impl<K: Key, V, F> ReduceByKey<K, V, F> {
    /// The batch of `(key, reduced value)`, hash-partitioned by key.
    pub fn finish(self) -> Batch<(K, V)> {
        hash_partition(self.table, |(k, _)| k, self.partitions)
    }
}
