//! `save_to_database` on real servers: MariaDB and PostgreSQL, started by
//! `scripts/with-databases.sh` (which exports `MYSQL_URL` and `POSTGRES_URL`; `scripts/test.sh`
//! runs the tests under it with `STREAMDSL_REQUIRE_DB=1`). Every scenario runs on both servers:
//!
//! * strings with quotes, backslashes, `'; DROP TABLE`, emoji and megabytes arrive byte for
//!   byte, and keys that differ only in case, accents or trailing spaces stay distinct;
//! * a pipeline killed with SIGKILL before, inside and after a batch's transaction (the sink's
//!   crash points, a child paused before its writes, kills at random moments) and restarted
//!   leaves the same tables as a run never killed: no row lost or doubled;
//! * a server stopped (SIGSTOP) mid-run and resumed: the sink retries, then carries on;
//! * refused credentials, a missing table or column: the pipeline stops at once with an error
//!   that says what is wrong, and never shows the password;
//! * a batch already recorded in the marker table is not written again;
//! * ignored until fixed (a bug): a server unresponsive from before the sink's first
//!   connection should fail each attempt and stop the pipeline when the retries run out; the
//!   sink waits forever instead.
//!
//! Without a URL a test prints why it skipped, or fails when `STREAMDSL_REQUIRE_DB=1`. Each
//! test makes its own tables (unique names, so the shared marker table `streamdsl_batches`
//! keeps their batches apart) and drops them. The kill tests re-run this binary as the child
//! (the `child` test, with `STREAMDSL_DB_CHILD` set).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError, RwLock, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use streamdsl::prelude::*;
use streamdsl::testing::Harness;
use streamdsl::{DatabaseSink, Error};

// ---------------------------------------------------------------------------------------------
// Servers, URLs, tables

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Server {
    MariaDb,
    Postgres,
}

impl Server {
    fn url_var(self) -> &'static str {
        match self {
            Server::MariaDb => "MYSQL_URL",
            Server::Postgres => "POSTGRES_URL",
        }
    }

    /// Short, for table names.
    fn tag(self) -> &'static str {
        match self {
            Server::MariaDb => "my",
            Server::Postgres => "pg",
        }
    }

    /// Tests hold it shared; the outage test, which stops the server, holds it alone.
    fn lock(self) -> &'static RwLock<()> {
        static MARIADB: RwLock<()> = RwLock::new(());
        static POSTGRES: RwLock<()> = RwLock::new(());
        match self {
            Server::MariaDb => &MARIADB,
            Server::Postgres => &POSTGRES,
        }
    }

    /// A column of text of any length.
    fn long_text(self) -> &'static str {
        match self {
            Server::MariaDb => "LONGTEXT",
            Server::Postgres => "TEXT",
        }
    }
}

fn require_db() -> bool {
    std::env::var("STREAMDSL_REQUIRE_DB").as_deref() == Ok("1")
}

/// The server's URL; `None` (after saying so) when it is not set and not required.
fn url_of(server: Server) -> Option<String> {
    let var = server.url_var();
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                !require_db(),
                "{var} is not set but STREAMDSL_REQUIRE_DB=1: the database tests need real servers; \
                 run them under scripts/with-databases.sh (scripts/test.sh does)"
            );
            println!("skipped: {var} not set (run under scripts/with-databases.sh)");
            None
        }
    }
}

/// Runs `scenario` on `server` if its URL is set; `exclusive` keeps every other test of this
/// binary off that server meanwhile.
fn on(server: Server, exclusive: bool, scenario: fn(&Db)) {
    init_logs();
    let Some(url) = url_of(server) else { return };
    let lock = server.lock();
    let _shared;
    let _alone;
    if exclusive {
        _alone = lock.write().unwrap_or_else(PoisonError::into_inner);
    } else {
        _shared = lock.read().unwrap_or_else(PoisonError::into_inner);
    }
    let db = Db::connect(server, &url);
    let started = Instant::now();
    scenario(&db);
    println!("{server:?}: {:.1} s", started.elapsed().as_secs_f64());
}

