//! The live monitoring page in a real browser against a real pipeline: a stateful word count
//! on the system clock serves its page on `metrics_addr("127.0.0.1:0")`, headless Chromium
//! loads `/` and lets the page's own JavaScript poll `/api/status` and draw, and the DOM it ends
//! with has all four timelines drawn and a batch table whose rows are batches the pipeline
//! really completed (as a listener of the run saw them). A screenshot is left in
//! `target/test-artifacts/live-page.png` for a person to look at.
//!
//! Needs `/usr/bin/chromium` (`scripts/ensure-chromium.sh` installs it): without it the test
//! prints why it skipped, or fails when `STREAMDSL_REQUIRE_BROWSER=1`.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use streamdsl::prelude::*;

const CHROMIUM: &str = "/usr/bin/chromium";

/// Headless Chromium as root on a machine without a display, GPU, D-Bus or network: no
/// sandbox (it refuses to run as root with one), and none of the background fetches that
/// would wait on a network that is not there.
const HEADLESS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Without it `--dump-dom` and `--screenshot` take the page at load, before its first fetch
/// has answered. With it the page's timers run in virtual time, which does not advance while
/// a fetch is pending: the page fetches, draws and polls again about three times, however slow
/// the machine.
const LET_THE_PAGE_POLL: &str = "--virtual-time-budget=3000";

/// A browser that hangs must fail the test, not stall the suite.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the test waits for the pipeline.
const DEADLINE: Duration = Duration::from_secs(20);

const PLOTS: [&str; 4] = [
    "input-rate",
    "scheduling-delay",
    "processing-time",
    "total-delay",
];

stream! {
    /// Words counted per batch and in total (kept as state, so the page has a stateful
    /// operator and checkpoints to show).
    pipeline LiveWordCount {
        batch = 100ms;
        checkpoint every 500ms;
        input lines: String;
        let pairs: (String, u64) = lines
            .flat_map(|line| line.split(' ').map(str::to_owned).collect::<Vec<_>>())
            .map(|word| (word, 1u64));
        pairs.reduce_by_key(|a, b| a + b).foreach_rdd(|_| ());
        let totals: (String, u64) = pairs.update_state_by_key(|new: Vec<u64>, old: Option<u64>| {
            Some(old.unwrap_or(0) + new.iter().sum::<u64>())
        });
        totals.foreach_rdd(|_| ());
    }
}

/// The batch times the pipeline reported as completed.
#[derive(Clone, Default)]
struct CompletedBatches(Arc<Mutex<Vec<i64>>>);

impl StreamingListener for CompletedBatches {
    fn on_batch_completed(&mut self, info: &BatchInfo) {
        self.0.lock().unwrap().push(info.batch_time.millis());
    }
}

impl CompletedBatches {
    fn times(&self) -> Vec<i64> {
        self.0.lock().unwrap().clone()
    }
}

/// About 3 s of 100 ms batches; the pipeline goes on with empty batches after them.
fn lines() -> Vec<Vec<String>> {
    (0..30)
        .map(|b| {
            (0..20 + b % 7)
                .map(|n| format!("the quick fox {} jumps {}", n % 5, b % 3))
                .collect()
        })
        .collect()
}

