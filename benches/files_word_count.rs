//! End to end over files: the word count through `text_file_stream` on 1 and 2 workers, and,
//! when `PYSPARK_VENV` names a virtual environment with pyspark (Java 17 on the path), the
//! real PySpark DStream word count (`scripts/bench/pyspark_dstream_bench.py`, local[2],
//! backlog mode) on the same files in the same run. Prints MB/s of each and the ratios.
//!
//! The data has the shape of the PySpark anchor's (`gen_words.py`): 100 MB of lines of 5..15
//! words drawn with a Zipf law (s = 1.0) over 100 000 words, generated here into
//! `target/bench-data/words100.txt` and split, line aligned, into ten chunk files as the
//! anchor script splits it (`words100.txt.chunks10/part-NNN`), so both read the same files.
//! Each streamdsl run starts a pipeline on the chunk directory with every file already there
//! and a manual clock moved past ten batch times at once (the backlog of the anchor's
//! backlog mode); a batch reads at most one chunk's size of the files
//! (`max_batch_bytes`). Timed from start to the batch that counted the last word.
//!
//! Run with `cargo bench --bench files_word_count`; with the anchor:
//! `PYSPARK_VENV=/path/to/venv cargo bench --bench files_word_count`.

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use streamdsl::prelude::*;
use streamdsl::{ManualClock, StopMode, StreamingContext, Time};

mod common;
use common::{Completion, Progress, ZipfWords, median};

/// Bytes of text (lines plus their `'\n'`).
const DATA_BYTES: usize = 100_000_000;
/// Chunk files, one per batch.
const CHUNKS: usize = 10;
/// Distinct words.
const VOCAB: usize = 100_000;
/// Seed of the generator.
const SEED: u64 = 42;
/// Rounds of the interleaved loop.
const ROUNDS: usize = 3;

stream! {
    /// The classic word count; its output adds the words it counted to `progress`.
    pipeline FileWordCount(progress: Arc<Progress>) {
        batch = 1s;
        input lines: &str;
        lines
            .flat_map(|line| line.split(' '))
            .map(|word| (word, 1u64))
            .reduce_by_key(|a, b| a + b)
            .foreach_rdd(|batch| {
                let words: u64 = batch.iter().map(|(_, n)| n).sum();
                progress.count.fetch_add(words, Ordering::Relaxed);
            });
    }
}

/// The data: the chunk directory, its bytes and its words (generated on the first run).
struct Data {
    file: PathBuf,
    chunks: PathBuf,
    bytes: u64,
    words: u64,
}

fn data() -> Data {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let file = root.join("words100.txt");
    let chunks = root.join(format!("words100.txt.chunks{CHUNKS}"));
    if !file.exists() {
        std::fs::create_dir_all(&root).expect("creates target/bench-data");
        let mut words = ZipfWords::new(SEED, VOCAB, 1.0);
        let mut text = String::with_capacity(DATA_BYTES + 256);
        while text.len() < DATA_BYTES {
            words.push_line(&mut text);
            text.push('\n');
        }
        let partial = file.with_extension("tmp");
        std::fs::write(&partial, &text).expect("writes the data");
        std::fs::rename(&partial, &file).expect("renames the data");
        let _ = std::fs::remove_dir_all(&chunks);
    }
    let text = std::fs::read(&file).expect("reads the data");
    if !chunks.exists() {
        split_into_chunks(&text, &chunks);
    }
    let words = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| l.split(|&b| b == b' ').count() as u64)
        .sum();
    Data {
        file,
        chunks,
        bytes: text.len() as u64,
        words,
    }
}

/// Line-aligned chunks as the anchor script's `split_chunks` makes them: chunk `i` takes
/// `size / n` bytes and the rest of the line it ends in; the last takes the rest.
fn split_into_chunks(text: &[u8], dir: &Path) {
    let partial = dir.with_extension("tmp");
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).expect("creates the chunk directory");
    let target = text.len() / CHUNKS;
    let mut start = 0;
    for i in 0..CHUNKS {
        let end = if i + 1 == CHUNKS {
            text.len()
        } else {
            let cut = (start + target).min(text.len());
            text[cut..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(text.len(), |p| cut + p + 1)
        };
        std::fs::write(partial.join(format!("part-{i:03}")), &text[start..end])
            .expect("writes a chunk");
        start = end;
    }
    std::fs::rename(&partial, dir).expect("renames the chunk directory");
}

