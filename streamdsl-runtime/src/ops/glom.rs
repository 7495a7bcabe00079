//! `glom()`: one record per partition, the partition's records as a `Vec` (Spark `glom`).

use crate::{Batch, EndPartition, Sink};

/// Collects each input partition into one record.
pub struct Glom<T> {
    current: Vec<T>,
    arrays: Vec<Vec<T>>,
}

/// A new collector.
pub fn sink<T>() -> Glom<T> {
    Glom {
        current: Vec::new(),
        arrays: Vec::new(),
    }
}

impl<T> Sink<T> for Glom<T> {
    #[inline(always)]
    fn push(&mut self, record: T) {
        self.current.push(record);
    }
}

impl<T> EndPartition for Glom<T> {
    fn end_partition(&mut self) {
        self.arrays.push(std::mem::take(&mut self.current));
    }
}

/// The batch: one `Vec` per input partition, in one partition each.
pub fn finish<T>(sink: Glom<T>) -> Batch<Vec<T>> {
    Batch::from_partitions(sink.arrays.into_iter().map(|a| vec![a]))
}
