//! Whether a pipeline keeps up: decisions per batch, as a pure function of the batches'
//! metrics, so the driver only logs what they say and hands the warnings to the listeners
//! ([`BatchInfo::warnings`]; the live page lists them).
//! Batches never overlap or skip (as in Spark), so a pipeline slower than its interval falls
//! ever further behind; Spark shows it on its UI, this says it in the log, once per episode,
//! with the numbers, and says when it is over.

use crate::metrics::BatchInfo;
use std::fmt;
use std::time::Duration;

/// Scheduling delay, in batch intervals, past which a pipeline has fallen behind.
const BEHIND_INTERVALS: u32 = 5;
/// Batches in a row whose scheduling delay grew, after which a pipeline is falling behind
/// even while the delay is still short.
const GROWING_BATCHES: u32 = 10;
/// Batches in a row an output failed before it is said to keep failing.
const FAILING_BATCHES: u32 = 3;
/// Batch time between two status lines.
const STATUS_EVERY: Duration = Duration::from_secs(30);

/// The episodes so far.
pub(crate) struct KeepUp {
    interval: Duration,
    behind: bool,
    last_delay: Duration,
    growing: u32,
    /// Per output index: failures in a row, and whether that was said.
    failing: Vec<(u32, bool)>,
    /// Per input: its `backpressure_waits` total at the last batch, and whether an episode
    /// is on.
    backpressure: Vec<(&'static str, u64, bool)>,
    status: Status,
}

/// What the next status line sums up.
#[derive(Default)]
struct Status {
    since_ms: Option<i64>,
    batches: u64,
    records: u64,
    max_delay: Duration,
    processing: Duration,
}

/// What the batches say, each once per episode.
#[derive(Debug, PartialEq)]
pub(crate) enum Notice {
    /// Batches start more than `BEHIND_INTERVALS` intervals late, or ever later for
    /// `GROWING_BATCHES` batches: the slowest output (operation, stream, duration) is named,
    /// as it is where the time usually goes.
    FellBehind {
        delay: Duration,
        processing: Duration,
        interval: Duration,
        slowest: Option<(&'static str, &'static str, Duration)>,
    },
    /// Back within an interval.
    CaughtUp { delay: Duration },
    /// An output failed `batches` batches in a row.
    OutputFailing {
        operation: &'static str,
        stream: &'static str,
        batches: u32,
        error: String,
    },
    /// The output succeeded again.
    OutputRecovered {
        operation: &'static str,
        stream: &'static str,
    },
    /// An input's receiver waited for room in its buffer during the batch.
    Backpressure {
        input: &'static str,
        buffered_records: Option<u64>,
        buffered_bytes: Option<u64>,
    },
    /// A batch went by without the receiver waiting.
    BackpressureEased { input: &'static str },
    /// Every `STATUS_EVERY` of batch time: what the batches since the last status did.
    Status {
        batches: u64,
        records_per_second: f64,
        max_delay: Duration,
        mean_processing: Duration,
        interval: Duration,
    },
}

impl Notice {
    /// Whether it is logged as a warning (else at info).
    pub(crate) fn is_warning(&self) -> bool {
        matches!(
            self,
            Notice::FellBehind { .. } | Notice::OutputFailing { .. } | Notice::Backpressure { .. }
        )
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: &Duration| d.as_millis();
        match self {
            Notice::FellBehind {
                delay,
                processing,
                interval,
                slowest,
            } => {
                write!(
                    f,
                    "the pipeline is falling behind: batches start {} ms late and take {} ms on a {} ms interval, so each starts later",
                    ms(delay),
                    ms(processing),
                    ms(interval)
                )?;
                if let Some((operation, stream, took)) = slowest {
                    write!(
                        f,
                        "; the slowest output is {operation} of {stream} ({} ms)",
                        ms(took)
                    )?;
                }
                f.write_str(" (a longer batch interval, faster outputs or more workers help)")
            }
            Notice::CaughtUp { delay } => write!(
                f,
                "the pipeline has caught up: batches start {} ms late",
                ms(delay)
            ),
            Notice::OutputFailing {
                operation,
                stream,
                batches,
                error,
            } => write!(
                f,
                "{operation} of {stream} keeps failing: {batches} batches in a row, last with: {error}"
            ),
            Notice::OutputRecovered { operation, stream } => {
                write!(f, "{operation} of {stream} succeeds again")
            }
            Notice::Backpressure {
                input,
                buffered_records,
                buffered_bytes,
            } => {
                write!(
                    f,
                    "input {input}: the receiver's buffer is full, so it waits (backpressure): the pipeline takes records slower than they come"
                )?;
                if let (Some(records), Some(bytes)) = (buffered_records, buffered_bytes) {
                    write!(f, "; {records} records ({bytes} bytes) buffered")?;
                }
                f.write_str(" (raise the buffer, a rate limit upstream, or a faster pipeline help)")
            }
            Notice::BackpressureEased { input } => {
                write!(f, "input {input}: the receiver no longer waits for room")
            }
            Notice::Status {
                batches,
                records_per_second,
                max_delay,
                mean_processing,
                interval,
            } => write!(
                f,
                "{batches} batches, {records_per_second:.0} records/s, processing {} ms on average on a {} ms interval, scheduling delay up to {} ms",
                ms(mean_processing),
                ms(interval),
                ms(max_delay)
            ),
        }
    }
}

impl KeepUp {
    pub(crate) fn new(interval: Duration) -> Self {
        KeepUp {
            interval,
            behind: false,
            last_delay: Duration::ZERO,
            growing: 0,
            failing: Vec::new(),
            backpressure: Vec::new(),
            status: Status::default(),
        }
    }

