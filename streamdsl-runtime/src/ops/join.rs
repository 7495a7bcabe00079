//! `join`, `left_outer_join`, `right_outer_join`, `full_outer_join`: per batch, every pair of
//! values of a key present on both sides (and, for the outer joins, the keys of one side alone
//! with `None` for the other). Only records of the same batch time meet (spec 4).

use super::Marker;
use super::group_by_key::GroupByKey;
use crate::keyed::{Key, KeyValue, hash_partition};
use crate::{Batch, EndPartition, Sink};

/// The two sides of a join must have one key type.
#[diagnostic::on_unimplemented(
    message = "a join needs both streams keyed by one type, but the keys are `{K}` and `{Self}`",
    label = "this stream's keys are `{Self}`, the other stream's `{K}`",
    note = "map one side's keys to the other's type first"
)]
pub trait SameKeyAs<K> {
    /// The key as the other side's key type (itself).
    fn into_same(self) -> K;
}

impl<K> SameKeyAs<K> for K {
    #[inline(always)]
    fn into_same(self) -> K {
        self
    }
}

/// One side of a join or cogroup: the values per key, keyed by the left stream's key type.
#[doc(hidden)]
pub struct Side<K, V> {
    groups: GroupByKey<K, V>,
}

/// The table of the left stream.
#[doc(hidden)]
#[inline(always)]
pub fn left_side<L>(_: &Marker<L>) -> Side<L::Key, L::Value>
where
    L: KeyValue,
    L::Key: Key,
{
    Side {
        groups: GroupByKey::empty(1),
    }
}

/// The table of the right stream, whose keys must be the left stream's key type.
#[inline(always)]
pub fn right_side<L, R>(_: &Marker<L>, _: &Marker<R>) -> Side<L::Key, R::Value>
where
    L: KeyValue,
    R: KeyValue,
    R::Key: SameKeyAs<L::Key>,
{
    Side {
        groups: GroupByKey::empty(1),
    }
}

impl<K, V> EndPartition for Side<K, V> {}

impl<T, K> Sink<T> for Side<K, T::Value>
where
    T: KeyValue,
    T::Key: SameKeyAs<K>,
    K: Key,
{
    #[inline(always)]
    fn push(&mut self, record: T) {
        let (k, v) = record.into_key_value();
        self.groups.insert(k.into_same(), v);
    }
}

impl<K, V> Side<K, V> {
    pub(crate) fn into_groups(self) -> crate::keyed::KeyMap<K, Vec<V>> {
        self.groups.into_groups()
    }
}

/// Emits the cross product of `vs` and `ws` for one key, cloning all but what is moved last.
fn cross<K: Clone, V: Clone, W: Clone>(k: &K, vs: &[V], ws: &[W], out: &mut Vec<(K, (V, W))>) {
    for v in vs {
        for w in ws {
            out.push((k.clone(), (v.clone(), w.clone())));
        }
    }
}

/// Inner join: `(k, (v, w))` for every `v` and `w` of a key present on both sides.
#[doc(hidden)]
pub fn inner<K, V, W>(left: Side<K, V>, right: Side<K, W>, partitions: usize) -> Batch<(K, (V, W))>
where
    K: Key + Clone,
    V: Clone,
    W: Clone,
{
    let right = right.into_groups();
    let mut out = Vec::new();
    for (k, vs) in left.into_groups() {
        if let Some(ws) = right.get(&k) {
            cross(&k, &vs, ws, &mut out);
        }
    }
    hash_partition(out, |(k, _)| k, partitions)
}

/// Left outer join: as `inner`, plus `(k, (v, None))` for keys only on the left.
#[doc(hidden)]
pub fn left_outer<K, V, W>(
    left: Side<K, V>,
    right: Side<K, W>,
    partitions: usize,
) -> Batch<(K, (V, Option<W>))>
where
    K: Key + Clone,
    V: Clone,
    W: Clone,
{
    let right = right.into_groups();
    let mut out = Vec::new();
    for (k, vs) in left.into_groups() {
        match right.get(&k) {
            Some(ws) => {
                for v in &vs {
                    out.extend(ws.iter().map(|w| (k.clone(), (v.clone(), Some(w.clone())))));
                }
            }
            None => out.extend(vs.into_iter().map(|v| (k.clone(), (v, None)))),
        }
    }
    hash_partition(out, |(k, _)| k, partitions)
}

/// Right outer join: as `inner`, plus `(k, (None, w))` for keys only on the right.
#[doc(hidden)]
pub fn right_outer<K, V, W>(
    left: Side<K, V>,
    right: Side<K, W>,
    partitions: usize,
) -> Batch<(K, (Option<V>, W))>
where
    K: Key + Clone,
    V: Clone,
    W: Clone,
{
    let swapped = left_outer(right, left, partitions);
    Batch::from_partitions(
        swapped
            .into_partitions()
            .map(|p| p.into_iter().map(|(k, (w, v))| (k, (v, w))).collect()),
    )
}

/// Full outer join: `(k, (Some(v), Some(w)))` for matches, `None` on the missing side otherwise.
#[doc(hidden)]
pub fn full_outer<K, V, W>(
    left: Side<K, V>,
    right: Side<K, W>,
    partitions: usize,
) -> Batch<(K, (Option<V>, Option<W>))>
where
    K: Key + Clone,
    V: Clone,
    W: Clone,
{
    let mut right = right.into_groups();
    let mut out = Vec::new();
    for (k, vs) in left.into_groups() {
        match right.remove(&k) {
            Some(ws) => {
                for v in &vs {
                    out.extend(
                        ws.iter()
                            .map(|w| (k.clone(), (Some(v.clone()), Some(w.clone())))),
                    );
                }
            }
            None => out.extend(vs.into_iter().map(|v| (k.clone(), (Some(v), None)))),
        }
    }
    for (k, ws) in right {
        out.extend(ws.into_iter().map(|w| (k.clone(), (None, Some(w)))));
    }
    hash_partition(out, |(k, _)| k, partitions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sides() -> (Side<&'static str, i32>, Side<&'static str, &'static str>) {
        let (lm, rm) = (Marker::<(&str, i32)>::new(), Marker::<(&str, &str)>::new());
        let (mut l, mut r) = (left_side(&lm), right_side(&lm, &rm));
        for rec in [("a", 1), ("b", 2)] {
            l.push(rec);
        }
        for rec in [("a", "x"), ("a", "y"), ("c", "z")] {
            r.push(rec);
        }
        (l, r)
    }

    fn sorted<T: Ord>(b: Batch<T>) -> Vec<T> {
        let mut v = b.into_vec();
        v.sort();
        v
    }

    #[test]
    fn tv20_joins() {
        let (l, r) = sides();
        assert_eq!(sorted(inner(l, r, 2)), [("a", (1, "x")), ("a", (1, "y"))]);
        let (l, r) = sides();
        assert_eq!(
            sorted(left_outer(l, r, 2)),
            [
                ("a", (1, Some("x"))),
                ("a", (1, Some("y"))),
                ("b", (2, None))
            ]
        );
        let (l, r) = sides();
        assert_eq!(
            sorted(right_outer(l, r, 2)),
            [
                ("a", (Some(1), "x")),
                ("a", (Some(1), "y")),
                ("c", (None, "z"))
            ]
        );
        let (l, r) = sides();
        assert_eq!(
            sorted(full_outer(l, r, 2)),
            [
                ("a", (Some(1), Some("x"))),
                ("a", (Some(1), Some("y"))),
                ("b", (Some(2), None)),
                ("c", (None, Some("z")))
            ]
        );
    }
}
