//! `save_to_database(sink)`: each batch written to a MySQL/MariaDB or PostgreSQL table in one
//! transaction, exactly once across restarts (features `mysql`, `postgres`).
//!
//! The sink is a pipeline parameter (a [`DatabaseSink`] built at run time from a URL), so the
//! pipeline holds one connection pool, opened at the first batch. Each batch:
//!
//! 1. in one transaction, a row `(pipeline, output, batch time)` is added to the marker table
//!    `streamdsl_batches`; if it is there already the batch was written before (it is being
//!    recomputed after a restart) and nothing else is done;
//! 2. the records are written with multi-row statements of bound parameters (never SQL text
//!    made of record values), appended or upserted on a key;
//! 3. commit.
//!
//! A failure is retried with exponential backoff; when the retries run out the pipeline stops
//! with the error (or, with [`DatabaseSink::wait_on_failure`], keeps retrying), so a batch is
//! never dropped and later batches never overtake it. A missing table or column, or refused
//! credentials, stop at once with what to fix. The URL's password never appears in logs or
//! errors.

use super::{OutputContext, StopPipeline};
use crate::{Batch, BoxError};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// One value of a row, as bound to a statement.
#[derive(Clone, Debug)]
pub enum SqlValue {
    /// `NULL` (bound as a text NULL).
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
}

/// Equality as the database sees keys: floats by their bits.
impl PartialEq for SqlValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (SqlValue::Null, SqlValue::Null) => true,
            (SqlValue::Bool(a), SqlValue::Bool(b)) => a == b,
            (SqlValue::Int(a), SqlValue::Int(b)) => a == b,
            (SqlValue::Float(a), SqlValue::Float(b)) => a.to_bits() == b.to_bits(),
            (SqlValue::Text(a), SqlValue::Text(b)) => a == b,
            (SqlValue::Bytes(a), SqlValue::Bytes(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for SqlValue {}

impl std::hash::Hash for SqlValue {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            SqlValue::Null => {}
            SqlValue::Bool(b) => b.hash(state),
            SqlValue::Int(i) => i.hash(state),
            SqlValue::Float(f) => f.to_bits().hash(state),
            SqlValue::Text(t) => t.hash(state),
            SqlValue::Bytes(b) => b.hash(state),
        }
    }
}

/// A value that can be a column of a database row.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a database column",
    note = "columns are strings, integers, floats, booleans, byte vectors and `Option`s of them"
)]
pub trait ToSqlValue {
    /// The value, or why it cannot be stored.
    fn to_sql(&self) -> Result<SqlValue, String>;
}

macro_rules! sql_value {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {
        $(impl ToSqlValue for $t {
            fn to_sql(&self) -> Result<SqlValue, String> {
                let $v = self;
                $e
            }
        })*
    };
}

sql_value! {
    String => |v| Ok(SqlValue::Text(v.clone())),
    str => |v| Ok(SqlValue::Text(v.to_owned())),
    bool => |v| Ok(SqlValue::Bool(*v)),
    i8 => |v| Ok(SqlValue::Int((*v).into())),
    i16 => |v| Ok(SqlValue::Int((*v).into())),
    i32 => |v| Ok(SqlValue::Int((*v).into())),
    i64 => |v| Ok(SqlValue::Int(*v)),
    u8 => |v| Ok(SqlValue::Int((*v).into())),
    u16 => |v| Ok(SqlValue::Int((*v).into())),
    u32 => |v| Ok(SqlValue::Int((*v).into())),
    u64 => |v| i64::try_from(*v).map(SqlValue::Int).map_err(|_| format!("{v} does not fit a BIGINT")),
    usize => |v| i64::try_from(*v).map(SqlValue::Int).map_err(|_| format!("{v} does not fit a BIGINT")),
    f32 => |v| Ok(SqlValue::Float((*v).into())),
    f64 => |v| Ok(SqlValue::Float(*v)),
    Vec<u8> => |v| Ok(SqlValue::Bytes(v.clone())),
}

