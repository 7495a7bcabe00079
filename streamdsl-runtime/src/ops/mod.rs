//! The operators' run-time halves: one file per operator, named as the operator.
//!
//! The `stream!` macro calls these from the per-batch code it generates. Operators that work
//! record by record (`map`, `filter`, `flat_map`, `map_values`, `flat_map_values`) only check the
//! user's closure here: their loop is fused into the generated code. Every other operator is a
//! [`Sink`](crate::Sink) that a fused loop pushes into, and a `finish` that makes its batch.
//!
//! Each `check`/`sink` function takes a [`Marker`] of its input's record type before the user's
//! closure. That fixes the closure's parameter types before rustc reads its body, so type
//! errors point into the user's closure and name the types involved.

use std::marker::PhantomData;

pub mod cogroup;
pub mod count;
pub mod count_by_value;
pub mod filter;
pub mod flat_map;
pub mod flat_map_values;
pub mod glom;
pub mod group_by_key;
pub mod join;
pub mod map;
pub mod map_values;
pub mod reduce;
pub mod reduce_by_key;
pub mod repartition;
pub mod transform;
pub mod union;

/// Stands for the record type `T` of a stream in generated code; carries no data.
pub struct Marker<T>(PhantomData<fn() -> T>);

impl<T> Marker<T> {
    /// The marker of `T`.
    #[inline(always)]
    pub fn new() -> Self {
        Marker(PhantomData)
    }

    /// The marker of a batch's record type.
    #[inline(always)]
    pub fn of_batch(_: &crate::Batch<T>) -> Self {
        Marker(PhantomData)
    }
}

impl<T> Default for Marker<T> {
    fn default() -> Self {
        Marker::new()
    }
}

impl<T> Clone for Marker<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Marker<T> {}

/// Requires that a stream's records are `Clone` because it is read more than once.
#[inline(always)]
pub fn require_shared<T: crate::keyed::SharedRecord>(_: &Marker<T>) {}

/// The partition count of a keyed operator: the one given, else the context's default
/// parallelism (Spark's `defaultParallelism`).
#[inline]
pub fn partitions(given: Option<usize>, ctx: &crate::BatchContext<'_>) -> usize {
    given.unwrap_or_else(|| ctx.default_parallelism()).max(1)
}
