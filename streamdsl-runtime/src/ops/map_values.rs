//! `map_values(f)`: maps the value of each (key, value) record, keeping the key.

use super::Marker;
use crate::keyed::KeyValue;

/// Checks `f` against the stream's value type.
#[inline(always)]
pub fn check<T: KeyValue, W, F: Fn(T::Value) -> W + super::Shareable>(
    _: &Marker<T>,
    f: F,
) -> (F, Marker<(T::Key, W)>) {
    (f, Marker::new())
}

/// Applies `f` to one record's value.
#[inline(always)]
pub fn apply<T: KeyValue, W>(f: &impl Fn(T::Value) -> W, record: T) -> (T::Key, W) {
    let (k, v) = record.into_key_value();
    (k, f(v))
}
