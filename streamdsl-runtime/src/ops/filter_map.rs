//! `filter_map(f)`: the records for which `f` returns `Some`, mapped to what it holds (a
//! `map` and a `filter` in one; Spark users write `flatMap` over an `Option`).

use super::Marker;

/// Checks `f` against the stream's record type; the loop itself is fused by the macro.
#[inline(always)]
pub fn check<T, U, F: Fn(T) -> Option<U> + super::Shareable>(
    _: &Marker<T>,
    f: F,
) -> (F, Marker<U>) {
    (f, Marker::new())
}
