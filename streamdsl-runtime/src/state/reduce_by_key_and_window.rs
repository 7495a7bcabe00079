//! State of `reduce_by_key_and_window(f[, inverse], w[, s][, filter])` and
//! `count_by_value_and_window(w[, s])`.

use super::{Panes, Regroup, expire};
use crate::keyed::{Key, KeyMap, KeyValue, hash_partition, key_map};
use crate::workers::{in_hash_order, map_parallel, merge_partitions, workers_for};
use crate::{Batch, Time};
use serde::{Deserialize, Serialize};

/// For records `R = (K, V)`: each batch's per-key reduction in the window and, with an
/// inverse function, the window's running value per key with the number of batches in the
/// window that had the key.
///
/// A key is in a window's output iff it has data in that window, with or without the inverse:
/// the inverse is an optimization (a slide costs the batches entering and leaving, not the
/// window's length), never a change of result. When a key's last batch leaves the window the
/// key is dropped, then `filter` applies. This deliberately differs from Spark, whose inverse
/// path keeps keys whose value fell to the identity (`(k, 0)` for counts) for ever unless a
/// filter removes them (PySpark only when window ≥ 5 × slide), which makes state grow without
/// bound.
///
/// Kept per key group (see the crate docs' "Workers"): each batch's groups are taken in and
/// emitted in parallel, by the same code, and checkpointed group by group.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(
    serialize = "R::Key: Serialize + Key, R::Value: Serialize",
    deserialize = "R::Key: Deserialize<'de> + Key, R::Value: Deserialize<'de>"
))]
pub struct ReduceByKeyAndWindow<R: KeyValue> {
    /// One window per key group.
    groups: super::KeyGroups<WindowGroup<R::Key, R::Value>>,
}

/// One key group's window.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(
    serialize = "K: Serialize + Key, V: Serialize",
    deserialize = "K: Deserialize<'de> + Key, V: Deserialize<'de>"
))]
struct WindowGroup<K, V> {
    /// The reduced batches in the window, oldest first, with their times.
    panes: Panes<K, V>,
    /// With an inverse: each key's value over the window and its number of batches.
    running: KeyMap<K, (V, u32)>,
}

impl<K, V> Default for WindowGroup<K, V> {
    fn default() -> Self {
        WindowGroup {
            panes: Panes::new(),
            running: key_map(),
        }
    }
}

impl<K: Key, V> Regroup for WindowGroup<K, V> {
    fn regroup(read: Vec<Self>) -> Vec<Self> {
        let (panes, running) = read.into_iter().map(|g| (g.panes, g.running)).unzip();
        let panes = Panes::regroup(panes);
        let running = KeyMap::regroup(running);
        panes
            .into_iter()
            .zip(running)
            .map(|(panes, running)| WindowGroup { panes, running })
            .collect()
    }
}

impl<R: KeyValue> Default for ReduceByKeyAndWindow<R> {
    fn default() -> Self {
        ReduceByKeyAndWindow {
            groups: super::KeyGroups::default(),
        }
    }
}

