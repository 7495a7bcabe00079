//! The PySpark oracle's cases through the harness.
//!
//! Each case of `tests/fixtures/oracle/` (copied from the project's PySpark oracle, see the
//! README there) gets the `stream!` pipeline that does what the oracle's Python pipeline does,
//! is fed the case's input batches with `queue_stream`, and runs for as many batches as the
//! oracle ran. Then:
//!
//! * records: the output runs at exactly the batch times the oracle lists, and at each of them
//!   its records (rendered with `{:?}`) are, as a multiset, the oracle's records converted to
//!   the Rust rendering by `render` with the shape the case declares;
//! * pprint: the console holds one block per batch whose header lines, number of record lines,
//!   `...` line and closing blank line are those of PySpark's `pprint()`, and so are the
//!   record lines (as multisets), except where PySpark prints Python objects (see
//!   `PprintText`).
//!
//! Record order inside a batch is not compared: it follows hash partitioning, which differs
//! between PySpark and streamdsl (spec section 4).
//!
//! Where streamdsl deliberately differs from PySpark, the test replaces the oracle's batches
//! by streamdsl's documented result (`Case::replace_batch`, `Case::expect_results_of`) and
//! says why, citing the documentation, next to the test. The oracle's error cases are compile
//! errors in streamdsl: they are `tests/ui/oracle_*.rs` (run by `tests/ui.rs`), and the tests
//! here check that those still match the fixtures.

use serde_json::{Value, json};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;
use streamdsl::prelude::*;
use streamdsl::testing::{Harness, TestRun};

// ---------------------------------------------------------------------------------------------
// Case fixtures
// ---------------------------------------------------------------------------------------------

/// One oracle case: the case file, the per-batch records and the pprint text PySpark produced.
struct Case {
    name: &'static str,
    spec: Value,
    expected: Vec<ExpectedBatch>,
    /// PySpark's pprint output, one block per line of `expected`.
    pprint: Vec<Block>,
}

/// One line of `NAME.jsonl`: a batch at which the oracle's output ran.
struct ExpectedBatch {
    time_ms: i64,
    records: Vec<Value>,
}

