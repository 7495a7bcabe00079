//! Ingest: what the socket and file inputs cost over a bare read of the same bytes.
//!
//! * **Socket** (`socket_text_stream`): a server thread on loopback writes [`SOCKET_MIB`] MiB of
//!   generated text lines to one TCP connection and closes it. The pipeline side is a `stream!`
//!   pipeline with `input lines: String` and a `foreach_rdd` counting lines, on the system
//!   clock with 50 ms batches; it is timed from `StreamingContext::start` (which connects)
//!   until the batch that brings the count to the total has completed (its lines dropped).
//!   It runs three times: with the input's default buffer (1 Mi records between receiver and
//!   pipeline), the same with `input lines: &str` (`pipeline_str`: lines lent from the
//!   received blocks, no `String` per line), and with a buffer larger than the data. The bare side is a tokio task on a
//!   one-worker runtime (as the receiver's) reading the same kind of server through
//!   `tokio::io::BufReader::lines()`: one `String` per line, dropped at once.
//! * **Files** (`text_file_stream(dir).include_existing(true)`): [`FILES`] generated files of
//!   [`FILE_BYTES`] each, read in one batch on a manual clock; timed from the clock moving to
//!   the first batch time until that batch has completed (lines counted and dropped). The bare
//!   side lists the directory and reads every file with `read_to_string`, splitting it with
//!   `str::lines` into one `Vec<String>`, then drops it.
//!
//! Lines have 8..=12 words (10 on average, ~90 bytes with the `'\n'`) drawn uniformly from
//! 10 000 random lowercase words of 2..=14 letters.
//!
//! Run with `cargo bench --bench ingest` (about a minute; `-- ingest_socket` or `-- ingest_files`
//! for one group). The socket pipeline turns each line into a `String` on the driver thread
//! and frees a batch of them at once, which glibc's malloc serves slowly (it consolidates the
//! freed chunks at the next large allocation); to compare with another allocator for both
//! sides: `LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2` (Debian's libmimalloc2.0)
//! on the bench binary. After each criterion group an interleaved loop prints each side's lines/s and
//! MB/s and the pipeline / bare time ratios on standard error.

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use streamdsl::inputs::{ReceiverStream, SocketText};
use streamdsl::prelude::*;
use tokio::io::AsyncBufReadExt;

mod common;
use common::{Completion, Progress, SplitMix64, median};

/// Text sent through the socket per run, in MiB (`STREAMDSL_INGEST_SOCKET_MIB` overrides it:
/// with 640 the 50 ms batch grid's tail weighs ten times less and the steady state shows).
const SOCKET_MIB: usize = 64;
/// Files in the file-input directory, and the size of each.
const FILES: usize = 64;
const FILE_BYTES: usize = 1 << 20;
/// Distinct words of the generated text.
const VOCAB: usize = 10_000;
/// Seed of the generator (any fixed value: the data is the same at every run).
const SEED: u64 = 7;
/// Rounds of the interleaved ratio loops.
const RATIO_ROUNDS: usize = 10;

stream! {
    /// Counts the lines of a socket, each an owned `String`.
    pipeline SocketIngest(progress: Arc<Progress>) {
        batch = 50ms;
        input lines: String;
        lines.foreach_rdd(|batch| {
            progress.count.fetch_add(batch.len() as u64, Ordering::Relaxed);
        });
    }
}

stream! {
    /// Counts the lines of a socket, lent as `&str` (no allocation per line).
    pipeline SocketIngestBorrowed(progress: Arc<Progress>) {
        batch = 50ms;
        input lines: &str;
        lines.foreach_rdd(|batch| {
            progress.count.fetch_add(batch.len() as u64, Ordering::Relaxed);
        });
    }
}

/// How a socket run's pipeline is made from its progress counter and input.
type SocketPipeline<P> = fn(Arc<Progress>, ReceiverStream<SocketText>) -> P;

stream! {
    /// Counts the lines of new files.
    pipeline FileIngest(progress: Arc<Progress>) {
        batch = 50ms;
        input lines: String;
        lines.foreach_rdd(|batch| {
            progress.count.fetch_add(batch.len() as u64, Ordering::Relaxed);
        });
    }
}

