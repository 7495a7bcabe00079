//! `reduce_by_key(f[, partitions])`: per batch, one `(key, value)` per key, the values
//! combined with `f` (Spark `reduceByKey`; combined as they arrive, like a map-side combine).

use super::Marker;
use crate::Batch;
use crate::keyed::{Fold, Key, KeyValue};
use crate::workers::{ByKey, Grouped};

/// Combines a key's values with the user's function.
pub struct Reduced<'f, F>(&'f F);

impl<F> Clone for Reduced<'_, F> {
    fn clone(&self) -> Self {
        Reduced(self.0)
    }
}

/// The accumulator is taken out while `f` runs (it takes the values by value); it stays
/// `None` only if `f` panicked, and then the batch fails.
impl<V, F: Fn(V, V) -> V + Sync> Fold<V> for Reduced<'_, F> {
    type Acc = Option<V>;
    #[inline(always)]
    fn first(&self, value: V) -> Option<V> {
        Some(value)
    }
    #[inline(always)]
    fn add(&self, acc: &mut Option<V>, value: V) {
        *acc = Some(match acc.take() {
            Some(earlier) => (self.0)(earlier, value),
            None => value,
        });
    }
    fn merge(&self, earlier: &mut Option<V>, later: Option<V>) {
        *earlier = match (earlier.take(), later) {
            (Some(a), Some(b)) => Some((self.0)(a, b)),
            (a, b) => a.or(b),
        };
    }
}

/// The reducer of a stream `T`: a table per key group.
pub type Reducer<'f, T, F> = Grouped<
    <T as KeyValue>::Key,
    <T as KeyValue>::Value,
    Option<<T as KeyValue>::Value>,
    Reduced<'f, F>,
    T,
    ByKey,
>;

/// A reducer with `f` (checked by [`check_values`]).
#[inline(always)]
pub fn sink<'f, T, F>(_: &Marker<T>, f: &'f F, partitions: usize) -> Reducer<'f, T, F>
where
    T: KeyValue,
    T::Key: Key,
    F: Fn(T::Value, T::Value) -> T::Value + Sync,
{
    Grouped::new(Reduced(f), partitions)
}

/// Checks a function combining two values of the stream's records (the `f` and the inverse of
/// `reduce_by_key_and_window`). It runs on the workers, so it must be `Fn` and shareable.
#[inline(always)]
pub fn check_values<T, F>(_: &Marker<T>, f: F) -> F
where
    T: KeyValue,
    F: Fn(T::Value, T::Value) -> T::Value + super::Shareable,
{
    f
}

/// Checks a filter of the stream's `(key, value)` records; it runs on the workers.
#[inline(always)]
pub fn check_filter<T, F>(_: &Marker<T>, f: F) -> F
where
    T: KeyValue,
    F: Fn(&(T::Key, T::Value)) -> bool + super::Shareable,
{
    f
}

/// The filter that keeps every record.
#[inline(always)]
pub fn keep_all<T: KeyValue>(_: &Marker<T>) -> impl Fn(&(T::Key, T::Value)) -> bool + Sync {
    |_| true
}

/// The `(key, reduced value)` records of each key group (for `reduce_by_key_and_window`).
pub fn panes<T, F>(sink: Reducer<'_, T, F>) -> Vec<Vec<(T::Key, T::Value)>>
where
    T: KeyValue<Key: Key + Send, Value: Send>,
    F: Fn(T::Value, T::Value) -> T::Value + Sync,
{
    sink.into_group_records(|key, value| value.map(|v| (key, v)))
}

/// The batch of `(key, reduced value)`, hash-partitioned by key.
pub fn finish<T, F>(sink: Reducer<'_, T, F>) -> Batch<(T::Key, T::Value)>
where
    T: KeyValue<Key: Key + Send, Value: Send>,
    F: Fn(T::Value, T::Value) -> T::Value + Sync,
{
    sink.finish(|key, value| value.map(|v| (key, v)))
}