/// Every scenario as one test per server: `scenario::mariadb`, `scenario::postgres`.
macro_rules! on_both_servers {
    (@exclusive) => { false };
    (@exclusive $exclusive:literal) => { $exclusive };
    ($($(#[$attr:meta])* $scenario:ident $(, $exclusive:literal)?;)*) => {$(
        mod $scenario {
            $(#[$attr])*
            #[test]
            fn mariadb() {
                let exclusive = on_both_servers!(@exclusive $($exclusive)?);
                super::on(super::Server::MariaDb, exclusive, super::$scenario);
            }

            $(#[$attr])*
            #[test]
            fn postgres() {
                let exclusive = on_both_servers!(@exclusive $($exclusive)?);
                super::on(super::Server::Postgres, exclusive, super::$scenario);
            }
        }
    )*};
}

/// A table name no other test (of this run or an earlier one) uses: the marker table is
/// shared, and keyed by output (`index:table`).
fn unique(db: &Db, what: &str) -> String {
    static STARTED: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let started = *STARTED.get_or_init(|| {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        (now.as_millis() as u64 ^ u64::from(std::process::id()) << 40) & 0xffff_ffff_ffff
    });
    let name = format!(
        "sdt_{what}_{}_{started:x}_{}",
        db.server.tag(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    assert!(name.len() <= 64, "{name}: too long for a table name");
    name
}

/// The test's own connection to a server, for making, reading and dropping tables.
struct Db {
    server: Server,
    url: String,
    pool: Pool,
    runtime: tokio::runtime::Runtime,
}

enum Pool {
    MariaDb(sqlx::MySqlPool),
    Postgres(sqlx::PgPool),
}

impl Db {
    fn connect(server: Server, url: &str) -> Db {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let timeout = Duration::from_secs(30);
        let pool = runtime
            .block_on(async {
                match server {
                    Server::MariaDb => sqlx::mysql::MySqlPoolOptions::new()
                        .max_connections(2)
                        .acquire_timeout(timeout)
                        .connect(url)
                        .await
                        .map(Pool::MariaDb),
                    Server::Postgres => sqlx::postgres::PgPoolOptions::new()
                        .max_connections(2)
                        .acquire_timeout(timeout)
                        .connect(url)
                        .await
                        .map(Pool::Postgres),
                }
            })
            .unwrap_or_else(|e| {
                panic!("cannot connect to {server:?} at ${}: {e}", server.url_var())
            });
        Db {
            server,
            url: url.to_owned(),
            pool,
            runtime,
        }
    }

    fn try_exec(&self, sql: &str) -> Result<u64, sqlx::Error> {
        self.runtime.block_on(async {
            match &self.pool {
                Pool::MariaDb(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
                Pool::Postgres(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
            }
        })
    }

    fn exec(&self, sql: &str) {
        if let Err(e) = self.try_exec(sql) {
            panic!("{:?}: {sql}: {e}", self.server);
        }
    }

    /// A fresh table `name` with the given column definitions (`word VARCHAR(64) NOT NULL`…).
    fn create_table(&self, name: &str, columns: &str) {
        self.exec(&format!("DROP TABLE IF EXISTS {name}"));
        self.exec(&format!("CREATE TABLE {name} ({columns})"));
    }

    /// Drops the tables and forgets their batches in the marker table.
    fn drop_tables(&self, tables: &[&str]) {
        for table in tables {
            self.exec(&format!("DROP TABLE IF EXISTS {table}"));
            let _ = self.delete_markers(table);
        }
    }

    /// `LIKE` pattern of the marker table's outputs (`index:table`) of `table`.
    fn outputs_of(table: &str) -> String {
        // `_` is a LIKE wildcard: escaped.
        format!("%:{}", table.replace('_', "\\_"))
    }

    fn delete_markers(&self, table: &str) -> Result<u64, sqlx::Error> {
        let pattern = Db::outputs_of(table);
        self.runtime.block_on(async {
            match &self.pool {
                Pool::MariaDb(p) => {
                    sqlx::query("DELETE FROM streamdsl_batches WHERE output LIKE ?")
                        .bind(&pattern)
                        .execute(p)
                        .await
                        .map(|r| r.rows_affected())
                }
                Pool::Postgres(p) => {
                    sqlx::query("DELETE FROM streamdsl_batches WHERE output LIKE $1")
                        .bind(&pattern)
                        .execute(p)
                        .await
                        .map(|r| r.rows_affected())
                }
            }
        })
    }

    /// The batches of `table`'s outputs recorded in the marker table, as `output@batch_time`.
    fn markers(&self, table: &str) -> Vec<String> {
        let placeholder = match self.server {
            Server::MariaDb => "?",
            Server::Postgres => "$1",
        };
        let sql = format!(
            "SELECT {}, {} FROM streamdsl_batches WHERE output LIKE {placeholder} ORDER BY batch_time, output",
            self.text("output"),
            self.text("batch_time")
        );
        self.rows_with(&sql, Some(&Db::outputs_of(table)))
            .into_iter()
            .map(|r| r.join("@"))
            .collect()
    }

    /// `column` as text, so that every column reads the same way.
    fn text(&self, column: &str) -> String {
        match self.server {
            Server::MariaDb => format!("CAST({column} AS CHAR)"),
            Server::Postgres => format!("CAST({column} AS TEXT)"),
        }
    }

    /// The rows of a query whose columns are all text (see [`text`](Self::text)); `NULL` as
    /// `"NULL"`.
    fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        self.rows_with(sql, None)
    }

    /// As [`rows`](Self::rows), with one bound text parameter.
    fn rows_with(&self, sql: &str, parameter: Option<&str>) -> Vec<Vec<String>> {
        use sqlx::Row;
        let result = self.runtime.block_on(async {
            match &self.pool {
                // Bytes: MariaDB's binary collations make sqlx refuse `String` (sqlx #3387).
                Pool::MariaDb(p) => {
                    let mut query = sqlx::query(sql);
                    if let Some(parameter) = parameter {
                        query = query.bind(parameter);
                    }
                    query.fetch_all(p).await.map(|rows| {
                        rows.iter()
                            .map(|row| {
                                (0..row.len())
                                    .map(|i| {
                                        let bytes: Option<Vec<u8>> = row.get(i);
                                        bytes.map_or("NULL".to_owned(), |b| {
                                            String::from_utf8(b).expect("UTF-8 text")
                                        })
                                    })
                                    .collect()
                            })
                            .collect::<Vec<Vec<String>>>()
                    })
                }
                Pool::Postgres(p) => {
                    let mut query = sqlx::query(sql);
                    if let Some(parameter) = parameter {
                        query = query.bind(parameter);
                    }
                    query.fetch_all(p).await.map(|rows| {
                        rows.iter()
                            .map(|row| {
                                (0..row.len())
                                    .map(|i| {
                                        let text: Option<String> = row.get(i);
                                        text.unwrap_or_else(|| "NULL".to_owned())
                                    })
                                    .collect()
                            })
                            .collect()
                    })
                }
            }
        });
        result.unwrap_or_else(|e| panic!("{:?}: {sql}: {e}", self.server))
    }

    /// The rows of `table`'s `columns`, sorted: a multiset, to compare with another.
    fn table(&self, table: &str, columns: &[&str]) -> Vec<Vec<String>> {
        let columns: Vec<String> = columns.iter().map(|c| self.text(c)).collect();
        let mut rows = self.rows(&format!("SELECT {} FROM {table}", columns.join(", ")));
        rows.sort();
        rows
    }
}

impl Drop for Db {
    /// Closes the connections while the runtime is there.
    fn drop(&mut self) {
        self.runtime.block_on(async {
            match &self.pool {
                Pool::MariaDb(p) => p.close().await,
                Pool::Postgres(p) => p.close().await,
            }
        });
    }
}

/// Rows as the test expects them, sorted like [`Db::table`]'s.
fn multiset<const N: usize>(rows: impl IntoIterator<Item = [String; N]>) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = rows.into_iter().map(Vec::from).collect();
    rows.sort();
    rows
}

/// Runs a harness on another thread, bounded: `Err` of the pipeline, or a panic if it did
/// not finish within `limit`.
fn run_bounded<P: Pipeline + InputsBound>(
    harness: Harness<P>,
    batches: usize,
    limit: Duration,
) -> streamdsl::Result<streamdsl::testing::TestRun> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(harness.batch_timeout(limit).run(batches));
    });
    match rx.recv_timeout(limit + Duration::from_secs(10)) {
        Ok(result) => result,
        Err(_) => panic!("the pipeline did not finish within {limit:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Logs: every test's tracing output, to look for the sink's retries and for passwords.

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| LogWriter)
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

fn logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
}

/// Waits (bounded) until a log line contains all of `parts`.
fn wait_for_log(parts: &[&str], limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if logs()
            .lines()
            .any(|line| parts.iter().all(|p| line.contains(p)))
        {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------------------------
// Strings arrive exactly as sent

stream! {
    /// Every record appended as `(id, word)`; short words also upserted, keyed by the word.
    pipeline Exact(appended: DatabaseSink, upserted: DatabaseSink) {
        batch = 1s;
        input records: (i64, String);
        records.save_to_database(appended);
        records
            .filter(|(_, word)| word.chars().count() <= 100)
            .map(|(id, word)| (word, id))
            .save_to_database(upserted);
    }
}

/// Words that break naive SQL, string escaping, encodings or case-insensitive keys.
fn awkward_words(table: &str) -> Vec<String> {
    let mut words: Vec<String> = [
        "it's",
        "''",
        "\"double\"",
        "back\\slash",
        "\\",
        "\\'",
        "\\\\'",
        "trailing\\",
        "`backtick`",
        "'; DROP TABLE streamdsl_batches; --",
        "\"; DROP TABLE x; --",
        "Robert'); DROP TABLE students;--",
        "?",
        "$1",
        "%",
        "_",
        "-- comment",
        "/* comment */",
        "NULL",
        "",
        " ",
        "word",
        "Word",
        "WORD",
        "word ",
        " word",
        "e",
        "é",
        "e\u{301}",
        "É",
        "😀",
        "👩‍👩‍👧‍👦",
        "🏳️‍🌈",
        "中文字符",
        "עברית",
        "tab\there",
        "line\nbreak",
        "cr\r\nlf",
        "\u{feff}bom",
        "\u{1}\u{1f}\u{7f}",
        "\u{10ffff}",
    ]
    .iter()
    .map(|w| w.to_string())
    .collect();
    words.push(format!("'; DROP TABLE {table}; --"));
    words.push(format!("x'); DELETE FROM {table}; --"));
    words
}

fn strings_arrive_exactly(db: &Db) {
    let appended = unique(db, "exact");
    let upserted = unique(db, "exact_keys");
    db.create_table(
        &appended,
        &format!(
            "id BIGINT NOT NULL, word {} NOT NULL",
            db.server.long_text()
        ),
    );
    // The key column: case-, accent- and trailing-space-sensitive (MariaDB: the scripts'
    // server collation utf8mb4_nopad_bin; PostgreSQL: C.UTF-8).
    db.create_table(
        &upserted,
        "word VARCHAR(255) NOT NULL PRIMARY KEY, id BIGINT NOT NULL",
    );
    if db.server == Server::MariaDb {
        let collation = db.rows(&format!(
            "SELECT CAST(COLLATION_NAME AS CHAR) FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{upserted}' AND COLUMN_NAME = 'word'"
        ));
        let collation = &collation[0][0];
        assert!(
            collation.ends_with("_bin"),
            "MariaDB's default collation is {collation}, not a binary one: `Word` and `word` would be \
             one key (scripts/db/env.sh sets MARIADB_COLLATION=utf8mb4_nopad_bin)"
        );
    }

    let words = awkward_words(&appended);
    // Long: past TEXT's 64 KiB, and megabytes of multi-byte characters and quotes.
    let long = vec![
        "x".repeat(70_000),
        "é😀'\\\"".repeat(250_000),
        format!("{}'; DROP TABLE {appended}; --", "\\".repeat(100_001)),
    ];
    // Batch 1: the awkward words; 2: the long strings; 3: the words again, reversed, then a
    // few of them once more: the upserted table keeps each word's last id.
    let mut again: Vec<String> = words.iter().rev().cloned().collect();
    again.extend(words.iter().take(5).cloned());
    let mut next_id = 0i64;
    let mut batches: Vec<Vec<(i64, String)>> = Vec::new();
    for batch in [words.clone(), long, again] {
        batches.push(
            batch
                .into_iter()
                .map(|w| {
                    next_id += 1;
                    (next_id, w)
                })
                .collect(),
        );
    }
    let sent: Vec<(i64, String)> = batches.iter().flatten().cloned().collect();
    let sink = |table: &str| DatabaseSink::new(&db.url).table(table);
    let pipeline = Exact::new(
        sink(&appended).columns(["id", "word"]),
        sink(&upserted).columns(["word", "id"]).upsert_on(["word"]),
    )
    .records(queue_stream(batches));
    run_bounded(Harness::new(pipeline), 3, Duration::from_secs(60)).unwrap();

    let mut got = db.rows(&format!(
        "SELECT {}, {} FROM {appended}",
        db.text("id"),
        db.text("word")
    ));
    got.sort_by_key(|row| row[0].parse::<i64>().unwrap());
    assert_eq!(got.len(), sent.len(), "every record is a row");
    for ((id, word), row) in sent.iter().zip(&got) {
        assert_eq!(row[0], id.to_string());
        assert!(
            row[1] == *word,
            "row {id}: sent {} ({} bytes), got {} ({} bytes)",
            shorten(word),
            word.len(),
            shorten(&row[1]),
            row[1].len()
        );
    }

    let mut last_ids: BTreeMap<&str, i64> = BTreeMap::new();
    for (id, word) in &sent {
        if word.chars().count() <= 100 {
            last_ids.insert(word, *id);
        }
    }
    let expected = multiset(
        last_ids
            .iter()
            .map(|(w, id)| [w.to_string(), id.to_string()]),
    );
    assert_eq!(expected.len(), words.len(), "the words are distinct");
    assert_eq!(
        db.table(&upserted, &["word", "id"]),
        expected,
        "one row per distinct word (case, accents and trailing spaces matter), with its last id"
    );
    db.drop_tables(&[&appended, &upserted]);
}

/// A string short enough for an assertion message.
fn shorten(s: &str) -> String {
    if s.chars().count() <= 80 {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(40).collect();
        let tail: Vec<char> = s.chars().rev().take(40).collect();
        let tail: String = tail.into_iter().rev().collect();
        format!("{head:?}…{tail:?}")
    }
}

// ---------------------------------------------------------------------------------------------
// Killed and restarted: no row lost, none doubled

const KILL_BATCHES: i64 = 12;

stream! {
    /// Each word appended with its batch time, and every word's running count upserted;
    /// checkpointed every batch. `hooks` report progress to the parent (and may pause the
    /// child before a batch's writes, for the parent to kill it there).
    pipeline Killed(appended: DatabaseSink, upserted: DatabaseSink, hooks: Hooks) {
        batch = 1s;
        checkpoint every 1s;
        input words: String;
        words.count().foreach_rdd(|time, _| hooks.before_writes(time));
        words.map(|w| (w,)).save_to_database(appended);
        let counts: (String, u64) = words
            .map(|w| (w, 1u64))
            .update_state_by_key(|new: Vec<u64>, old: Option<u64>| Some(new.iter().sum::<u64>() + old.unwrap_or(0)));
        counts.save_to_database(upserted);
        words.count().foreach_rdd(|time, _| hooks.after_writes(time));
    }
}

/// The child's progress lines on standard output.
struct Hooks {
    pause_at: Option<i64>,
}

impl Hooks {
    fn before_writes(&self, time: Time) {
        if self.pause_at == Some(time.millis()) {
            println!("PAUSED\t{}", time.millis());
            let _ = std::io::stdout().flush();
            // The parent kills us now; it never writes, so this returns only if it is gone.
            let _ = std::io::stdin().read(&mut [0u8; 1]);
            panic!("the parent did not kill the paused child");
        }
    }

    fn after_writes(&self, time: Time) {
        println!("DONE\t{}", time.millis());
        let _ = std::io::stdout().flush();
    }
}

/// Batch `k` (from 1): a few of seven words, and a word twice in every third batch.
fn kill_input() -> Vec<Vec<String>> {
    (1..=KILL_BATCHES)
        .map(|k| {
            let mut words: Vec<String> = (0..(k % 4 + 1))
                .map(|i| format!("w{}", (k * 3 + i) % 7))
                .collect();
            if k % 3 == 0 {
                words.extend(["twice".to_string(), "twice".to_string()]);
            }
            words
        })
        .collect()
}

/// What a run never killed leaves: `(word, batch_time)` rows and `(word, count)` rows.
fn kill_expected() -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let input = kill_input();
    let appended = multiset(input.iter().enumerate().flat_map(|(i, words)| {
        let time = (i as i64 + 1) * 1000;
        words.iter().map(move |w| [w.clone(), time.to_string()])
    }));
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for w in input.iter().flatten() {
        *counts.entry(w).or_default() += 1;
    }
    let upserted = multiset(counts.iter().map(|(w, n)| [w.to_string(), n.to_string()]));
    (appended, upserted)
}

/// The child: runs `Killed` on the tables and checkpoint directory the parent gives.
#[test]
fn child() {
    let Ok(spec) = std::env::var("STREAMDSL_DB_CHILD") else {
        return;
    };
    // url \t appended table \t upserted table \t checkpoint dir \t pause at (or -)
    let parts: Vec<&str> = spec.split('\t').collect();
    let [url, appended, upserted, dir, pause_at] = parts[..] else {
        panic!("bad STREAMDSL_DB_CHILD: {spec:?}");
    };
    let hooks = Hooks {
        pause_at: pause_at.parse().ok(),
    };
    let pipeline = Killed::new(
        DatabaseSink::new(url)
            .table(appended)
            .columns(["word"])
            .batch_time_column("batch_time"),
        DatabaseSink::new(url)
            .table(upserted)
            .columns(["word", "n"])
            .upsert_on(["word"]),
        hooks,
    )
    .words(queue_stream(kill_input()));
    // A restarted run goes on after its checkpoint's batch; batches past the input are empty
    // (nothing appended, the same counts upserted).
    Harness::new(pipeline)
        .checkpoint_dir(dir)
        .batch_timeout(Duration::from_secs(60))
        .run(KILL_BATCHES as usize)
        .unwrap();
}

/// How a child run ends.
#[derive(Clone, Copy, Debug)]
enum Kill {
    /// SIGKILLs itself at the sink's (or the checkpoint's) crash point, `point:n`.
    CrashAt(&'static str),
    /// Pauses before the writes of the batch at this time; the parent SIGKILLs it there.
    PausedAt(i64),
    /// The parent SIGKILLs it when it has reported this many finished batches (it is then
    /// somewhere in the next batch).
    AfterBatches(usize),
}

/// Runs the child once; `true` if it was killed (as `kill` asked), `false` if it finished.
fn run_child(url: &str, tables: (&str, &str), dir: &std::path::Path, kill: Option<Kill>) -> bool {
    let pause_at = match kill {
        Some(Kill::PausedAt(t)) => t.to_string(),
        _ => "-".to_owned(),
    };
    let spec = format!(
        "{url}\t{}\t{}\t{}\t{pause_at}",
        tables.0,
        tables.1,
        dir.display()
    );
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["child", "--exact", "--nocapture", "--test-threads", "1"])
        .env("STREAMDSL_DB_CHILD", spec)
        .env_remove("STREAMDSL_CRASH_AT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(Kill::CrashAt(point)) = kill {
        command.env("STREAMDSL_CRASH_AT", point);
    }
    let mut child = command.spawn().unwrap();
    let _stdin = child.stdin.take();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut stderr = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut done = 0;
    let mut killed_by_parent = false;
    loop {
        let line = match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "child ran longer than 120 s; stderr:\n{}",
                    stderr.join().unwrap()
                );
            }
        };
        // libtest's "test child ... " has no newline: a report may follow it on its line.
        let kill_now = if line.contains("DONE\t") {
            done += 1;
            matches!(kill, Some(Kill::AfterBatches(n)) if n == done)
        } else {
            line.contains("PAUSED\t")
        };
        if kill_now && !killed_by_parent {
            child.kill().unwrap();
            killed_by_parent = true;
        }
    }
    let status = child.wait().unwrap();
    let stderr = stderr.join().unwrap();
    match kill {
        None => assert!(status.success(), "the child failed: {status}\n{stderr}"),
        Some(kill) => {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(
                status.signal(),
                Some(9),
                "{kill:?}: the child was to be killed, but: {status}\n{stderr}"
            );
        }
    }
    !status.success()
}

/// One kill scenario: the child killed as `kills` say, one after the other, then run to the
/// end; the tables must equal an uninterrupted run's.
fn check_kills(db: &Db, name: &str, kills: &[Kill]) {
    let appended = unique(db, &format!("kill_{name}"));
    let upserted = unique(db, &format!("kill_{name}_n"));
    db.create_table(
        &appended,
        "word VARCHAR(64) NOT NULL, batch_time BIGINT NOT NULL",
    );
    db.create_table(
        &upserted,
        "word VARCHAR(64) NOT NULL PRIMARY KEY, n BIGINT NOT NULL",
    );
    let dir = std::env::temp_dir().join(format!("streamdsl-database-{appended}"));
    let _ = std::fs::remove_dir_all(&dir);
    for kill in kills {
        assert!(run_child(
            &db.url,
            (&appended, &upserted),
            &dir,
            Some(*kill)
        ));
    }
    assert!(!run_child(&db.url, (&appended, &upserted), &dir, None));
    let (expected_appended, expected_upserted) = kill_expected();
    assert_eq!(
        db.table(&appended, &["word", "batch_time"]),
        expected_appended,
        "{name} {kills:?}: appended rows (word, batch time) equal an uninterrupted run's: none lost, none doubled"
    );
    assert_eq!(
        db.table(&upserted, &["word", "n"]),
        expected_upserted,
        "{name} {kills:?}: upserted counts equal an uninterrupted run's"
    );
    let markers = db.markers(&appended).len() + db.markers(&upserted).len();
    assert!(
        markers >= 2 * KILL_BATCHES as usize,
        "{name}: every batch of both outputs is recorded ({markers} markers)"
    );
    db.drop_tables(&[&appended, &upserted]);
    let _ = std::fs::remove_dir_all(&dir);
}

fn killed_and_restarted(db: &Db) {
    // Each batch writes both outputs, so a crash point's n-th hit is in batch (n + 1) / 2:
    // the appended output when n is odd, the upserted one when even.
    let scenarios: Vec<(&str, Vec<Kill>)> = vec![
        ("none", vec![]),
        // Before the transaction: paused before the batch's writes, killed there.
        ("paused", vec![Kill::PausedAt(4000)]),
        ("first", vec![Kill::PausedAt(1000)]),
        // During: the marker row written, the rows written, neither committed.
        ("marker", vec![Kill::CrashAt("database-marker-written:5")]),
        ("commit", vec![Kill::CrashAt("database-before-commit:8")]),
        // After: committed (the second output of the batch not yet), or the batch done and
        // its checkpoint half written.
        ("committed", vec![Kill::CrashAt("database-committed:11")]),
        ("committed2", vec![Kill::CrashAt("database-committed:6")]),
        (
            "checkpoint",
            vec![Kill::CrashAt("checkpoint-temp-written:7")],
        ),
        // Several kills in a row, at every kind of point and at moments chosen by no one.
        (
            "series",
            vec![
                Kill::CrashAt("database-before-commit:3"),
                Kill::CrashAt("database-committed:2"),
                Kill::AfterBatches(2),
                Kill::CrashAt("database-marker-written:4"),
                Kill::PausedAt(9000),
                Kill::AfterBatches(1),
            ],
        ),
        ("random", vec![Kill::AfterBatches(3), Kill::AfterBatches(5)]),
    ];
    std::thread::scope(|s| {
        for (name, kills) in &scenarios {
            s.spawn(move || check_kills(db, name, kills));
        }
    });
}

// ---------------------------------------------------------------------------------------------
// A server stopped mid-run

stream! {
    /// Words appended with their batch time; `outage` may stop the server before a batch's
    /// write.
    pipeline Outage(appended: DatabaseSink, outage: Arc<ServerStop>) {
        batch = 1s;
        input words: String;
        words.count().foreach_rdd(|time, _| outage.at(time));
        words.map(|w| (w,)).save_to_database(appended);
    }
}

/// Stops (SIGSTOP) a server's processes when `pipelines` pipelines have reached the batch at
/// `at` (so that every sink is past its first connection); resumed by the test, or when
/// dropped.
struct ServerStop {
    pid: u32,
    server: Server,
    at: i64,
    pipelines: usize,
    state: Mutex<StopState>,
    changed: Condvar,
}

#[derive(Default)]
struct StopState {
    arrived: usize,
    /// The processes stopped, until resumed.
    stopped: Option<Vec<u32>>,
    resumed: bool,
}

impl ServerStop {
    fn new(server: Server, pid: u32, at: i64, pipelines: usize) -> Arc<ServerStop> {
        Arc::new(ServerStop {
            pid,
            server,
            at,
            pipelines,
            state: Mutex::default(),
            changed: Condvar::new(),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, StopState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A pipeline's hook, before its batch at `time` writes: the last pipeline to come stops
    /// the server, the others wait for that (bounded).
    fn at(&self, time: Time) {
        if time.millis() != self.at {
            return;
        }
        let mut state = self.state();
        state.arrived += 1;
        if state.arrived == self.pipelines {
            // The PostgreSQL postmaster first (it forks no backend after), then its children.
            assert!(signal(&[self.pid], "STOP"), "cannot stop pid {}", self.pid);
            let children = match self.server {
                Server::MariaDb => Vec::new(),
                Server::Postgres => children_of(self.pid),
            };
            signal(&children, "STOP");
            // kill(2) returns before a busy process stops: a server that answers one more
            // query, then stops, would catch a sink inside a transaction.
            wait_until_stopped(self.pid);
            for &child in &children {
                wait_until_stopped(child);
            }
            state.stopped = Some(children);
            self.changed.notify_all();
        } else {
            let (_state, waited) = self
                .changed
                .wait_timeout_while(state, Duration::from_secs(60), |s| {
                    s.stopped.is_none() && !s.resumed
                })
                .unwrap_or_else(PoisonError::into_inner);
            assert!(
                !waited.timed_out(),
                "the other pipelines did not reach batch {} within 60 s",
                self.at
            );
        }
    }

    fn was_stopped(&self) -> bool {
        self.state().arrived >= self.pipelines
    }

    fn resume(&self) {
        let mut state = self.state();
        if let Some(children) = state.stopped.take() {
            signal(&children, "CONT");
            assert!(
                signal(&[self.pid], "CONT"),
                "cannot resume pid {}",
                self.pid
            );
        }
        state.resumed = true;
        self.changed.notify_all();
    }
}

impl Drop for ServerStop {
    fn drop(&mut self) {
        self.resume();
    }
}

/// `kill -SIGNAL pids`: `false` if one of them is not there (a PostgreSQL backend may have
/// exited meanwhile; the others get the signal all the same).
fn signal(pids: &[u32], signal: &str) -> bool {
    pids.is_empty()
        || Command::new("kill")
            .arg(format!("-{signal}"))
            .args(pids.iter().map(u32::to_string))
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
}

/// Waits (bounded) until every thread of `pid` is stopped, or gone.
fn wait_until_stopped(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return;
        };
        let running: Vec<String> = tasks
            .flatten()
            .filter_map(|task| {
                let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
                let state = stat.rsplit_once(") ")?.1.chars().next()?;
                (!matches!(state, 'T' | 't' | 'Z' | 'X')).then_some(stat)
            })
            .collect();
        if running.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "pid {pid} not stopped 10 s after SIGSTOP: {running:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn children_of(parent: u32) -> Vec<u32> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid …; comm may hold spaces and parentheses.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) {
            children.push(pid);
        }
    }
    children
}

/// The PID of the server that `scripts/db/*-start.sh` started for `url`, from its PID file in
/// the run folder (`.db-run/`, or `$DB_RUN_DIR`, `$MARIADB_PID_FILE`, `$POSTGRES_PID_FILE`).
fn server_pid(server: Server, url: &str) -> Result<u32, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let in_root = |p: String| {
        let p = PathBuf::from(p);
        if p.is_absolute() { p } else { root.join(p) }
    };
    let run_dir = in_root(std::env::var("DB_RUN_DIR").unwrap_or_else(|_| ".db-run".into()));
    let (var, file, program) = match server {
        Server::MariaDb => ("MARIADB_PID_FILE", "mariadb.pid", "mariadbd"),
        Server::Postgres => ("POSTGRES_PID_FILE", "postgres.pid", "postgres"),
    };
    let pid_file = std::env::var(var).map_or_else(|_| run_dir.join(file), in_root);
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .map_err(|e| format!("{}: {e}", pid_file.display()))?
        .trim()
        .parse()
        .map_err(|e| format!("{}: {e}", pid_file.display()))?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map_err(|e| format!("pid {pid} of {}: {e}", pid_file.display()))?;
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    let port = url
        .rsplit_once('@')
        .and_then(|(_, host)| host.split('/').next())
        .and_then(|host| host.rsplit_once(':'))
        .map(|(_, port)| port.to_owned())
        .unwrap_or_default();
    let serves_url = match server {
        Server::MariaDb => cmdline.contains(&format!("--port={port} ")),
        Server::Postgres => cmdline.contains(&format!("port={port} ")),
    };
    if cmdline.contains(program) && serves_url {
        Ok(pid)
    } else {
        Err(format!(
            "pid {pid} of {} is not the {program} serving {}: {cmdline}",
            pid_file.display(),
            server.url_var()
        ))
    }
}