impl<T: ToSqlValue + ?Sized> ToSqlValue for &T {
    fn to_sql(&self) -> Result<SqlValue, String> {
        (**self).to_sql()
    }
}

impl<T: ToSqlValue> ToSqlValue for Option<T> {
    fn to_sql(&self) -> Result<SqlValue, String> {
        self.as_ref().map_or(Ok(SqlValue::Null), ToSqlValue::to_sql)
    }
}

/// A record that can be a database row: a tuple of column values, in the sink's column order.
#[diagnostic::on_unimplemented(
    message = "records of `{Self}` cannot be database rows",
    note = "a row is a tuple of column values, e.g. `(String, u64)`"
)]
pub trait ToRow {
    /// Appends the row's values to `row`.
    fn to_row(&self, row: &mut Vec<SqlValue>) -> Result<(), String>;
}

macro_rules! tuple_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: ToSqlValue),+> ToRow for ($($t,)+) {
            fn to_row(&self, row: &mut Vec<SqlValue>) -> Result<(), String> {
                $(row.push(self.$i.to_sql()?);)+
                Ok(())
            }
        }
    };
}

tuple_row!(A 0);
tuple_row!(A 0, B 1);
tuple_row!(A 0, B 1, C 2);
tuple_row!(A 0, B 1, C 2, D 3);
tuple_row!(A 0, B 1, C 2, D 3, E 4);
tuple_row!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// Where and how `save_to_database` writes.
pub struct DatabaseSink {
    url: String,
    table: String,
    columns: Vec<String>,
    key: Vec<String>,
    batch_time_column: Option<String>,
    retries: u32,
    first_backoff: Duration,
    wait_on_failure: bool,
    max_connections: u32,
    attempt_timeout: Duration,
    pool: tokio::sync::OnceCell<driver::Pool>,
    marker_table_ready: AtomicBool,
}

impl fmt::Debug for DatabaseSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSink")
            .field("url", &redacted(&self.url))
            .field("table", &self.table)
            .field("columns", &self.columns)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// The URL without its password: `mysql://user@host:port/db`.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            let user = credentials.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme_end + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// A name the sink puts in SQL text: letters, digits and `_`, not starting with a digit.
fn identifier(name: &str) -> Result<&str, String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(name)
    } else {
        Err(format!(
            "`{name}` is not a valid table or column name (letters, digits and `_`, up to 64)"
        ))
    }
}

