//! Per-operator state kept across batches: windows, `update_state_by_key`, `map_with_state`.
//!
//! Each stateful operator of a pipeline owns one value of a type from this module, as a named
//! field of the pipeline's generated `…State` struct (e.g. `pub counts:
//! ReduceByKeyAndWindow<(String, u64)>`). The types hold data only (closures are the
//! pipeline's code, passed in at each batch), so a checkpoint is the state serialized with
//! serde, and a restored pipeline carries on with the same values.
//!
//! Their per-batch methods are for the generated code and hidden from this documentation. The
//! state set before the first batch (the generated `initial_<name>` methods) can be read
//! through the pipeline's `state()`: [`UpdateStateByKey::states`], [`MapWithState::snapshot`].
//!
//! Times are milliseconds since the epoch; a window of length `w` at time `t` holds the
//! parent's batches at times in `(t - w, t]` (spec 5.1).

mod count_by_window;
mod group_by_key_and_window;
mod map_with_state;
mod reduce_by_key_and_window;
mod reduce_by_window;
mod saved;
mod update_state_by_key;
mod window;

pub use count_by_window::CountByWindow;
pub use group_by_key_and_window::{GroupByKeyAndWindow, GroupedRecord};
pub use map_with_state::{MapWithState, State};
pub use reduce_by_key_and_window::ReduceByKeyAndWindow;
pub use reduce_by_window::ReduceByWindow;
pub use saved::{Checkpointed, StateError, StateMigration};
#[doc(hidden)]
pub use saved::{MigratableState, Restorer, SavedStates, ViaMigration, ViaType, restorer, save};
pub use update_state_by_key::UpdateStateByKey;
pub use window::Window;

use crate::keyed::{Key, KeyMap, KeyValue};
use crate::ops::group_by_key::Grouping;
use crate::workers::{KEY_GROUPS, key_group_of, workers_for};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeSet, VecDeque};
use std::hash::Hash;

/// A keyed operator's state, one `G` per key group ([`KEY_GROUPS`]; see "Workers" in the
/// crate docs).
///
/// Written as the sequence of groups. Read back, every entry moves to the group its key
/// hashes to in this process: the hash seeds are random per process, so a checkpoint
/// restores under any seed (with the same seed, every entry stays in its group).
#[derive(Debug, Clone)]
pub(crate) struct KeyGroups<G>(Vec<G>);

/// What one key group holds, and how entries read from a checkpoint find their group.
pub(crate) trait Regroup: Default + Sized {
    /// `read`'s entries, each in the group of its key's hash, in their order within `read`.
    fn regroup(read: Vec<Self>) -> Vec<Self>;
}

impl<G> KeyGroups<G> {
    /// Each group converted with `f`.
    pub(crate) fn map<H>(self, f: impl FnMut(G) -> H) -> KeyGroups<H> {
        KeyGroups(self.0.into_iter().map(f).collect())
    }
}

impl<G: Default> Default for KeyGroups<G> {
    fn default() -> Self {
        KeyGroups(
            std::iter::repeat_with(G::default)
                .take(KEY_GROUPS)
                .collect(),
        )
    }
}

impl<G> std::ops::Deref for KeyGroups<G> {
    type Target = [G];
    fn deref(&self) -> &[G] {
        &self.0
    }
}

impl<G> std::ops::DerefMut for KeyGroups<G> {
    fn deref_mut(&mut self) -> &mut [G] {
        &mut self.0
    }
}

impl<G: Serialize> Serialize for KeyGroups<G> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, G: Deserialize<'de> + Regroup> Deserialize<'de> for KeyGroups<G> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<G>::deserialize(deserializer).map(|read| KeyGroups(G::regroup(read)))
    }
}

impl<K: Key, V> Regroup for KeyMap<K, V> {
    fn regroup(read: Vec<Self>) -> Vec<Self> {
        let mut groups = KeyGroups::<Self>::default().0;
        for (k, v) in read.into_iter().flatten() {
            groups[key_group_of(&k)].insert(k, v);
        }
        groups
    }
}

/// A window's batches in one key group, oldest first: each batch's entries by key.
pub(crate) type Panes<K, V> = VecDeque<(i64, Vec<(K, V)>)>;

impl<K: Hash, V> Regroup for Panes<K, V> {
    /// Every group gets a pane at every time any group had one (the groups slide together),
    /// and a pane's entries keep their order.
    fn regroup(read: Vec<Self>) -> Vec<Self> {
        let times: BTreeSet<i64> = read.iter().flatten().map(|(time, _)| *time).collect();
        let mut groups: Vec<Self> = (0..KEY_GROUPS)
            .map(|_| times.iter().map(|&time| (time, Vec::new())).collect())
            .collect();
        for (time, pane) in read.into_iter().flatten() {
            let at = times.range(..time).count();
            for entry in pane {
                groups[key_group_of(&entry.0)][at].1.push(entry);
            }
        }
        groups
    }
}

