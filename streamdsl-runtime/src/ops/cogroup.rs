//! `cogroup(other[, partitions])`: per batch, `(k, (values of k here, values of k there))` for
//! every key present on either side (Spark `cogroup`).

use super::join::Side;
use crate::keyed::Key;
use crate::workers::Out;

/// One key group of both sides: `(k, (vs, ws))` for every key of either side.
#[doc(hidden)]
pub fn combine<K: Key, V, W>(
    left: Side<K, V>,
    mut right: Side<K, W>,
    out: &mut Out<(K, (Vec<V>, Vec<W>))>,
) {
    for (k, hash, vs) in left.into_sorted() {
        let ws = right.remove(hash, &k).unwrap_or_default();
        out.push(hash, (k, (vs, ws)));
    }
    for (k, hash, ws) in right.into_sorted() {
        out.push(hash, (k, (Vec::new(), ws)));
    }
}
