//! `repartition(n)`: the same records in exactly `n` partitions, dealt round-robin.

use crate::{Batch, EndPartition, Sink};

/// Deals records over `n` partitions.
pub struct Repartition<T> {
    parts: Vec<Vec<T>>,
    next: usize,
}

/// A dealer over `n` partitions (at least one).
pub fn sink<T>(n: usize) -> Repartition<T> {
    Repartition {
        parts: (0..n.max(1)).map(|_| Vec::new()).collect(),
        next: 0,
    }
}

impl<T> EndPartition for Repartition<T> {}

impl<T> Sink<T> for Repartition<T> {
    #[inline(always)]
    fn push(&mut self, record: T) {
        self.parts[self.next].push(record);
        self.next = (self.next + 1) % self.parts.len();
    }
}

/// The batch with `n` partitions.
pub fn finish<T>(sink: Repartition<T>) -> Batch<T> {
    Batch::from_partitions(sink.parts)
}