    /// What batch `info` says, given the batches before it.
    pub(crate) fn observe(&mut self, info: &BatchInfo) -> Vec<Notice> {
        let mut notices = Vec::new();
        notices.extend(self.delay(info));
        self.outputs(info, &mut notices);
        self.backpressure(info, &mut notices);
        notices.extend(self.status(info));
        notices
    }

    fn delay(&mut self, info: &BatchInfo) -> Option<Notice> {
        let delay = info.scheduling_delay();
        self.growing = if delay > self.last_delay && delay > self.interval {
            self.growing + 1
        } else {
            0
        };
        self.last_delay = delay;
        let late = delay > self.interval * BEHIND_INTERVALS || self.growing >= GROWING_BATCHES;
        if !self.behind && late {
            self.behind = true;
            let slowest = info
                .outputs
                .iter()
                .max_by_key(|o| o.duration)
                .map(|o| (o.operation, o.stream, o.duration));
            return Some(Notice::FellBehind {
                delay,
                processing: info.processing_time,
                interval: self.interval,
                slowest,
            });
        }
        if self.behind && delay < self.interval {
            self.behind = false;
            return Some(Notice::CaughtUp { delay });
        }
        None
    }

    fn outputs(&mut self, info: &BatchInfo, notices: &mut Vec<Notice>) {
        for output in &info.outputs {
            if self.failing.len() <= output.index {
                self.failing.resize(output.index + 1, (0, false));
            }
            let (failures, said) = &mut self.failing[output.index];
            let (operation, stream) = (output.operation, output.stream);
            match &output.failure {
                Some(error) => {
                    *failures += 1;
                    if *failures >= FAILING_BATCHES && !*said {
                        *said = true;
                        notices.push(Notice::OutputFailing {
                            operation,
                            stream,
                            batches: *failures,
                            error: error.clone(),
                        });
                    }
                }
                None => {
                    if std::mem::take(said) {
                        notices.push(Notice::OutputRecovered { operation, stream });
                    }
                    *failures = 0;
                }
            }
        }
    }

    fn backpressure(&mut self, info: &BatchInfo, notices: &mut Vec<Notice>) {
        let waits = info
            .input_counters
            .iter()
            .filter(|(_, c, _)| *c == "backpressure_waits");
        for &(input, _, total) in waits {
            let at = match self.backpressure.iter().position(|(i, _, _)| *i == input) {
                Some(at) => at,
                None => {
                    self.backpressure.push((input, 0, false));
                    self.backpressure.len() - 1
                }
            };
            let (_, seen, on) = &mut self.backpressure[at];
            let waited = total > *seen;
            *seen = total;
            if waited && !*on {
                *on = true;
                let gauge = |name: &str| {
                    let mut gauges = info.input_gauges.iter();
                    gauges
                        .find(|(i, g, _)| *i == input && *g == name)
                        .map(|g| g.2)
                };
                notices.push(Notice::Backpressure {
                    input,
                    buffered_records: gauge("buffered_records"),
                    buffered_bytes: gauge("buffered_bytes"),
                });
            } else if !waited && std::mem::take(on) {
                notices.push(Notice::BackpressureEased { input });
            }
        }
    }

