//! State of `update_state_by_key(f)`.

use crate::Batch;
use crate::keyed::{Key, KeyMap, KeyValue, key_map};
use crate::ops::group_by_key::Grouping;
use crate::workers::{in_hash_order, key_group_of, merge_partitions};
use serde::{Deserialize, Serialize};

/// For records `R = (K, S)`: the state of every key.
///
/// Each batch, `f(values, state)` is called for every key that has state or new values (spec
/// 6.1): keys with state but no new values get an empty `Vec`. `Some(s)` keeps `s`, `None`
/// removes the key. The stream's batch is then every `(key, state)`.
///
/// The states are kept per key group (see the crate docs' "Workers"): the groups are updated
/// in parallel, each by the same code, and checkpointed group by group. `f` is called from
/// several workers at once, so it must be `Fn + Sync`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(
    serialize = "R::Key: Serialize + Key, R::Value: Serialize",
    deserialize = "R::Key: Deserialize<'de> + Key, R::Value: Deserialize<'de>"
))]
pub struct UpdateStateByKey<R: KeyValue> {
    /// The states of each key group's keys, one table per key group.
    groups: super::KeyGroups<KeyMap<R::Key, R::Value>>,
}

impl<R: KeyValue> Default for UpdateStateByKey<R> {
    fn default() -> Self {
        UpdateStateByKey {
            groups: super::KeyGroups::default(),
        }
    }
}

impl<K: Key, S, R: KeyValue<Key = K, Value = S>> super::InitialState for UpdateStateByKey<R> {
    type Item = (K, S);
    fn set_initial(&mut self, initial: impl IntoIterator<Item = (K, S)>) {
        for (k, s) in initial {
            self.groups[key_group_of(&k)].entry(k).or_insert(s);
        }
    }
}

impl<K, S, R> UpdateStateByKey<R>
where
    R: KeyValue<Key = K, Value = S>,
    K: Key + Clone,
    S: Clone,
{
    /// The state of every key (key group by key group).
    pub fn states<'a>(&'a self) -> impl Iterator<Item = (&'a K, &'a S)>
    where
        K: 'a,
        S: 'a,
    {
        self.groups.iter().flatten()
    }

    /// Applies one batch's values, grouped by key, on up to `workers` threads (a key group
    /// each at a time).
    #[doc(hidden)]
    pub fn update<T, F>(
        &mut self,
        workers: usize,
        new_values: Grouping<T>,
        f: &F,
        partitions: usize,
    ) -> Batch<(K, S)>
    where
        T: KeyValue<Key = K>,
        T::Value: Send,
        K: Send,
        S: Send,
        F: Fn(Vec<T::Value>, Option<S>) -> Option<S> + crate::ops::Shareable,
    {
        let groups = super::by_key_group(
            workers,
            &mut self.groups,
            new_values,
            |states, new_values| {
                update_group(states, new_values.into_iter().collect(), f);
                let records = states.iter().map(|(k, s)| (k.clone(), s.clone())).collect();
                in_hash_order(records, partitions)
            },
        );
        merge_partitions(groups, partitions.max(1))
    }
}

/// One key group's update: `f` for every key with state, then for every new key.
fn update_group<K: Key, S, V>(
    states: &mut KeyMap<K, S>,
    mut new_values: KeyMap<K, Vec<V>>,
    f: &impl Fn(Vec<V>, Option<S>) -> Option<S>,
) {
    let mut next: KeyMap<K, S> = key_map();
    for (k, s) in std::mem::take(states) {
        let values = new_values.remove(&k).unwrap_or_default();
        if let Some(s) = f(values, Some(s)) {
            next.insert(k, s);
        }
    }
    for (k, values) in new_values {
        if let Some(s) = f(values, None) {
            next.insert(k, s);
        }
    }
    *states = next;
}

impl<K: Key, S> super::MigratableState for UpdateStateByKey<(K, S)> {
    type Value = S;
    type With<V> = UpdateStateByKey<(K, V)>;
    fn convert<V>(previous: UpdateStateByKey<(K, V)>, mut f: impl FnMut(V) -> S) -> Self {
        let groups = previous.groups.map(|table| {
            let converted = table.into_iter().map(|(k, v)| (k, f(v)));
            converted.collect()
        });
        UpdateStateByKey { groups }
    }
}

impl<R: KeyValue> super::Entries for UpdateStateByKey<R> {
    /// The keys with state.
    fn entries(&self) -> usize {
        self.groups.iter().map(KeyMap::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::Sink;
    use crate::ops::Marker;

    fn values(batch: &[&'static str]) -> Grouping<(&'static str, u64)> {
        let mut sink = crate::ops::group_by_key::sink(&Marker::<(&str, u64)>::new(), 1);
        for w in batch {
            sink.push((*w, 1));
        }
        sink
    }

    fn sorted(b: Batch<(&'static str, u64)>) -> Vec<(&'static str, u64)> {
        let mut v = b.into_vec();
        v.sort();
        v
    }

    #[test]
    fn tv14_every_key_is_visited_every_batch() {
        let mut st = UpdateStateByKey::<(&str, u64)>::default();
        let calls = std::sync::Mutex::new(Vec::new());
        let f = |vs: Vec<u64>, s: Option<u64>| {
            calls.lock().unwrap().push((vs.len(), s));
            Some(vs.iter().sum::<u64>() + s.unwrap_or(0))
        };
        assert_eq!(
            sorted(st.update(2, values(&["a", "b", "a"]), &f, 1)),
            [("a", 2), ("b", 1)]
        );
        assert_eq!(
            sorted(st.update(2, values(&["b"]), &f, 1)),
            [("a", 2), ("b", 2)]
        );
        let before = calls.lock().unwrap().len();
        assert_eq!(
            sorted(st.update(2, values(&[]), &f, 1)),
            [("a", 2), ("b", 2)]
        );
        let mut at_3000 = calls.lock().unwrap()[before..].to_vec();
        at_3000.sort();
        assert_eq!(
            at_3000,
            [(0, Some(2)), (0, Some(2))],
            "update([], Some(2)) for a and for b"
        );
    }

    #[test]
    fn tv15_none_removes() {
        let mut st = UpdateStateByKey::<(&str, u64)>::default();
        let f = |vs: Vec<u64>, s: Option<u64>| {
            (!vs.is_empty()).then(|| vs.iter().sum::<u64>() + s.unwrap_or(0))
        };
        assert_eq!(
            sorted(st.update(2, values(&["a", "b", "a"]), &f, 1)),
            [("a", 2), ("b", 1)]
        );
        assert_eq!(sorted(st.update(2, values(&["b"]), &f, 1)), [("b", 2)]);
        assert_eq!(sorted(st.update(2, values(&[]), &f, 1)), []);
    }

    #[test]
    fn tv16_initial_state() {
        let mut st = UpdateStateByKey::<(&str, u64)>::default();
        super::super::InitialState::set_initial(&mut st, [("a", 10), ("a", 99)]);
        let f = |vs: Vec<u64>, s: Option<u64>| Some(vs.iter().sum::<u64>() + s.unwrap_or(0));
        assert_eq!(
            sorted(st.update(2, values(&["b"]), &f, 1)),
            [("a", 10), ("b", 1)]
        );
    }
}
