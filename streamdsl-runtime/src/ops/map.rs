//! `map(f)`: one output record per input record (Spark `map`).

use super::Marker;

/// Checks `f` against the stream's record type; the loop itself is fused by the macro.
#[inline(always)]
pub fn check<T, U, F: Fn(T) -> U + super::Shareable>(_: &Marker<T>, f: F) -> (F, Marker<U>) {
    (f, Marker::new())
}