impl DatabaseSink {
    /// A sink to the database at `url` (`mysql://user:password@host:port/database` or
    /// `postgres://…`). Set at least [`table`](Self::table) and [`columns`](Self::columns).
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseSink {
            url: url.into(),
            table: String::new(),
            columns: Vec::new(),
            key: Vec::new(),
            batch_time_column: None,
            retries: 5,
            first_backoff: Duration::from_millis(200),
            wait_on_failure: false,
            max_connections: 4,
            attempt_timeout: Duration::from_secs(30),
            pool: tokio::sync::OnceCell::new(),
            marker_table_ready: AtomicBool::new(false),
        }
    }

    /// The table written.
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.table = table.into();
        self
    }

    /// The columns of the record's values, in order.
    pub fn columns<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.columns = columns.into_iter().map(Into::into).collect();
        self
    }

    /// Upsert: a row whose key columns match an existing row replaces its other columns (the
    /// natural table for running counts: key `word`, `count` replaced each batch). Without it
    /// rows are appended. Rows of one batch with the same key: the last one wins.
    pub fn upsert_on<S: Into<String>>(mut self, key: impl IntoIterator<Item = S>) -> Self {
        self.key = key.into_iter().map(Into::into).collect();
        self
    }

    /// Also writes the batch time (milliseconds) into this column of every row.
    pub fn batch_time_column(mut self, column: impl Into<String>) -> Self {
        self.batch_time_column = Some(column.into());
        self
    }

    /// Retries of a failed batch before the pipeline stops (default 5), the first after
    /// `first_backoff` (default 200 ms), each wait doubling up to 30 s.
    pub fn retries(mut self, retries: u32, first_backoff: Duration) -> Self {
        self.retries = retries;
        self.first_backoff = first_backoff;
        self
    }

    /// Keep retrying a failed batch for as long as it takes, instead of stopping the
    /// pipeline; later batches wait.
    pub fn wait_on_failure(mut self) -> Self {
        self.wait_on_failure = true;
        self
    }

    /// How long one attempt to write a batch (connecting included) may take before it counts
    /// as failed and is retried (default 30 s): a server that stops answering does not hang
    /// the pipeline.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Connections in the pool (default 4).
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// What is written where, checked: names are identifiers, the key is among the columns.
    fn plan(&self) -> Result<Plan, String> {
        identifier(&self.table)?;
        if self.columns.is_empty() {
            return Err(format!(
                "no columns given for table `{}`: set them with `.columns([…])`",
                self.table
            ));
        }
        let mut columns = self.columns.clone();
        columns.extend(self.batch_time_column.clone());
        for c in &columns {
            identifier(c)?;
        }
        for k in &self.key {
            if !self.columns.contains(k) {
                return Err(format!(
                    "upsert key `{k}` is not one of the columns {:?}",
                    self.columns
                ));
            }
        }
        Ok(Plan {
            table: self.table.clone(),
            columns,
            key: self.key.clone(),
        })
    }
}

/// The statement's shape.
struct Plan {
    table: String,
    columns: Vec<String>,
    key: Vec<String>,
}

/// A failure that retrying cannot fix (missing table, refused credentials, bad values).
struct Permanent(String);

/// Writes `batch` (the generated code calls this).
#[doc(hidden)]
pub fn write<T: ToRow>(
    out: &mut OutputContext<'_>,
    sink: &DatabaseSink,
    index: usize,
    batch: &Batch<T>,
) -> Result<(), BoxError> {
    let plan = sink.plan().map_err(|e| StopPipeline(e.into()))?;
    let width = sink.columns.len();
    let time = out.time().millis();
    // All rows in one flat vector: no allocation per row.
    let mut values = Vec::with_capacity(batch.len() * plan.columns.len());
    for record in batch.iter() {
        let before = values.len();
        record
            .to_row(&mut values)
            .map_err(|e| StopPipeline(format!("a record cannot be written: {e}").into()))?;
        if values.len() - before != width {
            let message = format!(
                "records have {} values but the sink has {width} columns {:?}",
                values.len() - before,
                sink.columns
            );
            return Err(StopPipeline(message.into()).into());
        }
        if sink.batch_time_column.is_some() {
            values.push(SqlValue::Int(time));
        }
    }
    if !plan.key.is_empty() {
        values = last_per_key(values, &plan);
    }
    let output = format!("{index}:{}", plan.table);
    let pipeline = out.pipeline();
    out.block_on(sink.write_with_retries(pipeline, &output, time, &plan, &values))
}

/// The rows (flat, `plan.columns.len()` values each) with distinct keys, the last of each key
/// kept (PostgreSQL refuses an upsert that touches a row twice).
fn last_per_key(values: Vec<SqlValue>, plan: &Plan) -> Vec<SqlValue> {
    let width = plan.columns.len();
    let key_at: Vec<usize> = plan
        .key
        .iter()
        .filter_map(|k| plan.columns.iter().position(|c| c == k))
        .collect();
    let rows = values.len() / width;
    let mut keep = vec![false; rows];
    let distinct = {
        let mut last: std::collections::HashMap<smallvec::SmallVec<[&SqlValue; 2]>, usize> =
            std::collections::HashMap::with_capacity(rows);
        for (r, row) in values.chunks(width).enumerate() {
            last.insert(key_at.iter().map(|&i| &row[i]).collect(), r);
        }
        let distinct = last.len();
        for r in last.into_values() {
            keep[r] = true;
        }
        distinct
    };
    if distinct == rows {
        return values;
    }
    let mut kept = Vec::with_capacity(values.len());
    for (r, value) in values.into_iter().enumerate() {
        if keep[r / width] {
            kept.push(value);
        }
    }
    kept
}

