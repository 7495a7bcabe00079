//! The `(key, value)` records of a batch, in order: what `group_by_key_and_window` and
//! `map_with_state` take from their input.

use super::Marker;
use crate::keyed::KeyValue;
use crate::{Batch, BatchBuilder, EndPartition, Sink};

/// Collects (key, value) records.
pub struct Pairs<K, V> {
    records: BatchBuilder<(K, V)>,
}

/// A collector of the stream's records, which must be pairs.
#[inline(always)]
pub fn sink<T: KeyValue>(_: &Marker<T>) -> Pairs<T::Key, T::Value> {
    Pairs {
        records: BatchBuilder::new(),
    }
}

impl<K, V> EndPartition for Pairs<K, V> {
    fn end_partition(&mut self) {
        self.records.end_partition();
    }
}

crate::workers::split_through_builder!(Pairs<K, V>, records);

impl<T: KeyValue> Sink<T> for Pairs<T::Key, T::Value> {
    #[inline(always)]
    fn push(&mut self, record: T) {
        self.records.push(record.into_key_value());
    }
}

/// The batch of pairs.
pub fn finish<K, V>(sink: Pairs<K, V>) -> Batch<(K, V)> {
    sink.records.finish()
}
