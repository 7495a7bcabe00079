//! `a.union(b, …)`: the records of all the streams, partitions concatenated in argument order.

use super::Marker;
use crate::{Batch, BatchBuilder};

/// Records of every stream in a union must have one type.
#[diagnostic::on_unimplemented(
    message = "`union` needs streams of one record type, but one yields `{Self}` and another `{T}`",
    label = "this stream yields `{Self}`, the first one `{T}`",
    note = "map the streams to a common record type first"
)]
pub trait SameRecordAs<T> {}
impl<T> SameRecordAs<T> for T {}

/// Checks that another union input has the first input's record type.
#[inline(always)]
pub fn check_same<T, U: SameRecordAs<T>>(_: &Marker<T>, _: &Marker<U>) {}

/// The union of the inputs' batches.
pub fn finish<T, const N: usize>(inputs: [BatchBuilder<T>; N]) -> Batch<T> {
    let mut out = BatchBuilder::new();
    for b in inputs {
        out.append_partitions(b.finish());
    }
    out.finish()
}
