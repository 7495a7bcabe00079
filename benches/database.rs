//! Upserting a 100 000-key batch of `(String, u64)` into MySQL/MariaDB and PostgreSQL, in rows
//! per second: streamdsl's `save_to_database` (a `stream!` pipeline run batch by batch with
//! `BatchRunner`, each batch a new batch time, so each one adds its own marker row) against a
//! hand-written sqlx loop doing the same writes: one transaction, the same marker row insert,
//! then `INSERT … VALUES (…), (…) … ON DUPLICATE KEY UPDATE` / `ON CONFLICT DO UPDATE` with bound
//! parameters, in statements of as many rows as the sink's (2 000 rows of 2 columns), commit.
//!
//! Both sides upsert the same keys with the same values into a table of their own (same
//! definition) on the same server; every batch changes every row's count, so every row is
//! really updated. The servers come from `MYSQL_URL` and `POSTGRES_URL`; a server without its
//! URL is skipped. With throwaway servers:
//!
//! ```text
//! scripts/with-databases.sh cargo bench --bench database
//! ```
//!
//! After each server's criterion group, an interleaved loop (the order flips every round)
//! prints both sides' rows/s and the streamdsl / hand-written time ratio.

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use std::fmt::Write as _;
use std::time::{Duration, Instant};
use streamdsl::DatabaseSink;
use streamdsl::Unbound;
use streamdsl::prelude::*;
use streamdsl::testing::BatchRunner;

mod common;
use common::median;

/// Rows (distinct keys) per batch.
const KEYS: usize = 100_000;
/// Rows per statement: the sink's for two columns (`rows_per_statement` in its module).
const ROWS_PER_STATEMENT: usize = 2_000;
/// Rounds of the interleaved ratio loop after each criterion group.
const RATIO_ROUNDS: usize = 20;
/// The tables of the two sides.
const OURS: &str = "bench_streamdsl";
const THEIRS: &str = "bench_hand";
/// The hand-written side's marker rows: pipeline and output names of its own.
const HAND_PIPELINE: &str = "hand_written";
const HAND_OUTPUT: &str = "0:bench_hand";

stream! {
    /// Every batch upserted into a table.
    pipeline DatabaseUpsert(sink: DatabaseSink) {
        batch = 1s;
        input pairs: (String, u64);
        pairs.save_to_database(sink);
    }
}

/// A server kind: what differs in the SQL.
#[derive(Clone, Copy, PartialEq)]
enum Server {
    MySql,
    Postgres,
}

impl Server {
    fn name(self) -> &'static str {
        match self {
            Server::MySql => "mysql",
            Server::Postgres => "postgres",
        }
    }

    fn env_var(self) -> &'static str {
        match self {
            Server::MySql => "MYSQL_URL",
            Server::Postgres => "POSTGRES_URL",
        }
    }

    /// The sink's marker table and marker insert (same text as the sink's).
    fn marker_table(self) -> &'static str {
        match self {
            Server::MySql => {
                "CREATE TABLE IF NOT EXISTS streamdsl_batches (pipeline VARCHAR(190) NOT NULL, output VARCHAR(190) NOT NULL, batch_time BIGINT NOT NULL, PRIMARY KEY (pipeline, output, batch_time))"
            }
            Server::Postgres => {
                "CREATE TABLE IF NOT EXISTS streamdsl_batches (pipeline TEXT NOT NULL, output TEXT NOT NULL, batch_time BIGINT NOT NULL, PRIMARY KEY (pipeline, output, batch_time))"
            }
        }
    }

    fn insert_marker(self) -> &'static str {
        match self {
            Server::MySql => {
                "INSERT IGNORE INTO streamdsl_batches (pipeline, output, batch_time) VALUES (?, ?, ?)"
            }
            Server::Postgres => {
                "INSERT INTO streamdsl_batches (pipeline, output, batch_time) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
            }
        }
    }

    /// `INSERT INTO table (word, count) VALUES (…), … <upsert>` for `rows` rows: the sink's
    /// statement, character for character.
    fn upsert(self, table: &str, rows: usize) -> String {
        let mut sql = String::with_capacity(160 + rows * 16);
        match self {
            Server::MySql => {
                write!(sql, "INSERT INTO `{table}` (`word`, `count`) VALUES ").unwrap();
                for r in 0..rows {
                    sql.push_str(if r == 0 { "(?, ?)" } else { ", (?, ?)" });
                }
                sql.push_str(" ON DUPLICATE KEY UPDATE `count` = VALUES(`count`)");
            }
            Server::Postgres => {
                write!(sql, "INSERT INTO \"{table}\" (\"word\", \"count\") VALUES ").unwrap();
                for r in 0..rows {
                    if r > 0 {
                        sql.push_str(", ");
                    }
                    write!(sql, "(${}, ${})", 2 * r + 1, 2 * r + 2).unwrap();
                }
                sql.push_str(
                    " ON CONFLICT (\"word\") DO UPDATE SET \"count\" = EXCLUDED.\"count\"",
                );
            }
        }
        sql
    }
}