impl<K, V, R> ReduceByKeyAndWindow<R>
where
    R: KeyValue<Key = K, Value = V>,
    K: Key + Clone + Send + Sync,
    V: Clone + Send + Sync,
{
    /// Takes in a batch reduced by key, one pane per key group (without an inverse).
    #[doc(hidden)]
    pub fn ingest(&mut self, workers: usize, time: Time, window_ms: i64, panes: Vec<Vec<(K, V)>>) {
        let workers = workers_for(workers, panes.iter().map(Vec::len).sum());
        let work: Vec<_> = self.groups.iter_mut().zip(panes).collect();
        map_parallel(workers, work, |(group, pane)| {
            group.panes.push_back((time.millis(), pane));
            expire(&mut group.panes, time.millis(), window_ms, drop);
        });
    }

    /// The window's value of every key, recomputed from its panes with `f`.
    #[doc(hidden)]
    pub fn emit(
        &self,
        workers: usize,
        f: &(impl Fn(V, V) -> V + Sync),
        filter: &(impl Fn(&(K, V)) -> bool + Sync),
        partitions: usize,
    ) -> Batch<(K, V)> {
        let records = self
            .groups
            .iter()
            .flat_map(|g| &g.panes)
            .map(|(_, p)| p.len());
        let workers = workers_for(workers, records.sum());
        // Rebuilt from the panes, whose order a checkpoint keeps: no sort needed.
        let groups = map_parallel(workers, self.groups.iter().collect(), |group| {
            let window = group.window(f).into_iter().filter(filter);
            hash_partition(window, |(k, _)| k, partitions)
                .into_partitions()
                .collect()
        });
        merge_partitions(groups, partitions)
    }

    /// Takes in a batch reduced by key, one pane per key group: its values are added to the
    /// running values with `f`, and those of the batch leaving the window taken out with
    /// `inverse`.
    #[doc(hidden)]
    pub fn ingest_with_inverse(
        &mut self,
        workers: usize,
        time: Time,
        window_ms: i64,
        panes: Vec<Vec<(K, V)>>,
        f: &(impl Fn(V, V) -> V + Sync),
        inverse: &(impl Fn(V, V) -> V + Sync),
    ) {
        let workers = workers_for(workers, panes.iter().map(Vec::len).sum());
        let work: Vec<_> = self.groups.iter_mut().zip(panes).collect();
        map_parallel(workers, work, |(group, pane)| {
            group.slide(time.millis(), window_ms, pane, f, inverse)
        });
    }

    /// The running value of every key in the window.
    #[doc(hidden)]
    pub fn emit_running(
        &self,
        workers: usize,
        filter: &(impl Fn(&(K, V)) -> bool + Sync),
        partitions: usize,
    ) -> Batch<(K, V)> {
        let workers = workers_for(workers, self.groups.iter().map(|g| g.running.len()).sum());
        let groups = map_parallel(workers, self.groups.iter().collect(), |group| {
            let records = group
                .running
                .iter()
                .map(|(k, (v, _))| (k.clone(), v.clone()))
                .filter(filter)
                .collect();
            in_hash_order(records, partitions)
        });
        merge_partitions(groups, partitions)
    }
}

