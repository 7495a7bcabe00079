//! `group_by_key([partitions])`: per batch, `(key, values)` with the values of each key in
//! arrival order (Spark `groupByKey`).

use super::Marker;
use crate::Batch;
use crate::keyed::{Fold, Key, KeyValue};
use crate::workers::{ByKey, Grouped};

/// Keeps a key's values in arrival order (also the sides of the joins and of `cogroup`).
#[derive(Clone, Copy)]
pub struct Collect;

impl<V> Fold<V> for Collect {
    type Acc = Vec<V>;
    #[inline(always)]
    fn first(&self, value: V) -> Vec<V> {
        vec![value]
    }
    #[inline(always)]
    fn add(&self, values: &mut Vec<V>, value: V) {
        values.push(value);
    }
    fn merge(&self, earlier: &mut Vec<V>, later: Vec<V>) {
        earlier.extend(later);
    }
}

/// The grouping of a stream `T`: a table per key group.
pub type Grouping<T> = Grouped<
    <T as KeyValue>::Key,
    <T as KeyValue>::Value,
    Vec<<T as KeyValue>::Value>,
    Collect,
    T,
    ByKey,
>;

#[inline(always)]
pub fn sink<T>(_: &Marker<T>, partitions: usize) -> Grouping<T>
where
    T: KeyValue,
    T::Key: Key,
{
    Grouped::new(Collect, partitions)
}

/// The batch of `(key, values)`, hash-partitioned by key.
pub fn finish<T>(sink: Grouping<T>) -> Batch<(T::Key, Vec<T::Value>)>
where
    T: KeyValue<Key: Key + Send, Value: Send>,
{
    sink.finish(|key, values| Some((key, values)))
}
