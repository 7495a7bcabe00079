//! Clocks: the system clock for production and a manual clock for tests (Spark's
//! `ManualClock`): nothing in a test waits for wall-clock time.

use crate::Time;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

/// A clock that moves only when told to. Starts at time 0, so a pipeline started on it has
/// zero time 0 and batches at `B, 2B, 3B, …` (the convention of the spec's test vectors).
///
/// ```
/// use streamdsl_runtime::{ManualClock, Time};
/// use std::time::Duration;
/// let clock = ManualClock::new();
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(clock.now(), Time::from_millis(2000));
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock {
    now: Arc<watch::Sender<i64>>,
}

impl ManualClock {
    /// A clock at time 0.
    pub fn new() -> Self {
        Self::starting_at(Time::from_millis(0))
    }

    /// A clock at `time`.
    pub fn starting_at(time: Time) -> Self {
        ManualClock {
            now: Arc::new(watch::Sender::new(time.millis())),
        }
    }

    /// The clock's time.
    pub fn now(&self) -> Time {
        Time::from_millis(*self.now.borrow())
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        self.now
            .send_modify(|t| *t += crate::time::duration_millis(d));
    }

    /// Moves the clock to `time` unless it is already later.
    pub fn advance_to(&self, time: Time) {
        self.now.send_if_modified(|t| {
            let later = time.millis() > *t;
            if later {
                *t = time.millis();
            }
            later
        });
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

/// The clock a context runs on.
#[derive(Clone, Debug, Default)]
pub(crate) enum Clock {
    #[default]
    System,
    Manual(ManualClock),
}

impl Clock {
    pub(crate) fn now(&self) -> Time {
        match self {
            Clock::System => {
                let since = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                Time::from_millis(crate::time::duration_millis(since))
            }
            Clock::Manual(m) => m.now(),
        }
    }

    /// Resolves once the clock reads `time` or later.
    pub(crate) async fn wait_until(&self, time: Time) {
        match self {
            Clock::System => loop {
                let now = self.now();
                if now >= time {
                    return;
                }
                let ms = (time.millis() - now.millis()) as u64;
                tokio::time::sleep(Duration::from_millis(ms)).await;
            },
            Clock::Manual(m) => {
                let mut rx = m.now.subscribe();
                // The sender lives as long as `m`, so this only fails if the clock is gone.
                let _ = rx.wait_for(|t| *t >= time.millis()).await;
            }
        }
    }
}