impl DatabaseSink {
    async fn write_with_retries(
        &self,
        pipeline: &str,
        output: &str,
        time: i64,
        plan: &Plan,
        rows: &[SqlValue],
    ) -> Result<(), BoxError> {
        let mut backoff = self.first_backoff;
        let mut attempt = 0u32;
        loop {
            let attempt_write = async {
                let pool = self
                    .pool
                    .get_or_try_init(|| driver::connect(&self.url, self.max_connections))
                    .await?;
                if !self.marker_table_ready.load(Ordering::SeqCst) {
                    driver::create_marker_table(pool).await?;
                    self.marker_table_ready.store(true, Ordering::SeqCst);
                }
                driver::write_batch(pool, pipeline, output, time, plan, rows).await
            };
            // A server that accepts connections but does not answer must not hang the
            // pipeline. A transaction cut off here is rolled back by the server; if its commit
            // did land, the retry finds the batch's marker and skips it.
            let result = match tokio::time::timeout(self.attempt_timeout, attempt_write).await {
                Ok(result) => result,
                Err(_) => Err(driver::Failure::Transient(format!(
                    "no answer from the server within {} s",
                    self.attempt_timeout.as_secs()
                ))),
            };
            let error = match result {
                Ok(written) => {
                    if !written {
                        tracing::info!(
                            pipeline,
                            output,
                            batch_time = time,
                            "batch already in the database; skipped"
                        );
                    }
                    return Ok(());
                }
                Err(driver::Failure::Permanent(Permanent(message))) => {
                    return Err(
                        StopPipeline(format!("{}: {message}", redacted(&self.url)).into()).into(),
                    );
                }
                Err(driver::Failure::Transient(message)) => message,
            };
            attempt += 1;
            if attempt > self.retries && !self.wait_on_failure {
                let message = format!(
                    "{}: {error} (gave up after {} retries)",
                    redacted(&self.url),
                    self.retries
                );
                return Err(StopPipeline(message.into()).into());
            }
            tracing::warn!(pipeline, output, batch_time = time, attempt, error = %error, delay_ms = backoff.as_millis() as u64, "database write failed; retrying");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(30));
        }
    }
}

/// The SQL of each dialect.
#[cfg_attr(not(any(feature = "mysql", feature = "postgres")), allow(dead_code))]
mod sql {
    use super::Plan;

    /// How a dialect writes what differs.
    pub(super) struct Dialect {
        pub(super) quote: char,
        pub(super) marker_table: &'static str,
        pub(super) insert_marker: &'static str,
    }

    pub(super) const MYSQL: Dialect = Dialect {
        quote: '`',
        marker_table: "CREATE TABLE IF NOT EXISTS streamdsl_batches (pipeline VARCHAR(190) NOT NULL, output VARCHAR(190) NOT NULL, batch_time BIGINT NOT NULL, PRIMARY KEY (pipeline, output, batch_time))",
        insert_marker: "INSERT IGNORE INTO streamdsl_batches (pipeline, output, batch_time) VALUES (?, ?, ?)",
    };

