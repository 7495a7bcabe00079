//! State of `map_with_state(f[, timeout])`, and the `State` handle its function gets.

use crate::keyed::{Key, KeyMap, KeyValue, key_hasher};
use crate::ops::group_by_key::Grouping;
use crate::workers::{in_hash_order, key_group_of, merge_partitions};
use crate::{Batch, Time};
use serde::{Deserialize, Serialize};
use std::hash::BuildHasher;

/// The state of every key, with the time it was last touched.
///
/// Per batch, `f(&key, Some(value), &mut state)` is called for each record (not each key, so a
/// key with three records is called three times, each seeing the state the previous call left),
/// and its result is a record of the output (spec 6.2). With an idle timeout, keys not touched
/// for longer than it are then called once with `None` and `state.is_timing_out()`, and
/// removed. Timeouts are evaluated every batch; Spark evaluates them only on checkpoint batches
/// (every tenth by default), so its timeouts come up to ten batches late.
///
/// The states are kept per key group (see the crate docs' "Workers"): the groups are
/// processed in parallel, a key's records in arrival order, and the output holds each group's
/// keys in hash order (timeouts after the records). `f` is called from several workers at
/// once, so it must be `Fn + Sync`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(
    serialize = "K: Serialize + Key, S: Serialize",
    deserialize = "K: Deserialize<'de> + Key, S: Deserialize<'de>"
))]
pub struct MapWithState<K, S> {
    /// Each key group's states with their touch times, one table per key group.
    groups: super::KeyGroups<KeyMap<K, (S, i64)>>,
}

impl<K, S> Default for MapWithState<K, S> {
    fn default() -> Self {
        MapWithState {
            groups: super::KeyGroups::default(),
        }
    }
}

/// The state of one key during one call of a `map_with_state` function (Spark's `State`).
#[derive(Debug)]
pub struct State<S> {
    value: Option<S>,
    timing_out: bool,
}

impl<S> State<S> {
    /// Whether the key has state.
    pub fn exists(&self) -> bool {
        self.value.is_some()
    }

    /// The state, if any.
    pub fn get(&self) -> Option<&S> {
        self.value.as_ref()
    }

    /// Sets the state. Ignored while the key is timing out: it is removed after this call.
    pub fn update(&mut self, state: S) {
        if !self.timing_out {
            self.value = Some(state);
        }
    }

    /// Removes the state.
    pub fn remove(&mut self) {
        self.value = None;
    }

    /// Whether this call is the key's timeout (called with no value).
    pub fn is_timing_out(&self) -> bool {
        self.timing_out
    }
}

/// Touch time of initial state: "not touched yet"; the first batch counts as its touch (Spark
/// gives initial state the first batch's time).
const NOT_TOUCHED: i64 = i64::MAX;

impl<K: Key, S> super::InitialState for MapWithState<K, S> {
    type Item = (K, S);
    fn set_initial(&mut self, initial: impl IntoIterator<Item = (K, S)>) {
        for (k, s) in initial {
            self.groups[key_group_of(&k)]
                .entry(k)
                .or_insert((s, NOT_TOUCHED));
        }
    }
}

impl<K: Key + Clone + Send + Sync, S: Clone + Send + Sync> MapWithState<K, S> {
    /// Calls `f` for each record, then times idle keys out; on up to `workers` threads, a key
    /// group each at a time.
    #[doc(hidden)]
    pub fn apply<T, M, F>(
        &mut self,
        workers: usize,
        time: Time,
        records: Grouping<T>,
        f: &F,
        timeout_ms: Option<i64>,
    ) -> Batch<M>
    where
        T: KeyValue<Key = K, Value: Send>,
        M: Send,
        F: Fn(&K, Option<T::Value>, &mut State<S>) -> M + crate::ops::Shareable,
    {
        let outputs = super::by_key_group(workers, &mut self.groups, records, |states, records| {
            apply_group(states, records, f, time.millis(), timeout_ms)
        });
        Batch::from(outputs.into_iter().flatten().collect::<Vec<M>>())
    }

    /// Every `(key, state)` (Spark's `stateSnapshots`).
    pub fn snapshot(&self, partitions: usize) -> Batch<(K, S)> {
        let groups = self
            .groups
            .iter()
            .map(|states| {
                let records = states
                    .iter()
                    .map(|(k, (s, _))| (k.clone(), s.clone()))
                    .collect();
                in_hash_order(records, partitions)
            })
            .collect();
        merge_partitions(groups, partitions.max(1))
    }
}

