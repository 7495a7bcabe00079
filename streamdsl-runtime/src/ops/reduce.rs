//! `reduce(f)`: folds each batch into one record with `f`; an empty batch gives no record
//! (as Spark, where `reduce` on an empty batch emits nothing).

use super::Marker;
use crate::{Batch, EndPartition, Sink};

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

impl<T, F> EndPartition for Reduce<T, F> {}

impl<T, F: FnMut(T, T) -> T> Sink<T> for Reduce<T, F> {
    #[inline(always)]
    fn push(&mut self, record: T) {
        self.acc = Some(match self.acc.take() {
            Some(acc) => (self.f)(acc, record),
            None => record,
        });
    }
}

/// The fold, if anything was pushed.
pub fn fold<T, F>(sink: Reduce<T, F>) -> Option<T> {
    sink.acc
}

/// Checks a fold function (`f(T, T) -> T`) against the stream's record type.
#[inline(always)]
pub fn check<T, F: FnMut(T, T) -> T>(_: &Marker<T>, f: F) -> F {
    f
}

/// The batch: the fold, or no record if nothing was pushed.
pub fn finish<T, F>(sink: Reduce<T, F>) -> Batch<T> {
    Batch::from(sink.acc.into_iter().collect::<Vec<_>>())
}
