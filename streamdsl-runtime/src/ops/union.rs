//! `a.union(b, …)`: the records of all the streams, partitions concatenated in argument order.

use super::Marker;
use crate::{Batch, BatchBuilder, EndPartition, Sink};

/// Records of every stream in a union must have one type.
#[diagnostic::on_unimplemented(
    message = "`union` needs streams of one record type, but one yields `{Self}` and another `{T}`",
    label = "this stream yields `{Self}`, the first one `{T}`",
    note = "map the streams to a common record type first"
)]
pub trait SameRecordAs<T> {
    /// The record as the first stream's record type (itself).
    fn into_same(self) -> T;
}

impl<T> SameRecordAs<T> for T {
    #[inline(always)]
    fn into_same(self) -> T {
        self
    }
}

/// Takes one stream of a union; every port collects the first stream's record type.
pub struct Port<T> {
    records: BatchBuilder<T>,
}

/// A port typed by the first stream of the union.
#[doc(hidden)]
#[inline(always)]
pub fn port<T>(_: &Marker<T>) -> Port<T> {
    Port {
        records: BatchBuilder::new(),
    }
}

impl<T> EndPartition for Port<T> {
    fn end_partition(&mut self) {
        self.records.end_partition();
    }
}

crate::workers::split_through_builder!(Port<T>, records);

impl<T, U: SameRecordAs<T>> Sink<U> for Port<T> {
    #[inline(always)]
    fn push(&mut self, record: U) {
        self.records.push(record.into_same());
    }
}

/// The union of the ports' batches, in argument order.
#[doc(hidden)]
pub fn finish<T, const N: usize>(ports: [Port<T>; N]) -> Batch<T> {
    let mut out = BatchBuilder::new();
    for p in ports {
        out.append_partitions(p.records.finish());
    }
    out.finish()
}
