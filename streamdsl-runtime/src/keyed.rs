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
    /// The key.
    fn key(&self) -> &Self::Key;
}

impl<K, V> KeyValue for (K, V) {
    type Key = K;
    type Value = V;
    #[inline(always)]
    fn into_key_value(self) -> (K, V) {
        self
    }
    #[inline(always)]
    fn key(&self) -> &K {
        &self.0
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

/// The hasher of every keyed table and of hash partitioning: ahash with per-process random
/// seeds, so keys an adversary picks cannot be crafted to collide in a table (hash flooding).
///
/// All tables of a process share the seeds, so within a run every output is the same on any
/// worker count. Across runs the order of keys in keyed outputs differs (as PySpark's across
/// `PYTHONHASHSEED`s); set `STREAMDSL_HASH_SEED` to a number to fix the seeds, e.g. to compare
/// two runs line by line. A table read back from a checkpoint is regrouped by this process's
/// hashes, so a checkpoint restores under any seed.
#[derive(Clone, Debug)]
pub struct KeyHasher(ahash::RandomState);

impl Default for KeyHasher {
    fn default() -> Self {
        let [a, b, c, d] = *process_seeds();
        KeyHasher(ahash::RandomState::with_seeds(a, b, c, d))
    }
}

/// The seeds of this process: from `STREAMDSL_HASH_SEED` if it holds a number, else random.
fn process_seeds() -> &'static [u64; 4] {
    static SEEDS: std::sync::OnceLock<[u64; 4]> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        let fixed = std::env::var("STREAMDSL_HASH_SEED").ok();
        match fixed.and_then(|seed| seed.trim().parse::<u64>().ok()) {
            Some(seed) => seeds_from(seed),
            // std's `RandomState` draws its keys from the operating system once per process.
            None => seeds_from(std::collections::hash_map::RandomState::new().hash_one(0u8)),
        }
    })
}

/// Four well-mixed seeds from one number (splitmix64).
fn seeds_from(mut seed: u64) -> [u64; 4] {
    std::array::from_fn(|_| {
        seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    })
}

impl BuildHasher for KeyHasher {
    type Hasher = ahash::AHasher;
    #[inline(always)]
    fn build_hasher(&self) -> ahash::AHasher {
        self.0.build_hasher()
    }

    /// The provided `hash_one`, inlined into the loops that hash every record (the compiler
    /// left the provided method a call of its own there).
    #[inline(always)]
    fn hash_one<T: Hash>(&self, x: T) -> u64 {
        let mut hasher = self.build_hasher();
        x.hash(&mut hasher);
        std::hash::Hasher::finish(&hasher)
    }
}

/// The [`KeyHasher`] every table uses.
pub fn key_hasher() -> KeyHasher {
    KeyHasher::default()
}

/// A hash map with the fixed hasher.
pub type KeyMap<K, V> = hashbrown::HashMap<K, V, KeyHasher>;

/// A new empty [`KeyMap`].
pub fn key_map<K, V>() -> KeyMap<K, V> {
    KeyMap::with_hasher(key_hasher())
}

/// How a keyed table folds the values of one key (`reduce_by_key`'s function, a count, a
/// list of values).
#[doc(hidden)]
pub trait Fold<V>: Sync {
    /// What the table keeps per key.
    type Acc;
    /// The accumulator of a key's first value.
    fn first(&self, value: V) -> Self::Acc;
    /// Adds a later value.
    fn add(&self, acc: &mut Self::Acc, value: V);
    /// Merges the accumulator of later records into one of earlier records.
    fn merge(&self, earlier: &mut Self::Acc, later: Self::Acc);
}

/// One key group's table: each key with its hash and the fold of its values.
///
/// The hash is computed once per record (it also chose the key group) and kept, so growing
/// the table, merging two tables and partitioning the output never hash a key again.
/// [`into_sorted`](Self::into_sorted) gives the entries in hash order, an order that does not
/// depend on the order the keys arrived in, nor so on how a batch was split among workers.
#[doc(hidden)]
pub struct KeyTable<K, A> {
    table: hashbrown::HashTable<(K, u64, A)>,
}

