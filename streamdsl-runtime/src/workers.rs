//! Workers: how one batch's loops run on several threads.
//!
//! The model is synchronous data parallelism (as DBSP's workers): every worker runs the same
//! fused loop on its share of a batch, and the driver waits for all of them (the barrier, at
//! the end of each port loop) before the stage goes on. The driver thread stays the clock and
//! the checkpoint and output coordinator: stateful operators' updates, `transform`, and every
//! output run on it, after the barrier, in declaration order. A worker touches only its share
//! of the input, its own fork of the stage's sink, and the user's functions (which must be
//! `Fn + Sync`). Three rules keep a batch's records, in order, independent of the worker count:
//!
//! - A port loop's records are cut into contiguous shares, one per worker, in partition
//!   order; each share runs into its own [`Split::fork`] of the stage's sink, and the forks are
//!   [joined](Split::join) back in share order, so a record sink sees its records in the order
//!   one worker would have pushed them (and `reduce` folds them in that order).
//! - Keyed sinks are [`Grouped`]: each key hashes into one of [`KEY_GROUPS`] key groups, and
//!   each group has its own small table. A sink first sorts records into per-group buffers and
//!   applies them a group at a time ([`BUFFERED_RECORDS`] per round), so that a group's table
//!   and the records' keys are in cache; this made a 100 k-word count 1.4-1.6x faster than one
//!   flat table on the development machine. Forks' tables are merged group by group, the groups
//!   in parallel, with no lock, by the step that reads the groups (finishing the batch, or a
//!   keyed state taking it in), as part of its own work on each group: a merge pass of its
//!   own, with a barrier of its own, made the 2-worker word count about 5 % slower.
//! - A group's keys are taken in hash order, the groups in group order, so a keyed batch does
//!   not depend on the order keys arrived in.
//!
//! Threads are scoped standard threads, started per parallel loop: no pool to keep alive or
//! size, a panic in user code reaches the driver's catch like one on the driver thread, and
//! the cost (tens of microseconds per loop) applies only to loops over at least
//! [`PARALLEL_MIN_RECORDS`] records.

use crate::keyed::{Fold, KeyHasher, KeyTable, KeyValue, key_hasher, partition_of};
use crate::{Batch, EndPartition, Sink};
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;

/// The number of key groups every keyed operator hashes its keys into. Fixed, so that what a
/// group holds does not depend on the worker count.
pub const KEY_GROUPS: usize = 128;

/// Below this many records a loop runs on the driver thread alone: starting threads would
/// cost more than it saves. `STREAMDSL_PARALLEL_MIN_RECORDS` overrides it (the test suite sets
/// it to 2, so that small test batches take the parallel path too).
pub const PARALLEL_MIN_RECORDS: usize = 4096;

fn parallel_min_records() -> usize {
    static MIN: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *MIN.get_or_init(|| env_count("STREAMDSL_PARALLEL_MIN_RECORDS").unwrap_or(PARALLEL_MIN_RECORDS))
}

/// The positive number in environment variable `name`, if it holds one.
fn env_count(name: &str) -> Option<usize> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
}

/// How many records a keyed sink sorts into its key groups' buffers before applying them to
/// the tables, one group after the other (see the module docs).
pub const BUFFERED_RECORDS: usize = 16 * 1024;

