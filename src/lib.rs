//! # streamdsl
//!
//! Spark Streaming's DStream model, compiled. Declare a pipeline with [`stream!`]; `cargo
//! build` checks it (unknown operators, undefined streams, streams that reach no output, keyed
//! operators on non-pairs, closures of the wrong type) and turns it into one monomorphized
//! per-batch function. The runtime feeds it batches on interval ticks and runs its outputs.
//!
//! ```
//! use streamdsl::prelude::*;
//!
//! stream! {
//!     /// Word count over lines of text (Spark's NetworkWordCount, on any input).
//!     pub pipeline WordCount {
//!         batch = 1s;
//!         input lines: &str;      // `&str`: records are borrowed from the batch, no copies
//!         let counts = lines
//!             .flat_map(|line| line.split(' '))
//!             .map(|word| (word, 1u64))
//!             .reduce_by_key(|a, b| a + b);
//!         counts.pprint();
//!     }
//! }
//!
//! # fn main() -> streamdsl::Result<()> {
//! let lines = queue_stream(vec![vec!["to be or not to be".to_string()]]);
//! StreamingContext::new().run_until_finished(WordCount::new().lines(lines))
//! # }
//! ```
//!
//! ## The language
//!
//! ```text
//! stream! {
//!     [attributes] [pub] pipeline Name[(param: Type, …)] {
//!         batch = <duration>;                 // 500ms, 1s, 1.5s, 2min, 1h
//!         input <name>: <Type>;               // one or more; bound at run time
//!         let <name>[: <RecordType>] = <stream>.<operator>(…)…;
//!         <stream>[.<operator>(…)…].<output>(…);
//!     }
//! }
//! ```
//!
//! * **Inputs** are typed ports, bound when the pipeline is built:
//!   `Name::new(params…).<input>(source)`. An input left unbound is a compile error where the
//!   pipeline is started (the type `Name<Bound, Unbound>` shows which; see [`InputsBound`]). An input declared `&T` (e.g. `&[u8]`) is fed with
//!   owned records (`Vec<u8>`) and lends them to the pipeline, so what is split from a record
//!   is a slice of it and nothing is copied. An input declared `&str` stores [`Text`] records:
//!   sources of `String`s (queues, files) move theirs in, and the socket input lends each line
//!   from the block of text it received, without an allocation per line.
//! * **Parameters** are values given to `Name::new`; operator arguments and closures see them
//!   as references (`&T`).
//! * **Arguments** of operators are positional, as in Spark, and the optional ones may be
//!   left out where the rest cannot be mistaken for them; any argument may also be given by
//!   its name, e.g. `reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 30s, filter = |kv| kv.1 > 0)`
//!   or `pprint(num = 5)` (the names are those of the signatures below).
//! * **Closures** run record by record; chains of `map`, `flat_map`, `filter`, `map_values`,
//!   `flat_map_values` are fused into one loop. A closure is created once per batch.
//! * A stream read by more than one operator or output must have `Clone` records; a stream
//!   with an output must have `Debug` records.
//!
//! ## Operators
//!
//! <!-- operators:begin (generated from streamdsl-macros/src/ops) -->
//! Operators (Spark's names in snake_case; `partitions?` is an optional partition count, else the context's default parallelism):
//!
//! | operator | records in → out |
//! |---|---|
//! | `map(function)` | `T` → `f(T)` |
//! | `flat_map(function)` | `T` → each item of `f(T)` |
//! | `filter(predicate)` | `T` → `T` where `predicate(&T)` |
//! | `filter_map(function)` | `T` → `U` for each `Some(U)` of `f(T)` |
//! | `map_values(function)` | `(K, V)` → `(K, f(V))` |
//! | `flat_map_values(function)` | `(K, V)` → `(K, W)` for each `W` in `f(V)` |
//! | `repartition(partitions)` | same records, in `partitions` partitions |
//! | `glom()` | one `Vec<T>` per partition |
//! | `reduce(function)` | one record per batch, none if empty |
//! | `count()` | one `u64` per batch, `0` if empty |
//! | `count_by_value(partitions?)` | `(T, u64)` per distinct record |
//! | `reduce_by_key(function, partitions?)` | `(K, V)` per key, values combined by `function` |
//! | `group_by_key(partitions?)` | `(K, Vec<V>)` per key |
//! | `union(stream, …)` | records of all streams (same record type) |
//! | `join(other, partitions?)` | `(K, V)`, `(K, W)` → `(K, (V, W))` |
//! | `left_outer_join(other, partitions?)` | `(K, V)`, `(K, W)` → `(K, (V, Option<W>))` |
//! | `right_outer_join(other, partitions?)` | `(K, V)`, `(K, W)` → `(K, (Option<V>, W))` |
//! | `full_outer_join(other, partitions?)` | `(K, V)`, `(K, W)` → `(K, (Option<V>, Option<W>))` |
//! | `cogroup(other, partitions?)` | `(K, V)`, `(K, W)` → `(K, (Vec<V>, Vec<W>))` |
//! | `transform(function)` | `f(Batch<T>)` or `f(Time, Batch<T>)` → a `Vec` or `Batch` |
//! | `transform_with(other, function)` | `f(Batch<T>, Batch<U>)` or `f(Time, Batch<T>, Batch<U>)` → a `Vec` or `Batch` |
//!
//! Windows and state:
//!
//! | operator | records in → out | checkpoint |
//! |---|---|---|
//! | `window(window, slide?)` | `T` → the window's `T`s |  |
//! | `count_by_window(window, slide?)` | `T` → `u64`, `0` for an empty window | needed |
//! | `reduce_by_window(function, inverse?, window, slide?)` | `T` → the window folded by `function`, nothing if empty | with `inverse` |
//! | `reduce_by_key_and_window(function, inverse?, window, slide?, filter?)` | `(K, V)` → `(K, V)` per key in the window | with `inverse` |
//! | `count_by_value_and_window(window, slide?)` | `T` → `(T, u64)` | needed |
//! | `group_by_key_and_window(window, slide?)` | `(K, V)` → `(K, Vec<V>)` |  |
//! | `update_state_by_key(function)` | `(K, V)` → `(K, S)` for every key with state | needed |
//! | `map_with_state(function, timeout?)` | `(K, V)` → `function`'s results | needed |
//! | `state_snapshots()` | of a `map_with_state`: `(K, S)` for every key with state |  |
//!
//! Outputs:
//!
//! | output | what it does |
//! |---|---|
//! | `pprint(num?, label?)` | prints the first `num` records (10 by default) of each batch, as PySpark; `label = "…"` names the output for tests |
//! | `foreach_rdd(function)` | calls `function(time, batch)` or `function(batch)` with every batch; may return `Result<(), E>` |
//! | `foreach_batch(function)` | the same with an async function, awaited before the next output runs |
//! | `save_as_text_files(prefix, suffix?)` | each batch as a directory `prefix-TIME_IN_MS[.suffix]/part-NNNNN`, written atomically |
//! | `save_to_database(sink)` | each batch in one database transaction, exactly once (features `mysql`, `postgres`) |
//! | `save_to_kafka(sink, serialize?)` | each batch's records to a Kafka topic, at least once or exactly once; `serialize(&record)` makes a `(key, value)` of other records (feature `kafka`) |
//!
//! Every operator, used once:
//!
//! ```
//! use streamdsl::prelude::*;
//! use streamdsl::DatabaseSink;
//!
//! stream! {
//!     pipeline EveryOperator(sink: DatabaseSink) {
//!         batch = 1s;
//!         checkpoint;
//!         input lines: String;
//!         input words: (String, u64);
//!         input other: (String, u64);
//!         input numbers: i64;
//!         lines.map(|line| line.len()).pprint();
//!         lines.flat_map(|line| line.split(' ').map(str::to_owned).collect::<Vec<_>>()).pprint();
//!         numbers.filter(|n| n % 2 == 0).pprint();
//!         lines.filter_map(|line| line.parse::<i64>().ok()).pprint();
//!         words.map_values(|n| n * 2).pprint();
//!         words.flat_map_values(|n| [n, n + 1]).pprint();
//!         lines.repartition(4).pprint();
//!         numbers.glom().pprint();
//!         numbers.reduce(|a, b| a + b).pprint();
//!         lines.count().pprint();
//!         lines.count_by_value().pprint();
//!         words.reduce_by_key(|a, b| a + b).pprint();
//!         words.group_by_key().pprint();
//!         words.union(other).pprint();
//!         words.join(other).pprint();
//!         words.left_outer_join(other).pprint();
//!         words.right_outer_join(other).pprint();
//!         words.full_outer_join(other).pprint();
//!         words.cogroup(other).pprint();
//!         numbers.transform(|batch| batch.into_iter().rev().collect::<Vec<_>>()).pprint();
//!         words.transform_with(other, |a, b| a.into_iter().chain(b).collect::<Vec<_>>()).pprint();
//!         let recent: (String, u64) = words.window(30s, 10s); recent.pprint();
//!         lines.count_by_window(30s, 10s).pprint();
//!         let total: i64 = numbers.reduce_by_window(|a, b| a + b, 30s, 10s); total.pprint();
//!         let sums: (String, u64) = words.reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 30s, 10s); sums.pprint();
//!         let frequent: (String, u64) = lines.count_by_value_and_window(30s, 10s); frequent.pprint();
//!         let groups: (String, Vec<u64>) = words.group_by_key_and_window(30s, 10s); groups.pprint();
//!         let totals: (String, u64) = words.update_state_by_key(|new: Vec<u64>, old: Option<u64>| Some(old.unwrap_or(0) + new.iter().sum::<u64>())); totals.pprint();
//!         let seen = words.map_with_state(|word: &String, n: Option<u64>, state: &mut State<u64>| { state.update(state.get().copied().unwrap_or(0) + n.unwrap_or(0)); word.clone() }); seen.pprint();
//!         let running = other.map_with_state(|_: &String, n: Option<u64>, state: &mut State<u64>| { state.update(n.unwrap_or(0)); }, 60s); running.state_snapshots().pprint();
//!         lines.pprint(5);
//!         numbers.foreach_rdd(|time, batch| println!("{time}: {} records", batch.len()));
//!         numbers.foreach_batch(async |batch| println!("{} records", batch.len()));
//!         lines.save_as_text_files("/tmp/lines", "txt");
//!         words.save_to_database(sink);
//!     }
//! }
//! ```
//! <!-- operators:end -->
//!
//! Joins and cogroup only combine records of the same batch time, as in Spark.
//!
//! ## Windows and state
//!
//! Durations are literals, checked by `cargo build`: a window or slide must be a multiple of
//! its parent's slide (the batch interval for an input), `union` and the joins need streams of
//! one slide. A window of length `w` at time `t` holds the batches at times in `(t - w, t]`;
//! the first windows are partial; a stream with slide `s` has a batch (and runs its outputs)
//! only every `s`.
//!
//! A stateful operator ends a `let` that names its records' type, so that the pipeline's
//! state has readable types: `let counts: (String, u64) = pairs.update_state_by_key(…);` gives
//! the generated `NameState` struct a field `pub counts: UpdateStateByKey<(String, u64)>`. The
//! records must be owned types (`String`, not `&str`). `map_with_state`'s function names its
//! key and state types instead: `|word: &String, n: Option<u64>, state: &mut State<u64>| …`.
//! `update_state_by_key` and `map_with_state` get a builder for their initial state,
//! `initial_<name>(pairs)`.
//!
//! Deliberate differences from Spark, each documented on its state type in
//! [`state`]: an inverse function never changes a window's result (a key leaves the
//! output when its last batch leaves the window, so state does not grow with dead keys);
//! `count_by_window` counts every window, `0` when empty; `map_with_state` timeouts are
//! evaluated every batch, not every tenth.
//!
//! Spark's `slice(from, to)` has no counterpart: a compiled pipeline keeps a batch only while
//! a window needs it, so there are no remembered batches to slice. `window(w, s)` gives a
//! pipeline the past batches it needs; a `foreach_rdd` or a listener can keep history of
//! its own.
//!
//! ## Workers
//!
//! A batch runs on [`StreamingContext::workers`] threads (default: one per core, or the
//! `STREAMDSL_WORKERS` environment variable). Each worker runs the same fused loop on its
//! share of the batch; keyed operators hash keys into 128 fixed key groups, each with its own
//! table, merged group by group. Every keyed stateful operator (`update_state_by_key`,
//! `map_with_state`, `reduce_by_key_and_window`, `count_by_value_and_window`,
//! `group_by_key_and_window`) keeps its state per key group, updates the groups in parallel
//! and checkpoints them group by group, so a checkpoint restores on any worker count; the
//! windows without keys, `transform` and the outputs run on the driver thread after the loops,
//! in declaration order, as Spark runs a `foreachRDD` body on the driver. For a given input,
//! every stream's records in every batch, and `pprint`'s text, are the same for any worker
//! count (keyed operators give their keys in key-hash order).
//!
//! Keys hash with seeds drawn at random per process, so keys from an untrusted source cannot
//! be crafted to collide in a table (hash flooding). The key order of keyed outputs therefore
//! differs from run to run (as PySpark's does across `PYTHONHASHSEED`s); set
//! `STREAMDSL_HASH_SEED` to a number to fix it, e.g. to compare two runs line by line. A
//! checkpoint restores under any seed: its keys are regrouped by the new process's hashes. Functions given to operators that run in the loops (`map`, `filter`, `flat_map`,
//! `filter_map`, `map_values`, `flat_map_values`, `reduce`, `reduce_by_key`, `update_state_by_key`,
//! `map_with_state`, and the functions and filter of `reduce_by_window`/`reduce_by_key_and_window`) are called from several threads at once, as
//! Spark ships a function to every task: they must be `Fn + Sync`. Mutating captured state is
//! a compile error; count with an atomic or keep per-key state with `update_state_by_key`.
//! Reductions rely on Spark's contract that the function is associative and commutative:
//! `reduce_by_key` combines per-worker partial results (as Spark combines per-partition ones),
//! so a non-associative function, such as a floating-point sum, may differ in its last bits
//! between worker counts; `reduce` folds in record order on any worker count.
//!
//! ```compile_fail
//! use streamdsl::prelude::*;
//! stream! {
//!     pipeline Numbering {
//!         batch = 1s;
//!         input numbers: i64;
//!         // error: cannot assign to `n`, as it is a captured variable in a `Fn` closure
//!         numbers.map({ let mut n = 0u64; move |x| { n += 1; (n, x) } }).pprint();
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! ## Checkpoints
//!
//! `checkpoint;` (every first multiple of the batch interval that is at least 10 s, as Spark)
//! or `checkpoint every 30s;` makes the pipeline write its state and its inputs' positions to
//! the directory given by [`StreamingContext::checkpoint_dir`]: versioned data (not
//! serialized closures), written atomically, the newest three kept. Started again on that
//! directory, the pipeline resumes: same batch grid, state restored, inputs repositioned,
//! missed batches run at once. A corrupt newest checkpoint is reported and the previous one
//! used; another pipeline's checkpoint (different operators, windows or state types) is
//! refused with what differs. With a replayable input (a queue built with the same batches) a
//! pipeline killed at any point and restarted has the same state and the same outputs from
//! then on as one never stopped.
//!
//! Checkpointed state is serde data: the keys and values a stateful operator keeps (the
//! `(K, S)` of `update_state_by_key`, a window's records) must implement `Serialize` and
//! `Deserialize` — add `#[derive(serde::Serialize, serde::Deserialize)]` to a struct of yours
//! (serde with its `derive` feature in your `Cargo.toml`; the compile error says so, at the
//! state's type). State owns its data: a borrowed `&str` key is a compile error, use `String`.
//! Each operator's state is stored on its own, so when a state type changed since a
//! checkpoint (a field added), restoring names the operator; the new type can say how to
//! convert the previous one with [`state::StateMigration`], and the old checkpoint restores.
//!
//! ## Outputs
//!
//! * `pprint(num?)`: the first `num` records (10 by default) of each batch in PySpark's format,
//!   each as PySpark prints it (Python's `str(record)`) for the types a PySpark program has:
//!   a string as is (`zoo`), numbers as Python writes them (`1.0`, `1e+16`), `True`/`False`,
//!   an `Option` as its value or `None`, tuples and `Vec`s with Python's `repr` inside
//!   (`('zoo', 3)`, `['a', 'b']`); any other type (a struct of yours) with its `Debug`, or
//!   as you write it in an impl of [`PySparkText`].
//! * `foreach_rdd(|time, batch| …)` or `foreach_rdd(|batch| …)`: any code per batch; it may
//!   return `Result<(), E>`, errors are reported by [`Running::await_termination`].
//! * `foreach_batch(async |time, batch| …)`: the same with an async function, awaited before
//!   the next output runs.
//! * `save_as_text_files(prefix, suffix?)`: Spark's `prefix-TIME_IN_MS[.suffix]/part-NNNNN`
//!   directories, written atomically (a reader never sees half a batch; a batch recomputed
//!   after a restart replaces its directory); `prefix` may be a [`TextFiles`] with options.
//! * `save_to_database(sink)` (features `mysql`, `postgres`): each batch in one transaction,
//!   appended or upserted with bound parameters, exactly once across restarts; `sink` is a
//!   [`DatabaseSink`] parameter of the pipeline.
//! * `save_to_kafka(sink, serialize?)` (feature `kafka`): each batch's records to a Kafka
//!   topic, `(key, value)` pairs as key and payload (text, bytes, numbers as decimal text;
//!   `serialize(&record)` makes such a pair of any other record), keys on the
//!   partition Java's producer picks, the batch time in header `streamdsl-batch-time`. At least
//!   once by default (idempotent producer, `acks=all`; records not acknowledged are sent again,
//!   bounded, then the pipeline stops), or exactly once with one transaction per batch
//!   (`Delivery::ExactlyOnce`, a broker with transactions needed), which also commits the
//!   offsets of the pipeline's `kafka_stream` inputs (Kafka in, Kafka out, exactly once).
//!   `sink` is a `KafkaSink` parameter (or `Option<KafkaSink>`); see `outputs::kafka`.
//!
//! Outputs run in declaration order at every batch, empty batches included.
//!
//! ## Inputs
//!
//! * [`queue_stream`]: batches from memory (Spark's `queueStream`), fed while running through
//!   a [`QueueFeeder`]; replayable from a checkpoint.
//! * [`text_file_stream`]: the lines of files moved into a directory, each file once; the
//!   files read (and the offset of one read in part) are its checkpoint position. Files are
//!   streamed, at most 128 MiB per batch, long lines cut as on sockets. Hidden, `_`, old,
//!   empty and unreadable files and sub-directories are skipped, logged once and counted.
//! * [`socket_text_stream`]: lines from a TCP server, reconnecting after failures (TCP
//!   keepalive notices a vanished peer, a silent one is reported), with long lines cut and
//!   invalid UTF-8 handled as configured; with a write-ahead log, what was received survives a
//!   crash, damaged log records are skipped and reported, the intact ones around them kept.
//! * `kafka_stream` (cargo feature `kafka`): Kafka's direct stream. Each batch is an offset
//!   range per partition (up to the high watermark, at most `max_rate_per_partition × batch
//!   interval` records); the ranges' ends go into the checkpoint and win on restart, so state
//!   is exactly-once; the consumer group's offsets are committed after each batch's outputs.
//!   Consumer-group subscription (copies of a binary share partitions) or manual assignment.
//!
//!   ```no_run
//!   # #[cfg(feature = "kafka")] {
//!   use streamdsl::inputs::kafka::{KafkaConfig, kafka_stream};
//!   use streamdsl::prelude::*;
//!
//!   stream! {
//!       /// Spark's KafkaWordCount.
//!       pipeline KafkaWordCount {
//!           batch = 2s;
//!           input messages: (Option<String>, String);
//!           messages
//!               .flat_map(|(_, line)| line.split(' ').map(str::to_owned).collect::<Vec<_>>())
//!               .map(|word| (word, 1u64))
//!               .reduce_by_key(|a, b| a + b)
//!               .pprint();
//!       }
//!   }
//!
//!   let config = KafkaConfig::subscribe("127.0.0.1:9092", "word-count", ["words"]);
//!   StreamingContext::new()
//!       .run(KafkaWordCount::new().messages(kafka_stream(config)))
//!       .unwrap();
//!   # }
//!   ```
//! * Custom sources implement [`InputStream`] (pulled each batch) or
//!   [`inputs::Receiver`] (pushing as data arrives, into a buffer bounded in records and in
//!   bytes, 128 MiB by default, with backpressure and an optional rate limit; a receiver that
//!   fails or panics is restarted).
//!
//! Inputs' counters (files skipped, lines cut, reconnections, …) come with each batch's
//! [`BatchInfo`].
//!
//! ## Seeing it run
//!
//! [`StreamingContext::metrics_addr`] serves a live page (like Spark's Streaming tab) and
//! Prometheus metrics while the pipeline runs. [`StreamingContext::run`] logs to standard
//! error unless the program set up a `tracing` subscriber ([`init_logging`]): once per
//! episode, a warning when batches fall behind (more than five intervals late, or later for
//! ten batches in a row, naming the slowest output), when an output fails three batches in a
//! row, or when a receiver's buffer is full (backpressure), and a line when it is over; a
//! status line every 30 s of batches. A [`StreamingListener`] gets the events all of these
//! are built from: batches submitted, started and completed, outputs started and completed,
//! checkpoints, receivers started, failed and stopped; the warnings come with the batch that
//! raised them ([`BatchInfo::warnings`]), so a listener can alert on them. A [`Counter`]
//! kept in a `static` counts what your functions see (Spark's accumulators for counting,
//! e.g. lines that do not parse): its total comes with every [`BatchInfo`], on the page's
//! JSON and in `/metrics` as `streamdsl_counter_total{counter="…"}`.
//!
//! ## Testing
//!
//! [`testing::Harness`] runs a pipeline on a manual clock and captures each output per batch:
//!
//! ```
//! use streamdsl::prelude::*;
//! use streamdsl::testing::Harness;
//!
//! stream! {
//!     pipeline Evens {
//!         batch = 1s;
//!         input numbers: i64;
//!         numbers.filter(|n| n % 2 == 0).count().pprint();
//!     }
//! }
//!
//! let run = Harness::new(Evens::new().numbers(queue_stream(vec![vec![1, 2, 4], vec![]])))
//!     .run(2)
//!     .unwrap();
//! assert_eq!(run.output(0).records_at(1000), ["2"]);
//! assert_eq!(run.output(0).records_at(2000), ["0"]); // empty batch: count is 0
//! ```
//!
//! Keyed operators give their keys in hash order, which differs between processes (see
//! "Workers"): compare their batches with `sorted_at`, or set `STREAMDSL_HASH_SEED`.
//!
//! Records whose type implements serde's `Serialize` are captured as data too: read them
//! back as values, by stream name, in their owned form:
//!
//! ```
//! use streamdsl::prelude::*;
//! use streamdsl::testing::Harness;
//!
//! stream! {
//!     pipeline Counts {
//!         batch = 1s;
//!         input words: &str;
//!         let counts = words.map(|w| (w, 1u64)).reduce_by_key(|a, b| a + b);
//!         counts.pprint();
//!     }
//! }
//!
//! let words = queue_stream(vec![vec!["a".to_owned(), "b".to_owned(), "a".to_owned()]]);
//! let run = Harness::new(Counts::new().words(words)).run(1).unwrap();
//! let mut counts = run.records::<(String, u64)>("counts", 1000);
//! counts.sort();
//! assert_eq!(counts, [("a".to_owned(), 2), ("b".to_owned(), 1)]);
//! ```

#![warn(missing_docs)]

pub use streamdsl_macros::stream;
pub use streamdsl_runtime::*;

/// What a pipeline program needs: `use streamdsl::prelude::*;`.
pub mod prelude {
    pub use streamdsl_macros::stream;
    #[cfg(feature = "kafka")]
    pub use streamdsl_runtime::inputs::kafka::{KafkaConfig, kafka_stream};
    #[cfg(feature = "kafka")]
    pub use streamdsl_runtime::outputs::kafka::KafkaSink;
    pub use streamdsl_runtime::state::State;
    pub use streamdsl_runtime::{
        Batch, BatchInfo, InputStream, InputsBound, ManualClock, Pipeline, QueueFeeder,
        QueueStream, Running, StopMode, StreamingContext, StreamingListener, Time, queue_stream,
        socket_text_stream, text_file_stream,
    };
}
