//! `filter(p)`: keeps the records for which `p` is true (Spark `filter`).

use super::Marker;

/// Checks `p` against the stream's record type; the loop itself is fused by the macro.
#[inline(always)]
pub fn check<T, F: Fn(&T) -> bool + super::Shareable>(_: &Marker<T>, p: F) -> (F, Marker<T>) {
    (p, Marker::new())
}