/// One timed run: start to end and, for the socket, start to the server having written all.
#[derive(Clone, Copy)]
struct Timing {
    total: Duration,
    sent: Option<Duration>,
}

/// A measured side: its name and one timed run.
type Side<'a> = (&'static str, Box<dyn Fn() -> Timing + 'a>);

/// Generated text lines, each ended by `'\n'`.
struct Text {
    rng: SplitMix64,
    vocab: Vec<String>,
}

impl Text {
    fn new() -> Self {
        let mut rng = SplitMix64(SEED);
        let vocab = (0..VOCAB)
            .map(|_| {
                let len = 2 + rng.below(13);
                (0..len)
                    .map(|_| char::from(b'a' + rng.below(26) as u8))
                    .collect()
            })
            .collect();
        Text { rng, vocab }
    }

    /// Whole lines, at least `bytes` of them (one line more at most); and their count.
    fn lines(&mut self, bytes: usize) -> (Vec<u8>, u64) {
        let mut text = Vec::with_capacity(bytes + 256);
        let mut lines = 0;
        while text.len() < bytes {
            let words = 8 + self.rng.below(5);
            for i in 0..words {
                if i > 0 {
                    text.push(b' ');
                }
                let word = &self.vocab[self.rng.below(VOCAB as u64) as usize];
                text.extend_from_slice(word.as_bytes());
            }
            text.push(b'\n');
            lines += 1;
        }
        (text, lines)
    }
}

/// A server on a free loopback port that writes `data` to its first client, then closes; its
/// thread returns when everything is written (the client has all but what the kernel's
/// socket buffers hold).
fn serve_once(data: &Arc<Vec<u8>>) -> (SocketAddr, JoinHandle<Instant>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let address = listener.local_addr().expect("the listener's address");
    let data = Arc::clone(data);
    let server = std::thread::spawn(move || {
        let (mut client, _) = listener.accept().expect("the client connects");
        client
            .write_all(&data)
            .expect("the client reads everything");
        Instant::now()
    });
    (address, server)
}

/// Socket input into a pipeline: start (connect) to the batch that completes the count.
fn socket_pipeline<P: Pipeline + InputsBound>(
    data: &Arc<Vec<u8>>,
    lines: u64,
    buffer: Option<usize>,
    make: SocketPipeline<P>,
) -> Timing {
    let (address, server) = serve_once(data);
    let progress = Progress::new(lines);
    // The server closes after the data: no reconnection while the run is measured.
    let mut input = socket_text_stream(address.ip().to_string(), address.port())
        .restart_delay(Duration::from_secs(3600));
    if let Some(records) = buffer {
        input = input.buffer(records);
    }
    let pipeline = make(Arc::clone(&progress), input);
    let context = StreamingContext::new().add_listener(Completion(Arc::clone(&progress)));
    let start = Instant::now();
    let running = context.start(pipeline).expect("the pipeline starts");
    progress.wait(Duration::from_secs(60));
    let elapsed = start.elapsed();
    running
        .stop(StopMode::Immediately)
        .expect("the pipeline stops");
    let sent = server.join().expect("the server thread does not panic");
    Timing {
        total: elapsed,
        sent: Some(sent - start),
    }
}

/// The same server read by a bare tokio task: `BufReader::lines()`, a `String` per line.
fn socket_bare(runtime: &tokio::runtime::Runtime, data: &Arc<Vec<u8>>, lines: u64) -> Timing {
    let (address, server) = serve_once(data);
    let start = Instant::now();
    let task = runtime.spawn(async move {
        let stream = tokio::net::TcpStream::connect(address)
            .await
            .expect("connects");
        let mut reader = tokio::io::BufReader::with_capacity(64 * 1024, stream).lines();
        let mut n = 0u64;
        while let Some(line) = reader.next_line().await.expect("reads") {
            black_box(&line);
            n += 1;
        }
        n
    });
    let n = runtime.block_on(task).expect("the task does not panic");
    let elapsed = start.elapsed();
    assert_eq!(n, lines, "the bare reader gets every line");
    let sent = server.join().expect("the server thread does not panic");
    Timing {
        total: elapsed,
        sent: Some(sent - start),
    }
}

