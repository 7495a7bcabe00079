//! `count_by_value([partitions])`: `(value, count)` for each distinct record of a batch.

use super::Marker;
use crate::Batch;
use crate::keyed::{Fold, Key};
use crate::workers::{ByRecord, Grouped};

/// Counts a key's records.
#[derive(Clone, Copy)]
pub struct Tally;

impl Fold<()> for Tally {
    type Acc = u64;
    #[inline(always)]
    fn first(&self, _: ()) -> u64 {
        1
    }
    #[inline(always)]
    fn add(&self, n: &mut u64, _: ()) {
        *n += 1;
    }
    fn merge(&self, earlier: &mut u64, later: u64) {
        *earlier += later;
    }
}

/// The counter of a stream `T`: a table per key group.
pub type Counter<T> = Grouped<T, (), u64, Tally, T, ByRecord>;

#[inline(always)]
pub fn sink<T: Key>(_: &Marker<T>, partitions: usize) -> Counter<T> {
    Grouped::new(Tally, partitions)
}

/// The `(value, count)` records of each key group (for `count_by_value_and_window`).
pub fn panes<T: Key + Send>(sink: Counter<T>) -> Vec<Vec<(T, u64)>> {
    sink.into_group_records(|value, count| Some((value, count)))
}

pub fn finish<T: Key + Send>(sink: Counter<T>) -> Batch<(T, u64)> {
    sink.finish(|value, count| Some((value, count)))
}
