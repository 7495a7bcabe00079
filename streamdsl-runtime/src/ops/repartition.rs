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

/// A fork collects its records in one part; joining deals them on from where this sink is,
/// so the deal is the one a single loop makes.
impl<T: Send> crate::workers::Split for Repartition<T> {
    fn fork(&self) -> Self {
        sink(1)
    }
    fn join(&mut self, forks: Vec<Self>, _workers: usize) {
        for record in forks.into_iter().flat_map(|f| f.parts).flatten() {
            self.push(record);
        }
    }
}

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