impl<K: Key + Clone, V: Clone> WindowGroup<K, V> {
    /// Every key's value over the panes, combined with `f`.
    fn window(&self, f: &impl Fn(V, V) -> V) -> Vec<(K, V)> {
        let mut window: KeyMap<K, V> = key_map();
        for (_, pane) in &self.panes {
            for (k, v) in pane {
                match window.get_mut(k) {
                    Some(acc) => {
                        let prev = acc.clone();
                        *acc = f(prev, v.clone());
                    }
                    None => {
                        window.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        window.into_iter().collect()
    }

    /// Adds `pane` to the running values and takes out the panes leaving the window.
    fn slide(
        &mut self,
        time_ms: i64,
        window_ms: i64,
        pane: Vec<(K, V)>,
        f: &impl Fn(V, V) -> V,
        inverse: &impl Fn(V, V) -> V,
    ) {
        for (k, v) in &pane {
            match self.running.get_mut(k) {
                Some((acc, batches)) => {
                    let prev = acc.clone();
                    *acc = f(prev, v.clone());
                    *batches += 1;
                }
                None => {
                    self.running.insert(k.clone(), (v.clone(), 1));
                }
            }
        }
        self.panes.push_back((time_ms, pane));
        let running = &mut self.running;
        expire(&mut self.panes, time_ms, window_ms, |old| {
            for (k, v) in old {
                if let Some((acc, batches)) = running.get_mut(&k) {
                    *batches -= 1;
                    if *batches == 0 {
                        running.remove(&k);
                    } else {
                        let prev = acc.clone();
                        *acc = inverse(prev, v);
                    }
                }
            }
        });
    }
}

impl<R: KeyValue> super::Entries for ReduceByKeyAndWindow<R> {
    /// The `(key, batch)` pairs in the window.
    fn entries(&self) -> usize {
        super::pane_entries(self.groups.iter().map(|g| &g.panes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workers::{KEY_GROUPS, key_group_of};
    use std::hash::Hash;

    /// A batch reduced by key as the window takes it: one pane per key group.
    fn panes<K: Hash, V>(batch: Vec<(K, V)>) -> Vec<Vec<(K, V)>> {
        let mut groups: Vec<Vec<(K, V)>> = (0..KEY_GROUPS).map(|_| Vec::new()).collect();
        for record in batch {
            groups[key_group_of(&record.0)].push(record);
        }
        groups
    }

    fn t(k: i64) -> Time {
        Time::from_millis(k * 1000)
    }

    fn sorted(b: Batch<(&'static str, i64)>) -> Vec<(&'static str, i64)> {
        let mut v = b.into_vec();
        v.sort();
        v
    }

    /// TV11 with the documented semantics: keys leave the window with their last batch.
    #[test]
    fn inverse_drops_keys_with_no_data_in_the_window() {
        let mut w = ReduceByKeyAndWindow::<(&str, i64)>::default();
        let (add, sub, all) = (|a, b| a + b, |a, b| a - b, |_: &(&str, i64)| true);
        let input = [vec![("a", 1)], vec![("b", 1)], vec![], vec![], vec![]];
        let mut out = Vec::new();
        for (k, batch) in input.into_iter().enumerate() {
            w.ingest_with_inverse(2, t(k as i64 + 1), 2000, panes(batch), &add, &sub);
            out.push(sorted(w.emit_running(2, &all, 1)));
        }
        assert_eq!(
            out,
            [
                vec![("a", 1)],
                vec![("a", 1), ("b", 1)],
                vec![("b", 1)],
                vec![],
                vec![]
            ]
        );
        assert!(
            w.groups.iter().all(|g| g.running.is_empty()),
            "no state is kept for keys that left the window"
        );
    }

    /// TV13: without inverse, recomputed from the window's batches.
    #[test]
    fn tv13_without_inverse() {
        let mut w = ReduceByKeyAndWindow::<(&str, i64)>::default();
        let (add, all) = (|a, b| a + b, |_: &(&str, i64)| true);
        let input = [
            vec![("a", 3)],
            vec![("b", 5)],
            vec![("a", 1)],
            vec![],
            vec![],
        ];
        let mut out = Vec::new();
        for (k, batch) in input.into_iter().enumerate() {
            w.ingest(2, t(k as i64 + 1), 2000, panes(batch));
            out.push(sorted(w.emit(2, &add, &all, 2)));
        }
        assert_eq!(
            out,
            [
                vec![("a", 3)],
                vec![("a", 3), ("b", 5)],
                vec![("a", 1), ("b", 5)],
                vec![("a", 1)],
                vec![]
            ]
        );
    }

    /// The inverse path equals the recomputation on a longer run.
    #[test]
    fn inverse_equals_recomputation() {
        let (mut inv, mut plain) = (
            ReduceByKeyAndWindow::<(u8, i64)>::default(),
            ReduceByKeyAndWindow::<(u8, i64)>::default(),
        );
        let (add, sub, all) = (|a, b| a + b, |a, b| a - b, |_: &(u8, i64)| true);
        let mut seed = 7u64;
        for k in 1..200 {
            let batch: Vec<(u8, i64)> = (0..(k % 5))
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 60) as u8, (seed >> 40) as i64 % 100)
                })
                .collect();
            let mut reduced: KeyMap<u8, i64> = key_map();
            for (key, v) in batch {
                *reduced.entry(key).or_insert(0) += v;
            }
            let reduced: Vec<(u8, i64)> = reduced.into_iter().collect();
            let time = Time::from_millis(k * 1000);
            inv.ingest_with_inverse(2, time, 7000, panes(reduced.clone()), &add, &sub);
            plain.ingest(2, time, 7000, panes(reduced));
            let mut a = inv.emit_running(2, &all, 1).into_vec();
            let mut b = plain.emit(2, &add, &all, 1).into_vec();
            a.sort();
            b.sort();
            assert_eq!(a, b, "batch {k}");
        }
    }
}
