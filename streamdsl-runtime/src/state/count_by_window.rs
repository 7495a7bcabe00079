//! State of `count_by_window(w[, s])`: the count of each batch in the window and their sum.

use super::expire;
use crate::{Batch, Time};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Counts per batch in the window, and the running total (added and subtracted as batches
/// enter and leave, so a slide costs the same whatever the window's length).
///
/// Every window gets a count, `0` when empty. (Spark emits nothing until the first record,
/// then a count every slide; a count for every window is the documented streamdsl behaviour,
/// the same as `window(w, s).count()`.)
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CountByWindow {
    panes: VecDeque<(i64, u64)>,
    total: u64,
}

impl CountByWindow {
    /// Adds the number of records the parent had at `time`.
    #[doc(hidden)]
    pub fn ingest(&mut self, time: Time, window_ms: i64, count: u64) {
        self.panes.push_back((time.millis(), count));
        self.total += count;
        let total = &mut self.total;
        expire(&mut self.panes, time.millis(), window_ms, |n| *total -= n);
    }

    /// The window's count.
    #[doc(hidden)]
    pub fn emit(&self) -> Batch<u64> {
        Batch::from(vec![self.total])
    }
}

impl super::Entries for CountByWindow {
    /// The batches in the window.
    fn entries(&self) -> usize {
        self.panes.len()
    }
}
