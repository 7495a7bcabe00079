//! `join`, `left_outer_join`, `right_outer_join`, `full_outer_join`: per batch, every pair of
//! values of a key present on both sides (and, for the outer joins, the keys of one side alone
//! with `None` for the other). Only records of the same batch time meet (spec 4).
//!
//! Each side is a keyed sink (a table of values per key group); both sides' keys hash alike,
//! so key group `g` of one side meets key group `g` of the other, and groups are joined in
//! parallel. Within a group, left keys come in hash order.

use super::Marker;
use super::group_by_key::Collect;
use crate::Batch;
use crate::keyed::{Key, KeyHasher, KeyTable, KeyValue};
use crate::workers::{Grouped, Out, Route};
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;

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

/// Records of a side, keyed by the left stream's key type `K`.
#[doc(hidden)]
pub struct ByKeyAs<K>(PhantomData<fn() -> K>);

impl<T, K> Route<T> for ByKeyAs<K>
where
    T: KeyValue<Key: SameKeyAs<K> + Hash>,
    K: Eq,
{
    type Key = K;
    type Value = T::Value;
    #[inline(always)]
    fn hash(state: &KeyHasher, record: &T) -> u64 {
        state.hash_one(record.key())
    }
    #[inline(always)]
    fn split(record: T) -> (K, T::Value) {
        let (k, v) = record.into_key_value();
        (k.into_same(), v)
    }
}

/// One side of a join or cogroup over stream `T`: its values per key, keyed by `K`, the left
/// stream's key type.
pub type Sides<K, T> =
    Grouped<K, <T as KeyValue>::Value, Vec<<T as KeyValue>::Value>, Collect, T, ByKeyAs<K>>;

/// One key group of a side.
pub type Side<K, V> = KeyTable<K, Vec<V>>;

/// The table of the left stream.
#[doc(hidden)]
#[inline(always)]
pub fn left_side<L>(_: &Marker<L>) -> Sides<L::Key, L>
where
    L: KeyValue,
    L::Key: Key,
{
    Grouped::new(Collect, 1)
}

/// The table of the right stream, whose keys must be the left stream's key type (then they
/// hash alike, and a key's records of both sides meet in one key group).
#[inline(always)]
pub fn right_side<L, R>(_: &Marker<L>, _: &Marker<R>) -> Sides<L::Key, R>
where
    L: KeyValue,
    R: KeyValue,
    R::Key: SameKeyAs<L::Key>,
{
    Grouped::new(Collect, 1)
}

/// Both sides combined key group by key group (in parallel) by `combine` (`inner`,
/// `left_outer`, … of this module, or `cogroup::combine`), into `partitions` partitions.
#[doc(hidden)]
pub fn by_group<K, L, R, O, C>(
    left: Sides<K, L>,
    right: Sides<K, R>,
    partitions: usize,
    combine: C,
) -> Batch<O>
where
    L: KeyValue<Value: Send>,
    R: KeyValue<Value: Send>,
    K: Eq + Send,
    O: Send,
    C: Fn(Side<K, L::Value>, Side<K, R::Value>, &mut Out<O>) + Sync,
{
    left.with_partitions(partitions).finish_with(right, combine)
}

/// Emits the cross product of `vs` and `ws` for one key, cloning all but what is moved last.
fn cross<K: Clone, V: Clone, W: Clone>(
    (k, hash): (&K, u64),
    vs: &[V],
    ws: &[W],
    out: &mut Out<(K, (V, W))>,
) {
    for v in vs {
        for w in ws {
            out.push(hash, (k.clone(), (v.clone(), w.clone())));
        }
    }
}

/// Inner join: `(k, (v, w))` for every `v` and `w` of a key present on both sides.
#[doc(hidden)]
pub fn inner<K, V, W>(left: Side<K, V>, right: Side<K, W>, out: &mut Out<(K, (V, W))>)
where
    K: Key + Clone,
    V: Clone,
    W: Clone,
{
    for (k, hash, vs) in left.into_sorted() {
        if let Some(ws) = right.get(hash, &k) {
            cross((&k, hash), &vs, ws, out);
        }
    }
}

