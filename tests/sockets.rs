//! `socket_text_stream` against real TCP servers on 127.0.0.1 (port 0), on the system clock
//! with 50 ms batches: a server that closes and comes back is reconnected to without losing a
//! line, line ends, long lines and invalid UTF-8 follow their settings, a client faster than
//! the pipeline is slowed down (backpressure), and with the write-ahead log a pipeline killed
//! with SIGKILL and restarted outputs every line the server sent before the kill.
//!
//! Every wait polls for a condition with a deadline; no assertion depends on timing.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use streamdsl::inputs::{ReceiverStream, SocketText};
use streamdsl::prelude::*;

mod common;
use common::{DEADLINE, Metrics, peak_rss_kib, poll, poll_check, printed};
use streamdsl::{InvalidUtf8, LongLines};

/// Every line delivered.
type Seen = Arc<Mutex<Vec<String>>>;

stream! {
    /// Records each line.
    pipeline Lines(seen: Seen) {
        batch = 50ms;
        input lines: String;
        lines.foreach_rdd(|batch| {
            seen.lock().unwrap().extend(batch.iter().cloned());
        });
    }
}

/// What the socket tests wait for besides batches.
trait Restarts {
    fn batches_after_restarts(&self, n: u64) -> usize;
    fn wait_restarts(&self, n: u64);
    fn counters_but_restarts(&self) -> BTreeMap<&'static str, u64>;
}

impl Restarts for Metrics {
    /// Every counter of the input `lines` as of the last batch, but `receiver_restarts`
    /// (which keeps growing while the server is away).
    fn counters_but_restarts(&self) -> BTreeMap<&'static str, u64> {
        let mut counters = self.counters();
        counters.remove("receiver_restarts");
        counters
    }

    /// Batches completed whose counters show at least `n` receiver restarts.
    fn batches_after_restarts(&self, n: u64) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|info| info.counter("lines", "receiver_restarts") >= n)
            .count()
    }

    /// Waits until the receiver has seen `n` ends of connection (or refusals) and a batch
    /// started after that: everything received before is then delivered (a receiver hands
    /// its last records over before it counts its restart, and a batch takes all it was
    /// handed).
    fn wait_restarts(&self, n: u64) {
        poll(
            &format!("{n} receiver restarts and a batch after them"),
            || self.batches_after_restarts(n) >= 2,
        );
    }
}