/// The server's PID, or `None` (after saying why) if this is not a server the scripts
/// started: the outage tests stop only those.
fn pid_to_stop(db: &Db) -> Option<u32> {
    match server_pid(db.server, &db.url) {
        Ok(pid) => Some(pid),
        Err(why) => {
            assert!(
                !require_db(),
                "cannot find the server to stop ({why}); run under scripts/with-databases.sh"
            );
            println!("skipped: {why} (servers not started by scripts/with-databases.sh)");
            None
        }
    }
}

fn server_stopped_mid_run(db: &Db) {
    let Some(pid) = pid_to_stop(db) else { return };
    const BATCHES: i64 = 6;
    let input = || -> Vec<Vec<String>> {
        (1..=BATCHES)
            .map(|k| (0..k).map(|i| format!("w{i}")).collect())
            .collect()
    };
    let expected = multiset(input().into_iter().enumerate().flat_map(|(i, words)| {
        let time = (i as i64 + 1) * 1000;
        words.into_iter().map(move |w| [w, time.to_string()])
    }));
    // Two pipelines through the same outage: one with retries enough to outlast it, one that
    // waits as long as it takes.
    let retrying = unique(db, "outage_retries");
    let waiting = unique(db, "outage_waits");
    for table in [&retrying, &waiting] {
        db.create_table(
            table,
            "word VARCHAR(64) NOT NULL, batch_time BIGINT NOT NULL",
        );
    }
    let stop = ServerStop::new(db.server, pid, 3000, 2);
    let sink = |table: &str| {
        DatabaseSink::new(&db.url)
            .table(table)
            .columns(["word"])
            .batch_time_column("batch_time")
    };
    let limit = Duration::from_secs(180);
    let runs: Vec<_> = [
        sink(&retrying).retries(30, Duration::from_millis(100)),
        sink(&waiting)
            .retries(0, Duration::from_millis(100))
            .wait_on_failure(),
    ]
    .into_iter()
    .map(|sink| {
        let pipeline = Outage::new(sink, Arc::clone(&stop)).words(queue_stream(input()));
        std::thread::spawn(move || run_bounded(Harness::new(pipeline), BATCHES as usize, limit))
    })
    .collect();

    // Stopped at batch 3 once both pipelines are there; each sink then fails (its pool times
    // out) and retries. Resumed once both have.
    let started = Instant::now();
    for table in [&retrying, &waiting] {
        let retried = wait_for_log(&["database write failed; retrying", table], limit);
        if !retried {
            stop.resume();
            let logs = logs();
            let lines: Vec<&str> = logs
                .lines()
                .filter(|l| l.contains(table.as_str()))
                .collect();
            panic!(
                "no retry of {table} logged within {limit:?} of the server's stop; its logs:\n{}",
                lines.join("\n")
            );
        }
    }
    assert!(stop.was_stopped());
    stop.resume();
    println!(
        "{:?} stopped for {:.1} s",
        db.server,
        started.elapsed().as_secs_f64()
    );
    for run in runs {
        run.join().unwrap().unwrap();
    }
    for table in [&retrying, &waiting] {
        assert_eq!(
            db.table(table, &["word", "batch_time"]),
            expected,
            "{table}: every batch once, the one written during the outage too"
        );
    }
    db.drop_tables(&[&retrying, &waiting]);
}