fn fixture(file: &str) -> String {
    let path = PathBuf::from(format!(
        "{}/tests/fixtures/oracle/{file}",
        env!("CARGO_MANIFEST_DIR")
    ));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

impl Case {
    /// A case the oracle ran to the end.
    fn load(name: &'static str) -> Case {
        let (case, error) = Case::read(name);
        if let Some(error) = error {
            panic!("{name}: the oracle reports an error: {error}");
        }
        assert_eq!(
            case.pprint.len(),
            case.expected.len(),
            "{name}: the oracle's pprint blocks and records disagree"
        );
        let pprint_num = case
            .spec
            .get("pprint_num")
            .map_or(10, |n| n.as_u64().expect("pprint_num"));
        assert_eq!(
            pprint_num, 10,
            "{name}: the pipelines here use `pprint()`, which shows 10 records"
        );
        case
    }

    /// A case the oracle failed: the case, and the oracle's `{"type", "message"}`.
    fn load_error(name: &'static str) -> (Case, Value) {
        let (case, error) = Case::read(name);
        let error = error.unwrap_or_else(|| panic!("{name}: the oracle reports no error"));
        assert!(
            case.pprint.is_empty(),
            "{name}: a failed case prints nothing"
        );
        (case, error)
    }

    fn read(name: &'static str) -> (Case, Option<Value>) {
        let spec: Value =
            serde_json::from_str(&fixture(&format!("{name}.json"))).expect("case file is JSON");
        let lines: Vec<Value> = fixture(&format!("{name}.jsonl"))
            .lines()
            .map(|line| serde_json::from_str(line).expect("expected line is JSON"))
            .collect();
        let error = match lines.as_slice() {
            [line] => line.get("error").cloned(),
            _ => None,
        };
        let expected = if error.is_some() {
            Vec::new()
        } else {
            lines
                .iter()
                .map(|line| {
                    assert!(
                        line.get("error").is_none(),
                        "{name}: an error line among batches: {line}"
                    );
                    ExpectedBatch {
                        time_ms: line["time_offset_ms"].as_i64().expect("time_offset_ms"),
                        records: line["records"].as_array().expect("records").clone(),
                    }
                })
                .collect()
        };
        let pprint = parse_pprint(
            &fixture(&format!("{name}.pprint.txt")),
            &format!("{name} (PySpark)"),
        );
        let case = Case {
            name,
            spec,
            expected,
            pprint,
        };
        (case, error)
    }

    /// Checks that the case's pipeline is the one the test implements.
    fn assert_pipeline(&self, pipeline: Value) {
        assert_eq!(
            self.spec["pipeline"], pipeline,
            "{}: the case's pipeline changed",
            self.name
        );
        assert!(
            self.spec.get("steps2").is_none(),
            "{}: steps2 are not implemented here",
            self.name
        );
    }

    /// A numeric parameter of a preset pipeline (`"pipeline": {"name": …, "params": {…}}`).
    fn param_i64(&self, name: &str) -> i64 {
        self.spec["pipeline"]["params"][name]
            .as_i64()
            .unwrap_or_else(|| panic!("{}: param {name}", self.name))
    }

    /// The batch interval the case runs at.
    fn batch_interval(&self) -> Duration {
        Duration::from_millis(self.spec["batch_ms"].as_u64().expect("batch_ms"))
    }

    /// How many batches the oracle ran: the input batches, then `extra_batches` empty ones.
    fn batch_count(&self) -> usize {
        let extra = self
            .spec
            .get("extra_batches")
            .map_or(0, |n| n.as_u64().expect("extra_batches"));
        self.spec["batches"].as_array().expect("batches").len() + extra as usize
    }

    /// Whether the oracle ran the case with a checkpoint directory: as the case says, else iff
    /// its pipeline uses a stateful operator (`run_oracle.py`'s rule).
    fn checkpoints(&self) -> bool {
        const STATEFUL_PRESETS: [&str; 2] = ["window_count", "state_count"];
        const STATEFUL_OPS: [&str; 6] = [
            "reduce_by_key_and_window",
            "update_state_by_key",
            "count_by_window",
            "count_by_value_and_window",
            "group_by_key_and_window",
            "reduce_by_window",
        ];
        if let Some(checkpoint) = self.spec.get("checkpoint") {
            return checkpoint.as_bool().expect("checkpoint is a boolean");
        }
        let pipeline = &self.spec["pipeline"];
        match pipeline.get("steps") {
            Some(steps) => steps
                .as_array()
                .expect("steps")
                .iter()
                .any(|step| STATEFUL_OPS.contains(&step["op"].as_str().expect("a step's op"))),
            None => {
                let preset = pipeline.as_str().or_else(|| pipeline["name"].as_str());
                STATEFUL_PRESETS.contains(&preset.expect("a preset's name"))
            }
        }
    }

    /// The input batches under `key` (`batches` or `batches2`), each record converted by
    /// `record`, split into the case's `partitions` (default 2) as PySpark's `parallelize`
    /// splits them.
    fn input<T>(&self, key: &str, record: impl Fn(&Value) -> T) -> Vec<Batch<T>> {
        let partitions = self
            .spec
            .get("partitions")
            .map_or(2, |n| n.as_u64().expect("partitions") as usize);
        let batches = self.spec[key]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no {key}", self.name));
        batches
            .iter()
            .map(|batch| {
                let records: Vec<T> = batch
                    .as_array()
                    .expect("a batch is an array")
                    .iter()
                    .map(&record)
                    .collect();
                parallelize(records, partitions)
            })
            .collect()
    }

    /// Where streamdsl deliberately differs from PySpark: expects `records` at `time_ms`
    /// instead of the oracle's records, in the batch's records and in its pprint block (which
    /// then shows them as PySpark would print them).
    fn replace_batch(&mut self, time_ms: i64, records: Value) {
        let index = self
            .expected
            .iter()
            .position(|e| e.time_ms == time_ms)
            .unwrap_or_else(|| panic!("{}: the oracle has no batch at {time_ms} ms", self.name));
        let records = records.as_array().expect("records are an array").clone();
        assert!(records.len() <= 10, "pprint() shows at most 10 records");
        assert_ne!(
            self.expected[index].records, records,
            "{}: the replaced batch at {time_ms} ms is the oracle's own",
            self.name
        );
        self.pprint[index].records = records.iter().map(python_str).collect();
        self.pprint[index].ellipsis = false;
        self.expected[index].records = records;
    }

    /// Where streamdsl deliberately differs from PySpark: expects what the oracle produced for
    /// `other`, a case with the same input and interval whose pipeline gives streamdsl's result.
    fn expect_results_of(&mut self, other: Case) {
        for key in [
            "batch_ms",
            "partitions",
            "batches",
            "extra_batches",
            "pprint_num",
        ] {
            assert_eq!(
                self.spec.get(key),
                other.spec.get(key),
                "{} and {}: `{key}` differs",
                self.name,
                other.name
            );
        }
        assert!(
            self.expected
                .iter()
                .zip(&other.expected)
                .any(|(a, b)| a.records != b.records),
            "{} and {} agree: no deviation left",
            self.name,
            other.name
        );
        self.expected = other.expected;
        self.pprint = other.pprint;
    }
}

/// PySpark's `sc.parallelize(list, n)`: the list is cut into chunks of
/// `max(1, min(len / n, 1024))` records, and the chunks are sliced into `n` partitions the way
/// Spark's `ParallelCollectionRDD` slices (`[i·len/n, (i+1)·len/n)` for partition `i`).
fn parallelize<T>(records: Vec<T>, n: usize) -> Batch<T> {
    let chunk = (records.len() / n).clamp(1, 1024);
    let mut chunks: Vec<Vec<T>> = Vec::new();
    let mut rest = records.into_iter().peekable();
    while rest.peek().is_some() {
        chunks.push(rest.by_ref().take(chunk).collect());
    }
    let count = chunks.len();
    let mut chunks = chunks.into_iter();
    Batch::from_partitions((0..n).map(|i| {
        let take = (i + 1) * count / n - i * count / n;
        chunks.by_ref().take(take).flatten().collect::<Vec<T>>()
    }))
}

// Input records: the case's JSON values as the pipelines' record types.

fn int(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| panic!("expected an integer, got {v}"))
}

fn string(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
        .to_owned()
}

fn pair<A, B>(a: impl Fn(&Value) -> A, b: impl Fn(&Value) -> B) -> impl Fn(&Value) -> (A, B) {
    move |v| match v.as_array().map(Vec::as_slice) {
        Some([x, y]) => (a(x), b(y)),
        _ => panic!("expected a pair, got {v}"),
    }
}