    pub(super) const POSTGRES: Dialect = Dialect {
        quote: '"',
        marker_table: "CREATE TABLE IF NOT EXISTS streamdsl_batches (pipeline TEXT NOT NULL, output TEXT NOT NULL, batch_time BIGINT NOT NULL, PRIMARY KEY (pipeline, output, batch_time))",
        insert_marker: "INSERT INTO streamdsl_batches (pipeline, output, batch_time) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    };

    impl Dialect {
        fn quoted(&self, name: &str) -> String {
            format!("{q}{name}{q}", q = self.quote)
        }

        /// `INSERT INTO t (a, b) VALUES (…), (…) [upsert clause]` for `rows` rows.
        pub(super) fn insert(&self, plan: &Plan, rows: usize) -> String {
            use std::fmt::Write;
            let columns: Vec<String> = plan.columns.iter().map(|c| self.quoted(c)).collect();
            let width = columns.len();
            let mut sql = format!(
                "INSERT INTO {} ({}) VALUES ",
                self.quoted(&plan.table),
                columns.join(", ")
            );
            sql.reserve(rows * width * 8);
            for r in 0..rows {
                sql.push_str(if r == 0 { "(" } else { ", (" });
                for c in 0..width {
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    if self.quote == '`' {
                        sql.push('?');
                    } else {
                        let _ = write!(sql, "${}", r * width + c + 1);
                    }
                }
                sql.push(')');
            }
            if !plan.key.is_empty() {
                let others: Vec<&String> = plan
                    .columns
                    .iter()
                    .filter(|c| !plan.key.contains(c))
                    .collect();
                if self.quote == '`' {
                    let updates: Vec<String> = if others.is_empty() {
                        plan.key
                            .iter()
                            .map(|k| format!("{0} = {0}", self.quoted(k)))
                            .collect()
                    } else {
                        others
                            .iter()
                            .map(|c| format!("{0} = VALUES({0})", self.quoted(c)))
                            .collect()
                    };
                    sql.push_str(&format!(" ON DUPLICATE KEY UPDATE {}", updates.join(", ")));
                } else {
                    let key: Vec<String> = plan.key.iter().map(|k| self.quoted(k)).collect();
                    if others.is_empty() {
                        sql.push_str(&format!(" ON CONFLICT ({}) DO NOTHING", key.join(", ")));
                    } else {
                        let updates: Vec<String> = others
                            .iter()
                            .map(|c| format!("{0} = EXCLUDED.{0}", self.quoted(c)))
                            .collect();
                        sql.push_str(&format!(
                            " ON CONFLICT ({}) DO UPDATE SET {}",
                            key.join(", "),
                            updates.join(", ")
                        ));
                    }
                }
            }
            sql
        }
    }

    /// Rows per statement: bound parameters stay under both servers' 65 535 limit.
    pub(super) fn rows_per_statement(width: usize) -> usize {
        (60_000 / width.max(1)).clamp(1, 2_000)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn plan(key: &[&str]) -> Plan {
            Plan {
                table: "word_counts".into(),
                columns: vec!["word".into(), "count".into()],
                key: key.iter().map(|k| k.to_string()).collect(),
            }
        }

        #[test]
        fn statements_bind_every_value() {
            assert_eq!(
                MYSQL.insert(&plan(&["word"]), 2),
                "INSERT INTO `word_counts` (`word`, `count`) VALUES (?, ?), (?, ?) ON DUPLICATE KEY UPDATE `count` = VALUES(`count`)"
            );
            assert_eq!(
                POSTGRES.insert(&plan(&["word"]), 2),
                "INSERT INTO \"word_counts\" (\"word\", \"count\") VALUES ($1, $2), ($3, $4) ON CONFLICT (\"word\") DO UPDATE SET \"count\" = EXCLUDED.\"count\""
            );
            assert_eq!(
                POSTGRES.insert(&plan(&[]), 1),
                "INSERT INTO \"word_counts\" (\"word\", \"count\") VALUES ($1, $2)"
            );
        }
    }
}

/// Talking to the servers: one body for both dialects, instantiated per sqlx driver.
mod driver {
    use super::{Permanent, Plan, SqlValue};

    /// Why a write failed.
    #[cfg_attr(not(any(feature = "mysql", feature = "postgres")), allow(dead_code))]
    pub(super) enum Failure {
        /// Retrying may help (connection, lock, server down).
        Transient(String),
        /// It will not (missing table or column, refused credentials).
        Permanent(Permanent),
    }