/// The worker count when none is set: `STREAMDSL_WORKERS` if it holds a positive number,
/// else the available cores.
pub(crate) fn default_workers() -> usize {
    env_count("STREAMDSL_WORKERS")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The workers for a step over `records` records: one below [`PARALLEL_MIN_RECORDS`].
pub(crate) fn workers_for(workers: usize, records: usize) -> usize {
    if records < parallel_min_records().max(2) {
        1
    } else {
        workers
    }
}

/// The key group of `key` (the tables' hasher).
pub(crate) fn key_group_of<K: Hash + ?Sized>(key: &K) -> usize {
    key_group(key_hasher().hash_one(key))
}

/// The key group of a key's hash. The bits are the table hash's middle ones: hashbrown takes
/// the bucket from the low bits and the tag from the top seven, so keys of one group still
/// spread over their group's table.
#[inline(always)]
pub fn key_group(hash: u64) -> usize {
    ((hash >> 40) as usize) & (KEY_GROUPS - 1)
}

/// A sink whose input can be cut into contiguous shares: each share runs into a fork, and the
/// forks are joined back in order.
#[doc(hidden)]
pub trait Split: Sized {
    /// An empty sink of the same kind, for a later share of the same input.
    fn fork(&self) -> Self;
    /// Takes in what `forks` gathered, in order, as if their records had been pushed here
    /// after this sink's own. `workers` may be used to join in parallel.
    fn join(&mut self, forks: Vec<Self>, workers: usize);
    /// Called on the worker that ran a share, after its last record: a sink that buffers
    /// applies what it holds there.
    fn flush(&mut self) {}
}

/// Implements [`Split`] for a sink whose records go into a `BatchBuilder` in field `$field`
/// (the builder's join keeps the partitions).
macro_rules! split_through_builder {
    ($sink:ident<$($param:ident),*>, $field:ident) => {
        impl<$($param: Send),*> $crate::workers::Split for $sink<$($param),*> {
            fn fork(&self) -> Self {
                $sink {
                    $field: $crate::BatchBuilder::new(),
                }
            }
            fn join(&mut self, forks: Vec<Self>, workers: usize) {
                let forks = forks.into_iter().map(|fork| fork.$field).collect();
                $crate::workers::Split::join(&mut self.$field, forks, workers);
            }
        }
    };
}
pub(crate) use split_through_builder;

/// A partition, or part of one, as a loop reads it: owned records or a borrowed slice.
#[doc(hidden)]
pub trait Piece: Sized {
    /// Its number of records.
    fn len(&self) -> usize;
    /// Whether it has no record.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The first `mid` records, and the rest.
    fn split_at(self, mid: usize) -> (Self, Self);
}

impl<T> Piece for Vec<T> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn split_at(mut self, mid: usize) -> (Self, Self) {
        let rest = self.split_off(mid);
        (self, rest)
    }
}

impl<T> Piece for &[T] {
    fn len(&self) -> usize {
        <[T]>::len(self)
    }
    fn split_at(self, mid: usize) -> (Self, Self) {
        <[T]>::split_at(self, mid)
    }
}

/// Runs `body` on every partition of a port, in parallel when there are several workers and
/// enough records. `body(sink, piece, ends)` loops over the piece's records; `ends` says
/// whether the piece ends its partition (a partition cut between two shares does not end in
/// the first).
#[doc(hidden)]
pub fn each_partition<S, P, B>(
    workers: usize,
    sink: &mut S,
    partitions: impl Iterator<Item = P>,
    body: B,
) where
    S: Split + Send,
    P: Piece + Send,
    B: Fn(&mut S, P, bool) + Sync,
{
    let partitions: Vec<P> = partitions.collect();
    let total: usize = partitions.iter().map(Piece::len).sum();
    if workers_for(workers, total) <= 1 {
        for piece in partitions {
            body(sink, piece, true);
        }
        sink.flush();
        return;
    }
    let shares = shares(partitions, total, workers);
    let jobs: Vec<(S, Vec<(P, bool)>)> = shares.into_iter().map(|s| (sink.fork(), s)).collect();
    let forks = map_parallel(workers, jobs, |(mut fork, share)| {
        for (piece, ends) in share {
            body(&mut fork, piece, ends);
        }
        fork.flush();
        fork
    });
    sink.join(forks, workers);
}

/// Cuts partitions holding `total` records into `n` contiguous shares of about equal size;
/// each piece says whether it ends its partition.
fn shares<P: Piece>(partitions: Vec<P>, total: usize, n: usize) -> Vec<Vec<(P, bool)>> {
    let target = total.div_ceil(n).max(1);
    let mut shares = Vec::with_capacity(n);
    let mut current = Vec::new();
    let mut room = target;
    for mut piece in partitions {
        loop {
            let len = piece.len();
            let last_share = shares.len() + 1 == n;
            if len <= room || last_share {
                room = room.saturating_sub(len);
                current.push((piece, true));
                break;
            }
            let (head, tail) = piece.split_at(room);
            if !head.is_empty() {
                current.push((head, false));
            }
            shares.push(std::mem::take(&mut current));
            room = target;
            piece = tail;
        }
    }
    shares.push(current);
    shares
}

