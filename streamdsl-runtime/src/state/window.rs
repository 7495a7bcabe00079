//! State of `window(w[, s])`: the parent's batches inside the window.

use super::expire;
use crate::{Batch, Time};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The parent's batches in the current window, oldest first (each batch as its partitions).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: Deserialize<'de>"))]
pub struct Window<T> {
    panes: VecDeque<(i64, Vec<Vec<T>>)>,
}

impl<T> Default for Window<T> {
    fn default() -> Self {
        Window {
            panes: VecDeque::new(),
        }
    }
}

impl<T: Clone> Window<T> {
    /// Adds the parent's batch at `time` and forgets batches older than the window.
    #[doc(hidden)]
    pub fn ingest(&mut self, time: Time, window_ms: i64, batch: Batch<T>) {
        self.panes
            .push_back((time.millis(), batch.into_partitions().collect()));
        expire(&mut self.panes, time.millis(), window_ms, drop);
    }

    /// The window's records: every batch's partitions, in time order.
    #[doc(hidden)]
    pub fn emit(&self) -> Batch<T> {
        Batch::from_partitions(
            self.panes
                .iter()
                .flat_map(|(_, parts)| parts.iter().cloned()),
        )
    }
}

impl<T> super::Entries for Window<T> {
    /// The records in the window.
    fn entries(&self) -> usize {
        let partitions = self.panes.iter().flat_map(|(_, parts)| parts);
        partitions.map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(k: i64) -> Time {
        Time::from_millis(k * 1000)
    }

    #[test]
    fn tv7_window_of_three_batches() {
        let mut w = Window::default();
        let input = [
            vec!["a"],
            vec!["b"],
            vec!["c"],
            vec!["d"],
            vec![],
            vec![],
            vec![],
        ];
        let mut out = Vec::new();
        for (k, batch) in input.into_iter().enumerate() {
            w.ingest(t(k as i64 + 1), 3000, Batch::from(batch));
            out.push(w.emit().into_vec());
        }
        let expected: [&[&str]; 7] = [
            &["a"],
            &["a", "b"],
            &["a", "b", "c"],
            &["b", "c", "d"],
            &["c", "d"],
            &["d"],
            &[],
        ];
        assert_eq!(out, expected);
    }
}
