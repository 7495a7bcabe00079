//! `transform(f)`: any function of the whole batch, optionally with its time (Spark
//! `transform(rdd => …)` and `transform((rdd, time) => …)`).

use super::Marker;
use crate::{Batch, IntoBatch, Time};

/// Checks `f(batch)` against the stream's record type.
#[inline(always)]
pub fn check<T, B: IntoBatch, F: FnMut(Batch<T>) -> B>(
    _: &Marker<T>,
    f: F,
) -> (F, Marker<B::Record>) {
    (f, Marker::new())
}

/// Checks `f(time, batch)` against the stream's record type.
#[inline(always)]
pub fn check_with_time<T, B: IntoBatch, F: FnMut(Time, Batch<T>) -> B>(
    _: &Marker<T>,
    f: F,
) -> (F, Marker<B::Record>) {
    (f, Marker::new())
}

/// Applies `f` to a batch.
#[inline]
pub fn apply<T, B: IntoBatch>(
    f: &mut impl FnMut(Batch<T>) -> B,
    batch: Batch<T>,
) -> Batch<B::Record> {
    f(batch).into_batch()
}

/// Applies `f` to a batch and its time.
#[inline]
pub fn apply_with_time<T, B: IntoBatch>(
    f: &mut impl FnMut(Time, Batch<T>) -> B,
    time: Time,
    batch: Batch<T>,
) -> Batch<B::Record> {
    f(time, batch).into_batch()
}