/// A server that accepts connections but never answers, from before the sink's first
/// connection: each attempt fails after the sink's attempt timeout and, with one retry, the
/// pipeline stops with the error instead of hanging.
fn server_unresponsive_at_the_first_connection(db: &Db) {
    let Some(pid) = pid_to_stop(db) else { return };
    let table = unique(db, "unresponsive");
    db.create_table(
        &table,
        "word VARCHAR(64) NOT NULL, batch_time BIGINT NOT NULL",
    );
    let stop = ServerStop::new(db.server, pid, 1000, 1);
    let sink = DatabaseSink::new(&db.url)
        .table(&table)
        .columns(["word"])
        .batch_time_column("batch_time")
        .retries(1, Duration::from_millis(100))
        .attempt_timeout(Duration::from_secs(5));
    let pipeline =
        Outage::new(sink, Arc::clone(&stop)).words(queue_stream(vec![vec!["a".to_string()]]));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(
            Harness::new(pipeline)
                .batch_timeout(Duration::from_secs(600))
                .run(1),
        );
    });
    // Two attempts of at most 5 s each and a 100 ms backoff.
    let limit = Duration::from_secs(60);
    let result = rx.recv_timeout(limit);
    stop.resume();
    let result = match result {
        Ok(result) => result,
        Err(_) => {
            // Resumed: the sink carries on; wait for the pipeline before failing.
            let _ = rx.recv_timeout(Duration::from_secs(60));
            panic!(
                "the pipeline neither wrote nor stopped within {limit:?} of the server becoming \
                 unresponsive (retries(1, 100ms)): it hangs in the sink's first connection"
            );
        }
    };
    let error = result.expect_err("the server never answered, so the pipeline fails");
    assert!(
        matches!(error, Error::SinkFailed { .. }),
        "a sink failure: {error}"
    );
    let text = described(&error);
    assert!(
        text.contains("gave up after 1 retries"),
        "the error says the retries ran out: {text}"
    );
    db.drop_tables(&[&table]);
}

