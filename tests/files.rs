//! `text_file_stream` on real files in a temporary directory, on the system clock with 50 ms
//! batches: files moved in arrive exactly once, files written in place are read as
//! documented, skipped files are counted once each, invalid UTF-8 follows its policy, and the
//! file list is the checkpoint position (a restarted pipeline reads no file twice and misses
//! none).
//!
//! Every wait polls for a condition with a deadline; no assertion depends on timing.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use streamdsl::inputs::TextFileStream;
use streamdsl::prelude::*;

mod common;
use common::{Metrics, peak_rss_kib, poll, poll_check, printed};
use streamdsl::{InvalidUtf8, Stopper};

/// Every line delivered, with its batch time.
type Seen = Arc<Mutex<Vec<(i64, String)>>>;

stream! {
    /// Records each line with its batch time.
    pipeline Lines(seen: Seen) {
        batch = 50ms;
        input lines: String;
        lines.foreach_rdd(|time, batch| {
            seen.lock().unwrap().extend(batch.iter().map(|l| (time.millis(), l.clone())));
        });
    }
}

stream! {
    /// The same, checkpointed every batch: the input's file list is its checkpoint position.
    pipeline CheckpointedLines(seen: Seen) {
        batch = 50ms;
        checkpoint every 50ms;
        input lines: String;
        lines.foreach_rdd(|time, batch| {
            seen.lock().unwrap().extend(batch.iter().map(|l| (time.millis(), l.clone())));
        });
    }
}

/// A test's directories: `input` watched by the stream, `staging` where files are written
/// before they are moved in (same file system, so `rename` is atomic), `checkpoint`.
struct Dirs {
    root: PathBuf,
    input: PathBuf,
    staging: PathBuf,
    checkpoint: PathBuf,
}

impl Dirs {
    fn new(name: &str) -> Dirs {
        let root =
            std::env::temp_dir().join(format!("streamdsl-files-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let dirs = Dirs {
            input: root.join("input"),
            staging: root.join("staging"),
            checkpoint: root.join("checkpoint"),
            root,
        };
        fs::create_dir_all(&dirs.input).unwrap();
        fs::create_dir_all(&dirs.staging).unwrap();
        dirs
    }

    /// Writes `contents` outside the directory, then moves the file in.
    fn move_in(&self, name: &str, contents: &[u8]) {
        self.stage(name, contents);
        self.publish(name);
    }

    /// Writes a file in the staging directory.
    fn stage(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.staging.join(name);
        fs::write(&path, contents).unwrap();
        path
    }

    /// Moves a staged file into the input directory.
    fn publish(&self, name: &str) {
        fs::rename(self.staging.join(name), self.input.join(name)).unwrap();
    }
}

impl Drop for Dirs {
    fn drop(&mut self) {
        // chmod 000 files must not keep the directory from being removed.
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// The lines of test file `name`: `<name>:<k>`.
fn file_lines(name: &str, n: usize) -> Vec<String> {
    (0..n).map(|k| format!("{name}:{k}")).collect()
}

fn contents(lines: &[String]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| format!("{l}\n").into_bytes())
        .collect()
}

fn lines(seen: &Seen) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|(_, l)| l.clone())
        .collect()
}

/// Waits until every line of `expected` was delivered at least once.
fn wait_lines(seen: &Seen, expected: &[String]) {
    wait_lines_of(&[seen], expected);
}

/// Waits until every line of `expected` was delivered at least once by one of `runs`.
fn wait_lines_of(runs: &[&Seen], expected: &[String]) {
    poll_check(|| {
        let got: std::collections::HashSet<String> = runs.iter().flat_map(|s| lines(s)).collect();
        let missing: Vec<&String> = expected.iter().filter(|l| !got.contains(*l)).collect();
        match missing.len() {
            0 => Ok(()),
            n => Err(format!("{n} lines, e.g. {:?}", &missing[..n.min(5)])),
        }
    });
}

/// How many times each line was delivered.
fn tally(lines: impl IntoIterator<Item = String>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for l in lines {
        *counts.entry(l).or_insert(0) += 1;
    }
    counts
}