/// One key group's batch: `f` for each record of each key, then the timeouts of idle keys
/// (in hash order: the table's own order depends on its history).
fn apply_group<K: Key + Clone, S, V, M>(
    states: &mut KeyMap<K, (S, i64)>,
    records: Vec<(K, Vec<V>)>,
    f: &impl Fn(&K, Option<V>, &mut State<S>) -> M,
    now: i64,
    timeout_ms: Option<i64>,
) -> Vec<M> {
    let mut out = Vec::new();
    for (k, values) in records {
        let mut state = State {
            value: states.remove(&k).map(|(s, _)| s),
            timing_out: false,
        };
        for v in values {
            out.push(f(&k, Some(v), &mut state));
        }
        if let Some(s) = state.value {
            states.insert(k, (s, now));
        }
    }
    if let Some(timeout) = timeout_ms {
        for (_, touched) in states.values_mut() {
            if *touched == NOT_TOUCHED {
                *touched = now;
            }
        }
        let hasher = key_hasher();
        let mut idle: Vec<(u64, K)> = states
            .iter()
            .filter(|(_, (_, touched))| *touched < now - timeout)
            .map(|(k, _)| (hasher.hash_one(k), k.clone()))
            .collect();
        idle.sort_unstable_by_key(|e| e.0);
        for (_, k) in idle {
            if let Some((s, _)) = states.remove(&k) {
                let mut state = State {
                    value: Some(s),
                    timing_out: true,
                };
                out.push(f(&k, None, &mut state));
            }
        }
    }
    out
}

impl<K: Key, S> super::MigratableState for MapWithState<K, S> {
    type Value = S;
    type With<V> = MapWithState<K, V>;
    fn convert<V>(previous: MapWithState<K, V>, mut f: impl FnMut(V) -> S) -> Self {
        let groups = previous.groups.map(|table| {
            let converted = table
                .into_iter()
                .map(|(k, (v, touched))| (k, (f(v), touched)));
            converted.collect()
        });
        MapWithState { groups }
    }
}

impl<K, S> super::Entries for MapWithState<K, S> {
    /// The keys with state.
    fn entries(&self) -> usize {
        self.groups.iter().map(KeyMap::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(k: i64) -> Time {
        Time::from_millis(k * 1000)
    }

    /// A batch of records as the state takes it, grouped by key.
    fn grouped(records: Vec<(&'static str, i64)>) -> Grouping<(&'static str, i64)> {
        use crate::Sink;
        let marker = crate::ops::Marker::<(&str, i64)>::new();
        let mut sink = crate::ops::group_by_key::sink(&marker, 1);
        for r in records {
            sink.push(r);
        }
        sink
    }

    /// TV18.
    #[test]
    fn per_record_calls_and_snapshots() {
        let mut st = MapWithState::<&str, i64>::default();
        let f = |k: &&'static str, v: Option<i64>, s: &mut State<i64>| {
            let sum = v.unwrap_or(0) + s.get().copied().unwrap_or(0);
            s.update(sum);
            (*k, sum)
        };
        let out = st.apply(2, t(1), grouped(vec![("a", 1), ("a", 2)]), &f, None);
        assert_eq!(out.into_vec(), [("a", 1), ("a", 3)]);
        let out = st.apply(2, t(2), grouped(vec![("b", 5)]), &f, None);
        assert_eq!(out.into_vec(), [("b", 5)]);
        let mut snap = st.snapshot(1).into_vec();
        snap.sort();
        assert_eq!(snap, [("a", 3), ("b", 5)]);
    }

    /// TV19 as streamdsl documents it: the timeout comes at the first batch after the key has
    /// been idle longer than the timeout (4000 here), not at the next checkpoint batch.
    #[test]
    fn timeouts_every_batch() {
        let mut st = MapWithState::<&str, i64>::default();
        let f = |k: &&'static str, v: Option<i64>, s: &mut State<i64>| {
            if s.is_timing_out() {
                (*k, "timeout")
            } else {
                s.update(v.unwrap_or(0));
                (*k, "data")
            }
        };
        let mut outputs = Vec::new();
        for k in 1..=6 {
            let records: Vec<(&str, i64)> = if k == 1 { vec![("a", 1)] } else { vec![] };
            let out = st.apply(2, t(k), grouped(records), &f, Some(2000));
            outputs.push(out.into_vec());
        }
        assert_eq!(outputs[0], [("a", "data")]);
        assert!(outputs[1].is_empty() && outputs[2].is_empty());
        assert_eq!(
            outputs[3],
            [("a", "timeout")],
            "at 4000: last touched 1000 < 4000 - 2000"
        );
        assert!(st.snapshot(1).is_empty());
    }
}
