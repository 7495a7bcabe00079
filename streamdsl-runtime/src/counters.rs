//! Named counters a pipeline's functions bump (Spark's accumulators, for the common case of
//! counting): their totals come with every batch's [`BatchInfo`](crate::BatchInfo), on the
//! live page's JSON and in `/metrics` as `streamdsl_counter_total{counter="…"}`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A named count, kept in a `static`, that any function of a pipeline may add to, from any
/// worker (it is an atomic: functions stay `Fn + Sync`).
///
/// ```
/// use streamdsl_runtime::Counter;
///
/// static BAD_LINES: Counter = Counter::new("bad_lines");
///
/// let parse = |line: &str| match line.trim().parse::<i64>() {
///     Ok(n) => Some(n),
///     Err(_) => {
///         BAD_LINES.add(1);
///         None
///     }
/// };
/// assert_eq!(parse("x"), None);
/// assert_eq!(BAD_LINES.get(), 1);
/// ```
///
/// Counters are per process and count from its start (a restarted pipeline starts them at 0,
/// as Spark's accumulators after a driver restart).
pub struct Counter {
    name: &'static str,
    value: AtomicU64,
    registered: AtomicBool,
}

/// Every counter added to so far, in the order of their first addition.
static REGISTERED: Mutex<Vec<&'static Counter>> = Mutex::new(Vec::new());

impl Counter {
    /// A counter named `name` (shown as is in metrics and on the page).
    pub const fn new(name: &'static str) -> Self {
        Counter {
            name,
            value: AtomicU64::new(0),
            registered: AtomicBool::new(false),
        }
    }

    /// Adds `n`.
    #[inline]
    pub fn add(&'static self, n: u64) {
        self.value.fetch_add(n, Ordering::Relaxed);
        if !self.registered.load(Ordering::Relaxed) {
            self.register();
        }
    }

    /// The total so far.
    pub fn get(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }

    /// The counter's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    #[cold]
    fn register(&'static self) {
        let mut all = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
        if !self.registered.swap(true, Ordering::Relaxed) {
            all.push(self);
        }
    }
}

/// Every counter added to so far, with its total: what a batch's metrics report.
pub(crate) fn totals() -> Vec<(&'static str, u64)> {
    let all = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
    all.iter().map(|c| (c.name, c.get())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    static SEEN: Counter = Counter::new("seen_in_unit_test");

    #[test]
    fn a_counter_is_reported_once_added_to() {
        assert!(
            !totals()
                .iter()
                .any(|(name, _)| *name == "seen_in_unit_test")
        );
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..1000).for_each(|_| SEEN.add(1)));
            }
        });
        let reported: Vec<_> = totals()
            .into_iter()
            .filter(|(n, _)| *n == "seen_in_unit_test")
            .collect();
        assert_eq!(reported, [("seen_in_unit_test", 4000)]);
    }
}