// ---------------------------------------------------------------------------------------------
// Errors: say what is wrong, never the password

stream! {
    /// Words appended to one table.
    pipeline Append(appended: DatabaseSink) {
        batch = 1s;
        input words: String;
        words.map(|w| (w,)).save_to_database(appended);
    }
}

/// Runs `Append` on two batches and returns its error and how long it took to fail.
fn append_error(sink: DatabaseSink) -> (Error, Duration) {
    let started = Instant::now();
    let pipeline = Append::new(sink).words(queue_stream(vec![
        vec!["a".to_string(), "b".to_string()],
        vec!["c".to_string()],
    ]));
    let error = run_bounded(Harness::new(pipeline), 2, Duration::from_secs(120))
        .expect_err("the sink cannot write, so the pipeline fails");
    (error, started.elapsed())
}

/// The error's message and its whole chain, Display and Debug.
fn described(error: &Error) -> String {
    let mut text = format!("{error}\n{error:?}");
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        text.push_str(&format!("\n{e}\n{e:?}"));
        source = e.source();
    }
    text
}

/// A failure that retrying cannot fix stops the pipeline at once: sinks in these tests retry
/// 5 times from 2 s, so retrying would take a minute.
const AT_ONCE: Duration = Duration::from_secs(15);

fn wrong_password_is_named_and_not_shown(db: &Db) {
    const PASSWORD: &str = "Wr0ng-Pa55word-4-streamdsl";
    let table = unique(db, "password");
    db.create_table(&table, "word VARCHAR(64) NOT NULL");
    // scheme://user:password@host:port/db: the password replaced.
    let (scheme, rest) = db.url.split_once("://").unwrap();
    let (credentials, host) = rest.rsplit_once('@').unwrap();
    let user = credentials.split(':').next().unwrap();
    let url = format!("{scheme}://{user}:{PASSWORD}@{host}");
    let (error, took) = append_error(
        DatabaseSink::new(&url)
            .table(&table)
            .columns(["word"])
            .retries(5, Duration::from_secs(2)),
    );
    println!("{:?}, wrong password: {error}", db.server);
    let text = described(&error);
    assert!(
        matches!(error, Error::SinkFailed { .. }),
        "a sink failure: {text}"
    );
    let names_it = match db.server {
        Server::MariaDb => text.contains("Access denied for user"),
        Server::Postgres => text.contains("password authentication failed for user"),
    };
    assert!(
        names_it,
        "the error says the credentials were refused: {text}"
    );
    assert!(
        text.contains(&format!("{user}@{host}")),
        "the error names the user and server: {text}"
    );
    assert!(!text.contains(PASSWORD), "the password is shown: {text}");
    assert!(
        took < AT_ONCE,
        "refused credentials stop at once, not after retries: {took:?}"
    );
    assert!(!logs().contains(PASSWORD), "the password is in the logs");
    db.drop_tables(&[&table]);
}

