//! `count()`: the number of records of each batch, as one record; `0` for an empty batch
//! (Scala Spark's behaviour, which adds a zero so that a count is always emitted).

use super::Marker;
use crate::{Batch, EndPartition, Sink};
use std::marker::PhantomData;

/// Counts the records pushed into it.
pub struct Count<T> {
    n: u64,
    records: PhantomData<fn(T)>,
}

/// A new counter of a stream's records.
#[inline(always)]
pub fn sink<T>(_: &Marker<T>) -> Count<T> {
    Count {
        n: 0,
        records: PhantomData,
    }
}

impl<T> Sink<T> for Count<T> {
    #[inline(always)]
    fn push(&mut self, _: T) {
        self.n += 1;
    }
}

impl<T> EndPartition for Count<T> {}

impl<T> crate::workers::Split for Count<T> {
    fn fork(&self) -> Self {
        Count {
            n: 0,
            records: PhantomData,
        }
    }
    fn join(&mut self, forks: Vec<Self>, _workers: usize) {
        self.n += forks.iter().map(|f| f.n).sum::<u64>();
    }
}

/// The number of records pushed.
pub fn total<T>(sink: Count<T>) -> u64 {
    sink.n
}

/// The batch: exactly one record, the count.
pub fn finish<T>(sink: Count<T>) -> Batch<u64> {
    Batch::from(vec![sink.n])
}