/// The hand-written side's connection pool (as many connections as the sink's).
enum Pool {
    MySql(sqlx::MySqlPool),
    Postgres(sqlx::PgPool),
}

/// One statement on either pool (setup and checks, untimed).
async fn execute(pool: &Pool, sql: &str) -> Result<(), sqlx::Error> {
    match pool {
        Pool::MySql(p) => sqlx::query(sql).execute(p).await.map(drop),
        Pool::Postgres(p) => sqlx::query(sql).execute(p).await.map(drop),
    }
}

/// One `i64` on either pool.
async fn fetch_i64(pool: &Pool, sql: &str) -> Result<i64, sqlx::Error> {
    match pool {
        Pool::MySql(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        Pool::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
    }
}

/// The hand-written write of one batch: one transaction, marker row, chunked multi-row
/// upserts of bound parameters, commit.
macro_rules! hand_written_with {
    ($pool:expr, $server:expr, $time:expr, $rows:expr) => {{
        let mut tx = $pool.begin().await?;
        let marked = sqlx::query($server.insert_marker())
            .bind(HAND_PIPELINE)
            .bind(HAND_OUTPUT)
            .bind($time)
            .execute(&mut *tx)
            .await?;
        assert_eq!(marked.rows_affected(), 1, "a new batch time every batch");
        for chunk in $rows.chunks(ROWS_PER_STATEMENT) {
            let sql = $server.upsert(THEIRS, chunk.len());
            let mut query = sqlx::query(&sql);
            for (word, count) in chunk {
                let count = i64::try_from(*count).expect("counts fit a BIGINT");
                query = query.bind(word.as_str()).bind(count);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await
    }};
}

async fn hand_written(
    pool: &Pool,
    server: Server,
    time: i64,
    rows: Vec<(String, u64)>,
) -> Result<(), sqlx::Error> {
    match pool {
        Pool::MySql(p) => hand_written_with!(p, server, time, rows),
        Pool::Postgres(p) => hand_written_with!(p, server, time, rows),
    }
}

/// The batch of round `n`: the same keys every round, every count changed.
fn rows(n: u64) -> Vec<(String, u64)> {
    (0..KEYS as u64)
        .map(|i| (format!("word{i:07}"), i * 7 % 1000 + n))
        .collect()
}

/// The two sides on one server, and the state they carry between batches.
struct Sides {
    server: Server,
    runner: BatchRunner<DatabaseUpsert<Unbound>>,
    runtime: tokio::runtime::Runtime,
    pool: Pool,
    hand_time: i64,
}

impl Sides {
    /// Connects, (re)creates both tables and forgets earlier marker rows of both sides.
    fn new(server: Server, url: &str) -> Result<Self, sqlx::Error> {
        // As `BatchRunner`'s: one worker, the caller blocks on the future.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let pool = runtime.block_on(async {
            Ok::<_, sqlx::Error>(match server {
                Server::MySql => Pool::MySql(
                    sqlx::mysql::MySqlPoolOptions::new()
                        .max_connections(4)
                        .connect(url)
                        .await?,
                ),
                Server::Postgres => Pool::Postgres(
                    sqlx::postgres::PgPoolOptions::new()
                        .max_connections(4)
                        .connect(url)
                        .await?,
                ),
            })
        })?;
        let sink = DatabaseSink::new(url)
            .table(OURS)
            .columns(["word", "count"])
            .upsert_on(["word"])
            .retries(0, Duration::from_millis(10));
        let pipeline = DatabaseUpsert::new(sink);
        let pipeline_name = pipeline.info().name;
        runtime.block_on(async {
            for table in [OURS, THEIRS] {
                execute(&pool, &format!("DROP TABLE IF EXISTS {table}")).await?;
                execute(
                    &pool,
                    &format!(
                        "CREATE TABLE {table} (word VARCHAR(255) PRIMARY KEY, count BIGINT NOT NULL)"
                    ),
                )
                .await?;
            }
            execute(&pool, server.marker_table()).await?;
            execute(
                &pool,
                &format!(
                    "DELETE FROM streamdsl_batches WHERE pipeline IN ('{pipeline_name}', '{HAND_PIPELINE}')"
                ),
            )
            .await
        })?;
        Ok(Sides {
            server,
            runner: BatchRunner::new(pipeline),
            runtime,
            pool,
            hand_time: 0,
        })
    }

    fn streamdsl(&mut self, rows: Vec<(String, u64)>) {
        self.runner
            .run((Batch::from(rows),))
            .expect("the sink writes the batch");
    }

    fn hand_written(&mut self, rows: Vec<(String, u64)>) {
        self.hand_time += 1000;
        self.runtime
            .block_on(hand_written(&self.pool, self.server, self.hand_time, rows))
            .expect("the hand-written loop writes the batch");
    }

    /// Rows with the same word and count in both tables.
    fn same_rows(&self) -> i64 {
        let sql = format!(
            "SELECT COUNT(*) FROM {OURS} o JOIN {THEIRS} t ON o.word = t.word AND o.count = t.count"
        );
        self.runtime
            .block_on(fetch_i64(&self.pool, &sql))
            .expect("the check query runs")
    }
}

fn server(c: &mut Criterion, server: Server) {
    let name = server.name();
    let Ok(url) = std::env::var(server.env_var()) else {
        eprintln!(
            "database bench: {} is not set, skipping {name} (run under scripts/with-databases.sh)",
            server.env_var()
        );
        return;
    };
    let mut sides = Sides::new(server, &url).unwrap_or_else(|e| panic!("{name}: {e}"));

    // Both sides write the same rows: a first batch inserts every key, a second updates them.
    for n in 0..2 {
        sides.streamdsl(rows(n));
        sides.hand_written(rows(n));
    }
    assert_eq!(
        sides.same_rows(),
        KEYS as i64,
        "{name}: both tables hold the same rows"
    );
    eprintln!("database bench {name}: {KEYS} keys per batch, both tables equal after 2 batches");

    // Each iteration gets the rows of a new round (made by the untimed setup), so every count
    // changes; the timed region holds the whole write of the batch and dropping its rows.
    let mut n = 2;
    let mut next = || {
        n += 1;
        rows(n)
    };
    let mut group = c.benchmark_group(format!("database_upsert_100k_{name}"));
    group
        .throughput(Throughput::Elements(KEYS as u64))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15));
    group.bench_function("streamdsl", |b| {
        b.iter_batched(&mut next, |r| sides.streamdsl(r), BatchSize::PerIteration)
    });
    group.bench_function("hand_written", |b| {
        b.iter_batched(
            &mut next,
            |r| sides.hand_written(r),
            BatchSize::PerIteration,
        )
    });
    group.finish();

    // Criterion times the two one after the other; alternate them (the order flips every
    // round) and report the median of the paired ratios and both sides' rows/s.
    let mut times = [Vec::new(), Vec::new()];
    for round in 0..RATIO_ROUNDS {
        let batch = next();
        for side in [round % 2, 1 - round % 2] {
            let input = batch.clone();
            let start = Instant::now();
            if side == 0 {
                sides.streamdsl(input);
            } else {
                sides.hand_written(input);
            }
            times[side].push(start.elapsed().as_secs_f64());
        }
    }
    assert_eq!(
        sides.same_rows(),
        KEYS as i64,
        "{name}: both tables hold the same rows"
    );
    let [ours, theirs] = &times;
    let paired = median(
        ours.iter()
            .zip(theirs)
            .map(|(o, t)| o / t)
            .collect::<Vec<f64>>(),
    );
    let rows_per_s = |s: f64| KEYS as f64 / s;
    eprintln!(
        "database bench {name}: streamdsl {:.0} rows/s, hand_written {:.0} rows/s (medians of {RATIO_ROUNDS} interleaved rounds); \
         streamdsl / hand_written time: median of paired ratios {paired:.3}x (goal: within 1.25x)",
        rows_per_s(median(ours.clone())),
        rows_per_s(median(theirs.clone())),
    );
    sides
        .runtime
        .block_on(async {
            for table in [OURS, THEIRS] {
                execute(&sides.pool, &format!("DROP TABLE IF EXISTS {table}")).await?;
            }
            Ok::<_, sqlx::Error>(())
        })
        .expect("dropping the bench tables");
}

fn database(c: &mut Criterion) {
    server(c, Server::MySql);
    server(c, Server::Postgres);
}

criterion_group!(benches, database);
criterion_main!(benches);