/// A record the oracle's JSON does not type: a number or a string (the second join stream has
/// `["q", 0]` next to `["a", "x"]`; `count_basic` counts `"x"` next to numbers). Its `Debug` is
/// that of the value, so `Int(0)` shows as `0` and `Str("x")` as `"x"`; the derived order puts
/// numbers before strings, as the oracle's sort does.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Scalar {
    Int(i64),
    Str(String),
}

impl fmt::Debug for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Int(n) => fmt::Debug::fmt(n, f),
            Scalar::Str(s) => fmt::Debug::fmt(s, f),
        }
    }
}

/// pprint shows it as PySpark shows the value: `0`, `'x'`.
impl streamdsl::PySparkText for Scalar {
    fn python_repr(&self, out: &mut String) {
        match self {
            Scalar::Int(n) => n.python_repr(out),
            Scalar::Str(s) => s.python_repr(out),
        }
    }
}

fn scalar(v: &Value) -> Scalar {
    match v {
        Value::Number(_) => Scalar::Int(int(v)),
        Value::String(s) => Scalar::Str(s.clone()),
        _ => panic!("expected a number or a string, got {v}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Expected records in Rust's rendering
// ---------------------------------------------------------------------------------------------

/// The Rust type of an output record, as far as its `{:?}` rendering goes; each case declares
/// its own, so JSON arrays are read as tuples or lists as the case's record type says.
#[derive(Clone, Debug)]
enum Shape {
    /// A number (as is) or a string (`"s"`, Rust's escaping).
    Scalar,
    /// A JSON array of fixed length as a tuple: `(a, b)`.
    Tuple(Vec<Shape>),
    /// A JSON array as a `Vec`: `[a, b]` (groupByKey / cogroup values).
    List(Box<Shape>),
    /// `null` as `None`, anything else as `Some(..)` (the side of an outer join that may miss).
    Option(Box<Shape>),
}

use Shape::Scalar as S;

fn tuple(a: Shape, b: Shape) -> Shape {
    Shape::Tuple(vec![a, b])
}

fn list(item: Shape) -> Shape {
    Shape::List(Box::new(item))
}

fn option(item: Shape) -> Shape {
    Shape::Option(Box::new(item))
}

/// The oracle's JSON record `v` rendered as Rust's `{:?}` renders a record of shape `shape`.
fn render(v: &Value, shape: &Shape) -> String {
    match (shape, v) {
        (Shape::Scalar, Value::Number(n)) => n.to_string(),
        (Shape::Scalar, Value::String(s)) => format!("{s:?}"),
        (Shape::Tuple(items), Value::Array(vs)) if items.len() == vs.len() => {
            let parts: Vec<String> = vs.iter().zip(items).map(|(v, s)| render(v, s)).collect();
            format!("({})", parts.join(", "))
        }
        (Shape::List(item), Value::Array(vs)) => {
            let parts: Vec<String> = vs.iter().map(|v| render(v, item)).collect();
            format!("[{}]", parts.join(", "))
        }
        (Shape::Option(_), Value::Null) => "None".to_owned(),
        (Shape::Option(item), v) => format!("Some({})", render(v, item)),
        _ => panic!("the oracle's record {v} does not have the declared shape {shape:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// pprint
// ---------------------------------------------------------------------------------------------

/// What to do with pprint's record lines, besides counting them.
enum PprintText {
    /// streamdsl prints the records as PySpark does (Python's `str()`): compare the lines as
    /// sorted multisets.
    Python,
    /// PySpark prints something streamdsl cannot (the reason says what): compare the number
    /// of lines only.
    CountOnly(&'static str),
}

const DASHES: &str = "-------------------------------------------";

/// One batch of pprint output.
#[derive(Debug)]
struct Block {
    header: Vec<String>,
    records: Vec<String>,
    ellipsis: bool,
}

/// Splits pprint output into blocks: three header lines, record lines, an optional `...`,
/// then a blank line (required).
fn parse_pprint(text: &str, who: &str) -> Vec<Block> {
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{who}: pprint output ends without a newline"
    );
    let mut lines = text.lines();
    let mut blocks = Vec::new();
    while let Some(first) = lines.next() {
        let mut header = vec![first.to_owned()];
        header.extend(lines.by_ref().take(2).map(str::to_owned));
        assert_eq!(header.len(), 3, "{who}: truncated pprint header {header:?}");
        let mut records = Vec::new();
        loop {
            match lines.next() {
                Some("") => break,
                Some(line) => records.push(line.to_owned()),
                None => panic!("{who}: pprint block {header:?} does not end with a blank line"),
            }
        }
        let ellipsis = records.last().is_some_and(|l| l == "...");
        if ellipsis {
            records.pop();
        }
        blocks.push(Block {
            header,
            records,
            ellipsis,
        });
    }
    blocks
}

/// Python's `str()` of a record made of numbers, plain strings and tuples of them: how
/// PySpark's pprint shows it.
fn python_str(record: &Value) -> String {
    fn repr(v: &Value) -> String {
        match v {
            Value::String(s) if !s.contains(['\'', '\\']) => format!("'{s}'"),
            Value::Number(n) => n.to_string(),
            Value::Array(items) if items.len() >= 2 => {
                let items: Vec<String> = items.iter().map(repr).collect();
                format!("({})", items.join(", "))
            }
            _ => panic!("cannot render {v} as Python"),
        }
    }
    match record {
        Value::String(s) => s.clone(),
        other => repr(other),
    }
}

fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}

/// Checks that every line of `lines` is a distinct record of `records`.
fn assert_sub_multiset(lines: &[String], records: &[String], at: &str) {
    let mut left = records.to_vec();
    for line in lines {
        let found = left.iter().position(|r| r == line);
        let found = found.unwrap_or_else(|| {
            panic!("{at}: `{line}` is not a record of the batch (or shown twice)")
        });
        left.swap_remove(found);
    }
}

fn check_pprint(case: &Case, run: &TestRun, text: &PprintText) {
    let name = case.name;
    let got = parse_pprint(run.console(), &format!("{name} (streamdsl)"));
    let want = &case.pprint;
    assert_eq!(
        got.len(),
        want.len(),
        "{name}: number of pprint blocks\n{}",
        run.console()
    );
    for ((g, w), expected) in got.iter().zip(want).zip(&case.expected) {
        let at = format!("{name}, pprint at {} ms", expected.time_ms);
        assert_eq!(g.header[0], DASHES, "{at}: 43 dashes");
        assert_eq!(g.header, w.header, "{at}: header");
        let note = match text {
            PprintText::Python => String::new(),
            PprintText::CountOnly(reason) => format!(" (their text is not compared: {reason})"),
        };
        assert_eq!(
            g.records.len(),
            w.records.len(),
            "{at}: number of record lines{note}\n{g:?}\n{w:?}"
        );
        assert_eq!(g.ellipsis, w.ellipsis, "{at}: `...` line");
        match text {
            PprintText::CountOnly(_) => {}
            PprintText::Python if w.ellipsis => {
                // Which records come before the `...` follows partition order, which is hash
                // partitioning here and differs from PySpark's: check only that the lines each
                // side shows are records of the batch.
                let all: Vec<String> = expected.records.iter().map(python_str).collect();
                assert_sub_multiset(&g.records, &all, &format!("{at} (streamdsl)"));
                assert_sub_multiset(&w.records, &all, &format!("{at} (PySpark)"));
            }
            PprintText::Python => {
                assert_eq!(
                    sorted(g.records.clone()),
                    sorted(w.records.clone()),
                    "{at}: record lines"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running a case
// ---------------------------------------------------------------------------------------------

/// Runs `pipeline` (inputs bound to the case's batches) for the oracle's number of batches and
/// compares its only output, a `pprint()`, with the oracle's records and pprint text.
fn check<P: Pipeline + InputsBound>(case: &Case, pipeline: P, shape: Shape, text: PprintText) {
    let name = case.name;
    let info = pipeline.info();
    assert_eq!(
        info.batch_interval,
        case.batch_interval(),
        "{name}: batch interval"
    );
    assert_eq!(info.outputs.len(), 1, "{name}: one output, the pprint");
    assert_eq!(
        info.checkpoint_interval.is_some(),
        case.checkpoints(),
        "{name}: the pipeline checkpoints iff the oracle's run did"
    );
    let run = Harness::new(pipeline)
        .run(case.batch_count())
        .unwrap_or_else(|e| panic!("{name}: run failed: {e}"));
    assert_eq!(
        run.batches().len(),
        case.batch_count(),
        "{name}: batches run"
    );
    let out = run.output(0);
    let times: Vec<i64> = case.expected.iter().map(|e| e.time_ms).collect();
    assert_eq!(
        out.times(),
        times,
        "{name}: the output runs at the batch times the oracle lists"
    );
    for expected in &case.expected {
        let want = sorted(expected.records.iter().map(|r| render(r, &shape)).collect());
        assert_eq!(
            out.sorted_at(expected.time_ms),
            want,
            "{name}: records at {} ms",
            expected.time_ms
        );
    }
    check_pprint(case, &run, &text);
}

// ---------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------

stream! {
    /// Preset `wordcount` (`split`): Python's `line.split(" ")` keeps empty tokens between
    /// repeated spaces, as `str::split(' ')` does.
    pipeline WordCount {
        batch = 1s;
        input lines: &str;
        let counts = lines
            .flat_map(|line| line.split(' '))
            .map(|word| (word, 1i64))
            .reduce_by_key(|a, b| a + b);
        counts.pprint();
    }
}

#[test]
fn wordcount_basic() {
    let case = Case::load("wordcount_basic");
    case.assert_pipeline(json!("wordcount"));
    let pipeline = WordCount::new().lines(queue_stream(case.input("batches", string)));
    check(&case, pipeline, tuple(S, S), PprintText::Python);
}

stream! {
    /// Preset `wordcount` with `split_ws`: Python's `line.split()` splits on runs of (Unicode)
    /// whitespace and gives no empty tokens, as `str::split_whitespace` does.
    pipeline WordCountWs {
        batch = 1s;
        input lines: &str;
        let counts = lines
            .flat_map(|line| line.split_whitespace())
            .map(|word| (word, 1i64))
            .reduce_by_key(|a, b| a + b);
        counts.pprint();
    }
}

#[test]
fn wordcount_split_ws() {
    let case = Case::load("wordcount_split_ws");
    case.assert_pipeline(json!({"name": "wordcount", "params": {"split": "split_ws"}}));
    let pipeline = WordCountWs::new().lines(queue_stream(case.input("batches", string)));
    check(&case, pipeline, tuple(S, S), PprintText::Python);
}

stream! {
    /// Preset `mod_count {mod}`: `x -> (x % mod, 1)`, `reduceByKey(add)`. Python's `%` takes
    /// the sign of the divisor, which is `rem_euclid` for a positive modulus.
    pipeline ModCount(modulus: i64) {
        batch = 1s;
        input numbers: i64;
        let counts = numbers.map(|x| (x.rem_euclid(*modulus), 1i64)).reduce_by_key(|a, b| a + b);
        counts.pprint();
    }
}

fn mod_count(name: &'static str) {
    let case = Case::load(name);
    case.assert_pipeline(json!({"name": "mod_count", "params": {"mod": 10}}));
    let pipeline =
        ModCount::new(case.param_i64("mod")).numbers(queue_stream(case.input("batches", int)));
    check(&case, pipeline, tuple(S, S), PprintText::Python);
}

#[test]
fn mod_count_basic() {
    mod_count("mod_count_basic");
}

#[test]
fn mod_count_1000() {
    mod_count("mod_count_1000");
}

stream! {
    /// Preset `count`. The input mixes numbers and a string, hence `Scalar` records.
    pipeline Count {
        batch = 1s;
        input values: Scalar;
        let total = values.count();
        total.pprint();
    }
}

#[test]
fn count_basic() {
    let case = Case::load("count_basic");
    case.assert_pipeline(json!("count"));
    let pipeline = Count::new().values(queue_stream(case.input("batches", scalar)));
    check(&case, pipeline, S, PprintText::Python);
}

stream! {
    /// Preset `count_by_value` on strings.
    pipeline CountWords {
        batch = 1s;
        input words: &str;
        let counts = words.count_by_value();
        counts.pprint();
    }
}

#[test]
fn count_by_value() {
    let case = Case::load("count_by_value");
    case.assert_pipeline(json!("count_by_value"));
    let pipeline = CountWords::new().words(queue_stream(case.input("batches", string)));
    check(&case, pipeline, tuple(S, S), PprintText::Python);
}

stream! {
    /// Preset `count_by_value` on numbers.
    pipeline CountNumbers {
        batch = 1s;
        input numbers: i64;
        let counts = numbers.count_by_value();
        counts.pprint();
    }
}

#[test]
fn pprint_ellipsis() {
    let case = Case::load("pprint_ellipsis");
    case.assert_pipeline(json!("count_by_value"));
    let pipeline = CountNumbers::new().numbers(queue_stream(case.input("batches", int)));
    check(&case, pipeline, tuple(S, S), PprintText::Python);
}

stream! {
    /// Preset `filter {fn: even}`: `x % 2 == 0` (true for negative even numbers in both
    /// languages).
    pipeline FilterEven {
        batch = 1s;
        input numbers: i64;
        let evens = numbers.filter(|x| x % 2 == 0);
        evens.pprint();
    }
}

#[test]
fn filter_even() {
    let case = Case::load("filter_even");
    case.assert_pipeline(json!({"name": "filter", "params": {"fn": "even"}}));
    let pipeline = FilterEven::new().numbers(queue_stream(case.input("batches", int)));
    check(&case, pipeline, S, PprintText::Python);
}

stream! {
    /// Preset `reduce {fn: add}`.
    pipeline ReduceAdd {
        batch = 1s;
        input numbers: i64;
        let sum = numbers.reduce(|a, b| a + b);
        sum.pprint();
    }
}

#[test]
fn reduce_add() {
    let case = Case::load("reduce_add");
    case.assert_pipeline(json!({"name": "reduce", "params": {"fn": "add"}}));
    let pipeline = ReduceAdd::new().numbers(queue_stream(case.input("batches", int)));
    check(&case, pipeline, S, PprintText::Python);
}

stream! {
    /// Steps `group_by_key`. The oracle sorts each key's values (they are an unordered
    /// iterable in PySpark), so the pipeline sorts them too.
    pipeline GroupByKey {
        batch = 1s;
        input pairs: (String, i64);
        let grouped = pairs.group_by_key().map_values(|mut values| { values.sort(); values });
        grouped.pprint();
    }
}

#[test]
fn group_by_key() {
    let case = Case::load("group_by_key");
    case.assert_pipeline(json!({"steps": [{"op": "group_by_key"}]}));
    let pipeline = GroupByKey::new().pairs(queue_stream(case.input("batches", pair(string, int))));
    check(
        &case,
        pipeline,
        tuple(S, list(S)),
        // PySpark prints the values as `<pyspark.resultiterable.ResultIterable object at 0xADDR>`.
        PprintText::CountOnly("PySpark prints grouped values as ResultIterable objects"),
    );
}

stream! {
    /// Preset `union`.
    pipeline Union {
        batch = 1s;
        input first: i64;
        input second: i64;
        let both = first.union(second);
        both.pprint();
    }
}

#[test]
fn union_basic() {
    let case = Case::load("union_basic");
    case.assert_pipeline(json!("union"));
    let pipeline = Union::new()
        .first(queue_stream(case.input("batches", int)))
        .second(queue_stream(case.input("batches2", int)));
    check(&case, pipeline, S, PprintText::Python);
}

stream! {
    /// Preset `join {how: inner}`; the second stream's values are strings and numbers.
    pipeline JoinInner {
        batch = 1s;
        input left: (String, i64);
        input right: (String, Scalar);
        let joined = left.join(right);
        joined.pprint();
    }
}

#[test]
fn join_inner() {
    let case = Case::load("join_inner");
    case.assert_pipeline(json!({"name": "join", "params": {"how": "inner"}}));
    let pipeline = JoinInner::new()
        .left(queue_stream(case.input("batches", pair(string, int))))
        .right(queue_stream(case.input("batches2", pair(string, scalar))));
    check(&case, pipeline, tuple(S, tuple(S, S)), PprintText::Python);
}

stream! {
    /// Preset `join {how: left}`.
    pipeline JoinLeft {
        batch = 1s;
        input left: (String, i64);
        input right: (String, Scalar);
        let joined = left.left_outer_join(right);
        joined.pprint();
    }
}

#[test]
fn join_left() {
    let case = Case::load("join_left");
    case.assert_pipeline(json!({"name": "join", "params": {"how": "left"}}));
    let pipeline = JoinLeft::new()
        .left(queue_stream(case.input("batches", pair(string, int))))
        .right(queue_stream(case.input("batches2", pair(string, scalar))));
    check(
        &case,
        pipeline,
        tuple(S, tuple(S, option(S))),
        // PySpark prints a matched right value bare, `('a', (1, 'x'))`; Rust prints `Some("x")`.
        PprintText::Python,
    );
}

stream! {
    /// Preset `join {how: full}`.
    pipeline JoinFull {
        batch = 1s;
        input left: (String, i64);
        input right: (String, Scalar);
        let joined = left.full_outer_join(right);
        joined.pprint();
    }
}

#[test]
fn join_full() {
    let case = Case::load("join_full");
    case.assert_pipeline(json!({"name": "join", "params": {"how": "full"}}));
    let pipeline = JoinFull::new()
        .left(queue_stream(case.input("batches", pair(string, int))))
        .right(queue_stream(case.input("batches2", pair(string, scalar))));
    check(
        &case,
        pipeline,
        tuple(S, tuple(option(S), option(S))),
        // PySpark prints present values bare, `('c', (None, 'y'))`; Rust prints `Some("y")`.
        PprintText::Python,
    );
}

stream! {
    /// Preset `cogroup`. The oracle sorts both value lists, so the pipeline sorts them too.
    pipeline Cogroup {
        batch = 1s;
        input left: (String, i64);
        input right: (String, Scalar);
        let grouped = left.cogroup(right).map_values(|(mut l, mut r)| {
            l.sort();
            r.sort();
            (l, r)
        });
        grouped.pprint();
    }
}

#[test]
fn cogroup_basic() {
    let case = Case::load("cogroup_basic");
    case.assert_pipeline(json!("cogroup"));
    let pipeline = Cogroup::new()
        .left(queue_stream(case.input("batches", pair(string, int))))
        .right(queue_stream(case.input("batches2", pair(string, scalar))));
    check(
        &case,
        pipeline,
        tuple(S, tuple(list(S), list(S))),
        // PySpark prints both value lists as `<pyspark.resultiterable.ResultIterable ...>`.
        PprintText::CountOnly("PySpark prints grouped values as ResultIterable objects"),
    );
}

stream! {
    /// Steps `transform {fn: distinct}`: `rdd.distinct()` per batch.
    pipeline Distinct {
        batch = 1s;
        input numbers: i64;
        let distinct = numbers.transform(|batch: Batch<i64>| {
            let mut records = batch.into_vec();
            records.sort();
            records.dedup();
            records
        });
        distinct.pprint();
    }
}

#[test]
fn transform_distinct() {
    let case = Case::load("transform_distinct");
    case.assert_pipeline(json!({"steps": [{"op": "transform", "fn": "distinct"}]}));
    let pipeline = Distinct::new().numbers(queue_stream(case.input("batches", int)));
    check(&case, pipeline, S, PprintText::Python);
}

stream! {
    /// Steps `transform {fn: tag_time}`: `x -> (batch time in ms, x)`, at 500 ms batches.
    pipeline TagTime {
        batch = 500ms;
        input words: String;
        let tagged = words.transform(|time: Time, batch: Batch<String>| {
            batch.into_iter().map(move |word| (time.millis(), word)).collect::<Vec<_>>()
        });
        tagged.pprint();
    }
}

#[test]
fn transform_tag_time() {
    let case = Case::load("transform_tag_time");
    case.assert_pipeline(json!({"steps": [{"op": "transform", "fn": "tag_time"}]}));
    let pipeline = TagTime::new().words(queue_stream(case.input("batches", string)));
    check(&case, pipeline, tuple(S, S), PprintText::Python);
}

// ---------------------------------------------------------------------------------------------
// Window cases
// ---------------------------------------------------------------------------------------------

stream! {
    /// Steps `window {3 s, 1 s}`: every record of the last three batches.
    pipeline Window3s1s {
        batch = 1s;
        input numbers: i64;
        let windowed: i64 = numbers.window(3s, 1s);
        windowed.pprint();
    }
}

#[test]
fn window_raw_3_1() {
    let case = Case::load("window_raw_3_1");
    case.assert_pipeline(json!({"steps": [{"op": "window", "window_ms": 3000, "slide_ms": 1000}]}));
    let pipeline = Window3s1s::new().numbers(queue_stream(case.input("batches", int)));
    check(&case, pipeline, S, PprintText::Python);
}

stream! {
    /// Steps `window {1 s, 2 s}`: a window shorter than its slide, at 2 s, 4 s, 6 s.
    pipeline Window1s2s {
        batch = 1s;
        input numbers: i64;
        let windowed: i64 = numbers.window(1s, 2s);
        windowed.pprint();
    }
}

/// Deviation: PySpark's `queueStream` takes a queued batch only when the queue stream is
/// computed, and here it is computed only for the windows at 2, 4 and 6 s, so PySpark's windows
/// hold the queue's first three batches, `[1]`, `[2]`, `[3]` (the case's description calls
/// this a quirk). streamdsl's driver "at each batch time … takes every input's batch"
/// (`streamdsl-runtime/src/driver.rs`), and a window of length `w` at `t` holds the parent's
/// batches in `(t - w, t]` (`streamdsl-runtime/src/state/mod.rs`; spec 5.1: "window < slide
/// simply skips batches"), so its windows hold the batches at 2, 4 and 6 s: `[2]`, `[4]`, `[6]`.
#[test]
fn window_raw_1_2() {
    let mut case = Case::load("window_raw_1_2");
    case.assert_pipeline(json!({"steps": [{"op": "window", "window_ms": 1000, "slide_ms": 2000}]}));
    case.replace_batch(2000, json!([2]));
    case.replace_batch(4000, json!([4]));
    case.replace_batch(6000, json!([6]));
    let pipeline = Window1s2s::new().numbers(queue_stream(case.input("batches", int)));
    check(&case, pipeline, S, PprintText::Python);
}

stream! {
    /// Steps `count_by_window {3 s, 1 s}`.
    pipeline CountByWindow3s {
        batch = 1s;
        checkpoint;
        input words: String;
        let counts: u64 = words.count_by_window(3s, 1s);
        counts.pprint();
    }
}

/// Deviation: at 7 s the window (batches at 5, 6, 7 s) is empty. PySpark emits no record
/// (its `countByWindow` is an inverse `reduceByWindow`, recomputed because the window is under
/// 5 × slide, and an empty recomputed window has no value); streamdsl emits a count for every
/// window, `0` when empty, as `window(w, s).count()` does (documented at `CountByWindow` in
/// `streamdsl-runtime/src/state/count_by_window.rs`, and in
/// `streamdsl-macros/src/ops/count_by_window.rs`: "0 when empty"). PySpark: no record at 7 s;
/// streamdsl: `0`.
#[test]
fn count_by_window_small() {
    let mut case = Case::load("count_by_window_small");
    case.assert_pipeline(json!({"steps": [
        {"op": "count_by_window", "window_ms": 3000, "slide_ms": 1000}
    ]}));
    case.replace_batch(7000, json!([0]));
    let pipeline = CountByWindow3s::new().words(queue_stream(case.input("batches", string)));
    check(&case, pipeline, S, PprintText::Python);
}

stream! {
    /// Steps `count_by_value_and_window {5 s, 1 s}`.
    pipeline CountByValueAndWindow5s {
        batch = 1s;
        checkpoint;
        input words: String;
        let counts: (String, u64) = words.count_by_value_and_window(5s, 1s);
        counts.pprint();
    }
}

#[test]
fn count_by_value_and_window() {
    let case = Case::load("count_by_value_and_window");
    case.assert_pipeline(json!({"steps": [
        {"op": "count_by_value_and_window", "window_ms": 5000, "slide_ms": 1000}
    ]}));
    let pipeline =
        CountByValueAndWindow5s::new().words(queue_stream(case.input("batches", string)));
    check(&case, pipeline, tuple(S, S), PprintText::Python);
}

stream! {
    /// Preset `window_count {5 s, 1 s, inverse}`: `w -> (w, 1)`, then
    /// `reduceByKeyAndWindow(add, sub, 5 s, 1 s)`.
    pipeline WindowCountInverse5s {
        batch = 1s;
        checkpoint;
        input words: String;
        let counts: (String, u64) = words
            .map(|w| (w, 1u64))
            .reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 5s, 1s);
        counts.pprint();
    }
}

/// Deviation: PySpark takes the incremental path here (window ≥ 5 × slide) and keeps the keys
/// whose count fell to 0: `('a', 0)`, `('c', 0)` from 7 s on, `('b', 0)` at 9 s. streamdsl's
/// inverse never changes the result, "a key is in a window's output iff it has data in that
/// window" (documented at `ReduceByKeyAndWindow` in
/// `streamdsl-runtime/src/state/reduce_by_key_and_window.rs`, and in
/// `streamdsl-macros/src/ops/reduce_by_key_and_window.rs`), so the expected output is the
/// oracle's `window_count_noinv`, the same window without the inverse: at 7, 8 and 9 s
/// `[('b', 1)]`, `[('b', 1), ('d', 1)]`, `[('d', 1)]`.
#[test]
fn window_count_inv_large() {
    let mut case = Case::load("window_count_inv_large");
    case.assert_pipeline(json!({"name": "window_count", "params":
        {"window_ms": 5000, "slide_ms": 1000, "inverse": true}}));
    case.expect_results_of(Case::load("window_count_noinv"));
    let pipeline = WindowCountInverse5s::new().words(queue_stream(case.input("batches", string)));
    check(&case, pipeline, tuple(S, S), PprintText::Python);
}

stream! {
    /// Preset `window_count {3 s, 1 s, inverse}`.
    pipeline WindowCountInverse3s {
        batch = 1s;
        checkpoint;
        input words: String;
        let counts: (String, u64) = words
            .map(|w| (w, 1u64))
            .reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 3s, 1s);
        counts.pprint();
    }
}

/// PySpark recomputes this window (under 5 × slide), so keys leave with their last batch, as
/// they do in streamdsl.
#[test]
fn window_count_inv_small() {
    let case = Case::load("window_count_inv_small");
    case.assert_pipeline(json!({"name": "window_count", "params":
        {"window_ms": 3000, "slide_ms": 1000, "inverse": true}}));
    let pipeline = WindowCountInverse3s::new().words(queue_stream(case.input("batches", string)));
    check(&case, pipeline, tuple(S, S), PprintText::Python);
}

stream! {
    /// Preset `window_count {5 s, 1 s}` without inverse. streamdsl needs no checkpoint for it;
    /// the oracle ran it with one (it checkpoints every stateful pipeline), so this does too.
    pipeline WindowCount5s {
        batch = 1s;
        checkpoint;
        input words: String;
        let counts: (String, u64) = words
            .map(|w| (w, 1u64))
            .reduce_by_key_and_window(|a, b| a + b, 5s, 1s);
        counts.pprint();
    }
}

#[test]
fn window_count_noinv() {
    let case = Case::load("window_count_noinv");
    case.assert_pipeline(json!({"name": "window_count", "params":
        {"window_ms": 5000, "slide_ms": 1000, "inverse": false}}));
    let pipeline = WindowCount5s::new().words(queue_stream(case.input("batches", string)));
    check(&case, pipeline, tuple(S, S), PprintText::Python);
}

// ---------------------------------------------------------------------------------------------
// State cases
// ---------------------------------------------------------------------------------------------

stream! {
    /// Preset `state_count`: `"del:k" -> (k, None)`, `w -> (w, 1)`, then `updateStateByKey`
    /// whose function removes the key on a `None` value and otherwise adds the values to the
    /// previous count.
    pipeline StateCount {
        batch = 1s;
        checkpoint;
        input words: String;
        let counts: (String, u64) = words
            .map(|w| match w.strip_prefix("del:") {
                Some(key) => (key.to_owned(), None),
                None => (w, Some(1u64)),
            })
            .update_state_by_key(|values: Vec<Option<u64>>, count: Option<u64>| {
                let values: Option<Vec<u64>> = values.into_iter().collect();
                values.map(|values| count.unwrap_or(0) + values.iter().sum::<u64>())
            });
        counts.pprint();
    }
}

#[test]
fn state_count_basic() {
    let case = Case::load("state_count_basic");
    case.assert_pipeline(json!("state_count"));
    let pipeline = StateCount::new().words(queue_stream(case.input("batches", string)));
    check(&case, pipeline, tuple(S, S), PprintText::Python);
}

#[test]
fn state_count_initial() {
    let case = Case::load("state_count_initial");
    case.assert_pipeline(json!({"name": "state_count", "params": {"initial": {"a": 10, "z": 5}}}));
    let initial = case.spec["pipeline"]["params"]["initial"]
        .as_object()
        .expect("initial state is an object")
        .iter()
        .map(|(key, count)| (key.clone(), count.as_u64().expect("a count")));
    let pipeline = StateCount::new()
        .words(queue_stream(case.input("batches", string)))
        .initial_counts(initial);
    check(&case, pipeline, tuple(S, S), PprintText::Python);
}

// ---------------------------------------------------------------------------------------------
// Error cases: compile errors in streamdsl
// ---------------------------------------------------------------------------------------------

/// The trybuild case `tests/ui/<ui_case>.rs` that reproduces an oracle error case: its source
/// has each of `source` and its expected diagnostics are exactly one error, whose message
/// states the problem: it has each of `problem`. (`tests/ui.rs` checks that the compiler still
/// prints those diagnostics.) Returns the source.
fn assert_ui_case(ui_case: &str, source: &[&str], problem: &[&str]) -> String {
    let read = |ext: &str| {
        let path = format!("{}/tests/ui/{ui_case}.{ext}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
    };
    let code = read("rs");
    for text in source {
        assert!(code.contains(text), "{ui_case}.rs: no `{text}`");
    }
    let stderr = read("stderr");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{ui_case}.stderr: one error\n{stderr}");
    for text in problem {
        assert!(
            errors[0].contains(text),
            "{ui_case}.stderr: the error does not say `{text}`\n{stderr}"
        );
    }
    code
}

/// PySpark refuses a 2.5 s window on 1 s batches when the window is built (`ValueError`);
/// `stream!` refuses it at compile time.
#[test]
fn error_window_not_multiple() {
    let (case, error) = Case::load_error("error_window_not_multiple");
    case.assert_pipeline(json!({"steps": [{"op": "window", "window_ms": 2500, "slide_ms": 1000}]}));
    assert_eq!(case.batch_interval(), Duration::from_secs(1));
    assert_eq!(
        error,
        json!({"type": "ValueError", "message":
            "windowDuration must be multiple of the parent dstream's slide (batch) duration (1000 ms)"})
    );
    let _ = assert_ui_case(
        "oracle_window_not_multiple",
        &["batch = 1s;", ".window(2500ms, 1s)"],
        &[
            "window of `window` (2500 ms) must be a multiple of",
            "(1000 ms)",
        ],
    );
}

/// PySpark's `updateStateByKey` without a checkpoint directory fails at `start()`; `stream!`
/// refuses a stateful operator without `checkpoint` at compile time.
#[test]
fn error_state_no_checkpoint() {
    let (case, error) = Case::load_error("error_state_no_checkpoint");
    case.assert_pipeline(json!("state_count"));
    assert!(!case.checkpoints(), "the case runs without a checkpoint");
    assert_eq!(
        error["message"],
        "java.lang.IllegalArgumentException: requirement failed: The checkpoint directory has \
         not been set. Please set it by StreamingContext.checkpoint()."
    );
    let code = assert_ui_case(
        "oracle_state_without_checkpoint",
        &["batch = 1s;", ".update_state_by_key("],
        &[
            "`update_state_by_key`",
            "must checkpoint",
            "add `checkpoint;`",
        ],
    );
    assert!(
        !code
            .lines()
            .any(|l| l.trim_start().starts_with("checkpoint")),
        "the ui case has no `checkpoint` statement"
    );
}
