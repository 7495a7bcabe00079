//! `cogroup(other[, partitions])`: per batch, `(k, (values of k here, values of k there))` for
//! every key present on either side (Spark `cogroup`).

use super::join::Side;
use crate::Batch;
use crate::keyed::{Key, hash_partition};

/// The cogroup of two side tables (built with [`left_side`](super::join::left_side) and [`right_side`](super::join::right_side)).
pub fn finish<K: Key, V, W>(
    left: Side<K, V>,
    right: Side<K, W>,
    partitions: usize,
) -> Batch<(K, (Vec<V>, Vec<W>))> {
    let mut right = right.into_groups();
    let mut out: Vec<(K, (Vec<V>, Vec<W>))> = Vec::new();
    for (k, vs) in left.into_groups() {
        let ws = right.remove(&k).unwrap_or_default();
        out.push((k, (vs, ws)));
    }
    out.extend(right.into_iter().map(|(k, ws)| (k, (Vec::new(), ws))));
    hash_partition(out, |(k, _)| k, partitions)
}