/// Every `(k, v, Some(w))` of a key on both sides and `(k, v, None)` of a key only in `left`,
/// given to `emit` with the key's hash.
fn left_outer_into<K, V, W>(
    left: Side<K, V>,
    right: Side<K, W>,
    mut emit: impl FnMut(u64, K, V, Option<W>),
) where
    K: Key + Clone,
    V: Clone,
    W: Clone,
{
    for (k, hash, vs) in left.into_sorted() {
        match right.get(hash, &k) {
            Some(ws) => {
                for v in &vs {
                    for w in ws {
                        emit(hash, k.clone(), v.clone(), Some(w.clone()));
                    }
                }
            }
            None => {
                for v in vs {
                    emit(hash, k.clone(), v, None);
                }
            }
        }
    }
}

/// Left outer join: as `inner`, plus `(k, (v, None))` for keys only on the left.
#[doc(hidden)]
pub fn left_outer<K, V, W>(left: Side<K, V>, right: Side<K, W>, out: &mut Out<(K, (V, Option<W>))>)
where
    K: Key + Clone,
    V: Clone,
    W: Clone,
{
    left_outer_into(left, right, |hash, k, v, w| out.push(hash, (k, (v, w))));
}

/// Right outer join: as `inner`, plus `(k, (None, w))` for keys only on the right.
#[doc(hidden)]
pub fn right_outer<K, V, W>(left: Side<K, V>, right: Side<K, W>, out: &mut Out<(K, (Option<V>, W))>)
where
    K: Key + Clone,
    V: Clone,
    W: Clone,
{
    left_outer_into(right, left, |hash, k, w, v| out.push(hash, (k, (v, w))));
}

/// Full outer join: `(k, (Some(v), Some(w)))` for matches, `None` on the missing side otherwise.
#[doc(hidden)]
pub fn full_outer<K, V, W>(
    left: Side<K, V>,
    mut right: Side<K, W>,
    out: &mut Out<(K, (Option<V>, Option<W>))>,
) where
    K: Key + Clone,
    V: Clone,
    W: Clone,
{
    for (k, hash, vs) in left.into_sorted() {
        match right.remove(hash, &k) {
            Some(ws) => {
                for v in &vs {
                    for w in &ws {
                        out.push(hash, (k.clone(), (Some(v.clone()), Some(w.clone()))));
                    }
                }
            }
            None => {
                for v in vs {
                    out.push(hash, (k.clone(), (Some(v), None)));
                }
            }
        }
    }
    for (k, hash, ws) in right.into_sorted() {
        for w in ws {
            out.push(hash, (k.clone(), (None, Some(w))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sink;

    type TestSides = (
        Sides<&'static str, (&'static str, i32)>,
        Sides<&'static str, (&'static str, &'static str)>,
    );

    fn sides() -> TestSides {
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
        assert_eq!(
            sorted(by_group(l, r, 2, inner)),
            [("a", (1, "x")), ("a", (1, "y"))]
        );
        let (l, r) = sides();
        assert_eq!(
            sorted(by_group(l, r, 2, left_outer)),
            [
                ("a", (1, Some("x"))),
                ("a", (1, Some("y"))),
                ("b", (2, None))
            ]
        );
        let (l, r) = sides();
        assert_eq!(
            sorted(by_group(l, r, 2, right_outer)),
            [
                ("a", (Some(1), "x")),
                ("a", (Some(1), "y")),
                ("c", (None, "z"))
            ]
        );
        let (l, r) = sides();
        assert_eq!(
            sorted(by_group(l, r, 2, full_outer)),
            [
                ("a", (Some(1), Some("x"))),
                ("a", (Some(1), Some("y"))),
                ("b", (Some(2), None)),
                ("c", (None, Some("z")))
            ]
        );
    }
}
