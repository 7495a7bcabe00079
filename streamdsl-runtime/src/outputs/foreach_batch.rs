//! `foreach_batch(async |time, batch| …)` or `foreach_batch(async |batch| …)`: an asynchronous
//! function per batch, awaited before the batch counts as done, for sinks with async clients.
//! Outputs still run one at a time in declaration order. It may return `()` or a `Result`; an
//! `Err` is reported through `await_termination` and the pipeline keeps running.

use super::OutputResult;
use crate::ops::Marker;
use crate::{Batch, Time};

/// Checks `f(time, batch)` against the stream's record type.
#[inline(always)]
pub fn check<T, R: OutputResult, F: AsyncFnMut(Time, &Batch<T>) -> R>(_: &Marker<T>, f: F) -> F {
    f
}

/// Checks `f(batch)` against the stream's record type.
#[inline(always)]
pub fn check_batch_only<T, R: OutputResult, F: AsyncFnMut(&Batch<T>) -> R>(
    _: &Marker<T>,
    f: F,
) -> F {
    f
}