/// A started pipeline with its metrics; stopped immediately when dropped.
struct Run {
    running: Option<Running>,
    metrics: Metrics,
    seen: Seen,
}

impl Run {
    fn start(input: TextFileStream) -> Run {
        let seen = Seen::default();
        let metrics = Metrics::default();
        let running = StreamingContext::new()
            .add_listener(metrics.clone())
            .start(Lines::new(Arc::clone(&seen)).lines(input))
            .unwrap();
        let run = Run {
            running: Some(running),
            metrics,
            seen,
        };
        run.wait_started();
        run
    }

    fn start_checkpointed(dirs: &Dirs) -> Run {
        let seen = Seen::default();
        let metrics = Metrics::default();
        let running = StreamingContext::new()
            .checkpoint_dir(&dirs.checkpoint)
            .add_listener(metrics.clone())
            .start(CheckpointedLines::new(Arc::clone(&seen)).lines(text_file_stream(&dirs.input)))
            .unwrap();
        let run = Run {
            running: Some(running),
            metrics,
            seen,
        };
        run.wait_started();
        run
    }

    /// Two batches ran: the stream's start (the threshold of "files present before") is then
    /// at least one interval in the past, beyond the file system's timestamp granularity.
    fn wait_started(&self) {
        self.metrics.wait_batches(2);
    }

    fn stop(mut self, mode: StopMode) {
        let running = self.running.take().unwrap();
        let stopper: Stopper = running.stopper();
        stopper.stop(mode);
        poll("the pipeline to stop", || {
            running
                .await_termination_or_timeout(Duration::from_millis(10))
                .unwrap()
        });
        running.stop(mode).unwrap();
    }
}

#[test]
fn files_moved_in_across_several_batches_arrive_exactly_once() {
    let dirs = Dirs::new("moved");
    let run = Run::start(text_file_stream(&dirs.input));
    let mut expected = Vec::new();
    // One file, then three at once, then six with a batch between each pair.
    let rounds: [&[&str]; 3] = [
        &["f00"],
        &["f01", "f02", "f03"],
        &["f04", "f05", "f06", "f07", "f08", "f09"],
    ];
    for (round, names) in rounds.iter().enumerate() {
        for (k, name) in names.iter().enumerate() {
            let lines = file_lines(name, 3 + k);
            dirs.move_in(name, &contents(&lines));
            expected.extend(lines);
            if round == 2 && k % 2 == 1 {
                run.metrics.wait_batches(1);
            }
        }
        wait_lines(&run.seen, &expected);
    }
    // A file with `\r\n` line ends and a last line without one.
    dirs.move_in("f10", b"crlf:0\r\ncrlf:1\r\nno end");
    expected.extend(["crlf:0", "crlf:1", "no end"].map(String::from));
    wait_lines(&run.seen, &expected);
    // Nothing is read again in later batches.
    run.metrics.wait_batches(5);

    let seen = run.seen.lock().unwrap().clone();
    let got = tally(seen.iter().map(|(_, l)| l.clone()));
    let want = tally(expected.iter().cloned());
    assert_eq!(got, want, "every line of every file exactly once");
    // A file is read whole, in one batch, its lines in order.
    for name in (0..=9).map(|k| format!("f{k:02}")) {
        let of_file: Vec<&(i64, String)> = seen
            .iter()
            .filter(|(_, l)| l.starts_with(&format!("{name}:")))
            .collect();
        assert!(
            of_file.windows(2).all(|w| w[0].0 == w[1].0),
            "{name} is read in one batch: {of_file:?}"
        );
        let in_order: Vec<&String> = of_file.iter().map(|(_, l)| l).collect();
        assert_eq!(
            in_order,
            file_lines(&name, in_order.len()).iter().collect::<Vec<_>>()
        );
    }
    let batch_times: std::collections::BTreeSet<i64> = seen.iter().map(|(t, _)| *t).collect();
    println!(
        "{} lines of 11 files in {} batches; counters {:?}",
        seen.len(),
        batch_times.len(),
        run.metrics.counters()
    );
    assert_eq!(run.metrics.counter("files_read"), 11);
    let skipped: u64 = run
        .metrics
        .counters()
        .iter()
        .filter(|(name, _)| **name != "files_read")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(skipped, 0, "nothing skipped: {:?}", run.metrics.counters());
    run.stop(StopMode::Immediately);
}