fn missing_table_or_column_is_named(db: &Db) {
    let table = unique(db, "missing");
    db.exec(&format!("DROP TABLE IF EXISTS {table}"));
    let sink = || {
        DatabaseSink::new(&db.url)
            .table(&table)
            .columns(["word"])
            .retries(5, Duration::from_secs(2))
    };
    let (error, took) = append_error(sink());
    println!("{:?}, missing table: {error}", db.server);
    let text = described(&error);
    assert!(
        matches!(&error, Error::SinkFailed { time, .. } if time.millis() == 1000),
        "a sink failure at the first batch: {text}"
    );
    assert!(text.contains(&table), "the error names the table: {text}");
    assert!(
        text.contains("doesn't exist") || text.contains("does not exist"),
        "the error says the table is missing: {text}"
    );
    assert!(
        text.contains("create the table first"),
        "the error says what to do: {text}"
    );
    assert!(took < AT_ONCE, "a missing table stops at once: {took:?}");
    let (_, rest) = db.url.split_once("://").unwrap();
    let (credentials, _) = rest.rsplit_once('@').unwrap();
    if credentials.contains(':') {
        assert!(!text.contains(credentials), "the password is shown: {text}");
    }

    // A table without the column.
    db.create_table(&table, "other VARCHAR(64)");
    let (error, took) = append_error(sink());
    println!("{:?}, missing column: {error}", db.server);
    let text = described(&error);
    assert!(
        matches!(error, Error::SinkFailed { .. }),
        "a sink failure: {text}"
    );
    assert!(
        text.contains("word")
            && (text.contains("Unknown column") || text.contains("does not exist")),
        "the error names the missing column: {text}"
    );
    assert!(took < AT_ONCE, "a missing column stops at once: {took:?}");

    // The failed batch left no marker: once the table is right, it is written.
    db.create_table(&table, "word VARCHAR(64) NOT NULL");
    let pipeline = Append::new(sink()).words(queue_stream(vec![
        vec!["a".to_string(), "b".to_string()],
        vec!["c".to_string()],
    ]));
    run_bounded(Harness::new(pipeline), 2, Duration::from_secs(60)).unwrap();
    assert_eq!(
        db.table(&table, &["word"]),
        multiset([["a".to_string()], ["b".to_string()], ["c".to_string()]])
    );
    db.drop_tables(&[&table]);
}