    /// A connection pool of one of the enabled drivers.
    pub(super) enum Pool {
        #[cfg(feature = "mysql")]
        MySql(sqlx::MySqlPool),
        #[cfg(feature = "postgres")]
        Postgres(sqlx::PgPool),
    }

    #[cfg(any(feature = "mysql", feature = "postgres"))]
    impl From<sqlx::Error> for Failure {
        fn from(e: sqlx::Error) -> Self {
            // Server error codes that retrying cannot fix.
            const PERMANENT: &[&str] = &[
                "1146", "1054", "1045", "1044", "1049", "42S02", "42S22", "42P01", "42703",
                "28P01", "28000", "3D000", "22001", "22003",
            ];
            let permanent = e
                .as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| PERMANENT.contains(&c.as_ref()));
            let hint = e
                .as_database_error()
                .and_then(|d| d.code())
                .filter(|c| ["1146", "42S02", "42P01"].contains(&c.as_ref()))
                .map(|_| " (create the table first, with the sink's columns)")
                .unwrap_or_default();
            let message = format!("{e}{hint}");
            if permanent {
                Failure::Permanent(Permanent(message))
            } else {
                Failure::Transient(message)
            }
        }
    }

    /// Opens the pool for `url`. One connection is made first, so that a refused connection
    /// or refused credentials are reported as such (a pool only says it timed out).
    pub(super) async fn connect(url: &str, max_connections: u32) -> Result<Pool, Failure> {
        let scheme = url.split("://").next().unwrap_or("");
        let timeout = std::time::Duration::from_secs(10);
        match scheme {
            #[cfg(feature = "mysql")]
            "mysql" | "mariadb" => {
                use sqlx::Connection;
                sqlx::MySqlConnection::connect(url).await?.close().await?;
                let options = sqlx::mysql::MySqlPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(timeout);
                Ok(Pool::MySql(options.connect_lazy(url)?))
            }
            #[cfg(feature = "postgres")]
            "postgres" | "postgresql" => {
                use sqlx::Connection;
                sqlx::PgConnection::connect(url).await?.close().await?;
                let options = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(timeout);
                Ok(Pool::Postgres(options.connect_lazy(url)?))
            }
            other => {
                let _ = (max_connections, timeout);
                Err(Failure::Permanent(Permanent(format!(
                    "unsupported database URL scheme `{other}://`: streamdsl writes to `mysql://` (feature `mysql`) and `postgres://` (feature `postgres`)"
                ))))
            }
        }
    }

    /// Binds one value to a query of either driver.
    #[cfg(any(feature = "mysql", feature = "postgres"))]
    macro_rules! bind_value {
        ($query:expr, $value:expr) => {
            match $value {
                SqlValue::Null => $query.bind(None::<String>),
                SqlValue::Bool(b) => $query.bind(*b),
                SqlValue::Int(i) => $query.bind(*i),
                SqlValue::Float(f) => $query.bind(*f),
                SqlValue::Text(s) => $query.bind(s.as_str()),
                SqlValue::Bytes(b) => $query.bind(b.as_slice()),
            }
        };
    }

    /// The same transaction for each driver: marker row, rows, commit.
    #[cfg(any(feature = "mysql", feature = "postgres"))]
    macro_rules! write_with {
        ($pool:expr, $dialect:expr, $pipeline:expr, $output:expr, $time:expr, $plan:expr, $rows:expr) => {{
            let mut tx = $pool.begin().await?;
            let marked = sqlx::query($dialect.insert_marker)
                .bind($pipeline)
                .bind($output)
                .bind($time)
                .execute(&mut *tx)
                .await?;
            if marked.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            crate::checkpoint::crash_point("database-marker-written");
            let width = $plan.columns.len();
            let per_statement = super::sql::rows_per_statement(width);
            // The statement text depends only on its row count: made once per size.
            let mut statements: Vec<(usize, String)> = Vec::new();
            for chunk in $rows.chunks(per_statement * width) {
                let rows = chunk.len() / width;
                if !statements.iter().any(|(n, _)| *n == rows) {
                    statements.push((rows, $dialect.insert($plan, rows)));
                }
                let sql = &statements
                    .iter()
                    .find(|(n, _)| *n == rows)
                    .expect("made above")
                    .1;
                let mut query = sqlx::query(sql);
                for value in chunk {
                    query = bind_value!(query, value);
                }
                query.execute(&mut *tx).await?;
            }
            crate::checkpoint::crash_point("database-before-commit");
            tx.commit().await?;
            crate::checkpoint::crash_point("database-committed");
            Ok(true)
        }};
    }