/// Accepts one connection, waiting at most [`DEADLINE`].
fn accept(listener: &TcpListener) -> TcpStream {
    listener.set_nonblocking(true).unwrap();
    let mut accepted = None;
    poll_check(|| match listener.accept() {
        Ok((conn, _)) => {
            accepted = Some(conn);
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::WouldBlock => Err("a connection".into()),
        Err(e) => panic!("accept failed: {e}"),
    });
    let conn = accepted.unwrap();
    conn.set_nonblocking(false).unwrap();
    conn.set_nodelay(true).unwrap();
    conn
}

fn listen() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// A started pipeline with its metrics; stopped immediately when dropped.
struct Run {
    running: Option<Running>,
    metrics: Metrics,
    seen: Seen,
}

impl Run {
    /// `Lines` on `socket_text_stream("127.0.0.1", port)` with a 50 ms restart delay, changed
    /// by `config`.
    fn start(
        port: u16,
        config: impl FnOnce(ReceiverStream<SocketText>) -> ReceiverStream<SocketText>,
    ) -> Run {
        let seen = Seen::default();
        let metrics = Metrics::default();
        let input =
            config(socket_text_stream("127.0.0.1", port).restart_delay(Duration::from_millis(50)));
        let running = StreamingContext::new()
            .add_listener(metrics.clone())
            .start(Lines::new(Arc::clone(&seen)).lines(input))
            .unwrap();
        Run {
            running: Some(running),
            metrics,
            seen,
        }
    }

    fn lines(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    fn stop(mut self) {
        self.running
            .take()
            .unwrap()
            .stop(StopMode::Immediately)
            .unwrap();
    }
}

/// A pipeline configured by `config` reads one connection on which the server writes each
/// of `writes` (separately), then closes: the lines delivered and the input's counters.
fn serve_once(
    config: impl FnOnce(ReceiverStream<SocketText>) -> ReceiverStream<SocketText>,
    writes: &[&[u8]],
) -> (Vec<String>, BTreeMap<&'static str, u64>) {
    let (listener, port) = listen();
    let run = Run::start(port, config);
    let mut conn = accept(&listener);
    for bytes in writes {
        conn.write_all(bytes).unwrap();
        conn.flush().unwrap();
    }
    drop(conn);
    drop(listener);
    run.metrics.wait_restarts(1);
    let result = (run.lines(), run.metrics.counters_but_restarts());
    run.stop();
    result
}

fn numbered(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|k| format!("{prefix}{k:05}")).collect()
}

#[test]
fn a_server_that_closes_restarts_and_comes_back_is_reconnected_without_losing_lines() {
    let (listener, port) = listen();
    let run = Run::start(port, |s| s);

    // First server: lines ended by `\n`, the last one by the end of the connection.
    let first = numbered("a", 5000);
    let mut conn = accept(&listener);
    let mut bytes = first.join("\n").into_bytes();
    conn.write_all(&bytes).unwrap();
    drop(conn);
    // The server goes away: reconnections are refused meanwhile.
    drop(listener);
    run.metrics.wait_restarts(3);
    assert_eq!(
        run.lines(),
        first,
        "every line, the unterminated last one too"
    );

    // The server comes back on the same port; `\r\n` line ends.
    let mut listener = None;
    poll_check(|| match TcpListener::bind(("127.0.0.1", port)) {
        Ok(l) => {
            listener = Some(l);
            Ok(())
        }
        Err(e) => Err(format!("the port to be free again ({e})")),
    });
    let listener = listener.unwrap();
    let second = numbered("b", 5000);
    let mut conn = accept(&listener);
    // Counters are reported with each batch: two batches after the connection, the
    // refused attempts before it are all counted.
    run.metrics.wait_batches(2);
    let restarts_before = run.metrics.counter("receiver_restarts");
    bytes.clear();
    for line in &second {
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
    }
    conn.write_all(&bytes).unwrap();
    poll("the second server's lines", || {
        run.lines().len() >= first.len() + second.len()
    });
    let restarts = run.metrics.counter("receiver_restarts");
    assert_eq!(
        restarts, restarts_before,
        "connected: no restart while the server is up"
    );
    drop(conn);
    run.metrics.wait_restarts(restarts + 1);
    let got = run.lines();
    println!(
        "{} lines over two connections; receiver restarts: {restarts} before the server came back",
        got.len()
    );
    let expected: Vec<String> = first.iter().chain(&second).cloned().collect();
    assert_eq!(got, expected, "every line once, in order, without `\\r`");
    assert_eq!(
        run.metrics.counters_but_restarts(),
        BTreeMap::new(),
        "no line cut, dropped or invalid"
    );
    run.stop();
}

#[test]
fn long_lines_are_cut_or_dropped_as_configured() {
    // Lines per 8-byte limit: short, exactly 8, 16, 12 in two writes, 9 bytes ending inside
    // a two-byte character, 8 bytes of two-byte characters.
    let writes: &[&[u8]] = &[
        b"short\nexactly8\n0123456789abcdef\nabcdefgh",
        b"ijkl\na\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\n\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\nafter",
    ];
    let (cut, cut_counters) =
        serve_once(|s| s.max_line_bytes(8).long_lines(LongLines::Cut), writes);
    assert_eq!(
        cut,
        [
            "short", "exactly8", "01234567", "abcdefgh", "aééé", "éééé", "after"
        ],
        "cut at 8 bytes, and before a character that does not fit whole"
    );
    assert_eq!(cut_counters, [("lines_cut", 3)].into());

    let (dropped, drop_counters) =
        serve_once(|s| s.max_line_bytes(8).long_lines(LongLines::Drop), writes);
    assert_eq!(dropped, ["short", "exactly8", "éééé", "after"]);
    assert_eq!(drop_counters, [("lines_dropped", 3)].into());

    // Default: 1 MiB, over many reads; never buffered whole.
    let huge = vec![b'x'; 3 << 20];
    let (default, default_counters) = serve_once(|s| s, &[&huge, b"\nnext\n"]);
    assert_eq!(default.len(), 2);
    assert_eq!(default[0].len(), 1 << 20, "cut at 1 MiB");
    assert!(default[0].bytes().all(|b| b == b'x'));
    assert_eq!(default[1], "next");
    assert_eq!(default_counters, [("lines_cut", 1)].into());
}

/// `\r\n` ends a line and is not part of it: a line of exactly the limit is kept whole.
#[test]
fn a_crlf_line_of_exactly_the_limit_is_kept_whole() {
    let writes: &[&[u8]] = &[b"exactly8\r\nok\r\n"];
    let (cut, cut_counters) =
        serve_once(|s| s.max_line_bytes(8).long_lines(LongLines::Cut), writes);
    let (dropped, drop_counters) =
        serve_once(|s| s.max_line_bytes(8).long_lines(LongLines::Drop), writes);
    println!("Cut: {cut:?} {cut_counters:?}; Drop: {dropped:?} {drop_counters:?}");
    assert_eq!(cut, ["exactly8", "ok"]);
    assert_eq!(cut_counters.get("lines_cut"), None, "{cut_counters:?}");
    assert_eq!(dropped, ["exactly8", "ok"]);
    assert_eq!(
        drop_counters.get("lines_dropped"),
        None,
        "{drop_counters:?}"
    );
}

/// A last line without its line end is kept when the server closes (FIN) and, the same,
/// when the connection is reset (RST).
#[test]
fn an_unfinished_last_line_is_kept_whether_the_connection_closes_or_resets() {
    let (closed, _) = serve_once(|s| s, &[b"whole\nunfinished"]);
    assert_eq!(closed, ["whole", "unfinished"]);

    let (listener, port) = listen();
    let run = Run::start(port, |s| s);
    let mut conn = accept(&listener);
    conn.write_all(b"whole\nunfinished").unwrap();
    poll("the whole line to be delivered", || !run.lines().is_empty());
    // Linger 0: closing sends a reset instead of a close.
    socket2::SockRef::from(&conn)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(conn);
    drop(listener);
    run.metrics.wait_restarts(1);
    assert_eq!(run.lines(), ["whole", "unfinished"]);
    run.stop();
}

/// A server that accepts and then sends nothing is reported once per quiet spell, and the
/// connection kept: what it sends later arrives.
#[test]
fn a_silent_connection_is_reported_once_and_kept() {
    let (listener, port) = listen();
    let run = Run::start(port, |s| s.idle_report(Duration::from_millis(50)));
    let mut conn = accept(&listener);
    poll("an idle report", || {
        run.metrics.counter("idle_reports") >= 1
    });
    // Many more idle periods pass: still one report for this quiet spell.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(run.metrics.counter("idle_reports"), 1);
    conn.write_all(b"late\n").unwrap();
    poll("the late line", || run.lines() == ["late"]);
    assert_eq!(
        run.metrics.counter("receiver_restarts"),
        0,
        "the connection was kept"
    );
    poll("a second quiet spell reported", || {
        run.metrics.counter("idle_reports") == 2
    });
    run.stop();
}

#[test]
fn invalid_utf8_is_replaced_or_skipped_as_configured() {
    let writes: &[&[u8]] = &[b"ok:0\nbad \xff\xfe here\r\nok:1\ncut \xe2\x82"];
    let (lossy, lossy_counters) = serve_once(|s| s.invalid_utf8(InvalidUtf8::Lossy), writes);
    assert_eq!(
        lossy,
        ["ok:0", "bad \u{fffd}\u{fffd} here", "ok:1", "cut \u{fffd}"]
    );
    assert_eq!(lossy_counters, [("invalid_utf8_lines", 2)].into());

    let (skipped, skip_counters) = serve_once(|s| s.invalid_utf8(InvalidUtf8::Skip), writes);
    assert_eq!(skipped, ["ok:0", "ok:1"]);
    assert_eq!(skip_counters, [("invalid_utf8_lines", 2)].into());
}

#[test]
fn invalid_utf8_with_fail_drops_the_connection_and_reconnects() {
    let (listener, port) = listen();
    let run = Run::start(port, |s| s.invalid_utf8(InvalidUtf8::Fail));
    let mut conn = accept(&listener);
    conn.write_all(b"ok:0\nbad \xff\nok:1\n").unwrap();
    // The receiver drops this connection at the bad line and connects again.
    let mut again = accept(&listener);
    again.write_all(b"ok:2\n").unwrap();
    poll("the line sent on the new connection", || {
        run.lines().contains(&"ok:2".to_owned())
    });
    println!(
        "lines {:?}; counters {:?}, receiver restarts {}",
        run.lines(),
        run.metrics.counters_but_restarts(),
        run.metrics.counter("receiver_restarts")
    );
    assert_eq!(run.lines(), ["ok:0", "ok:2"]);
    assert_eq!(run.metrics.counter("invalid_utf8_lines"), 1);
    assert_eq!(run.metrics.counter("receiver_restarts"), 1);
    // The dropped connection reads as ended to the server.
    conn.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut rest = Vec::new();
    let ended = std::io::Read::read_to_end(&mut conn, &mut rest);
    assert!(
        ended.is_ok()
            || ended
                .as_ref()
                .is_err_and(|e| e.kind() == ErrorKind::ConnectionReset),
        "{ended:?}"
    );
    drop(again);
    run.stop();
}

/// A gate that blocks the pipeline's output until opened (or for 30 s at most).
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    changed: Condvar,
}