/// A record the server refuses for its value (PostgreSQL: NUL in TEXT, SQLSTATE 22021;
/// MariaDB: a 4-byte character in a utf8mb3 column, 22007/1366) is not retried as if the
/// server were down: the pipeline stops at once with the server's message, even with
/// `wait_on_failure` (which would otherwise wait forever).
fn a_poison_record_stops_at_once(db: &Db) {
    let table = unique(db, "poison");
    let (column, poison) = match db.server {
        Server::MariaDb => (
            "word VARCHAR(64) CHARACTER SET utf8mb3 NOT NULL",
            "smile \u{1F600}",
        ),
        Server::Postgres => ("word TEXT NOT NULL", "nul \0 byte"),
    };
    db.create_table(&table, column);
    let started = Instant::now();
    let sink = DatabaseSink::new(&db.url)
        .table(&table)
        .columns(["word"])
        .retries(5, Duration::from_secs(2))
        .wait_on_failure();
    let pipeline = Append::new(sink).words(queue_stream(vec![vec![
        "fine".to_string(),
        poison.to_string(),
    ]]));
    let error = run_bounded(Harness::new(pipeline), 1, Duration::from_secs(120))
        .expect_err("the server refuses the record");
    let took = started.elapsed();
    let text = described(&error);
    println!("{:?}, poison record: {error}", db.server);
    assert!(
        matches!(error, Error::SinkFailed { .. }),
        "a sink failure: {text}"
    );
    let names_it = match db.server {
        Server::MariaDb => text.contains("Incorrect string value"),
        Server::Postgres => text.contains("invalid byte sequence") || text.contains("0x00"),
    };
    assert!(
        names_it,
        "the error is the server's about the value: {text}"
    );
    assert!(
        took < AT_ONCE,
        "a poison record stops at once, not after retries: {took:?}"
    );
    assert!(
        db.table(&table, &["word"]).is_empty(),
        "the batch's transaction wrote nothing"
    );
    db.drop_tables(&[&table]);
}

