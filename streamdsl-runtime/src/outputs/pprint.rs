//! `pprint([n])`: prints the first `n` records (default 10) of each batch in PySpark's format
//! (spec 8.1): a line of 43 dashes, `Time: <local date and time>`, dashes again, one record per
//! line rendered with `{:?}`, `...` when there are more than `n`, then an empty line.

use super::{OutputContext, OutputRecord};
use crate::Batch;

const DASHES: &str = "-------------------------------------------";

/// Prints the batch.
pub fn run<T: OutputRecord>(
    out: &mut OutputContext<'_>,
    batch: &Batch<T>,
    num: usize,
) -> std::io::Result<()> {
    let time = out.time().to_datetime_string(out.time_zone());
    let w = out.console();
    writeln!(w, "{DASHES}\nTime: {time}\n{DASHES}")?;
    let mut records = batch.iter();
    for r in records.by_ref().take(num) {
        writeln!(w, "{r:?}")?;
    }
    if records.next().is_some() {
        writeln!(w, "...")?;
    }
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Time, TimeZone};

    fn printed<T: OutputRecord>(batch: &Batch<T>, num: usize, millis: i64) -> String {
        let mut text = Vec::new();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut out = OutputContext {
            runtime: runtime.handle(),
            pipeline: "test",
            time: Time::from_millis(millis),
            time_zone: TimeZone::Utc,
            console: &mut text,
        };
        run(&mut out, batch, num).unwrap();
        String::from_utf8(text).unwrap()
    }

    #[test]
    fn tv1_format() {
        let text = printed(&Batch::from(vec![2, 4, 6]), 10, 1000);
        assert_eq!(
            text,
            format!("{DASHES}\nTime: 1970-01-01 00:00:01\n{DASHES}\n2\n4\n6\n\n")
        );
    }

    #[test]
    fn tv1_truncation() {
        let abc = printed(&Batch::from(vec!["a", "b", "c"]), 2, 1000);
        assert!(abc.ends_with("\"a\"\n\"b\"\n...\n\n"), "{abc}");
        let ab = printed(&Batch::from(vec!["a", "b"]), 2, 1000);
        assert!(ab.ends_with("\"a\"\n\"b\"\n\n"), "{ab}");
    }

    #[test]
    fn tv2_empty_batch_prints_header_only() {
        let text = printed(&Batch::<i32>::empty(), 10, 2000);
        assert_eq!(
            text,
            format!("{DASHES}\nTime: 1970-01-01 00:00:02\n{DASHES}\n\n")
        );
    }

    #[test]
    fn num_zero_prints_ellipsis_if_any() {
        assert!(printed(&Batch::from(vec![1]), 0, 1000).ends_with(&format!("{DASHES}\n...\n\n")));
    }

    #[test]
    fn sub_second_times_show_microseconds() {
        assert!(
            printed(&Batch::<i32>::empty(), 1, 1500).contains("Time: 1970-01-01 00:00:01.500000\n")
        );
    }
}