impl<K, A> Default for KeyTable<K, A> {
    fn default() -> Self {
        KeyTable {
            table: hashbrown::HashTable::new(),
        }
    }
}

impl<K: Eq, A> KeyTable<K, A> {
    /// Folds `value` into `key`'s entry (`hash` is the key's [`key_hasher`] hash).
    #[inline(always)]
    pub fn add<V, F: Fold<V, Acc = A>>(&mut self, fold: &F, hash: u64, key: K, value: V) {
        match self.table.find_mut(hash, |e| e.0 == key) {
            Some(entry) => fold.add(&mut entry.2, value),
            None => {
                self.table
                    .insert_unique(hash, (key, hash, fold.first(value)), |e| e.1);
            }
        }
    }

    /// `tables`, tables of successive records of one key group, merged into one: a key's
    /// accumulators are merged in table order.
    pub fn absorbed<V, F: Fold<V, Acc = A>>(fold: &F, tables: Vec<Self>) -> Self {
        let mut tables = tables.into_iter();
        let mut merged = tables.next().unwrap_or_default();
        for later in tables {
            if merged.is_empty() {
                merged = later;
                continue;
            }
            for (key, hash, acc) in later.table {
                match merged.table.find_mut(hash, |e| e.0 == key) {
                    Some(entry) => fold.merge(&mut entry.2, acc),
                    None => {
                        merged.table.insert_unique(hash, (key, hash, acc), |e| e.1);
                    }
                }
            }
        }
        merged
    }

    /// The entry of `key`, if any.
    pub fn get(&self, hash: u64, key: &K) -> Option<&A> {
        self.table.find(hash, |e| e.0 == *key).map(|e| &e.2)
    }

    /// Removes and returns the entry of `key`, if any.
    pub fn remove(&mut self, hash: u64, key: &K) -> Option<A> {
        let entry = self.table.find_entry(hash, |e| e.0 == *key).ok()?;
        Some(entry.remove().0.2)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the table has no key.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The entries `(key, hash, acc)` by increasing hash.
    pub fn into_sorted(self) -> Vec<(K, u64, A)> {
        let mut entries: Vec<(K, u64, A)> = self.table.into_iter().collect();
        entries.sort_unstable_by_key(|e| e.1);
        entries
    }
}

/// The partition of a key's hash among `n` (Spark's `HashPartitioner`).
#[inline(always)]
pub fn partition_of(hash: u64, n: usize) -> usize {
    (hash % n as u64) as usize
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
    let state = key_hasher();
    let mut parts: Vec<Vec<R>> = (0..n).map(|_| Vec::new()).collect();
    for r in records {
        parts[partition_of(state.hash_one(key(&r)), n)].push(r);
    }
    crate::Batch::from_partitions(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_per_number_and_are_stable_for_one() {
        assert_eq!(seeds_from(7), seeds_from(7));
        assert_ne!(seeds_from(7), seeds_from(8));
        assert_eq!(key_hasher().hash_one("k"), key_hasher().hash_one("k"));
    }

    #[test]
    fn the_inlined_hash_is_the_hash_of_a_built_hasher() {
        let hasher = key_hasher();
        let built = |key: &dyn Fn(&mut ahash::AHasher)| {
            let mut h = hasher.build_hasher();
            key(&mut h);
            std::hash::Hasher::finish(&h)
        };
        for key in ["", "k", "a longer key of words", "ü"] {
            assert_eq!(hasher.hash_one(key), built(&|h| key.hash(h)), "{key:?}");
        }
        assert_eq!(
            hasher.hash_one((3u64, "x")),
            built(&|h| (3u64, "x").hash(h))
        );
    }

    #[test]
    fn hash_partitioning_is_deterministic_and_complete() {
        let a = hash_partition((0..100).map(|i| (i, i)), |r| &r.0, 3);
        let b = hash_partition((0..100).map(|i| (i, i)), |r| &r.0, 3);
        assert_eq!(a, b);
        assert_eq!(a.num_partitions(), 3);
        assert_eq!(a.len(), 100);
    }
}
