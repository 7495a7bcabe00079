//! `glom()`: one record per partition, the partition's records as a `Vec` (Spark `glom`).

use crate::workers::split_through_builder;
use crate::{Batch, BatchBuilder, EndPartition, Sink};

pub struct Glom<T> {
    partitions: BatchBuilder<T>,
}

pub fn sink<T>() -> Glom<T> {
    Glom {
        partitions: BatchBuilder::new(),
    }
}

impl<T> Sink<T> for Glom<T> {
    #[inline(always)]
    fn push(&mut self, record: T) {
        self.partitions.push(record);
    }
}

impl<T> EndPartition for Glom<T> {
    fn end_partition(&mut self) {
        self.partitions.end_partition();
    }
}

split_through_builder!(Glom<T>, partitions);

pub fn finish<T>(sink: Glom<T>) -> Batch<Vec<T>> {
    Batch::from_partitions(sink.partitions.finish().into_partitions().map(|p| vec![p]))
}
