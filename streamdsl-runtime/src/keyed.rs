//! What keyed operators need of a stream: (key, value) records, hashable keys, and one
//! deterministic hash for tables and partitioning.

use std::hash::{BuildHasher, Hash};

/// A record made of a key and a value: what `reduce_by_key`, `group_by_key`, `map_values`,
/// the joins and `cogroup` read.
#[diagnostic::on_unimplemented(
    message = "this operator needs a stream of (key, value) pairs, but this stream yields `{Self}`",
    label = "keyed operator on a stream of `{Self}`",
    note = "map the stream to pairs first, e.g. `.map(|x| (x, 1))`"
)]
pub trait KeyValue {
    /// The key.
    type Key;
    /// The value.
    type Value;
    /// Splits the record.
    fn into_key_value(self) -> (Self::Key, Self::Value);
}

impl<K, V> KeyValue for (K, V) {
    type Key = K;
    type Value = V;
    #[inline(always)]
    fn into_key_value(self) -> (K, V) {
        self
    }
}

/// A type usable as a key (of `reduce_by_key`, `count_by_value`, joins …): `Hash + Eq`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as a key: keys must implement `Hash` and `Eq`",
    label = "keys of this stream are `{Self}`",
    note = "floating-point numbers are not `Eq`; convert them (e.g. `f64::to_bits`) or key by another field"
)]
pub trait Key: Hash + Eq {}
#[diagnostic::do_not_recommend]
impl<K: Hash + Eq> Key for K {}

/// Records of a stream that is read by more than one operator or output must be `Clone`:
/// each reader gets its own copy (Spark's RDDs are immutable and shared).
#[diagnostic::on_unimplemented(
    message = "this stream is read more than once, so its records (`{Self}`) must implement `Clone`",
    label = "read by several operators or outputs",
    note = "derive or implement `Clone` for the record type, or read the stream only once"
)]
pub trait SharedRecord: Clone {}
#[diagnostic::do_not_recommend]
impl<T: Clone> SharedRecord for T {}

/// The hasher of every keyed table and of hash partitioning: ahash with fixed seeds.
///
/// Fixed seeds make batch contents and partition order reproducible across runs, as Spark's
/// (Java `hashCode`, Python with a fixed `PYTHONHASHSEED`), so a batch recomputed after a
/// restart yields the same output files, and a table read back from a checkpoint hashes as
/// it did when written.
#[derive(Clone, Debug)]
pub struct FixedState(ahash::RandomState);

impl Default for FixedState {
    fn default() -> Self {
        FixedState(ahash::RandomState::with_seeds(
            0x243f_6a88_85a3_08d3,
            0x1319_8a2e_0370_7344,
            0xa409_3822_299f_31d0,
            0x082e_fa98_ec4e_6c89,
        ))
    }
}

impl BuildHasher for FixedState {
    type Hasher = ahash::AHasher;
    #[inline(always)]
    fn build_hasher(&self) -> ahash::AHasher {
        self.0.build_hasher()
    }
}

/// The [`FixedState`] every table uses.
pub fn fixed_state() -> FixedState {
    FixedState::default()
}

/// A hash map with the fixed hasher.
pub type KeyMap<K, V> = hashbrown::HashMap<K, V, FixedState>;

/// A new empty [`KeyMap`].
pub fn key_map<K, V>() -> KeyMap<K, V> {
    KeyMap::with_hasher(fixed_state())
}

/// Spreads keyed records over `n` partitions by key hash (Spark's `HashPartitioner`).
pub fn hash_partition<K: Hash, R>(
    records: impl IntoIterator<Item = R>,
    key: impl Fn(&R) -> &K,
    n: usize,
) -> crate::Batch<R> {
    let n = n.max(1);
    if n == 1 {
        return crate::Batch::from(records.into_iter().collect::<Vec<_>>());
    }
    let state = fixed_state();
    let mut parts: Vec<Vec<R>> = (0..n).map(|_| Vec::new()).collect();
    for r in records {
        let p = (state.hash_one(key(&r)) % n as u64) as usize;
        parts[p].push(r);
    }
    crate::Batch::from_partitions(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_partitioning_is_deterministic_and_complete() {
        let a = hash_partition((0..100).map(|i| (i, i)), |r| &r.0, 3);
        let b = hash_partition((0..100).map(|i| (i, i)), |r| &r.0, 3);
        assert_eq!(a, b);
        assert_eq!(a.num_partitions(), 3);
        assert_eq!(a.len(), 100);
    }
}
