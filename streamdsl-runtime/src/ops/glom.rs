//! `glom()`: one record per partition, the partition's records as a `Vec` (Spark `glom`).

use crate::{Batch, Sink};

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

impl<T> Sink for Glom<T> {
    type Record = T;
    #[inline(always)]
    fn push(&mut self, record: T) {
        self.current.push(record);
    }

    fn end_partition(&mut self) {
        self.arrays.push(std::mem::take(&mut self.current));
    }
}

impl<T> Glom<T> {
    /// The batch: one `Vec` per input partition, in one partition each.
    pub fn finish(self) -> Batch<Vec<T>> {
        Batch::from_partitions(self.arrays.into_iter().map(|a| vec![a]))
    }
}