/// Documented: "a file written in place may be read while half written, and is not read
/// again when it grows (as in Spark)".
#[test]
fn a_file_written_in_place_is_read_at_most_once_and_not_again_when_it_grows() {
    let dirs = Dirs::new("in-place");
    let run = Run::start(text_file_stream(&dirs.input));
    let path = dirs.input.join("growing.txt");
    let first = file_lines("first", 50);
    fs::write(&path, contents(&first)).unwrap();
    // Read (maybe half written), or seen empty (created, not yet written): either way done.
    poll("the file to be read or skipped as empty", || {
        run.metrics.counter("files_read") + run.metrics.counter("files_skipped_empty") >= 1
    });
    let mut appended = fs::OpenOptions::new().append(true).open(&path).unwrap();
    std::io::Write::write_all(&mut appended, &contents(&file_lines("later", 50))).unwrap();
    drop(appended);
    // Its modification time is now newer than any batch so far: wait for batches past it.
    run.metrics.wait_batches(5);

    let got = lines(&run.seen);
    let read = run.metrics.counter("files_read");
    let empty = run.metrics.counter("files_skipped_empty");
    println!(
        "file written in place: read {read}, skipped as empty {empty}, {} lines delivered",
        got.len()
    );
    assert_eq!(
        read + empty,
        1,
        "the file is taken once: {:?}",
        run.metrics.counters()
    );
    assert!(
        got.iter().all(|l| !l.starts_with("later:")),
        "appended lines are not read: {got:?}"
    );
    // What was read is the start of the first contents (the last line possibly cut short).
    let text = got.join("\n");
    assert!(
        String::from_utf8(contents(&first))
            .unwrap()
            .starts_with(&text),
        "delivered lines are a prefix of what was written: {got:?}"
    );
    if read == 1 {
        // Written by a single `write` before its first batch listed it: read whole.
        assert!(
            !got.is_empty(),
            "a file counted as read delivered its lines"
        );
    }
    run.stop(StopMode::Immediately);
}

/// Whether file permissions apply to this process (not so for root).
fn permissions_apply(dirs: &Dirs) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let probe = dirs.stage("probe", b"x");
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o000)).unwrap();
    let denied = fs::read(&probe).is_err();
    fs::remove_file(&probe).unwrap();
    denied
}

#[test]
fn hidden_directories_old_empty_and_unreadable_files_are_skipped_and_counted_once() {
    use std::os::unix::fs::PermissionsExt;
    let dirs = Dirs::new("skipped");
    // Present before the stream starts: old.
    fs::write(dirs.input.join("before.txt"), b"before\n").unwrap();
    let locked = permissions_apply(&dirs);
    let run = Run::start(text_file_stream(&dirs.input));

    dirs.move_in(".hidden", b"hidden\n");
    dirs.move_in("_partial", b"partial\n");
    fs::create_dir(dirs.input.join("sub")).unwrap();
    fs::write(dirs.input.join("sub/inner.txt"), b"inner\n").unwrap();
    let old = dirs.stage("old.txt", b"old\n");
    fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    dirs.publish("old.txt");
    dirs.move_in("empty.txt", b"");
    // Unreadable even for root: a symbolic link to a file that is gone.
    std::os::unix::fs::symlink(dirs.root.join("vanished"), dirs.input.join("dangling")).unwrap();
    if locked {
        let path = dirs.stage("locked.txt", b"locked\n");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
        dirs.publish("locked.txt");
    }
    dirs.move_in("good.txt", b"good:0\ngood:1\n");

    let unreadable = if locked { 2 } else { 1 };
    let expected: BTreeMap<&str, u64> = [
        ("files_read", 1),
        ("files_skipped_directory", 1),
        ("files_skipped_empty", 1),
        ("files_skipped_hidden", 2),
        ("files_skipped_old", 2),
        ("files_unreadable", unreadable),
        ("invalid_utf8_lines", 0),
    ]
    .into();
    poll_check(|| {
        let counters = run.metrics.counters();
        if counters == expected {
            Ok(())
        } else {
            Err(format!("the counters {expected:?}; now {counters:?}"))
        }
    });
    // Later batches list them all again: each is counted once, none is read.
    run.metrics.wait_batches(5);
    println!(
        "permissions apply: {locked}; counters {:?}",
        run.metrics.counters()
    );
    assert_eq!(
        run.metrics.counters(),
        expected,
        "each skipped file counted once"
    );
    assert_eq!(lines(&run.seen), ["good:0", "good:1"]);
    run.stop(StopMode::Immediately);
}

