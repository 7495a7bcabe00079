//! State of `reduce_by_window(f[, inverse], w[, s])`.

use super::expire;
use crate::{Batch, Time};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Each batch's fold in the window, and (with an inverse function) the window's running fold
/// with the number of non-empty batches in it.
///
/// The inverse is an optimization, never a change of result: an empty window emits nothing,
/// with or without it. (Spark's inverse path keeps emitting `f`'s identity once a record was
/// seen.)
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: Deserialize<'de>"))]
pub struct ReduceByWindow<T> {
    panes: VecDeque<(i64, Option<T>)>,
    running: Option<T>,
    non_empty: u64,
}

impl<T> Default for ReduceByWindow<T> {
    fn default() -> Self {
        ReduceByWindow {
            panes: VecDeque::new(),
            running: None,
            non_empty: 0,
        }
    }
}

impl<T: Clone> ReduceByWindow<T> {
    /// Adds the parent's fold at `time` (`None` for an empty batch).
    #[doc(hidden)]
    pub fn ingest(&mut self, time: Time, window_ms: i64, fold: Option<T>) {
        self.panes.push_back((time.millis(), fold));
        expire(&mut self.panes, time.millis(), window_ms, drop);
    }

    /// The fold of the window, recomputed from its batches; nothing if the window is empty.
    #[doc(hidden)]
    pub fn emit(&self, f: &mut impl FnMut(T, T) -> T) -> Batch<T> {
        let fold = self.panes.iter().filter_map(|(_, v)| v.clone()).reduce(f);
        Batch::from(fold.into_iter().collect::<Vec<_>>())
    }

    /// As [`ingest`](Self::ingest), keeping the running fold with `f` and `inverse`.
    #[doc(hidden)]
    pub fn ingest_with_inverse(
        &mut self,
        time: Time,
        window_ms: i64,
        fold: Option<T>,
        f: &mut impl FnMut(T, T) -> T,
        inverse: &mut impl FnMut(T, T) -> T,
    ) {
        if let Some(v) = &fold {
            self.running = Some(match self.running.take() {
                Some(acc) => f(acc, v.clone()),
                None => v.clone(),
            });
            self.non_empty += 1;
        }
        self.panes.push_back((time.millis(), fold));
        let (running, non_empty) = (&mut self.running, &mut self.non_empty);
        expire(&mut self.panes, time.millis(), window_ms, |old| {
            if let Some(old) = old {
                *non_empty -= 1;
                *running = if *non_empty == 0 {
                    None
                } else {
                    running.take().map(|acc| inverse(acc, old))
                };
            }
        });
    }

    /// The running fold; nothing if the window is empty.
    #[doc(hidden)]
    pub fn emit_running(&self) -> Batch<T> {
        Batch::from(self.running.iter().cloned().collect::<Vec<_>>())
    }
}

impl<T> super::Entries for ReduceByWindow<T> {
    /// The batches in the window.
    fn entries(&self) -> usize {
        self.panes.len()
    }
}