/// A runtime like a pipeline's: one worker thread.
fn one_worker_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Criterion group and interleaved ratio loop of the socket input.
fn socket(c: &mut Criterion) {
    let mib = std::env::var("STREAMDSL_INGEST_SOCKET_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(SOCKET_MIB);
    let (data, lines) = Text::new().lines(mib << 20);
    let bytes = data.len();
    let data = Arc::new(data);
    eprintln!(
        "ingest socket data: {lines} lines, {bytes} bytes ({:.1} MB), {:.1} bytes/line",
        bytes as f64 / 1e6,
        bytes as f64 / lines as f64
    );
    let runtime = one_worker_runtime();
    let owned: SocketPipeline<SocketIngest> =
        |progress, input| SocketIngest::new(progress).lines(input);
    let borrowed: SocketPipeline<SocketIngestBorrowed> =
        |progress, input| SocketIngestBorrowed::new(progress).lines(input);
    let sides: [Side; 4] = [
        (
            "pipeline",
            Box::new(|| socket_pipeline(&data, lines, None, owned)),
        ),
        (
            "pipeline_str",
            Box::new(|| socket_pipeline(&data, lines, None, borrowed)),
        ),
        (
            "pipeline_big_buffer",
            Box::new(|| socket_pipeline(&data, lines, Some(lines as usize + 1), owned)),
        ),
        ("bare", Box::new(|| socket_bare(&runtime, &data, lines))),
    ];
    let mut group = c.benchmark_group("ingest_socket");
    group
        .throughput(Throughput::BytesDecimal(bytes as u64))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for (name, run) in &sides {
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| run().total).sum())
        });
    }
    group.finish();
    ratios("ingest_socket", &sides, bytes, lines);
}

/// Writes `FILES` files of generated lines into a fresh directory; returns it and the lines.
fn write_files() -> (PathBuf, u64) {
    let dir = std::env::temp_dir().join(format!("streamdsl-bench-ingest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp directory");
    let mut text = Text::new();
    let mut total = 0;
    for i in 0..FILES {
        let (data, lines) = text.lines(FILE_BYTES);
        std::fs::write(dir.join(format!("part-{i:05}.txt")), data).expect("writes a file");
        total += lines;
    }
    (dir, total)
}

/// The file input into a pipeline: the clock moves to the first batch, which reads every file;
/// timed until that batch has completed.
fn files_pipeline(dir: &Path, lines: u64) -> Timing {
    let progress = Progress::new(lines);
    // Files older than the remember window are skipped: keep them all, however long this runs.
    let input = text_file_stream(dir)
        .include_existing(true)
        .remember(Duration::from_secs(24 * 3600));
    let pipeline = FileIngest::new(Arc::clone(&progress)).lines(input);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let clock = ManualClock::starting_at(Time::from_millis(now.as_millis() as i64));
    let running = StreamingContext::new()
        .manual_clock(clock.clone())
        .add_listener(Completion(Arc::clone(&progress)))
        .start(pipeline)
        .expect("the pipeline starts");
    let start = Instant::now();
    clock.advance_to(running.first_batch());
    progress.wait(Duration::from_secs(60));
    let elapsed = start.elapsed();
    running
        .stop(StopMode::Immediately)
        .expect("the pipeline stops");
    Timing {
        total: elapsed,
        sent: None,
    }
}

/// The same files read by a bare loop into one `Vec<String>`, then dropped.
fn files_bare(dir: &Path, lines: u64) -> Timing {
    let start = Instant::now();
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).expect("lists the directory") {
        let text = std::fs::read_to_string(entry.expect("an entry").path()).expect("reads");
        all.extend(text.lines().map(String::from));
    }
    let n = black_box(all.len()) as u64;
    drop(all);
    let elapsed = start.elapsed();
    assert_eq!(n, lines, "the bare loop gets every line");
    Timing {
        total: elapsed,
        sent: None,
    }
}