#[test]
fn invalid_utf8_in_files_is_replaced_or_skipped_as_configured() {
    let payload: &[u8] = b"ok:0\nbad \xff\xfe here\nok:1\n";
    let lossy_dirs = Dirs::new("utf8-lossy");
    let skip_dirs = Dirs::new("utf8-skip");
    let lossy = Run::start(text_file_stream(&lossy_dirs.input));
    let skip = Run::start(text_file_stream(&skip_dirs.input).invalid_utf8(InvalidUtf8::Skip));
    lossy_dirs.move_in("data.txt", payload);
    skip_dirs.move_in("data.txt", payload);
    for run in [&lossy, &skip] {
        poll("the file to be read", || {
            run.metrics.counter("files_read") == 1
        });
        run.metrics.wait_batches(2);
        assert_eq!(run.metrics.counter("invalid_utf8_lines"), 1);
    }
    assert_eq!(
        lines(&lossy.seen),
        ["ok:0", "bad \u{fffd}\u{fffd} here", "ok:1"]
    );
    assert_eq!(lines(&skip.seen), ["ok:0", "ok:1"]);
    lossy.stop(StopMode::Immediately);
    skip.stop(StopMode::Immediately);
}

/// `InvalidUtf8::Fail` "skips the whole file": the file is reported once as unreadable, and
/// its one invalid line is counted once.
#[test]
fn invalid_utf8_with_fail_skips_the_whole_file_once() {
    let dirs = Dirs::new("utf8-fail");
    let run = Run::start(text_file_stream(&dirs.input).invalid_utf8(InvalidUtf8::Fail));
    dirs.move_in("data.txt", b"ok:0\nbad \xff\nok:1\n");
    poll("the file to be reported unreadable", || {
        run.metrics.counter("files_unreadable") == 1
    });
    run.metrics.wait_batches(5);
    println!("counters {:?}", run.metrics.counters());
    assert!(lines(&run.seen).is_empty(), "no line of the file is read");
    assert_eq!(run.metrics.counter("files_unreadable"), 1);
    assert_eq!(run.metrics.counter("files_read"), 0);
    assert_eq!(
        run.metrics.counter("invalid_utf8_lines"),
        1,
        "the file's one invalid line is counted once"
    );
    run.stop(StopMode::Immediately);
}

/// A batch reads at most `max_batch_bytes` of files; the rest of a file waits for the next
/// batch, and every line arrives once, in order.
#[test]
fn a_batch_reads_a_bounded_number_of_bytes_and_the_rest_waits() {
    let dirs = Dirs::new("batch-bytes");
    let run = Run::start(text_file_stream(&dirs.input).max_batch_bytes(1000));
    let expected = file_lines("big", 1000); // 7.9 kB: at least eight batches
    dirs.move_in("big.txt", &contents(&expected));
    wait_lines(&run.seen, &expected);
    let bytes_per_batch = {
        let seen = run.seen.lock().unwrap();
        let mut bytes: BTreeMap<i64, usize> = BTreeMap::new();
        for (time, line) in seen.iter() {
            *bytes.entry(*time).or_default() += line.len() + 1;
        }
        bytes
    };
    assert!(bytes_per_batch.len() >= 8, "{bytes_per_batch:?}");
    // A batch stops after the line that reaches the bound.
    assert!(
        bytes_per_batch.values().all(|&b| b < 1000 + 10),
        "{bytes_per_batch:?}"
    );
    assert_eq!(lines(&run.seen), expected, "in order, each once");
    assert_eq!(run.metrics.counter("files_read"), 1);
    run.stop(StopMode::Immediately);
}

