//! State of `map_with_state(f[, timeout])`, and the `State` handle its function gets.

use crate::keyed::{Key, KeyMap, hash_partition, key_map};
use crate::{Batch, Time};
use serde::{Deserialize, Serialize};

/// The state of every key, with the time it was last touched.
///
/// Per batch, `f(&key, Some(value), &mut state)` is called for each record (not each key, so a
/// key with three records is called three times, each seeing the state the previous call left),
/// and its result is a record of the output (spec 6.2). With an idle timeout, keys not touched
/// for longer than it are then called once with `None` and `state.is_timing_out()`, and
/// removed. Timeouts are evaluated every batch; Spark evaluates them only on checkpoint batches
/// (every tenth by default), so its timeouts come up to ten batches late.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(
    serialize = "K: Serialize + Key, S: Serialize",
    deserialize = "K: Deserialize<'de> + Key, S: Deserialize<'de>"
))]
pub struct MapWithState<K, S> {
    states: KeyMap<K, (S, i64)>,
}

impl<K, S> Default for MapWithState<K, S> {
    fn default() -> Self {
        MapWithState { states: key_map() }
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
            self.states.entry(k).or_insert((s, NOT_TOUCHED));
        }
    }
}

impl<K: Key + Clone, S: Clone> MapWithState<K, S> {
    /// Calls `f` for each record, then times idle keys out.
    #[doc(hidden)]
    pub fn apply<V, M>(
        &mut self,
        time: Time,
        records: impl IntoIterator<Item = (K, V)>,
        f: &mut impl FnMut(&K, Option<V>, &mut State<S>) -> M,
        timeout_ms: Option<i64>,
        out: &mut Vec<M>,
    ) {
        let now = time.millis();
        for (k, v) in records {
            let mut state = State {
                value: self.states.remove(&k).map(|(s, _)| s),
                timing_out: false,
            };
            out.push(f(&k, Some(v), &mut state));
            if let Some(s) = state.value {
                self.states.insert(k, (s, now));
            }
        }
        if let Some(timeout) = timeout_ms {
            for (_, touched) in self.states.values_mut() {
                if *touched == NOT_TOUCHED {
                    *touched = now;
                }
            }
            let idle: Vec<K> = self
                .states
                .iter()
                .filter(|(_, (_, touched))| *touched < now - timeout)
                .map(|(k, _)| k.clone())
                .collect();
            for k in idle {
                if let Some((s, _)) = self.states.remove(&k) {
                    let mut state = State {
                        value: Some(s),
                        timing_out: true,
                    };
                    out.push(f(&k, None, &mut state));
                }
            }
        }
    }

    /// Every `(key, state)` (Spark's `stateSnapshots`).
    pub fn snapshot(&self, partitions: usize) -> Batch<(K, S)> {
        hash_partition(
            self.states.iter().map(|(k, (s, _))| (k.clone(), s.clone())),
            |(k, _)| k,
            partitions,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(k: i64) -> Time {
        Time::from_millis(k * 1000)
    }

    /// TV18.
    #[test]
    fn per_record_calls_and_snapshots() {
        let mut st = MapWithState::<&str, i64>::default();
        let mut f = |k: &&'static str, v: Option<i64>, s: &mut State<i64>| {
            let sum = v.unwrap_or(0) + s.get().copied().unwrap_or(0);
            s.update(sum);
            (*k, sum)
        };
        let mut out = Vec::new();
        st.apply(t(1), [("a", 1), ("a", 2)], &mut f, None, &mut out);
        assert_eq!(out, [("a", 1), ("a", 3)]);
        out.clear();
        st.apply(t(2), [("b", 5)], &mut f, None, &mut out);
        assert_eq!(out, [("b", 5)]);
        let mut snap = st.snapshot(1).into_vec();
        snap.sort();
        assert_eq!(snap, [("a", 3), ("b", 5)]);
    }

    /// TV19 as streamdsl documents it: the timeout comes at the first batch after the key has
    /// been idle longer than the timeout (4000 here), not at the next checkpoint batch.
    #[test]
    fn timeouts_every_batch() {
        let mut st = MapWithState::<&str, i64>::default();
        let mut f = |k: &&'static str, v: Option<i64>, s: &mut State<i64>| {
            if s.is_timing_out() {
                (*k, "timeout")
            } else {
                s.update(v.unwrap_or(0));
                (*k, "data")
            }
        };
        let mut outputs = Vec::new();
        for k in 1..=6 {
            let mut out = Vec::new();
            let records: Vec<(&str, i64)> = if k == 1 { vec![("a", 1)] } else { vec![] };
            st.apply(t(k), records, &mut f, Some(2000), &mut out);
            outputs.push(out);
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