impl Gate {
    fn wait(&self) {
        let open = self.open.lock().unwrap();
        let _ = self
            .changed
            .wait_timeout_while(open, Duration::from_secs(30), |open| !*open)
            .unwrap();
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.changed.notify_all();
    }
}

/// Opens the gate when dropped, so a failing test does not leave the pipeline blocked.
struct Opens(Arc<Gate>);

impl Drop for Opens {
    fn drop(&mut self) {
        self.0.open();
    }
}

stream! {
    /// Records each line's sequence number; its first non-empty batch waits for the gate.
    pipeline Gated(gate: Arc<Gate>, seqs: Arc<Mutex<Vec<u64>>>) {
        batch = 50ms;
        input lines: String;
        lines.foreach_rdd(|batch| {
            if !batch.is_empty() {
                gate.wait();
            }
            seqs.lock().unwrap().extend(batch.iter().map(|l| l[..10].parse::<u64>().unwrap()));
        });
    }
}

/// Bytes per line written by the flooding server.
const LINE: usize = 1000;

/// What the flooding server did.
#[derive(Default)]
struct Flood {
    written: AtomicU64,
    lines: AtomicU64,
    /// Writes that timed out: the receiver did not read.
    timeouts: AtomicU64,
    /// Bytes written when the first write timed out.
    written_at_first_block: AtomicU64,
    finish: AtomicBool,
}