    /// Creates the marker table if it is missing.
    #[cfg(any(feature = "mysql", feature = "postgres"))]
    pub(super) async fn create_marker_table(pool: &Pool) -> Result<(), Failure> {
        match pool {
            #[cfg(feature = "mysql")]
            Pool::MySql(p) => {
                sqlx::query(super::sql::MYSQL.marker_table)
                    .execute(p)
                    .await?;
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => {
                sqlx::query(super::sql::POSTGRES.marker_table)
                    .execute(p)
                    .await?;
            }
        }
        Ok(())
    }

    /// Without a database feature there is no pool, so nothing to write to.
    #[cfg(not(any(feature = "mysql", feature = "postgres")))]
    pub(super) async fn create_marker_table(pool: &Pool) -> Result<(), Failure> {
        match *pool {}
    }

    #[cfg(not(any(feature = "mysql", feature = "postgres")))]
    pub(super) async fn write_batch(
        pool: &Pool,
        _: &str,
        _: &str,
        _: i64,
        _: &Plan,
        _: &[SqlValue],
    ) -> Result<bool, Failure> {
        match *pool {}
    }

    /// Writes one batch in one transaction; `false` if it was written before.
    #[cfg(any(feature = "mysql", feature = "postgres"))]
    pub(super) async fn write_batch(
        pool: &Pool,
        pipeline: &str,
        output: &str,
        time: i64,
        plan: &Plan,
        rows: &[SqlValue],
    ) -> Result<bool, Failure> {
        match pool {
            #[cfg(feature = "mysql")]
            Pool::MySql(p) => write_with!(p, super::sql::MYSQL, pipeline, output, time, plan, rows),
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => {
                write_with!(p, super::sql::POSTGRES, pipeline, output, time, plan, rows)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        let sink = DatabaseSink::new("mysql://streamdsl:s3cret@127.0.0.1:13306/db")
            .table("t")
            .columns(["a"]);
        assert_eq!(
            redacted("mysql://streamdsl:s3cret@127.0.0.1:13306/db"),
            "mysql://streamdsl@127.0.0.1:13306/db"
        );
        assert!(!format!("{sink:?}").contains("s3cret"));
    }

    #[test]
    fn names_are_identifiers() {
        assert!(identifier("word_counts").is_ok());
        for bad in ["", "1x", "a b", "x;DROP TABLE t", "`t`", "t\""] {
            assert!(identifier(bad).is_err(), "{bad}");
        }
        let sink = DatabaseSink::new("mysql://x")
            .table("t")
            .columns(["word", "count"])
            .upsert_on(["nope"]);
        assert!(sink.plan().is_err());
    }

    #[test]
    fn upserts_keep_the_last_row_of_a_key() {
        let plan = Plan {
            table: "t".into(),
            columns: vec!["k".into(), "v".into()],
            key: vec!["k".into()],
        };
        let row = |k: &str, v: i64| vec![SqlValue::Text(k.into()), SqlValue::Int(v)];
        assert_eq!(
            last_per_key([row("a", 1), row("b", 2), row("a", 3)].concat(), &plan),
            [row("b", 2), row("a", 3)].concat()
        );
    }
}
