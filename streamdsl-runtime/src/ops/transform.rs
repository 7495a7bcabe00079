//! `transform(f)`: any function of the whole batch, optionally with its time (Spark
//! `transform(rdd => …)` and `transform((rdd, time) => …)`); `transform_with(other, f)`: the
//! same of two streams' batches (Spark's `transformWith`), the time first here too.

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

/// Checks `f(batch, other)` against the two streams' record types.
#[inline(always)]
pub fn check_two<T, U, B: IntoBatch, F: FnMut(Batch<T>, Batch<U>) -> B>(
    _: &Marker<T>,
    _: &Marker<U>,
    f: F,
) -> (F, Marker<B::Record>) {
    (f, Marker::new())
}

/// Checks `f(time, batch, other)` against the two streams' record types.
#[inline(always)]
pub fn check_two_with_time<T, U, B: IntoBatch, F: FnMut(Time, Batch<T>, Batch<U>) -> B>(
    _: &Marker<T>,
    _: &Marker<U>,
    f: F,
) -> (F, Marker<B::Record>) {
    (f, Marker::new())
}

/// Applies `f` to the two streams' batches.
#[inline]
pub fn apply_two<T, U, B: IntoBatch>(
    f: &mut impl FnMut(Batch<T>, Batch<U>) -> B,
    batch: Batch<T>,
    other: Batch<U>,
) -> Batch<B::Record> {
    f(batch, other).into_batch()
}

/// Applies `f` to the two streams' batches and their time.
#[inline]
pub fn apply_two_with_time<T, U, B: IntoBatch>(
    f: &mut impl FnMut(Time, Batch<T>, Batch<U>) -> B,
    time: Time,
    batch: Batch<T>,
    other: Batch<U>,
) -> Batch<B::Record> {
    f(time, batch, other).into_batch()
}
