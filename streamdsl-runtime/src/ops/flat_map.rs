//! `flat_map(f)`: any number of output records per input record (Spark `flatMap`).

use super::Marker;

/// Checks `f` against the stream's record type; the loop itself is fused by the macro.
#[inline(always)]
pub fn check<T, I: IntoIterator, F: Fn(T) -> I + super::Shareable>(
    _: &Marker<T>,
    f: F,
) -> (F, Marker<I::Item>) {
    (f, Marker::new())
}
