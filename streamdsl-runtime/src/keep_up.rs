//! Whether a pipeline keeps up with its batch interval: a decision per batch, as a pure
//! function of the batch's metrics, so the driver only logs what it says. Batches never
//! overlap or skip (as in Spark), so a pipeline slower than its interval falls ever further
//! behind; Spark shows it on its UI, this says it in the log, once per episode.

use crate::metrics::BatchInfo;
use std::time::Duration;

/// Scheduling delay, in batch intervals, past which a pipeline has fallen behind.
const BEHIND_INTERVALS: u32 = 5;

/// The episode so far.
pub(crate) struct KeepUp {
    interval: Duration,
    behind: bool,
}

/// What one batch's metrics say.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Batches start later than `BEHIND_INTERVALS` intervals after their time: the slowest
    /// output (operation, stream, duration) is named, as it is where the time usually goes.
    FellBehind {
        delay: Duration,
        processing: Duration,
        slowest: Option<(&'static str, &'static str, Duration)>,
    },
    /// Back within an interval.
    CaughtUp { delay: Duration },
    /// No change.
    Same,
}

impl KeepUp {
    pub(crate) fn new(interval: Duration) -> Self {
        KeepUp {
            interval,
            behind: false,
        }
    }

    pub(crate) fn observe(&mut self, info: &BatchInfo) -> Verdict {
        let delay = info.scheduling_delay();
        if !self.behind && delay > self.interval * BEHIND_INTERVALS {
            self.behind = true;
            let slowest = info
                .outputs
                .iter()
                .max_by_key(|o| o.duration)
                .map(|o| (o.operation, o.stream, o.duration));
            return Verdict::FellBehind {
                delay,
                processing: info.processing_time,
                slowest,
            };
        }
        if self.behind && delay < self.interval {
            self.behind = false;
            return Verdict::CaughtUp { delay };
        }
        Verdict::Same
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Time;
    use crate::metrics::OutputOperationInfo;

    fn batch(time_ms: i64, started_ms: i64, output_ms: u64) -> BatchInfo {
        BatchInfo {
            pipeline: "P",
            batch_time: Time::from_millis(time_ms),
            input_records: Vec::new(),
            input_counters: Vec::new(),
            processing_start: Time::from_millis(started_ms),
            processing_time: Duration::from_millis(output_ms + 5),
            outputs: vec![OutputOperationInfo {
                index: 0,
                operation: "foreach_rdd",
                stream: "counts",
                duration: Duration::from_millis(output_ms),
                failure: None,
            }],
        }
    }

    #[test]
    fn falling_behind_and_catching_up_are_each_said_once() {
        // 200 ms batches, 600 ms of output each: the delay grows 400 ms a batch.
        let mut keep_up = KeepUp::new(Duration::from_millis(200));
        let verdicts: Vec<Verdict> = (0..6)
            .map(|k| keep_up.observe(&batch(200 * k, 200 * k + 400 * k, 600)))
            .collect();
        assert_eq!(verdicts[..3], [Verdict::Same, Verdict::Same, Verdict::Same]);
        assert_eq!(
            verdicts[3],
            Verdict::FellBehind {
                delay: Duration::from_millis(1200),
                processing: Duration::from_millis(605),
                slowest: Some(("foreach_rdd", "counts", Duration::from_millis(600))),
            }
        );
        assert_eq!(verdicts[4..], [Verdict::Same, Verdict::Same]);
        assert_eq!(
            keep_up.observe(&batch(5000, 5050, 10)),
            Verdict::CaughtUp {
                delay: Duration::from_millis(50)
            }
        );
        assert_eq!(keep_up.observe(&batch(5200, 5200, 10)), Verdict::Same);
    }
}
