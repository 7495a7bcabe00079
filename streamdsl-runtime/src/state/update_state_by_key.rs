//! State of `update_state_by_key(f)`.

use crate::Batch;
use crate::keyed::{Key, KeyMap, KeyValue, hash_partition, key_map};
use serde::{Deserialize, Serialize};

/// For records `R = (K, S)`: the state of every key.
///
/// Each batch, `f(values, state)` is called for every key that has state or new values (spec
/// 6.1): keys with state but no new values get an empty `Vec`. `Some(s)` keeps `s`, `None`
/// removes the key. The stream's batch is then every `(key, state)`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(
    serialize = "R::Key: Serialize + Key, R::Value: Serialize",
    deserialize = "R::Key: Deserialize<'de> + Key, R::Value: Deserialize<'de>"
))]
pub struct UpdateStateByKey<R: KeyValue> {
    states: KeyMap<R::Key, R::Value>,
}

impl<R: KeyValue> Default for UpdateStateByKey<R> {
    fn default() -> Self {
        UpdateStateByKey { states: key_map() }
    }
}

impl<K: Key, S, R: KeyValue<Key = K, Value = S>> super::InitialState for UpdateStateByKey<R> {
    type Item = (K, S);
    fn set_initial(&mut self, initial: impl IntoIterator<Item = (K, S)>) {
        for (k, s) in initial {
            self.states.entry(k).or_insert(s);
        }
    }
}

impl<K, S, R> UpdateStateByKey<R>
where
    R: KeyValue<Key = K, Value = S>,
    K: Key + Clone,
    S: Clone,
{
    /// The state of every key.
    pub fn states(&self) -> &KeyMap<K, S> {
        &self.states
    }

    /// Applies one batch's values, grouped by key.
    #[doc(hidden)]
    pub fn update<V>(
        &mut self,
        mut new_values: KeyMap<K, Vec<V>>,
        f: &mut impl FnMut(Vec<V>, Option<S>) -> Option<S>,
        partitions: usize,
    ) -> Batch<(K, S)> {
        let mut next: KeyMap<K, S> = key_map();
        for (k, s) in std::mem::take(&mut self.states) {
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
        self.states = next;
        hash_partition(
            self.states.iter().map(|(k, s)| (k.clone(), s.clone())),
            |(k, _)| k,
            partitions,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(batch: &[&'static str]) -> KeyMap<&'static str, Vec<u64>> {
        let mut m: KeyMap<&str, Vec<u64>> = key_map();
        for w in batch {
            m.entry(w).or_default().push(1);
        }
        m
    }

    fn sorted(b: Batch<(&'static str, u64)>) -> Vec<(&'static str, u64)> {
        let mut v = b.into_vec();
        v.sort();
        v
    }

    #[test]
    fn tv14_every_key_is_visited_every_batch() {
        let mut st = UpdateStateByKey::<(&str, u64)>::default();
        let calls = std::cell::RefCell::new(Vec::new());
        let mut f = |vs: Vec<u64>, s: Option<u64>| {
            calls.borrow_mut().push((vs.len(), s));
            Some(vs.iter().sum::<u64>() + s.unwrap_or(0))
        };
        assert_eq!(
            sorted(st.update(values(&["a", "b", "a"]), &mut f, 1)),
            [("a", 2), ("b", 1)]
        );
        assert_eq!(
            sorted(st.update(values(&["b"]), &mut f, 1)),
            [("a", 2), ("b", 2)]
        );
        let before = calls.borrow().len();
        assert_eq!(
            sorted(st.update(values(&[]), &mut f, 1)),
            [("a", 2), ("b", 2)]
        );
        let mut at_3000 = calls.borrow()[before..].to_vec();
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
        let mut f = |vs: Vec<u64>, s: Option<u64>| {
            (!vs.is_empty()).then(|| vs.iter().sum::<u64>() + s.unwrap_or(0))
        };
        assert_eq!(
            sorted(st.update(values(&["a", "b", "a"]), &mut f, 1)),
            [("a", 2), ("b", 1)]
        );
        assert_eq!(sorted(st.update(values(&["b"]), &mut f, 1)), [("b", 2)]);
        assert_eq!(sorted(st.update(values(&[]), &mut f, 1)), []);
    }

    #[test]
    fn tv16_initial_state() {
        let mut st = UpdateStateByKey::<(&str, u64)>::default();
        super::super::InitialState::set_initial(&mut st, [("a", 10), ("a", 99)]);
        let mut f = |vs: Vec<u64>, s: Option<u64>| Some(vs.iter().sum::<u64>() + s.unwrap_or(0));
        assert_eq!(
            sorted(st.update(values(&["b"]), &mut f, 1)),
            [("a", 10), ("b", 1)]
        );
    }
}
