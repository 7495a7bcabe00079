//! State of `group_by_key_and_window(w[, s])`.

use super::expire;
use crate::keyed::{Key, KeyMap, hash_partition, key_map};
use crate::{Batch, Time};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

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
    deserialize = "R::Key: Deserialize<'de>, R::Value: Deserialize<'de>"
))]
pub struct GroupByKeyAndWindow<R: GroupedRecord> {
    panes: VecDeque<(i64, Vec<(R::Key, R::Value)>)>,
}

impl<R: GroupedRecord> Default for GroupByKeyAndWindow<R> {
    fn default() -> Self {
        GroupByKeyAndWindow {
            panes: VecDeque::new(),
        }
    }
}

impl<K, V, R> GroupByKeyAndWindow<R>
where
    R: GroupedRecord<Key = K, Value = V>,
    K: Key + Clone,
    V: Clone,
{
    /// Adds the parent's batch at `time`.
    #[doc(hidden)]
    pub fn ingest(&mut self, time: Time, window_ms: i64, batch: Batch<(K, V)>) {
        self.panes.push_back((time.millis(), batch.into_vec()));
        expire(&mut self.panes, time.millis(), window_ms, drop);
    }

    /// The values of each key in the window, in time order.
    #[doc(hidden)]
    pub fn emit(&self, partitions: usize) -> Batch<(K, Vec<V>)> {
        let mut groups: KeyMap<K, Vec<V>> = key_map();
        for (k, v) in self.panes.iter().flat_map(|(_, pane)| pane) {
            groups.entry_ref(k).or_default().push(v.clone());
        }
        hash_partition(groups, |(k, _)| k, partitions)
    }
}
