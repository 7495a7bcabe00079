//! `reduce(f)`: folds each batch into one record with `f`; an empty batch gives no record
//! (as Spark, where `reduce` on an empty batch emits nothing).

use super::Marker;
use crate::{Batch, Sink};

/// The running fold of one batch.
pub struct Reduce<T, F> {
    acc: Option<T>,
    f: F,
}

/// A fold with `f`, checked against the stream's record type.
#[inline(always)]
pub fn sink<T, F: FnMut(T, T) -> T>(_: &Marker<T>, f: F) -> Reduce<T, F> {
    Reduce { acc: None, f }
}

impl<T, F: FnMut(T, T) -> T> Sink for Reduce<T, F> {
    type Record = T;
    #[inline(always)]
    fn push(&mut self, record: T) {
        self.acc = Some(match self.acc.take() {
            Some(acc) => (self.f)(acc, record),
            None => record,
        });
    }
}

impl<T, F> Reduce<T, F> {
    /// The batch: the fold, or no record if nothing was pushed.
    pub fn finish(self) -> Batch<T> {
        Batch::from(self.acc.into_iter().collect::<Vec<_>>())
    }
}
