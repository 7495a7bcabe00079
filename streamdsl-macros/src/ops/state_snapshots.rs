//! `state_snapshots()` of a `map_with_state` stream: every `(key, state)` after each batch.

use super::{Doc, Kind, OpCall, OperatorSpec, Snapshot};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "state_snapshots",
    spark_name: "stateSnapshots",
    args: &[],
    kind: Kind::Snapshot(Snapshot {
        reads: "map_with_state",
        batch,
    }),
    doc: Doc {
        summary: "of a `map_with_state`: `(K, S)` for every key with state",
        example: "let running = other.map_with_state(|_: &String, n: Option<u64>, state: &mut State<u64>| { state.update(n.unwrap_or(0)); }, 60s); running.state_snapshots().pprint();",
        feature: None,
    },
};

fn batch(call: &OpCall) -> TokenStream {
    let (state, partitions) = (&call.state, call.default_partitions());
    quote_spanned!(call.span=> #state.snapshot(#partitions))
}
