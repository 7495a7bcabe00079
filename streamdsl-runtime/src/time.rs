//! Batch times and intervals.
//!
//! A [`Time`] is an absolute instant in milliseconds since the Unix epoch, as Spark's `Time`.
//! Batch times are multiples of the batch interval (spec 1.2), so a pipeline with a one-second
//! interval started at 12:00:00.300 runs its batches at 12:00:01.000, 12:00:02.000, …

use std::fmt;
use std::time::Duration;

/// An absolute instant in milliseconds since the Unix epoch; batch times are `Time`s.
///
/// `Display` prints Spark's form, `1000 ms`.
///
/// ```
/// use streamdsl_runtime::Time;
/// let t = Time::from_millis(1_000);
/// assert_eq!(t.to_string(), "1000 ms");
/// assert_eq!(t.millis(), 1_000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Time(i64);

impl Time {
    /// The instant `millis` milliseconds after the Unix epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Time(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// The first batch time strictly after `now` on the grid of `interval` (spec 1.2:
    /// `(floor(now / B) + 1) * B`).
    pub fn next_batch_after(now: Time, interval: Duration) -> Time {
        let b = duration_millis(interval);
        Time((now.0.div_euclid(b) + 1) * b)
    }

    /// The date and time of this instant as PySpark's `pprint` shows it
    /// (`datetime.fromtimestamp(ms / 1000)`): `2024-05-01 12:00:01`, with `.500000` appended
    /// when the time is not a whole second.
    pub fn to_datetime_string(self, zone: TimeZone) -> String {
        let secs = self.0.div_euclid(1000);
        let millis = self.0.rem_euclid(1000);
        let offset = match zone {
            TimeZone::Utc => 0,
            TimeZone::Local => local_utc_offset_secs(secs),
        };
        let local = secs + offset;
        let days = local.div_euclid(86_400);
        let secs_of_day = local.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let mut s = format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
            secs_of_day / 3600,
            secs_of_day / 60 % 60,
            secs_of_day % 60
        );
        if millis != 0 {
            s.push_str(&format!(".{:06}", millis * 1000));
        }
        s
    }
}

impl std::ops::Add<Duration> for Time {
    type Output = Time;
    /// This time moved forward by `d`.
    fn add(self, d: Duration) -> Time {
        Time(self.0 + duration_millis(d))
    }
}

impl std::ops::Sub<Duration> for Time {
    type Output = Time;
    /// The time `d` earlier.
    fn sub(self, d: Duration) -> Time {
        Time(self.0 - duration_millis(d))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.0)
    }
}

/// Which clock face [`Time::to_datetime_string`] uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TimeZone {
    /// The machine's local zone (the `TZ` variable or `/etc/localtime`), as PySpark.
    #[default]
    Local,
    /// UTC: deterministic output whatever the machine, used by the test harness.
    Utc,
}

/// Whole milliseconds of a duration, saturating at `i64::MAX`.
pub fn duration_millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Date of a day number counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The local zone's offset from UTC at `epoch_secs`, from the C library (which honours `TZ`).
#[cfg(unix)]
fn local_utc_offset_secs(epoch_secs: i64) -> i64 {
    static TZSET: std::sync::Once = std::sync::Once::new();
    unsafe extern "C" {
        fn tzset();
    }
    // SAFETY: tzset only reads the environment and initialises the C library's zone data;
    // it runs once, before any localtime_r call of ours.
    TZSET.call_once(|| unsafe { tzset() });
    let t: libc::time_t = epoch_secs as libc::time_t;
    // SAFETY: `tm` is a plain C struct for which all-zero is a valid value, and localtime_r
    // writes only into it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the duration of the call.
    let ok = unsafe { libc::localtime_r(&t, &mut tm) };
    if ok.is_null() { 0 } else { tm.tm_gmtoff }
}

#[cfg(not(unix))]
fn local_utc_offset_secs(_epoch_secs: i64) -> i64 {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_times_are_aligned_to_the_interval() {
        let b = Duration::from_secs(1);
        assert_eq!(Time::next_batch_after(Time(0), b), Time(1000));
        assert_eq!(Time::next_batch_after(Time(999), b), Time(1000));
        assert_eq!(Time::next_batch_after(Time(1000), b), Time(2000));
        assert_eq!(
            Time::next_batch_after(Time(1_700_000_000_300), Duration::from_millis(500)),
            Time(1_700_000_000_500)
        );
    }

    #[test]
    fn datetime_matches_python_fromtimestamp_in_utc() {
        assert_eq!(
            Time(1000).to_datetime_string(TimeZone::Utc),
            "1970-01-01 00:00:01"
        );
        assert_eq!(
            Time(500).to_datetime_string(TimeZone::Utc),
            "1970-01-01 00:00:00.500000"
        );
        assert_eq!(
            Time(1_714_564_801_000).to_datetime_string(TimeZone::Utc),
            "2024-05-01 12:00:01"
        );
        assert_eq!(
            Time(951_782_400_000).to_datetime_string(TimeZone::Utc),
            "2000-02-29 00:00:00"
        );
    }

    #[test]
    fn display_is_sparks_form() {
        assert_eq!(Time(1_700_000_001_000).to_string(), "1700000001000 ms");
    }
}
