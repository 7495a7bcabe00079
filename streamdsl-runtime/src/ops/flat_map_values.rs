//! `flat_map_values(f)`: any number of values per (key, value) record, each with the key.

use super::Marker;
use crate::keyed::KeyValue;

/// Checks `f` against the stream's value type; keys are cloned for each output value.
#[inline(always)]
pub fn check<T, I, F>(_: &Marker<T>, f: F) -> (F, Marker<(T::Key, I::Item)>)
where
    T: KeyValue,
    T::Key: Clone,
    I: IntoIterator,
    F: Fn(T::Value) -> I + super::Shareable,
{
    (f, Marker::new())
}

/// The values `f` makes of one record's value, each paired with a copy of the key; the fused
/// loop iterates over them.
#[inline(always)]
pub fn apply<T, I>(f: &impl Fn(T::Value) -> I, record: T) -> impl Iterator<Item = (T::Key, I::Item)>
where
    T: KeyValue,
    T::Key: Clone,
    I: IntoIterator,
{
    let (k, v) = record.into_key_value();
    f(v).into_iter().map(move |w| (k.clone(), w))
}