/// One run of the pipeline on `workers` workers over every chunk.
fn streamdsl_run(data: &Data, workers: usize) -> Duration {
    let progress = Progress::new(data.words);
    let chunk_bytes = data.bytes / CHUNKS as u64 + 1;
    let input = text_file_stream(&data.chunks)
        .include_existing(true)
        .remember(Duration::from_secs(24 * 3600))
        .max_batch_bytes(chunk_bytes);
    let pipeline = FileWordCount::new(Arc::clone(&progress)).lines(input);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let clock = ManualClock::starting_at(Time::from_millis(now.as_millis() as i64));
    let running = StreamingContext::new()
        .manual_clock(clock.clone())
        .workers(workers)
        .add_listener(Completion(Arc::clone(&progress)))
        .start(pipeline)
        .expect("the pipeline starts");
    let start = Instant::now();
    clock.advance_to(running.first_batch() + Duration::from_secs(2 * CHUNKS as u64));
    progress.wait(Duration::from_secs(300));
    let elapsed = start.elapsed();
    running
        .stop(StopMode::Immediately)
        .expect("the pipeline stops");
    elapsed
}

/// The anchor's throughput in MB/s, if `PYSPARK_VENV` is set (one backlog run after its
/// warm-up).
fn pyspark_mb_per_s(data: &Data) -> Option<f64> {
    let venv = std::env::var_os("PYSPARK_VENV")?;
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench/pyspark_dstream_bench.py");
    let python = Path::new(&venv).join("bin/python");
    let output = std::process::Command::new(python)
        .arg(script)
        .arg(&data.file)
        .args([
            "--batches",
            &CHUNKS.to_string(),
            "--runs",
            "1",
            "--modes",
            "backlog",
        ])
        .output()
        .expect("runs the PySpark anchor");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("RESULT "))
        .find(|l| l.contains("\"dstream_backlog\""));
    let Some(result) = result else {
        eprintln!(
            "files_word_count: the PySpark anchor gave no result:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    };
    let json: serde_json::Value = serde_json::from_str(result).expect("the anchor's JSON");
    json["mb_per_s"].as_f64()
}

fn files_word_count(c: &mut Criterion) {
    let data = data();
    let mb = data.bytes as f64 / 1e6;
    eprintln!(
        "files_word_count data: {mb:.1} MB in {CHUNKS} files ({}), {} words",
        data.chunks.display(),
        data.words
    );
    let mut group = c.benchmark_group("files_word_count");
    group
        .throughput(Throughput::BytesDecimal(data.bytes))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    for workers in [1, 2] {
        group.bench_function(format!("{workers}_workers"), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| streamdsl_run(&data, workers)).sum())
        });
    }
    group.finish();

    // Interleaved rounds (the order turns each round), then the anchor.
    let mut times: [Vec<f64>; 2] = Default::default();
    for round in 0..ROUNDS {
        for k in 0..2 {
            let side = (round + k) % 2;
            times[side].push(streamdsl_run(&data, side + 1).as_secs_f64());
        }
    }
    let [one, two] = [median(&times[0]), median(&times[1])];
    eprintln!(
        "files_word_count streamdsl: 1 worker {:.1} MB/s, 2 workers {:.1} MB/s (median of {ROUNDS}); 2 workers vs 1: {:.3}x",
        mb / one,
        mb / two,
        one / two
    );
    match pyspark_mb_per_s(&data) {
        Some(pyspark) => eprintln!(
            "files_word_count PySpark DStream (local[2], backlog): {pyspark:.2} MB/s; \
             streamdsl 2 workers vs PySpark: {:.1}x, 1 worker vs PySpark: {:.1}x",
            mb / two / pyspark,
            mb / one / pyspark
        ),
        None => eprintln!("files_word_count: PYSPARK_VENV not set, no PySpark anchor in this run"),
    }
}

criterion_group!(benches, files_word_count);
criterion_main!(benches);
