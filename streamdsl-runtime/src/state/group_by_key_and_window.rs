//! State of `group_by_key_and_window(w[, s])`.

use super::expire;
use crate::keyed::{Key, KeyMap, KeyValue, hash_partition, key_map};
use crate::ops::group_by_key::Grouping;
use crate::workers::{map_parallel, merge_partitions, workers_for};
use crate::{Batch, Time};
use serde::{Deserialize, Serialize};

/// The record type of a grouped stream, `(K, Vec<V>)`: names the key and value types.
pub trait GroupedRecord {
    /// The key.
    type Key;
    /// One value.
    type Value;
}

impl<K, V> GroupedRecord for (K, Vec<V>) {
    type Key = K;
    type Value = V;
}

/// For records `R = (K, Vec<V>)`: the parent's `(K, V)` records of each batch in the window.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(
    serialize = "R::Key: Serialize, R::Value: Serialize",
    deserialize = "R::Key: Deserialize<'de> + Key, R::Value: Deserialize<'de>"
))]
pub struct GroupByKeyAndWindow<R: GroupedRecord> {
    /// Per key group, the window's batches with their times, oldest first:
    /// each batch's values per key in arrival order, keys in hash order.
    groups: super::KeyGroups<super::Panes<R::Key, Vec<R::Value>>>,
}

impl<R: GroupedRecord> Default for GroupByKeyAndWindow<R> {
    fn default() -> Self {
        GroupByKeyAndWindow {
            groups: super::KeyGroups::default(),
        }
    }
}

impl<K, V, R> GroupByKeyAndWindow<R>
where
    R: GroupedRecord<Key = K, Value = V>,
    K: Key + Clone + Send + Sync,
    V: Clone + Send + Sync,
{
    /// Adds the parent's batch at `time`, grouped by key, one pane per key group.
    #[doc(hidden)]
    pub fn ingest<T>(&mut self, time: Time, window_ms: i64, batch: Grouping<T>)
    where
        T: KeyValue<Key = K, Value = V>,
    {
        let workers = batch.workers();
        batch.map_groups(workers, self.groups.iter_mut(), |panes, entries| {
            let pane = entries.into_iter().map(|(k, _, vs)| (k, vs));
            panes.push_back((time.millis(), pane.collect()));
            expire(panes, time.millis(), window_ms, drop);
        });
    }

    /// The values of each key in the window, in time order; the key groups on up to `workers`
    /// threads.
    #[doc(hidden)]
    pub fn emit(&self, workers: usize, partitions: usize) -> Batch<(K, Vec<V>)> {
        let records = self.groups.iter().flatten().map(|(_, pane)| pane.len());
        let workers = workers_for(workers, records.sum());
        // Rebuilt from the panes, whose order a checkpoint keeps: no sort needed.
        let groups = map_parallel(workers, self.groups.iter().collect(), |panes| {
            let mut window: KeyMap<K, Vec<V>> = key_map();
            for (k, vs) in panes.iter().flat_map(|(_, pane)| pane) {
                window.entry_ref(k).or_default().extend(vs.iter().cloned());
            }
            hash_partition(window, |(k, _)| k, partitions)
                .into_partitions()
                .collect()
        });
        merge_partitions(groups, partitions.max(1))
    }
}

impl<R: GroupedRecord> super::Entries for GroupByKeyAndWindow<R> {
    /// The `(key, batch)` pairs in the window.
    fn entries(&self) -> usize {
        super::pane_entries(self.groups.iter())
    }
}
