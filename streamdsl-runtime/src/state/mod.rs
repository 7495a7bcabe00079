//! Per-operator state kept across batches: windows, `update_state_by_key`, `map_with_state`.
//!
//! Each stateful operator of a pipeline owns one value of a type from this module, as a named
//! field of the pipeline's generated `…State` struct (e.g. `pub counts:
//! ReduceByKeyAndWindow<(String, u64)>`). The types hold data only (closures are the
//! pipeline's code, passed in at each batch), so a checkpoint is the state serialized with
//! serde, and a restored pipeline carries on with the same values.
//!
//! Their per-batch methods are for the generated code and hidden from this documentation. The
//! state set before the first batch (the generated `initial_<name>` methods) can be read
//! through the pipeline's `state()`: [`UpdateStateByKey::states`], [`MapWithState::snapshot`].
//!
//! Times are milliseconds since the epoch; a window of length `w` at time `t` holds the
//! parent's batches at times in `(t - w, t]` (spec 5.1).

mod count_by_window;
mod group_by_key_and_window;
mod map_with_state;
mod reduce_by_key_and_window;
mod reduce_by_window;
mod update_state_by_key;
mod window;

pub use count_by_window::CountByWindow;
pub use group_by_key_and_window::{GroupByKeyAndWindow, GroupedRecord};
pub use map_with_state::{MapWithState, State};
pub use reduce_by_key_and_window::ReduceByKeyAndWindow;
pub use reduce_by_window::ReduceByWindow;
pub use update_state_by_key::UpdateStateByKey;
pub use window::Window;

use crate::keyed::{KeyMap, KeyTable};
use crate::workers::{map_parallel, workers_for};
use std::collections::VecDeque;

/// Runs `step` on each key group's state with the group's batch, `(key, values)` in hash
/// order, the groups in parallel when there is enough to do: how the keyed states take in a
/// batch.
pub(crate) fn by_key_group<K, X, V, R>(
    workers: usize,
    states: &mut [KeyMap<K, X>],
    batch: impl Iterator<Item = KeyTable<K, Vec<V>>>,
    step: impl Fn(&mut KeyMap<K, X>, Vec<(K, Vec<V>)>) -> R + Sync,
) -> Vec<R>
where
    K: Eq + Send,
    X: Send,
    V: Send,
    R: Send,
{
    let tables: Vec<_> = batch.collect();
    let records = states.iter().map(KeyMap::len).sum::<usize>()
        + tables.iter().map(KeyTable::len).sum::<usize>();
    let work: Vec<_> = states.iter_mut().zip(tables).collect();
    map_parallel(workers_for(workers, records), work, |(state, table)| {
        let batch = table.into_sorted().into_iter().map(|(k, _, vs)| (k, vs));
        step(state, batch.collect())
    })
}

/// A state that can be set before the first batch (Spark's `initialRDD`): what the generated
/// `initial_<name>(pairs)` builder method of a pipeline calls.
#[doc(hidden)]
pub trait InitialState {
    /// One initial entry, `(key, state)`.
    type Item;
    /// Sets the initial entries; for a key given twice the first entry is used.
    fn set_initial(&mut self, initial: impl IntoIterator<Item = Self::Item>);
}

/// Drops the panes that have left a window of `window_ms` ending at `time_ms`, passing each to
/// `leave`. Panes are in time order.
pub(crate) fn expire<P>(
    panes: &mut VecDeque<(i64, P)>,
    time_ms: i64,
    window_ms: i64,
    mut leave: impl FnMut(P),
) {
    while panes
        .front()
        .is_some_and(|(t, _)| *t <= time_ms - window_ms)
    {
        if let Some((_, pane)) = panes.pop_front() {
            leave(pane);
        }
    }
}