/// `f` applied to every item, on up to `workers` threads (contiguous runs of items per
/// thread, the first on the calling thread); the results in item order. A panic in `f` is
/// resumed on the calling thread.
#[doc(hidden)]
pub fn map_parallel<I, R, F>(workers: usize, items: Vec<I>, f: F) -> Vec<R>
where
    I: Send,
    R: Send,
    F: Fn(I) -> R + Sync,
{
    let threads = workers.min(items.len());
    if threads <= 1 {
        return items.into_iter().map(f).collect();
    }
    let per_thread = items.len().div_ceil(threads);
    let mut runs: Vec<Vec<I>> = Vec::with_capacity(threads);
    let mut items = items.into_iter();
    loop {
        let run: Vec<I> = items.by_ref().take(per_thread).collect();
        if run.is_empty() {
            break;
        }
        runs.push(run);
    }
    let f = &f;
    std::thread::scope(|scope| {
        let mut runs = runs.into_iter();
        let first = runs.next().unwrap_or_default();
        let handles: Vec<_> = runs
            .map(|run| scope.spawn(move || run.into_iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut results: Vec<R> = first.into_iter().map(f).collect();
        for handle in handles {
            match handle.join() {
                Ok(part) => results.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    })
}

/// How a keyed sink splits a record into the key it groups by and the value it folds.
#[doc(hidden)]
pub trait Route<T> {
    type Key: Eq;
    type Value;
    /// The hash of the record's key with the tables' hasher.
    fn hash(state: &KeyHasher, record: &T) -> u64;
    fn split(record: T) -> (Self::Key, Self::Value);
}

/// Records are `(key, value)` pairs, grouped by key.
#[doc(hidden)]
pub struct ByKey;

impl<T: KeyValue> Route<T> for ByKey
where
    T::Key: Hash + Eq,
{
    type Key = T::Key;
    type Value = T::Value;
    #[inline(always)]
    fn hash(state: &KeyHasher, record: &T) -> u64 {
        state.hash_one(record.key())
    }
    #[inline(always)]
    fn split(record: T) -> (T::Key, T::Value) {
        record.into_key_value()
    }
}

/// Records are keys themselves (`count_by_value`); their value is `()`.
#[doc(hidden)]
pub struct ByRecord;

impl<T: Hash + Eq> Route<T> for ByRecord {
    type Key = T;
    type Value = ();
    #[inline(always)]
    fn hash(state: &KeyHasher, record: &T) -> u64 {
        state.hash_one(record)
    }
    #[inline(always)]
    fn split(record: T) -> (T, ()) {
        (record, ())
    }
}

/// A keyed sink: one [`KeyTable`] per key group, the values of each key folded by `F`.
///
/// Records are buffered per key group and applied a group at a time ([`BUFFERED_RECORDS`]).
/// On several workers each worker's fork fills tables of its own (Spark's map-side combine).
/// Joining keeps the forks' tables as they are; the step that reads the groups
/// ([`finish`](Self::finish), [`map_groups`](Self::map_groups)) merges each group's tables
/// as part of its own work on the group, the groups in parallel, so merging costs no pass of
/// its own. Each group's entries are taken in hash order, so the batch is the same for any
/// worker count (given, as Spark requires of `reduceByKey`, a function that is associative
/// and commutative).
#[doc(hidden)]
pub struct Grouped<K, V, A, F, T, R> {
    groups: Vec<KeyTable<K, A>>,
    /// The groups of the forks joined into this sink, fork by fork (a sink takes in one
    /// port's loop, so it is joined once).
    joined: Vec<Vec<KeyTable<K, A>>>,
    /// Records not yet applied, as key hash, key and value, per key group (an array: a key
    /// group indexes it with no bounds check).
    pending: Box<[Vec<(u64, K, V)>; KEY_GROUPS]>,
    buffered: usize,
    fold: F,
    /// Partitions of the finished batch.
    partitions: usize,
    hasher: KeyHasher,
    /// The workers that may finish the groups (set when forks were joined).
    workers: usize,
    records: PhantomData<fn(T) -> R>,
}

impl<K, V, A, F, T, R> Grouped<K, V, A, F, T, R> {
    /// An empty keyed sink folding with `fold`, finished into `partitions` partitions.
    pub fn new(fold: F, partitions: usize) -> Self {
        Grouped {
            groups: std::iter::repeat_with(KeyTable::default)
                .take(KEY_GROUPS)
                .collect(),
            joined: Vec::new(),
            pending: Box::new(std::array::from_fn(|_| Vec::new())),
            buffered: 0,
            fold,
            partitions: partitions.max(1),
            hasher: key_hasher(),
            workers: 1,
            records: PhantomData,
        }
    }

    /// The same sink, finished into `partitions` partitions.
    pub fn with_partitions(mut self, partitions: usize) -> Self {
        self.partitions = partitions.max(1);
        self
    }
}

impl<K, V, A, F, T, R> Grouped<K, V, A, F, T, R>
where
    K: Eq,
    F: Fold<V, Acc = A>,
{
    /// Applies the buffered records to their groups' tables.
    fn apply_pending(&mut self) {
        if self.buffered == 0 {
            return;
        }
        self.buffered = 0;
        let fold = &self.fold;
        for (table, records) in self.groups.iter_mut().zip(self.pending.iter_mut()) {
            for (hash, key, value) in records.drain(..) {
                table.add(fold, hash, key, value);
            }
        }
    }

    /// The workers that filled this sink (1 if its loop ran on the driver thread alone).
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// The entries of its tables (a key counts once per worker that saw it) and the records
    /// not yet applied: a measure of the work of reading the groups.
    pub fn entries(&self) -> usize {
        let tables = self.groups.iter().chain(self.joined.iter().flatten());
        tables.map(KeyTable::len).sum::<usize>() + self.buffered
    }

    /// The fold, and each key group's tables: its own first, then the joined forks' in order.
    fn into_group_tables(mut self) -> (F, Vec<Vec<KeyTable<K, A>>>) {
        self.apply_pending();
        let forks = self.joined.len();
        let mut groups: Vec<Vec<KeyTable<K, A>>> = self
            .groups
            .into_iter()
            .map(|table| {
                let mut tables = Vec::with_capacity(1 + forks);
                tables.push(table);
                tables
            })
            .collect();
        for fork in self.joined {
            for (tables, table) in groups.iter_mut().zip(fork) {
                tables.push(table);
            }
        }
        (self.fold, groups)
    }

    /// `f(x, entries)` of every key group, with the group's `x` from `with` (in group order)
    /// and its entries `(key, hash, acc)` in hash order; the groups on up to `workers` threads.
    pub fn map_groups<X, O>(
        self,
        workers: usize,
        with: impl IntoIterator<Item = X>,
        f: impl Fn(X, Vec<(K, u64, A)>) -> O + Sync,
    ) -> Vec<O>
    where
        K: Send,
        A: Send,
        X: Send,
        O: Send,
    {
        let (fold, groups) = self.into_group_tables();
        let work: Vec<(X, Vec<KeyTable<K, A>>)> = with.into_iter().zip(groups).collect();
        map_parallel(workers, work, |(x, tables)| {
            f(x, KeyTable::absorbed(&fold, tables).into_sorted())
        })
    }

    /// `make(key, acc)` of every key, per key group (each in hash order): what a keyed state
    /// takes in group by group.
    pub fn into_group_records<O, M>(self, make: M) -> Vec<Vec<O>>
    where
        K: Send,
        A: Send,
        O: Send,
        M: Fn(K, A) -> Option<O> + Sync,
    {
        let workers = self.workers;
        self.map_groups(workers, std::iter::repeat(()), |(), entries| {
            made(entries, &make).map(|(_, record)| record).collect()
        })
    }

    /// The batch of `make(key, acc)` for every key, the key groups finished in parallel, each
    /// in hash order, partitioned by key hash.
    pub fn finish<O, M>(self, make: M) -> Batch<O>
    where
        K: Send,
        A: Send,
        O: Send,
        M: Fn(K, A) -> Option<O> + Sync,
    {
        let (workers, partitions) = (self.workers, self.partitions);
        let groups = self.map_groups(workers, std::iter::repeat(()), |(), entries| {
            let mut out = Out::new(partitions);
            for (hash, record) in made(entries, &make) {
                out.push(hash, record);
            }
            out
        });
        merge(groups, partitions)
    }

    /// Two keyed sinks whose keys group alike (the sides of a join), combined group by group
    /// (in parallel) by `combine`, which gives [`Out`] each output record with its key's hash.
    pub fn finish_with<V2, A2, F2, T2, R2, O, C>(
        self,
        other: Grouped<K, V2, A2, F2, T2, R2>,
        combine: C,
    ) -> Batch<O>
    where
        F2: Fold<V2, Acc = A2>,
        K: Send,
        A: Send,
        A2: Send,
        O: Send,
        C: Fn(KeyTable<K, A>, KeyTable<K, A2>, &mut Out<O>) + Sync,
    {
        let (partitions, workers) = (self.partitions, self.workers.max(other.workers));
        let (fold, groups) = self.into_group_tables();
        let (other_fold, other_groups) = other.into_group_tables();
        let pairs: Vec<_> = groups.into_iter().zip(other_groups).collect();
        let groups = map_parallel(workers, pairs, |(a, b)| {
            let mut out = Out::new(partitions);
            combine(
                KeyTable::absorbed(&fold, a),
                KeyTable::absorbed(&other_fold, b),
                &mut out,
            );
            out
        });
        merge(groups, partitions)
    }
}

/// `make(key, acc)` of a group's entries, with the hashes.
fn made<'m, K: 'm, A: 'm, O>(
    entries: Vec<(K, u64, A)>,
    make: &'m impl Fn(K, A) -> Option<O>,
) -> impl Iterator<Item = (u64, O)> + 'm {
    entries
        .into_iter()
        .filter_map(move |(key, hash, acc)| Some((hash, make(key, acc)?)))
}

/// The records one key group gives, in the partitions of their keys' hashes.
#[doc(hidden)]
pub struct Out<O> {
    parts: Vec<Vec<O>>,
}

impl<O> Out<O> {
    fn new(partitions: usize) -> Self {
        Out {
            parts: (0..partitions).map(|_| Vec::new()).collect(),
        }
    }

    /// Adds a record whose key hashes to `hash`.
    #[inline(always)]
    pub fn push(&mut self, hash: u64, record: O) {
        let p = partition_of(hash, self.parts.len());
        self.parts[p].push(record);
    }
}

/// The key groups' records merged into a batch.
fn merge<O>(groups: Vec<Out<O>>, partitions: usize) -> Batch<O> {
    merge_partitions(groups.into_iter().map(|g| g.parts).collect(), partitions)
}

/// One key group's `(key, value)` records in the hash order of their keys, in `partitions`
/// partitions by key hash: a table's own order depends on its history (a table restored from a
/// checkpoint was built in another order than the one it was saved from), this order does not.
pub(crate) fn in_hash_order<K: Hash, V>(
    records: Vec<(K, V)>,
    partitions: usize,
) -> Vec<Vec<(K, V)>> {
    let hasher = key_hasher();
    let mut hashed: Vec<(u64, (K, V))> = records
        .into_iter()
        .map(|r| (hasher.hash_one(&r.0), r))
        .collect();
    hashed.sort_unstable_by_key(|e| e.0);
    let mut out = Out::new(partitions.max(1));
    for (hash, record) in hashed {
        out.push(hash, record);
    }
    out.parts
}

/// The key groups' partitions (`partitions` each) merged partition by partition, in group
/// order.
pub(crate) fn merge_partitions<O>(groups: Vec<Vec<Vec<O>>>, partitions: usize) -> Batch<O> {
    let mut sizes = vec![0; partitions];
    for parts in &groups {
        for (p, part) in parts.iter().enumerate() {
            sizes[p] += part.len();
        }
    }
    let mut merged: Vec<Vec<O>> = sizes.into_iter().map(Vec::with_capacity).collect();
    for parts in groups {
        for (p, part) in parts.into_iter().enumerate() {
            merged[p].extend(part);
        }
    }
    Batch::from_partitions(merged)
}

impl<K, V, A, F, T, R> EndPartition for Grouped<K, V, A, F, T, R> {}

impl<T, R, F> Sink<T> for Grouped<R::Key, R::Value, F::Acc, F, T, R>
where
    R: Route<T>,
    F: Fold<R::Value>,
{
    #[inline(always)]
    fn push(&mut self, record: T) {
        let hash = R::hash(&self.hasher, &record);
        let (key, value) = R::split(record);
        self.pending[key_group(hash)].push((hash, key, value));
        self.buffered += 1;
        if self.buffered == BUFFERED_RECORDS {
            self.apply_pending();
        }
    }
}

impl<K, V, A, F, T, R> Split for Grouped<K, V, A, F, T, R>
where
    K: Eq + Send,
    V: Send,
    A: Send,
    F: Fold<V, Acc = A> + Clone,
{
    fn fork(&self) -> Self {
        Grouped::new(self.fold.clone(), self.partitions)
    }

    fn flush(&mut self) {
        self.apply_pending();
    }

    /// Keeps the forks' tables, to be merged by the step that reads the groups.
    fn join(&mut self, forks: Vec<Self>, workers: usize) {
        debug_assert!(self.joined.is_empty(), "a keyed sink is joined once");
        self.workers = workers;
        self.joined.extend(forks.into_iter().map(|mut fork| {
            fork.apply_pending();
            fork.groups
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BatchBuilder;

    /// The loop a port runs, on numbered records of `partitions`.
    fn run(workers: usize, partitions: Vec<Vec<u32>>) -> Batch<u32> {
        let mut sink = BatchBuilder::new();
        each_partition(
            workers,
            &mut sink,
            partitions.into_iter(),
            |sink, piece, ends| {
                for r in piece {
                    sink.push(r * 2);
                }
                if ends {
                    sink.end_partition();
                }
            },
        );
        sink.finish()
    }

    #[test]
    fn shares_cut_partitions_and_keep_their_ends() {
        let shares = shares(vec![vec![1, 2, 3], vec![4], vec![], vec![5, 6]], 6, 2);
        let seen: Vec<Vec<(Vec<i32>, bool)>> = shares;
        assert_eq!(
            seen,
            [
                vec![(vec![1, 2, 3], true)],
                vec![(vec![4], true), (vec![], true), (vec![5, 6], true)]
            ]
        );
        let cut = super::shares(vec![vec![1, 2, 3, 4, 5]], 5, 2);
        assert_eq!(
            cut,
            [vec![(vec![1, 2, 3], false)], vec![(vec![4, 5], true)]]
        );
    }

    #[test]
    fn a_builder_gives_the_same_partitions_on_any_number_of_workers() {
        let n = PARALLEL_MIN_RECORDS as u32 * 3;
        let partitions = vec![
            (0..n).collect(),
            vec![],
            (n..n + 7).collect(),
            (0..n / 2).collect(),
        ];
        let one = run(1, partitions.clone());
        for workers in [2, 3, 4, 7] {
            assert_eq!(run(workers, partitions.clone()), one, "{workers} workers");
        }
        assert_eq!(one.num_partitions(), 4);
    }

    /// Keeps every value of a key, in order.
    #[derive(Clone)]
    struct Values;

    impl Fold<u32> for Values {
        type Acc = Vec<u32>;
        fn first(&self, v: u32) -> Vec<u32> {
            vec![v]
        }
        fn add(&self, acc: &mut Vec<u32>, v: u32) {
            acc.push(v);
        }
        fn merge(&self, earlier: &mut Vec<u32>, later: Vec<u32>) {
            earlier.extend(later);
        }
    }

    #[test]
    fn grouped_tables_give_the_same_batch_on_any_number_of_workers() {
        let records: Vec<(u32, u32)> = (0..20_000).map(|i| (i % 1000, i)).collect();
        let grouped = |workers| {
            let mut sink: Grouped<u32, u32, Vec<u32>, Values, (u32, u32), ByKey> =
                Grouped::new(Values, 3);
            each_partition(
                workers,
                &mut sink,
                [records.as_slice()].into_iter(),
                |s, p, _| {
                    for r in p {
                        s.push(*r);
                    }
                },
            );
            sink.finish(|k, vs| Some((k, vs)))
        };
        let one = grouped(1);
        assert_eq!(one.len(), 1000);
        assert_eq!(one.num_partitions(), 3);
        assert_eq!(grouped(2), one);
        assert_eq!(grouped(5), one);
        let seven = one.iter().find(|r| r.0 == 7).expect("key 7");
        assert_eq!(seven.1, (0..20).map(|i| i * 1000 + 7).collect::<Vec<_>>());
    }

    #[test]
    fn a_panicking_worker_panics_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            map_parallel(2, vec![1, 2, 3, 4], |i| {
                assert!(i != 4, "boom at {i}");
                i
            })
        });
        let message = caught.expect_err("panicked");
        assert_eq!(
            message.downcast_ref::<String>().map(String::as_str),
            Some("boom at 4")
        );
    }
}