/// Runs `step` on each key group's state with the group's batch, `(key, values)` in hash
/// order, the groups in parallel when there is enough to do: how the keyed states take in a
/// batch.
pub(crate) fn by_key_group<K, X, T, R>(
    workers: usize,
    states: &mut [KeyMap<K, X>],
    batch: Grouping<T>,
    step: impl Fn(&mut KeyMap<K, X>, Vec<(K, Vec<T::Value>)>) -> R + Sync,
) -> Vec<R>
where
    T: KeyValue<Key = K>,
    K: Eq + Send,
    X: Send,
    T::Value: Send,
    R: Send,
{
    let records = states.iter().map(KeyMap::len).sum::<usize>() + batch.entries();
    batch.map_groups(workers_for(workers, records), states, |state, entries| {
        step(
            state,
            entries.into_iter().map(|(k, _, vs)| (k, vs)).collect(),
        )
    })
}

/// How much a stateful operator keeps, for metrics: see
/// [`BatchInfo::state_entries`](crate::BatchInfo::state_entries).
#[doc(hidden)]
pub trait Entries {
    /// The entries kept now.
    fn entries(&self) -> usize;
}

/// The entries of a keyed window's panes, over its key groups.
fn pane_entries<'a, K: 'a, V: 'a>(groups: impl IntoIterator<Item = &'a Panes<K, V>>) -> usize {
    groups
        .into_iter()
        .flatten()
        .map(|(_, pane)| pane.len())
        .sum()
}

/// A state that can be set before the first batch (Spark's `initialRDD`): what the generated
/// `initial_<name>(pairs)` builder method of a pipeline calls.
#[doc(hidden)]
pub trait InitialState {
    /// One initial entry, `(key, state)`.
    type Item;
    /// Sets the initial entries; for a key given twice the first entry is used.
    fn set_initial(&mut self, initial: impl IntoIterator<Item = Self::Item>);
}

/// Drops the panes that have left a window of `window_ms` ending at `time_ms`, passing each to
/// `leave`. Panes are in time order.
pub(crate) fn expire<P>(
    panes: &mut VecDeque<(i64, P)>,
    time_ms: i64,
    window_ms: i64,
    mut leave: impl FnMut(P),
) {
    while panes
        .front()
        .is_some_and(|(t, _)| *t <= time_ms - window_ms)
    {
        if let Some((_, pane)) = panes.pop_front() {
            leave(pane);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Groups as another process (another seed) might have written them: every key in the
    /// wrong group for this process.
    fn misplaced<G: Default>(entries: impl Fn(usize) -> G) -> KeyGroups<G> {
        let mut groups = KeyGroups::<G>::default();
        for (index, group) in groups.iter_mut().enumerate() {
            *group = entries(index);
        }
        groups
    }

    fn read_back<G: Serialize + for<'de> Deserialize<'de> + Regroup>(
        groups: &KeyGroups<G>,
    ) -> KeyGroups<G> {
        postcard::from_bytes(&postcard::to_stdvec(groups).unwrap()).unwrap()
    }

    #[test]
    fn restored_tables_put_every_key_in_its_group() {
        let keys = |group: usize| (0..20).map(move |i| group * 100 + i);
        let written = misplaced(|group| {
            let mut table = crate::keyed::key_map();
            table.extend(
                keys(group)
                    .filter(|k| key_group_of(k) != group)
                    .map(|k| (k, k * 2)),
            );
            table
        });
        let restored = read_back(&written);
        let total: usize = written.iter().map(KeyMap::len).sum();
        assert_eq!(restored.iter().map(KeyMap::len).sum::<usize>(), total);
        for (group, table) in restored.iter().enumerate() {
            for (k, v) in table {
                assert_eq!(key_group_of(k), group);
                assert_eq!(*v, k * 2);
            }
        }
    }

    #[test]
    fn restored_panes_keep_times_and_entry_order() {
        // Group g holds panes at times 10 and 20 (group 0 also at 5), each with key 1000 + g
        // and key 7, whose value is the group it was written in.
        let written: KeyGroups<Panes<u32, u32>> = misplaced(|group| {
            let pane = |time: i64| {
                let own = (1000 + group as u32, time as u32);
                (time, vec![own, (7, group as u32)])
            };
            let times: &[i64] = if group == 0 { &[5, 10, 20] } else { &[10, 20] };
            times.iter().map(|&t| pane(t)).collect()
        });
        let restored = read_back(&written);
        for (group, panes) in restored.iter().enumerate() {
            let times: Vec<i64> = panes.iter().map(|(t, _)| *t).collect();
            assert_eq!(times, [5, 10, 20], "every group slides with the others");
            for (time, pane) in panes {
                assert!(pane.iter().all(|(k, _)| key_group_of(k) == group));
                let sevens: Vec<u32> = pane.iter().filter(|e| e.0 == 7).map(|e| e.1).collect();
                if key_group_of(&7u32) == group && *time != 5 {
                    let expected: Vec<u32> = (0..KEY_GROUPS as u32).collect();
                    assert_eq!(
                        sevens, expected,
                        "entries keep the order they were written in"
                    );
                }
            }
        }
    }

    #[test]
    fn a_table_read_back_in_the_same_process_keeps_its_groups() {
        let mut written = KeyGroups::<KeyMap<u64, u64>>::default();
        for k in 0..1000u64 {
            written[key_group_of(&k)].insert(k, k);
        }
        let restored = read_back(&written);
        let sorted = |table: &KeyMap<u64, u64>| {
            let mut entries: Vec<_> = table.iter().map(|(k, v)| (*k, *v)).collect();
            entries.sort();
            entries
        };
        for (a, b) in written.iter().zip(restored.iter()) {
            assert_eq!(sorted(a), sorted(b));
        }
    }
}