    fn status(&mut self, info: &BatchInfo) -> Option<Notice> {
        let now = info.batch_time.millis();
        let status = &mut self.status;
        let since = *status.since_ms.get_or_insert(now);
        status.batches += 1;
        status.records += info.num_records();
        status.max_delay = status.max_delay.max(info.scheduling_delay());
        status.processing += info.processing_time;
        let span = Duration::from_millis((now - since).max(0) as u64);
        if span < STATUS_EVERY {
            return None;
        }
        let done = std::mem::take(status);
        self.status.since_ms = Some(now);
        Some(Notice::Status {
            batches: done.batches,
            records_per_second: done.records as f64 / span.as_secs_f64(),
            max_delay: done.max_delay,
            mean_processing: done.processing / done.batches.max(1) as u32,
            interval: self.interval,
        })
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
            input_records: vec![("lines", 10)],
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
            input_gauges: Vec::new(),
            partition_lag: Vec::new(),
            counters: Vec::new(),
            state_entries: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn delays_only(notices: Vec<Notice>) -> Vec<Notice> {
        let delay = |n: &Notice| matches!(n, Notice::FellBehind { .. } | Notice::CaughtUp { .. });
        notices.into_iter().filter(delay).collect()
    }

    #[test]
    fn falling_behind_and_catching_up_are_each_said_once() {
        // 200 ms batches, 600 ms of output each: the delay grows 400 ms a batch.
        let mut keep_up = KeepUp::new(Duration::from_millis(200));
        let notices: Vec<Vec<Notice>> = (0..6)
            .map(|k| delays_only(keep_up.observe(&batch(200 * k, 200 * k + 400 * k, 600))))
            .collect();
        assert!(notices[..3].iter().all(Vec::is_empty));
        assert_eq!(
            notices[3],
            [Notice::FellBehind {
                delay: Duration::from_millis(1200),
                processing: Duration::from_millis(605),
                interval: Duration::from_millis(200),
                slowest: Some(("foreach_rdd", "counts", Duration::from_millis(600))),
            }]
        );
        assert!(notices[4..].iter().all(Vec::is_empty));
        assert_eq!(
            delays_only(keep_up.observe(&batch(5000, 5050, 10))),
            [Notice::CaughtUp {
                delay: Duration::from_millis(50)
            }]
        );
        assert!(delays_only(keep_up.observe(&batch(5200, 5200, 10))).is_empty());
    }

    #[test]
    fn a_delay_that_grows_slowly_is_said_after_ten_batches() {
        // 1 s batches taking 1.1 s: 100 ms later each batch, far below five intervals.
        let mut keep_up = KeepUp::new(Duration::from_secs(1));
        let said: Vec<usize> = (0..30)
            .filter(|&k| {
                let (time, delay) = (1000 * k as i64, 1000 + 100 * k as i64);
                !delays_only(keep_up.observe(&batch(time, time + delay, 1095))).is_empty()
            })
            .collect();
        assert_eq!(
            said,
            [10],
            "once, when the delay had grown ten batches in a row"
        );
    }

    #[test]
    fn an_output_that_keeps_failing_is_said_once_and_its_recovery_too() {
        let mut keep_up = KeepUp::new(Duration::from_millis(100));
        let failing = |k: i64, failed: bool| {
            let mut info = batch(100 * k, 100 * k, 1);
            info.outputs[0].failure = failed.then(|| "connection refused".to_owned());
            info
        };
        let said: Vec<(i64, Vec<Notice>)> = [false, true, true, true, true, true, false, false]
            .iter()
            .enumerate()
            .map(|(k, &failed)| (k as i64, keep_up.observe(&failing(k as i64, failed))))
            .filter(|(_, n)| !n.is_empty())
            .collect();
        assert_eq!(
            said,
            [
                (
                    3,
                    vec![Notice::OutputFailing {
                        operation: "foreach_rdd",
                        stream: "counts",
                        batches: 3,
                        error: "connection refused".to_owned()
                    }]
                ),
                (
                    6,
                    vec![Notice::OutputRecovered {
                        operation: "foreach_rdd",
                        stream: "counts"
                    }]
                )
            ]
        );
    }

    #[test]
    fn backpressure_is_said_once_per_episode_of_batches_with_waits() {
        let mut keep_up = KeepUp::new(Duration::from_millis(100));
        // The receiver's waits after each batch: waits in batches 1-3 and 6.
        let totals = [0, 1, 2, 3, 3, 3, 4, 4];
        let said: Vec<(usize, bool)> = totals
            .iter()
            .enumerate()
            .flat_map(|(k, &total)| {
                let mut info = batch(100 * k as i64, 100 * k as i64, 1);
                info.input_counters = vec![("lines", "backpressure_waits", total)];
                keep_up
                    .observe(&info)
                    .into_iter()
                    .map(move |n| (k, n.is_warning()))
            })
            .collect();
        assert_eq!(said, [(1, true), (4, false), (6, true), (7, false)]);
    }

    #[test]
    fn a_status_line_sums_up_every_thirty_seconds_of_batches() {
        let mut keep_up = KeepUp::new(Duration::from_secs(1));
        let statuses: Vec<(i64, Notice)> = (0..=61)
            .flat_map(|k| {
                let notices = keep_up.observe(&batch(1000 * k, 1000 * k, 1));
                notices.into_iter().map(move |n| (k, n))
            })
            .collect();
        assert_eq!(statuses.len(), 2);
        assert_eq!(statuses[0].0, 30);
        let Notice::Status {
            batches,
            records_per_second,
            ..
        } = &statuses[0].1
        else {
            panic!("a status line: {:?}", statuses[0].1);
        };
        assert_eq!((*batches, *records_per_second), (31, 310.0 / 30.0));
        assert_eq!(statuses[1].0, 60);
    }
}