/// Long lines in files are cut (or dropped) as on sockets, with the same counters.
#[test]
fn long_lines_in_files_are_cut_or_dropped() {
    let cut_dirs = Dirs::new("long-cut");
    let drop_dirs = Dirs::new("long-drop");
    let cut = Run::start(text_file_stream(&cut_dirs.input).max_line_bytes(8));
    let dropped = Run::start(
        text_file_stream(&drop_dirs.input)
            .max_line_bytes(8)
            .long_lines(streamdsl::LongLines::Drop),
    );
    let payload = format!(
        "short\n{}\nexactly8\r\nlast-without-end-is-long",
        "y".repeat(100_000)
    );
    cut_dirs.move_in("data.txt", payload.as_bytes());
    drop_dirs.move_in("data.txt", payload.as_bytes());
    wait_lines(
        &cut.seen,
        &["short", "yyyyyyyy", "exactly8", "last-wit"].map(String::from),
    );
    wait_lines(&dropped.seen, &["short", "exactly8"].map(String::from));
    poll("the counters", || {
        cut.metrics.counter("lines_cut") == 2 && dropped.metrics.counter("lines_dropped") == 2
    });
    cut.stop(StopMode::Immediately);
    dropped.stop(StopMode::Immediately);
}

/// Two names that differ only in bytes that are not UTF-8 are two files (their lossy
/// forms are equal).
#[test]
fn names_that_are_not_utf8_do_not_collide() {
    use std::os::unix::ffi::OsStrExt;
    let dirs = Dirs::new("names");
    let run = Run::start(text_file_stream(&dirs.input));
    for (byte, line) in [(0xffu8, "from ff"), (0xfe, "from fe")] {
        let bytes = [b'f', byte, b'.', b't', b'x', b't'];
        let name = std::ffi::OsStr::from_bytes(&bytes);
        let staged = dirs.staging.join(name);
        fs::write(&staged, format!("{line}\n")).unwrap();
        fs::rename(&staged, dirs.input.join(name)).unwrap();
    }
    poll("both files", || run.metrics.counter("files_read") == 2);
    let mut got = lines(&run.seen);
    got.sort();
    assert_eq!(got, ["from fe", "from ff"]);
    run.stop(StopMode::Immediately);
}

#[test]
fn include_existing_reads_the_files_already_there() {
    let dirs = Dirs::new("existing");
    fs::write(dirs.input.join("there.txt"), b"there:0\n").unwrap();
    let run = Run::start(text_file_stream(&dirs.input).include_existing(true));
    wait_lines(&run.seen, &["there:0".to_owned()]);
    dirs.move_in("new.txt", b"new:0\n");
    wait_lines(&run.seen, &["new:0".to_owned()]);
    run.metrics.wait_batches(3);
    assert_eq!(lines(&run.seen), ["there:0", "new:0"]);
    run.stop(StopMode::Immediately);
}