#[test]
fn the_live_page_draws_the_batches_the_pipeline_completed() {
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var("STREAMDSL_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "{CHROMIUM} is missing but STREAMDSL_REQUIRE_BROWSER=1: run scripts/ensure-chromium.sh"
        );
        eprintln!("skipped: {CHROMIUM} is missing (scripts/ensure-chromium.sh installs it)");
        return;
    }
    let checkpoints = TempDir::new("checkpoints");
    let completed = CompletedBatches::default();
    let running = StreamingContext::new()
        .metrics_addr("127.0.0.1:0")
        .checkpoint_dir(&checkpoints.0)
        .add_listener(completed.clone())
        .start(LiveWordCount::new().lines(queue_stream(lines())))
        .expect("the pipeline starts");
    let addr = running
        .metrics_addr()
        .expect("metrics_addr was set, so the page is served");
    let started = Instant::now();
    while completed.times().len() < 8 {
        assert!(
            started.elapsed() < DEADLINE,
            "8 batches did not complete within {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    let url = format!("http://{addr}/");
    let dom = chromium(&[LET_THE_PAGE_POLL, "--dump-dom"], &url);
    let screenshot = target_dir().join("test-artifacts/live-page.png");
    std::fs::create_dir_all(screenshot.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&screenshot);
    chromium(
        &[
            LET_THE_PAGE_POLL,
            "--window-size=1400,2200",
            &format!("--screenshot={}", screenshot.display()),
        ],
        &url,
    );
    // Read after the browser is done: the page may show a batch that completed while it ran.
    let seen: BTreeSet<i64> = completed.times().into_iter().collect();
    running.stop(StopMode::Immediately).unwrap();

    let connection = tag_with_id(&dom, "conn").expect("the page has its connection indicator");
    assert_eq!(
        attribute(connection, "data-state"),
        Some("live"),
        "the page's last poll reached the server: {connection}"
    );
    for plot in PLOTS {
        let id = format!("plot-{plot}");
        let points: usize = tag_with_id(&dom, &id)
            .and_then(|tag| attribute(tag, "data-points"))
            .unwrap_or_else(|| panic!("no #{id} with data-points in the page"))
            .parse()
            .unwrap();
        assert!(points > 0, "#{id} drew no point");
        let id = format!("hist-{plot}");
        let bars: usize = tag_with_id(&dom, &id)
            .and_then(|tag| attribute(tag, "data-bars"))
            .unwrap_or_else(|| panic!("no #{id} with data-bars in the page"))
            .parse()
            .unwrap();
        assert!(bars > 0, "#{id} drew no bar");
    }
    let rows: Vec<i64> = attribute_values(&dom, "data-batch-time")
        .into_iter()
        .map(|t| t.parse().expect("data-batch-time is a number"))
        .collect();
    assert!(
        rows.len() >= 5,
        "the batch table shows {} rows; the pipeline had completed {} batches",
        rows.len(),
        seen.len()
    );
    for time in &rows {
        assert!(
            seen.contains(time),
            "the page shows batch {time}, which the pipeline never reported; it reported {seen:?}"
        );
    }
    let png = std::fs::read(&screenshot).expect("chromium wrote the screenshot");
    assert!(
        png.starts_with(b"\x89PNG"),
        "{} is a PNG",
        screenshot.display()
    );
}

/// Runs headless Chromium on `url` in a fresh profile and returns what it printed (the DOM,
/// for `--dump-dom`); kills it after [`BROWSER_TIMEOUT`].
fn chromium(args: &[&str], url: &str) -> String {
    use std::os::unix::process::CommandExt;
    let work = TempDir::new("chromium");
    let (stdout, stderr) = (work.0.join("stdout"), work.0.join("stderr"));
    // Files, not pipes: Chromium's helper processes inherit them, and a pipe held open by one
    // that lingers would block the reader.
    let mut child = Command::new(CHROMIUM)
        .args(HEADLESS)
        .arg(format!(
            "--user-data-dir={}",
            work.0.join("profile").display()
        ))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(File::create(&stdout).unwrap())
        .stderr(File::create(&stderr).unwrap())
        // Its own process group, so that a timeout kills the helper processes too.
        .process_group(0)
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > BROWSER_TIMEOUT {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Also after a normal exit: no helper of this browser outlives it.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
    let printed = std::fs::read_to_string(&stdout).unwrap_or_default();
    let log = std::fs::read_to_string(&stderr).unwrap_or_default();
    let tail: String = log.lines().rev().take(20).collect::<Vec<_>>().join("\n");
    match status {
        None => panic!(
            "chromium {args:?} {url} ran over {BROWSER_TIMEOUT:?}; its last log lines, newest first:\n{tail}"
        ),
        Some(status) if !status.success() => panic!(
            "chromium {args:?} {url} failed ({status}); its last log lines, newest first:\n{tail}"
        ),
        Some(_) => printed,
    }
}

/// The opening tag of the element with `id="<id>"`, e.g. `<svg id="plot-total-delay" ...>`.
fn tag_with_id<'a>(dom: &'a str, id: &str) -> Option<&'a str> {
    let at = dom.find(&format!(" id=\"{id}\""))?;
    let start = dom[..at].rfind('<')?;
    let end = at + dom[at..].find('>')?;
    Some(&dom[start..=end])
}

/// The value of `name="..."` in one tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    attribute_values(tag, name).into_iter().next()
}

/// Every value of `name="..."` in the document, in order. The DOM Chromium prints escapes `"`
/// inside values, so a value ends at the next `"`.
fn attribute_values<'a>(dom: &'a str, name: &str) -> Vec<&'a str> {
    let pattern = format!(" {name}=\"");
    dom.match_indices(&pattern)
        .filter_map(|(at, _)| {
            let value = &dom[at + pattern.len()..];
            value.find('"').map(|end| &value[..end])
        })
        .collect()
}

/// Cargo's target directory, where test artifacts are kept.
fn target_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| manifest.join(dir))
        .unwrap_or_else(|| manifest.join("target"))
}

/// A directory of this test's own under the system temp dir: removed first, and when dropped
/// (also when an assertion fails).
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("streamdsl-live-page-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
