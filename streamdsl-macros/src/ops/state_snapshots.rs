//! `state_snapshots()` of a `map_with_state` stream: every `(key, state)` after each batch.

use super::{Codegen, OpCall, OperatorSpec, Slide};
use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "state_snapshots",
    spark_name: "stateSnapshots",
    args: &[],
    slide: Slide::Inherit,
    codegen: Codegen::Snapshot(emit),
};

fn emit(call: &OpCall, state: &Ident) -> TokenStream {
    let partitions = call.default_partitions();
    quote_spanned!(call.span=> #state.snapshot(#partitions))
}
