//! The PySpark oracle's stateless cases through the harness.
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
//!   `...` line and closing blank line are those of PySpark's `pprint()`; the record lines
//!   themselves are compared too where PySpark's rendering converts simply (see
//!   `PprintText`).
//!
//! Record order inside a batch is not compared: it follows hash partitioning, which differs
//! between PySpark and streamdsl (spec section 4).

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
    pprint: String,
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
    fn load(name: &'static str) -> Case {
        let spec: Value =
            serde_json::from_str(&fixture(&format!("{name}.json"))).expect("case file is JSON");
        let expected = fixture(&format!("{name}.jsonl"))
            .lines()
            .map(|line| {
                let line: Value = serde_json::from_str(line).expect("expected line is JSON");
                assert!(
                    line.get("error").is_none(),
                    "{name}: the oracle reports an error: {line}"
                );
                ExpectedBatch {
                    time_ms: line["time_offset_ms"].as_i64().expect("time_offset_ms"),
                    records: line["records"].as_array().expect("records").clone(),
                }
            })
            .collect();
        let case = Case {
            name,
            spec,
            expected,
            pprint: fixture(&format!("{name}.pprint.txt")),
        };
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
    /// Records are numbers, or tuples of numbers and plain strings: PySpark's `('a', 1)` is
    /// Rust's `("a", 1)` once quotes are swapped; compare the lines as sorted multisets.
    Python,
    /// PySpark's rendering differs from Rust's beyond quotes (the reason says how): compare
    /// the number of lines only.
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

/// PySpark's `str()` of a record made of numbers and plain strings, in Rust's `{:?}` rendering:
/// strings quoted with `"` instead of `'`. Anything this cannot convert faithfully is refused.
fn python_to_rust(line: &str) -> String {
    for refused in ["\\", "\"", "None", "True", "False", "[", "<"] {
        assert!(
            !line.contains(refused),
            "cannot convert PySpark's `{line}` (contains `{refused}`)"
        );
    }
    line.replace('\'', "\"")
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

fn check_pprint(case: &Case, run: &TestRun, shape: &Shape, text: &PprintText) {
    let name = case.name;
    let got = parse_pprint(run.console(), &format!("{name} (streamdsl)"));
    let want = parse_pprint(&case.pprint, &format!("{name} (PySpark)"));
    assert_eq!(
        got.len(),
        want.len(),
        "{name}: number of pprint blocks\n{}",
        run.console()
    );
    assert_eq!(
        want.len(),
        case.expected.len(),
        "{name}: the oracle's pprint blocks and records disagree"
    );
    for ((g, w), expected) in got.iter().zip(&want).zip(&case.expected) {
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
                let all: Vec<String> = expected.records.iter().map(|r| render(r, shape)).collect();
                let python: Vec<String> = w.records.iter().map(|l| python_to_rust(l)).collect();
                assert_sub_multiset(&g.records, &all, &format!("{at} (streamdsl)"));
                assert_sub_multiset(&python, &all, &format!("{at} (PySpark)"));
            }
            PprintText::Python => {
                let python: Vec<String> = w.records.iter().map(|l| python_to_rust(l)).collect();
                assert_eq!(
                    sorted(g.records.clone()),
                    sorted(python),
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
fn check<P: Pipeline>(case: &Case, pipeline: P, shape: Shape, text: PprintText) {
    let name = case.name;
    let info = pipeline.info();
    assert_eq!(
        info.batch_interval,
        case.batch_interval(),
        "{name}: batch interval"
    );
    assert_eq!(info.outputs.len(), 1, "{name}: one output, the pprint");
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
    check_pprint(case, &run, &shape, &text);
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
        PprintText::CountOnly("Python prints the optional side without Some(..)"),
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
        PprintText::CountOnly("Python prints the optional sides without Some(..)"),
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