/// "The file list is the input's checkpoint position: after a crash no file is read twice or
/// missed." Three runs on one checkpoint directory, stopped gracefully then immediately, with
/// files moved in while each runs and while it is down.
#[test]
fn a_pipeline_restarted_on_its_checkpoint_reads_every_file_exactly_once() {
    let dirs = Dirs::new("restart");
    let mut expected = Vec::new();
    let mut delivered = Vec::new();
    let add = |name: &str, expected: &mut Vec<String>| {
        let lines = file_lines(name, 4);
        dirs.move_in(name, &contents(&lines));
        expected.extend(lines.clone());
        lines
    };

    // Run 1: files in two rounds, then a graceful stop.
    let run = Run::start_checkpointed(&dirs);
    for name in ["a0", "a1"] {
        add(name, &mut expected);
    }
    wait_lines(&run.seen, &expected);
    for name in ["a2", "a3", "a4"] {
        add(name, &mut expected);
    }
    wait_lines(&run.seen, &expected);
    // Written while run 1 runs, moved in after it stopped.
    dirs.stage("c0", &contents(&file_lines("c0", 4)));
    run.metrics.wait_batches(1);
    let first = lines(&run.seen);
    run.stop(StopMode::Gracefully);
    delivered.push(first);

    // Down: more files.
    dirs.publish("c0");
    expected.extend(file_lines("c0", 4));
    for name in ["b0", "b1", "b2"] {
        add(name, &mut expected);
    }

    // Run 2: reads what arrived while it was down, then more; stopped immediately.
    let run = Run::start_checkpointed(&dirs);
    wait_lines(&run.seen, &expected[expected.len() - 16..]);
    for name in ["d0", "d1"] {
        add(name, &mut expected);
    }
    wait_lines(&run.seen, &expected[expected.len() - 8..]);
    run.metrics.wait_batches(2);
    let second = lines(&run.seen);
    run.stop(StopMode::Immediately);
    delivered.push(second);

    // Down again.
    for name in ["e0", "e1"] {
        add(name, &mut expected);
    }

    // Run 3.
    let run = Run::start_checkpointed(&dirs);
    wait_lines(&run.seen, &expected[expected.len() - 8..]);
    run.metrics.wait_batches(5);
    let third = lines(&run.seen);
    run.stop(StopMode::Immediately);
    delivered.push(third);

    for (k, run) in delivered.iter().enumerate() {
        let files: std::collections::BTreeSet<&str> =
            run.iter().map(|l| l.split(':').next().unwrap()).collect();
        println!("run {}: {} lines of files {files:?}", k + 1, run.len());
    }
    let got = tally(delivered.into_iter().flatten());
    assert_eq!(
        got,
        tally(expected),
        "across the three runs every file's lines exactly once"
    );
}

/// A restarted stream goes on as the one that was stopped: files present before its first
/// start stay ignored (without `include_existing`).
#[test]
fn files_present_before_the_first_start_stay_ignored_after_a_restart() {
    let dirs = Dirs::new("restart-existing");
    fs::write(dirs.input.join("before.txt"), b"before:0\n").unwrap();
    let run = Run::start_checkpointed(&dirs);
    dirs.move_in("a.txt", b"a:0\n");
    wait_lines(&run.seen, &["a:0".to_owned()]);
    assert_eq!(run.metrics.counter("files_skipped_old"), 1);
    let first = lines(&run.seen);
    run.stop(StopMode::Gracefully);

    let run = Run::start_checkpointed(&dirs);
    dirs.move_in("b.txt", b"b:0\n");
    wait_lines(&run.seen, &["b:0".to_owned()]);
    run.metrics.wait_batches(3);
    let second = lines(&run.seen);
    run.stop(StopMode::Immediately);
    println!("run 1: {first:?}; run 2: {second:?}");
    assert_eq!(first, ["a:0"]);
    assert_eq!(
        second,
        ["b:0"],
        "before.txt was there before the stream started: never read"
    );
}

stream! {
    /// The crash test's child: prints each line with its batch time, slowly, so that a kill
    /// lands inside a batch; checkpointed every batch.
    pipeline PrintedLines {
        batch = 50ms;
        checkpoint every 50ms;
        input lines: String;
        lines.foreach_rdd(|time, batch| {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(out, "BATCH\t{}", time.millis()).unwrap();
            for line in batch.iter() {
                writeln!(out, "LINE\t{}\t{line}", time.millis()).unwrap();
                out.flush().unwrap();
                std::thread::sleep(Duration::from_millis(2));
            }
            out.flush().unwrap();
        });
    }
}

/// Run by [`a_pipeline_killed_and_restarted_reads_no_file_twice_and_misses_none`] as a child
/// process (this test binary, with `STREAMDSL_FILES_CHILD` set); does nothing otherwise.
#[test]
fn crash_child() {
    let Ok(root) = std::env::var("STREAMDSL_FILES_CHILD") else {
        return;
    };
    let root = PathBuf::from(root);
    let running = StreamingContext::new()
        .checkpoint_dir(root.join("checkpoint"))
        .start(PrintedLines::new().lines(text_file_stream(root.join("input"))))
        .unwrap();
    // Killed by the parent long before; the bound only keeps an orphan from running on.
    let _ = running.await_termination_or_timeout(Duration::from_secs(60));
    std::process::exit(0);
}

