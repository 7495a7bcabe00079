//! State of `reduce_by_key_and_window(f[, inverse], w[, s][, filter])` and
//! `count_by_value_and_window(w[, s])`.

use super::expire;
use crate::keyed::{Key, KeyMap, KeyValue, hash_partition, key_map};
use crate::{Batch, Time};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

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
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(
    serialize = "R::Key: Serialize + Key, R::Value: Serialize",
    deserialize = "R::Key: Deserialize<'de> + Key, R::Value: Deserialize<'de>"
))]
pub struct ReduceByKeyAndWindow<R: KeyValue> {
    panes: VecDeque<(i64, Vec<(R::Key, R::Value)>)>,
    running: KeyMap<R::Key, (R::Value, u32)>,
}

impl<R: KeyValue> Default for ReduceByKeyAndWindow<R> {
    fn default() -> Self {
        ReduceByKeyAndWindow {
            panes: VecDeque::new(),
            running: key_map(),
        }
    }
}

impl<K, V, R> ReduceByKeyAndWindow<R>
where
    R: KeyValue<Key = K, Value = V>,
    K: Key + Clone,
    V: Clone,
{
    /// Adds the parent's batch at `time`, already reduced by key.
    #[doc(hidden)]
    pub fn ingest(&mut self, time: Time, window_ms: i64, reduced: Batch<(K, V)>) {
        self.panes.push_back((time.millis(), reduced.into_vec()));
        expire(&mut self.panes, time.millis(), window_ms, drop);
    }

    /// The window's per-key reduction, recomputed from its batches, filtered.
    #[doc(hidden)]
    pub fn emit(
        &self,
        f: &mut impl FnMut(V, V) -> V,
        filter: &mut impl FnMut(&(K, V)) -> bool,
        partitions: usize,
    ) -> Batch<(K, V)> {
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
        hash_partition(
            window.into_iter().filter(|r| filter(r)),
            |(k, _)| k,
            partitions,
        )
    }

    /// As [`ingest`](Self::ingest), keeping the running values with `f` and `inverse`.
    #[doc(hidden)]
    pub fn ingest_with_inverse(
        &mut self,
        time: Time,
        window_ms: i64,
        reduced: Batch<(K, V)>,
        f: &mut impl FnMut(V, V) -> V,
        inverse: &mut impl FnMut(V, V) -> V,
    ) {
        let pane = reduced.into_vec();
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
        self.panes.push_back((time.millis(), pane));
        let running = &mut self.running;
        expire(&mut self.panes, time.millis(), window_ms, |old| {
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

    /// The running per-key values, filtered.
    #[doc(hidden)]
    pub fn emit_running(
        &self,
        filter: &mut impl FnMut(&(K, V)) -> bool,
        partitions: usize,
    ) -> Batch<(K, V)> {
        let records = self
            .running
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .filter(|r| filter(r));
        hash_partition(records, |(k, _)| k, partitions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let (mut add, mut sub, mut all) = (|a, b| a + b, |a, b| a - b, |_: &(&str, i64)| true);
        let input = [vec![("a", 1)], vec![("b", 1)], vec![], vec![], vec![]];
        let mut out = Vec::new();
        for (k, batch) in input.into_iter().enumerate() {
            w.ingest_with_inverse(
                t(k as i64 + 1),
                2000,
                Batch::from(batch),
                &mut add,
                &mut sub,
            );
            out.push(sorted(w.emit_running(&mut all, 1)));
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
            w.running.is_empty(),
            "no state is kept for keys that left the window"
        );
    }

    /// TV13: without inverse, recomputed from the window's batches.
    #[test]
    fn tv13_without_inverse() {
        let mut w = ReduceByKeyAndWindow::<(&str, i64)>::default();
        let (mut add, mut all) = (|a, b| a + b, |_: &(&str, i64)| true);
        let input = [
            vec![("a", 3)],
            vec![("b", 5)],
            vec![("a", 1)],
            vec![],
            vec![],
        ];
        let mut out = Vec::new();
        for (k, batch) in input.into_iter().enumerate() {
            w.ingest(t(k as i64 + 1), 2000, Batch::from(batch));
            out.push(sorted(w.emit(&mut add, &mut all, 2)));
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
        let (mut add, mut sub, mut all) = (|a, b| a + b, |a, b| a - b, |_: &(u8, i64)| true);
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
            let reduced: Batch<(u8, i64)> = reduced.into_iter().collect();
            inv.ingest_with_inverse(
                Time::from_millis(k * 1000),
                7000,
                reduced.clone(),
                &mut add,
                &mut sub,
            );
            plain.ingest(Time::from_millis(k * 1000), 7000, reduced);
            let mut a = inv.emit_running(&mut all, 1).into_vec();
            let mut b = plain.emit(&mut add, &mut all, 1).into_vec();
            a.sort();
            b.sort();
            assert_eq!(a, b, "batch {k}");
        }
    }
}