/// Criterion group and interleaved ratio loop of the file input.
fn files(c: &mut Criterion) {
    let (dir, lines) = write_files();
    let bytes = FILES * FILE_BYTES;
    eprintln!(
        "ingest files data: {FILES} files of {FILE_BYTES} bytes in {}, {lines} lines",
        dir.display()
    );
    let sides: [Side; 2] = [
        ("pipeline", Box::new(|| files_pipeline(&dir, lines))),
        ("bare", Box::new(|| files_bare(&dir, lines))),
    ];
    let mut group = c.benchmark_group("ingest_files");
    group
        .throughput(Throughput::BytesDecimal(bytes as u64))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for (name, run) in &sides {
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| run().total).sum())
        });
    }
    group.finish();
    ratios("ingest_files", &sides, bytes, lines);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether the ratio loop of `group` runs: criterion filters its own benchmarks by the
/// arguments that are not options (`cargo bench --bench ingest -- files`); the loops follow
/// the same filter, so that a filtered run (or `--profile-time N`) runs only what it names.
fn ratio_loop_selected(group: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    filters.is_empty() || filters.iter().any(|f| group.contains(f.as_str()))
}

/// Times the sides alternately (the order turns every round so that none always runs first)
/// and prints each side's median and best lines/s and MB/s, and each pipeline side's ratio to
/// the bare side (the last): the median of per-round ratios and the ratio of best times. For
/// the socket, also when the server had written everything (median), and the rest (`tail`):
/// the lines still in socket buffers, plus for the pipeline the wait for the next batch time
/// (half a batch interval on average) and the last batch.
fn ratios(group: &str, sides: &[Side], bytes: usize, lines: u64) {
    if !ratio_loop_selected(group) {
        return;
    }
    let n = sides.len();
    let mut times: Vec<Vec<Timing>> = vec![Vec::new(); n];
    for round in 0..RATIO_ROUNDS {
        for k in 0..n {
            let side = (round + k) % n;
            times[side].push(sides[side].1());
        }
    }
    let totals: Vec<Vec<f64>> = times
        .iter()
        .map(|t| t.iter().map(|t| t.total.as_secs_f64()).collect())
        .collect();
    for (k, (name, _)) in sides.iter().enumerate() {
        let m = median(&totals[k]);
        let b = totals[k].iter().copied().fold(f64::INFINITY, f64::min);
        let sent: Option<Vec<f64>> = times[k]
            .iter()
            .map(|t| t.sent.map(|s| s.as_secs_f64()))
            .collect();
        let sent = sent.map_or(String::new(), |sent| {
            let tails: Vec<f64> = times[k]
                .iter()
                .map(|t| (t.total - t.sent.unwrap_or_default()).as_secs_f64())
                .collect();
            format!(
                "; sent by {:.1} ms, tail {:.1} ms",
                median(&sent) * 1e3,
                median(&tails) * 1e3
            )
        });
        eprintln!(
            "{group} {name:<20} median {:6.1} ms = {:5.2} M lines/s {:6.1} MB/s; best {:6.1} ms = {:5.2} M lines/s {:6.1} MB/s{sent}",
            m * 1e3,
            lines as f64 / m / 1e6,
            bytes as f64 / m / 1e6,
            b * 1e3,
            lines as f64 / b / 1e6,
            bytes as f64 / b / 1e6,
        );
    }
    let bare = &totals[n - 1];
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    for (k, (name, _)) in sides.iter().enumerate().take(n - 1) {
        let paired: Vec<f64> = totals[k].iter().zip(bare).map(|(p, b)| p / b).collect();
        eprintln!(
            "{group} ratio {name}/bare (interleaved, {RATIO_ROUNDS} rounds): median of paired ratios {:.2}x, of best times {:.2}x",
            median(&paired),
            best(&totals[k]) / best(bare),
        );
    }
}

criterion_group!(benches, socket, files);
criterion_main!(benches);