/// Writes numbered lines of [`LINE`] bytes as fast as the connection takes them, until told
/// to finish (then it completes its line and closes) or 30 s or 256 MB have passed.
fn flood(conn: &mut TcpStream, flood: &Flood) {
    conn.set_write_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let started = Instant::now();
    let mut line = Vec::with_capacity(LINE);
    let mut at = 0;
    let mut seq = 0u64;
    loop {
        if at == line.len() {
            if flood.finish.load(Ordering::SeqCst)
                || started.elapsed() > Duration::from_secs(30)
                || flood.written.load(Ordering::SeqCst) > 256 << 20
            {
                break;
            }
            line.clear();
            line.extend_from_slice(format!("{seq:010} ").as_bytes());
            line.resize(LINE - 1, b'x');
            line.push(b'\n');
            seq += 1;
            at = 0;
        }
        match conn.write(&line[at..]) {
            Ok(n) => {
                at += n;
                flood.written.fetch_add(n as u64, Ordering::SeqCst);
                if at == line.len() {
                    flood.lines.store(seq, Ordering::SeqCst);
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if flood.timeouts.fetch_add(1, Ordering::SeqCst) == 0 {
                    let written = flood.written.load(Ordering::SeqCst);
                    flood
                        .written_at_first_block
                        .store(written, Ordering::SeqCst);
                }
                if started.elapsed() > Duration::from_secs(30) {
                    break;
                }
            }
            Err(e) => {
                // The test failed and its pipeline is gone: nothing more to measure.
                eprintln!("the flooding server's write failed: {e}");
                break;
            }
        }
    }
}

/// A client writing faster than the pipeline processes is slowed down: with the pipeline
/// blocked, the receiver stops reading once its small buffer is full, TCP flow control stops
/// the server, and the server's writes block after at most the buffer plus the kernel's
/// socket buffers. Then, unblocked, every line written arrives, in order.
#[test]
fn a_client_faster_than_the_pipeline_is_slowed_down_and_loses_nothing() {
    let (listener, port) = listen();
    let gate = Arc::new(Gate::default());
    let seqs = Arc::new(Mutex::new(Vec::new()));
    let input = socket_text_stream("127.0.0.1", port)
        .restart_delay(Duration::from_millis(50))
        .buffer(1000);
    let running = StreamingContext::new()
        .start(Gated::new(Arc::clone(&gate), Arc::clone(&seqs)).lines(input))
        .unwrap();
    let _opens = Opens(Arc::clone(&gate));
    let mut conn = accept(&listener);
    let server = Arc::new(Flood::default());
    let writer = std::thread::spawn({
        let server = Arc::clone(&server);
        move || flood(&mut conn, &server)
    });
    let started = Instant::now();
    // Blocked for a second in all: ten write timeouts of 100 ms.
    poll_check(|| {
        let written = server.written.load(Ordering::SeqCst);
        assert!(
            written < 64 << 20,
            "the server wrote {} MB to a blocked pipeline: the receiver reads without bound",
            written >> 20
        );
        if server.timeouts.load(Ordering::SeqCst) >= 10 {
            Ok(())
        } else {
            Err(format!(
                "the server's writes to block ({} MB written)",
                written >> 20
            ))
        }
    });
    let at_block = server.written_at_first_block.load(Ordering::SeqCst);
    let after = server.written.load(Ordering::SeqCst);
    println!(
        "server blocked after {:.1} MB in {:?}; {:.1} MB written after 1 s blocked",
        at_block as f64 / 1e6,
        started.elapsed(),
        after as f64 / 1e6
    );
    assert!(after < 64 << 20, "bounded: {after} bytes");

    gate.open();
    server.finish.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    let lines = server.lines.load(Ordering::SeqCst);
    let drain = Instant::now();
    poll(&format!("all {lines} lines written"), || {
        seqs.lock().unwrap().len() as u64 >= lines
    });
    println!(
        "{lines} lines delivered {:?} after the pipeline was unblocked",
        drain.elapsed()
    );
    let got = seqs.lock().unwrap().clone();
    assert!(
        got.iter().copied().eq(0..lines),
        "every line once, in order ({} delivered of {lines})",
        got.len()
    );
    running.stop(StopMode::Immediately).unwrap();
}

stream! {
    /// The write-ahead log test's child: slow (each batch with lines takes 500 ms before it
    /// prints them), checkpointed every batch, its received lines logged.
    pipeline Logged {
        batch = 50ms;
        checkpoint every 50ms;
        input lines: String;
        lines.foreach_rdd(|time, batch| {
            let mut out = std::io::stdout().lock();
            writeln!(out, "BATCH\t{}", time.millis()).unwrap();
            out.flush().unwrap();
            if !batch.is_empty() {
                std::thread::sleep(Duration::from_millis(500));
                for line in batch.iter() {
                    writeln!(out, "LINE\t{line}").unwrap();
                }
                out.flush().unwrap();
            }
        });
    }
}

/// Run by [`the_write_ahead_log_keeps_every_line_received_before_a_sigkill`] as a child
/// process (this test binary, with `STREAMDSL_WAL_CHILD` set to `<dir> <port>`).
#[test]
fn wal_child() {
    let Ok(arg) = std::env::var("STREAMDSL_WAL_CHILD") else {
        return;
    };
    let (dir, port) = arg.rsplit_once(' ').unwrap();
    let input = socket_text_stream("127.0.0.1", port.parse().unwrap())
        .restart_delay(Duration::from_millis(50))
        .write_ahead_log();
    let running = StreamingContext::new()
        .checkpoint_dir(dir)
        .start(Logged::new().lines(input))
        .unwrap();
    // Killed by the parent long before; the bound only keeps an orphan from running on.
    let _ = running.await_termination_or_timeout(Duration::from_secs(60));
    std::process::exit(0);
}

/// The child process and what it printed.
struct Child {
    process: std::process::Child,
    batches: Arc<AtomicU64>,
    lines: Seen,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Child {
    fn spawn(dir: &Path, port: u16) -> Child {
        let mut process = Command::new(std::env::current_exe().unwrap())
            .args(["wal_child", "--exact", "--nocapture", "--test-threads", "1"])
            .env("STREAMDSL_WAL_CHILD", format!("{} {port}", dir.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = process.stdout.take().unwrap();
        let batches = Arc::new(AtomicU64::new(0));
        let lines = Seen::default();
        let reader = std::thread::spawn({
            let (batches, lines) = (Arc::clone(&batches), Arc::clone(&lines));
            move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    // libtest's "test wal_child ... " has no newline before the first.
                    if let Some((_, text)) = line.split_once("LINE\t") {
                        lines.lock().unwrap().push(text.to_owned());
                    } else if line.contains("BATCH\t") {
                        batches.fetch_add(1, Ordering::SeqCst);
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

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    fn wait_batches(&self, n: u64) {
        let target = self.batches.load(Ordering::SeqCst) + n;
        poll(&format!("{n} more batches of the child"), || {
            self.batches.load(Ordering::SeqCst) >= target
        });
    }

    /// SIGKILL; returns what it printed.
    fn kill(mut self) -> Vec<String> {
        self.process.kill().unwrap();
        self.process.wait().unwrap();
        self.reader.take().unwrap().join().unwrap();
        self.lines()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Bytes in the files of `dir` (0 if it does not exist yet).
fn size_of_files(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum()
    })
}

/// Whether a file of the write-ahead log in `dir` holds `line` (records keep the text of their
/// lines as it came, each followed by `'\n'`; lines are logged in order).
fn logged(dir: &Path, line: &str) -> bool {
    let needle = format!("{line}\n").into_bytes();
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|e| {
            std::fs::read(e.path())
                .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
        })
    })
}

fn send(conn: &mut TcpStream, lines: &[String]) {
    let mut bytes = Vec::new();
    for line in lines {
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
    }
    conn.write_all(&bytes).unwrap();
}

/// With the write-ahead log on, a pipeline killed with SIGKILL while lines it received are
/// still waiting for (or inside) a slow batch, restarted on its checkpoint directory,
/// outputs every line the server sent before the kill: the first run's outputs and the
/// restarted run's together cover them all (at least once; duplicates are allowed). Lines
/// in batches checkpointed before the kill are not replayed.
#[test]
fn the_write_ahead_log_keeps_every_line_received_before_a_sigkill() {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("streamdsl-sockets-wal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let wal_dir = dir.join("received").join("lines");
    let (listener, port) = listen();

    // Run 1: a first part processed and checkpointed, then a second part received (logged)
    // but not yet output when the child is killed.
    let child = Child::spawn(&dir, port);
    let mut conn = accept(&listener);
    let processed = numbered("p", 1000);
    send(&mut conn, &processed);
    poll("the first part to be output", || {
        child.lines.lock().unwrap().len() >= processed.len()
    });
    // Checkpoints are written after each batch: two more batches and the first part is in
    // a checkpointed one.
    child.wait_batches(3);
    let pending = numbered("q", 2000);
    send(&mut conn, &pending);
    poll("the child to log the second part", || {
        logged(&wal_dir, pending.last().unwrap())
    });
    let first = child.kill();
    drop(conn);
    println!(
        "killed with {} lines logged ({} bytes), {} output",
        processed.len() + pending.len(),
        size_of_files(&wal_dir),
        first.len()
    );

    // Run 2 on the same directory, and more lines.
    let child = Child::spawn(&dir, port);
    let mut conn = accept(&listener);
    let later = numbered("r", 500);
    send(&mut conn, &later);
    let sent: Vec<String> = processed
        .iter()
        .chain(&pending)
        .chain(&later)
        .cloned()
        .collect();
    let first_set: BTreeSet<String> = first.iter().cloned().collect();
    poll_check(|| {
        let second: BTreeSet<String> = child.lines().into_iter().collect();
        let missing = sent
            .iter()
            .filter(|l| !first_set.contains(*l) && !second.contains(*l))
            .count();
        match missing {
            0 => Ok(()),
            n => Err(format!("{n} lines sent but output by neither run")),
        }
    });
    let second = child.kill();
    drop(conn);

    let replayed = pending.iter().filter(|l| second.contains(l)).count();
    let duplicates = first.iter().filter(|l| second.contains(l)).count();
    println!(
        "run 1 output {} lines, run 2 {} ({replayed} of the {} logged before the kill replayed); \
         {duplicates} output by both",
        first.len(),
        second.len(),
        pending.len()
    );
    let union: BTreeSet<&String> = first.iter().chain(&second).collect();
    let missing: Vec<&String> = sent.iter().filter(|l| !union.contains(l)).collect();
    assert!(missing.is_empty(), "lost: {missing:?}");
    assert!(
        processed.iter().all(|l| !second.contains(l)),
        "lines of batches checkpointed before the kill are not replayed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

stream! {
    /// Counts lines and takes its time over each batch that has any.
    pipeline SlowCount(lines_seen: Arc<AtomicU64>) {
        batch = 100ms;
        input lines: String;
        lines.foreach_rdd(|batch| {
            if !batch.is_empty() {
                lines_seen.fetch_add(batch.len() as u64, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(300));
            }
        });
    }
}

/// Run by [`a_flood_of_long_lines_keeps_memory_bounded_in_bytes`] as a child process (this
/// test binary, with `STREAMDSL_FLOOD_CHILD` set to the port): reads for 5 s with the
/// default buffer, then prints how many lines it processed and its peak memory.
#[test]
fn flood_child() {
    let Ok(port) = std::env::var("STREAMDSL_FLOOD_CHILD") else {
        return;
    };
    let lines_seen = Arc::new(AtomicU64::new(0));
    let input = socket_text_stream("127.0.0.1", port.parse().unwrap());
    let running = StreamingContext::new()
        .start(SlowCount::new(Arc::clone(&lines_seen)).lines(input))
        .unwrap();
    let _ = running.await_termination_or_timeout(Duration::from_secs(5));
    running.stop(StopMode::Immediately).unwrap();
    println!("LINES\t{}", lines_seen.load(Ordering::SeqCst));
    println!("PEAK_RSS_KIB\t{}", peak_rss_kib());
}

/// A server flooding 256 KiB lines into a pipeline slower than it: the receiver's buffer
/// is bounded in bytes (128 MiB by default), so the sender is held back and the child's
/// peak memory stays a few hundred MB (it grew to 4.7 GB in 20 s when only lines were
/// counted).
#[test]
fn a_flood_of_long_lines_keeps_memory_bounded_in_bytes() {
    let (listener, port) = listen();
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "flood_child",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("STREAMDSL_FLOOD_CHILD", port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut conn = accept(&listener);
    conn.set_write_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut line = vec![b'x'; 256 << 10];
    *line.last_mut().unwrap() = b'\n';
    let (started, mut written) = (Instant::now(), 0u64);
    // Until the child stops reading (its 5 s are up) or 4 GB went out.
    while started.elapsed() < Duration::from_secs(8) && written < 4 << 30 {
        match conn.write(&line) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let field = |name: &str| -> u64 { printed(&stdout, name).parse().unwrap() };
    let (lines, peak_kib) = (field("LINES"), field("PEAK_RSS_KIB"));
    println!(
        "sent {} MB, child processed {lines} lines ({} MB), peak RSS {} MB",
        written >> 20,
        (lines * (256 << 10)) >> 20,
        peak_kib >> 10
    );
    assert!(lines > 0, "the child processed lines");
    assert!(
        peak_kib < 700 << 10,
        "peak RSS {} MB: the buffer is not bounded in bytes",
        peak_kib >> 10
    );
}
