//! `foreach_rdd(|time, batch| …)` or `foreach_rdd(|batch| …)`: calls a function with every
//! batch (Spark `foreachRDD`), for custom sinks. It may return `()` or a `Result`; an `Err` is
//! reported through `await_termination` and the pipeline keeps running, as Spark.

use super::OutputResult;
use crate::ops::Marker;
use crate::{Batch, Time};

/// Checks `f(time, batch)` against the stream's record type.
#[inline(always)]
pub fn check<T, R: OutputResult, F: FnMut(Time, &Batch<T>) -> R>(_: &Marker<T>, f: F) -> F {
    f
}

/// Checks `f(batch)` against the stream's record type.
#[inline(always)]
pub fn check_batch_only<T, R: OutputResult, F: FnMut(&Batch<T>) -> R>(_: &Marker<T>, f: F) -> F {
    f
}