/// A child process and what it printed: batch times, and `(batch time, line)` per line.
struct Child {
    process: std::process::Child,
    batches: Arc<Mutex<Vec<i64>>>,
    lines: Seen,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Child {
    fn spawn(dirs: &Dirs) -> Child {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let mut process = Command::new(std::env::current_exe().unwrap())
            .args([
                "crash_child",
                "--exact",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("STREAMDSL_FILES_CHILD", &dirs.root)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = process.stdout.take().unwrap();
        let batches = Arc::new(Mutex::new(Vec::new()));
        let lines = Seen::default();
        let reader = std::thread::spawn({
            let (batches, lines) = (Arc::clone(&batches), Arc::clone(&lines));
            move || {
                for line in std::io::BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    // libtest's "test crash_child ... " has no newline before the first.
                    if let Some((_, rest)) = line.split_once("LINE\t") {
                        let (time, text) = rest.split_once('\t').unwrap();
                        lines
                            .lock()
                            .unwrap()
                            .push((time.parse().unwrap(), text.to_owned()));
                    } else if let Some((_, time)) = line.split_once("BATCH\t") {
                        batches.lock().unwrap().push(time.parse().unwrap());
                    }
                }
            }
        });
        Child {
            process,
            batches,
            lines,
            reader: Some(reader),
        }
    }

    fn wait_batches(&self, n: usize) {
        let target = self.batches.lock().unwrap().len() + n;
        poll(&format!("{n} more batches of the child"), || {
            self.batches.lock().unwrap().len() >= target
        });
    }

    /// SIGKILL; returns what it printed.
    fn kill(mut self) -> Vec<(i64, String)> {
        self.process.kill().unwrap();
        self.process.wait().unwrap();
        self.reader.take().unwrap().join().unwrap();
        self.lines.lock().unwrap().clone()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// "After a crash no file is read twice or missed": a pipeline killed (SIGKILL) inside a batch
/// and restarted on its checkpoint delivers every line of every file, and a line delivered by
/// both runs is one of the batch that was cut short and recomputed (same batch time), never a
/// file read again by a later batch.
#[test]
fn a_pipeline_killed_and_restarted_reads_no_file_twice_and_misses_none() {
    let dirs = Dirs::new("crash");
    let mut expected = Vec::new();
    let child = Child::spawn(&dirs);
    child.wait_batches(2);
    for k in 0..5 {
        let name = format!("f{k}");
        let lines = file_lines(&name, 20);
        dirs.move_in(&name, &contents(&lines));
        expected.extend(lines);
        child.wait_batches(1);
    }
    // Killed in the middle of the third file's batch (each line takes 2 ms to print).
    poll("the child to print 50 lines", || {
        child.lines.lock().unwrap().len() >= 50
    });
    let first = child.kill();
    for k in 5..8 {
        let name = format!("f{k}");
        let lines = file_lines(&name, 20);
        dirs.move_in(&name, &contents(&lines));
        expected.extend(lines);
    }
    let child = Child::spawn(&dirs);
    let first_lines: Seen = Arc::new(Mutex::new(first.clone()));
    wait_lines_of(&[&first_lines, &child.lines], &expected);
    child.wait_batches(5);
    let second = child.kill();

    let mut times: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (time, line) in first.iter().chain(&second) {
        times.entry(line).or_default().push(*time);
    }
    let again: Vec<(&str, &Vec<i64>)> = times
        .iter()
        .filter(|(_, t)| t.len() > 1)
        .map(|(l, t)| (*l, t))
        .collect();
    println!(
        "killed after {} lines; the restarted run printed {}; {} lines printed by both runs",
        first.len(),
        second.len(),
        again.len()
    );
    let missing: Vec<&String> = expected
        .iter()
        .filter(|l| !times.contains_key(l.as_str()))
        .collect();
    assert!(missing.is_empty(), "lines never delivered: {missing:?}");
    assert_eq!(times.len(), expected.len(), "no line that no file had");
    for (line, t) in &again {
        assert!(
            t.len() == 2 && t[0] == t[1],
            "{line} delivered again only by the recomputed batch, at the same time: {t:?}"
        );
    }
}

/// Run by [`a_one_gib_single_line_file_is_read_with_bounded_memory`] as a child process
/// (`STREAMDSL_FILES_BIG_CHILD` set to the directory): reads the directory's existing file,
/// then prints the line lengths it delivered and its peak memory.
#[test]
fn big_file_child() {
    let Ok(dir) = std::env::var("STREAMDSL_FILES_BIG_CHILD") else {
        return;
    };
    let seen = Seen::default();
    let metrics = Metrics::default();
    let running = StreamingContext::new()
        .add_listener(metrics.clone())
        .start(Lines::new(Arc::clone(&seen)).lines(text_file_stream(&dir).include_existing(true)))
        .unwrap();
    poll("the file to be read", || metrics.counter("files_read") == 1);
    running.stop(StopMode::Immediately).unwrap();
    let lengths: Vec<usize> = seen.lock().unwrap().iter().map(|(_, l)| l.len()).collect();
    println!("LENGTHS\t{lengths:?}");
    println!("CUT\t{}", metrics.counter("lines_cut"));
    println!("PEAK_RSS_KIB\t{}", peak_rss_kib());
}

/// A 1 GiB file of one line (sparse: NUL bytes, valid UTF-8) is streamed and its line cut at
/// 1 MiB: the child's peak memory stays far below the file (reading it whole peaked at
/// 2 GB).
#[test]
fn a_one_gib_single_line_file_is_read_with_bounded_memory() {
    let dirs = Dirs::new("one-gib");
    let file = fs::File::create(dirs.input.join("huge.txt")).unwrap();
    file.set_len(1 << 30).unwrap();
    drop(file);
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "big_file_child",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("STREAMDSL_FILES_BIG_CHILD", &dirs.input)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let field = |name: &str| printed(&stdout, name);
    let peak_kib: u64 = field("PEAK_RSS_KIB").parse().unwrap();
    println!(
        "lines {}, cut {}, peak RSS {} MB",
        field("LENGTHS"),
        field("CUT"),
        peak_kib >> 10
    );
    assert_eq!(
        field("LENGTHS"),
        format!("[{}]", 1 << 20),
        "one line, cut at 1 MiB"
    );
    assert_eq!(field("CUT"), "1");
    assert!(peak_kib < 200 << 10, "peak RSS {} MB", peak_kib >> 10);
    fs::remove_dir_all(&dirs.root).unwrap();
}

/// The offset of a file read in part is the input's position: a stream restored from it
/// goes on at the next line, so across a restart every line is read once.
#[test]
fn a_file_read_in_part_resumes_at_its_next_line_after_a_restore() {
    use streamdsl::InputStream;
    let dirs = Dirs::new("resume-part");
    let expected = file_lines("part", 10);
    dirs.move_in("part.txt", &contents(&expected));
    let stream = || {
        text_file_stream(&dirs.input)
            .include_existing(true)
            .remember(Duration::from_secs(3600))
            .max_batch_bytes(20)
    };
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        + 1000;
    let mut first = stream();
    let batch: Vec<String> = first
        .next_batch(Time::from_millis(now))
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(
        batch,
        expected[..3],
        "20 bytes: the line that reaches them ends the batch"
    );
    let position = InputStream::<String>::position(&mut first).unwrap();
    drop(first);
    let mut restored = stream();
    InputStream::<String>::restore(&mut restored, &position).unwrap();
    let mut rest = Vec::new();
    for k in 1..10 {
        rest.extend(
            InputStream::<String>::next_batch(&mut restored, Time::from_millis(now + k)).unwrap(),
        );
    }
    assert_eq!(rest, expected[3..]);
    fs::remove_dir_all(&dirs.root).unwrap();
}