// ---------------------------------------------------------------------------------------------
// Exactly once: a batch recorded in the marker table is not written again

fn recorded_batches_are_skipped(db: &Db) {
    let table = unique(db, "marker");
    db.create_table(
        &table,
        "word VARCHAR(64) NOT NULL, batch_time BIGINT NOT NULL",
    );
    let input = || -> Vec<Vec<String>> {
        (1..=6)
            .map(|k: i64| (0..k).map(|i| format!("w{i}")).collect())
            .collect()
    };
    let expected = |batches: usize| {
        multiset(
            input()
                .into_iter()
                .take(batches)
                .enumerate()
                .flat_map(|(i, words)| {
                    let time = (i as i64 + 1) * 1000;
                    words.into_iter().map(move |w| [w, time.to_string()])
                }),
        )
    };
    // No checkpoint: every run starts again at batch 1000 with the same batches.
    let run = |batches: usize| {
        let sink = DatabaseSink::new(&db.url)
            .table(&table)
            .columns(["word"])
            .batch_time_column("batch_time");
        let pipeline = Append::new(sink).words(queue_stream(input()));
        run_bounded(Harness::new(pipeline), batches, Duration::from_secs(60)).unwrap();
        db.table(&table, &["word", "batch_time"])
    };
    assert_eq!(run(4), expected(4), "the first run writes its 4 batches");
    assert_eq!(
        run(4),
        expected(4),
        "the same 4 batches again: all recorded, nothing written"
    );
    assert_eq!(
        run(6),
        expected(6),
        "6 batches: the 4 recorded skipped, the 2 new written"
    );
    assert_eq!(run(6), expected(6), "and again: nothing new");
    let markers = db.markers(&table);
    assert_eq!(
        markers,
        (1..=6)
            .map(|k| format!("0:{table}@{}", k * 1000))
            .collect::<Vec<_>>(),
        "one marker per batch"
    );
    db.drop_tables(&[&table]);
}

on_both_servers! {
    strings_arrive_exactly;
    killed_and_restarted;
    server_stopped_mid_run, true;
    server_unresponsive_at_the_first_connection, true;
    wrong_password_is_named_and_not_shown;
    missing_table_or_column_is_named;
    a_poison_record_stops_at_once;
    recorded_batches_are_skipped;
}
