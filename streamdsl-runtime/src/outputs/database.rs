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
//! credentials, stop at once with what to fix: a [`DatabaseError`], the cause of the pipeline's
//! [`Error::SinkFailed`](crate::Error::SinkFailed). The URL's password never appears in logs or
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
    fn to_sql(&self) -> Result<SqlValue, ValueError>;
}

/// Why a value of a record cannot be a column.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// An unsigned integer above `i64::MAX`: a `BIGINT` column cannot hold it.
    #[error(
        "{value} does not fit a BIGINT (at most {max}); map it to a type that fits, e.g. a String",
        max = i64::MAX
    )]
    TooLarge {
        /// The value.
        value: u64,
    },
}

macro_rules! sql_value {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {
        $(impl ToSqlValue for $t {
            fn to_sql(&self) -> Result<SqlValue, ValueError> {
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
    u64 => |v| i64::try_from(*v).map(SqlValue::Int).map_err(|_| ValueError::TooLarge { value: *v }),
    usize => |v| i64::try_from(*v).map(SqlValue::Int).map_err(|_| ValueError::TooLarge { value: *v as u64 }),
    f32 => |v| Ok(SqlValue::Float((*v).into())),
    f64 => |v| Ok(SqlValue::Float(*v)),
    Vec<u8> => |v| Ok(SqlValue::Bytes(v.clone())),
}

impl<T: ToSqlValue + ?Sized> ToSqlValue for &T {
    fn to_sql(&self) -> Result<SqlValue, ValueError> {
        (**self).to_sql()
    }
}

impl<T: ToSqlValue> ToSqlValue for Option<T> {
    fn to_sql(&self) -> Result<SqlValue, ValueError> {
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
    fn to_row(&self, row: &mut Vec<SqlValue>) -> Result<(), ValueError>;
}

macro_rules! tuple_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: ToSqlValue),+> ToRow for ($($t,)+) {
            fn to_row(&self, row: &mut Vec<SqlValue>) -> Result<(), ValueError> {
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

/// Why `save_to_database` could not write a batch: the cause of the
/// [`Error::SinkFailed`](crate::Error::SinkFailed) the pipeline stops with. A server is named
/// by its URL without the password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseError {
    /// A table or column name is not an identifier (the sink puts names in SQL text).
    #[error(
        "`{name}` is not a valid table or column name: use letters, digits and `_`, at most 64, \
         not starting with a digit"
    )]
    InvalidName {
        /// The name.
        name: String,
    },
    /// The sink was given no columns.
    #[error("no columns given for table `{table}`: set them with `.columns([…])`")]
    NoColumns {
        /// The table.
        table: String,
    },
    /// An upsert key is not one of the columns.
    #[error(
        "upsert key `{key}` is not one of the columns {columns:?}: `.upsert_on([…])` names columns \
         given to `.columns([…])`"
    )]
    KeyNotAColumn {
        /// The key column.
        key: String,
        /// The sink's columns.
        columns: Vec<String>,
    },
    /// The records have more or fewer values than the sink has columns.
    #[error(
        "records have {values} values but the sink has {} columns {columns:?}: give `.columns([…])` \
         one name per value of a record",
        .columns.len()
    )]
    WrongWidth {
        /// Values in a record.
        values: usize,
        /// The sink's columns.
        columns: Vec<String>,
    },
    /// A value of a record cannot be stored.
    #[error("a record cannot be written to table `{table}`")]
    Value {
        /// The table.
        table: String,
        /// Why.
        #[source]
        source: ValueError,
    },
    /// The URL's scheme is not one of the enabled drivers'.
    #[error(
        "unsupported database URL scheme `{scheme}://`: streamdsl writes to `mysql://` (feature \
         `mysql`) and `postgres://` (feature `postgres`)"
    )]
    UnsupportedScheme {
        /// The scheme.
        scheme: String,
    },
    /// The table does not exist.
    #[cfg(any(feature = "mysql", feature = "postgres"))]
    #[error("{server} has no table `{table}`: create the table first, with the sink's columns")]
    MissingTable {
        /// The server.
        server: String,
        /// The table.
        table: String,
        /// What the server said.
        #[source]
        source: sqlx::Error,
    },
    /// The server refused the batch for a reason retrying cannot fix: a missing column,
    /// refused credentials, a value its column cannot hold.
    #[cfg(any(feature = "mysql", feature = "postgres"))]
    #[error("{server} refused the batch for table `{table}`, and retrying cannot change that")]
    Refused {
        /// The server.
        server: String,
        /// The table.
        table: String,
        /// What the server said.
        #[source]
        source: sqlx::Error,
    },
    /// Every attempt failed: the retries ran out.
    #[error(
        "{server} did not take the batch for table `{table}` (gave up after {retries} retries)"
    )]
    GaveUp {
        /// The server.
        server: String,
        /// The table.
        table: String,
        /// Retries made after the first attempt.
        retries: u32,
        /// Why the last attempt failed.
        #[source]
        source: AttemptError,
    },
}

/// Why one attempt to write a batch failed, in a way that retrying may fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttemptError {
    /// The attempt took longer than [`DatabaseSink::attempt_timeout`].
    #[error("no answer from the server within {} s", .timeout.as_secs())]
    NoAnswer {
        /// The timeout.
        timeout: Duration,
    },
    /// Connecting, or the transaction, failed.
    #[cfg(any(feature = "mysql", feature = "postgres"))]
    #[error(transparent)]
    Server(sqlx::Error),
}

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
fn identifier(name: &str) -> Result<&str, DatabaseError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(name)
    } else {
        Err(DatabaseError::InvalidName {
            name: name.to_owned(),
        })
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
    fn plan(&self) -> Result<Plan, DatabaseError> {
        identifier(&self.table)?;
        if self.columns.is_empty() {
            return Err(DatabaseError::NoColumns {
                table: self.table.clone(),
            });
        }
        let mut columns = self.columns.clone();
        columns.extend(self.batch_time_column.clone());
        for c in &columns {
            identifier(c)?;
        }
        for k in &self.key {
            if !self.columns.contains(k) {
                return Err(DatabaseError::KeyNotAColumn {
                    key: k.clone(),
                    columns: self.columns.clone(),
                });
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

/// Writes `batch` (the generated code calls this).
#[doc(hidden)]
pub fn write<T: ToRow>(
    out: &mut OutputContext<'_>,
    sink: &DatabaseSink,
    index: usize,
    batch: &Batch<T>,
) -> Result<(), BoxError> {
    let plan = sink.plan().map_err(stop)?;
    let width = sink.columns.len();
    let time = out.time().millis();
    // All rows in one flat vector: no allocation per row.
    let mut values = Vec::with_capacity(batch.len() * plan.columns.len());
    for record in batch.iter() {
        let before = values.len();
        record.to_row(&mut values).map_err(|source| {
            let table = plan.table.clone();
            stop(DatabaseError::Value { table, source })
        })?;
        if values.len() - before != width {
            let values = values.len() - before;
            let columns = sink.columns.clone();
            return Err(stop(DatabaseError::WrongWidth { values, columns }));
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

/// The error of a batch the sink could not write: the pipeline stops at it.
fn stop(error: DatabaseError) -> BoxError {
    StopPipeline(error.into()).into()
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
                Err(_) => Err(driver::Failure::Transient(AttemptError::NoAnswer {
                    timeout: self.attempt_timeout,
                })),
            };
            let server = || redacted(&self.url);
            let table = || plan.table.clone();
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
                Err(driver::Failure::Transient(error)) => error,
                Err(driver::Failure::UnsupportedScheme(scheme)) => {
                    return Err(stop(DatabaseError::UnsupportedScheme { scheme }));
                }
                #[cfg(any(feature = "mysql", feature = "postgres"))]
                Err(driver::Failure::MissingTable(source)) => {
                    let (server, table) = (server(), table());
                    return Err(stop(DatabaseError::MissingTable {
                        server,
                        table,
                        source,
                    }));
                }
                #[cfg(any(feature = "mysql", feature = "postgres"))]
                Err(driver::Failure::Refused(source)) => {
                    let (server, table) = (server(), table());
                    return Err(stop(DatabaseError::Refused {
                        server,
                        table,
                        source,
                    }));
                }
            };
            attempt += 1;
            if attempt > self.retries && !self.wait_on_failure {
                let (server, table, retries) = (server(), table(), self.retries);
                let source = error;
                return Err(stop(DatabaseError::GaveUp {
                    server,
                    table,
                    retries,
                    source,
                }));
            }
            tracing::warn!(
                pipeline,
                output,
                batch_time = time,
                attempt,
                error = &error as &dyn std::error::Error,
                delay_ms = backoff.as_millis() as u64,
                "database write failed; retrying"
            );
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
    use super::{AttemptError, Plan, SqlValue};

    /// Why a write failed.
    pub(super) enum Failure {
        /// Retrying may help (connection, lock, server down).
        Transient(AttemptError),
        /// It will not: the URL's scheme is not one of the enabled drivers'.
        UnsupportedScheme(String),
        /// It will not: the table does not exist.
        #[cfg(any(feature = "mysql", feature = "postgres"))]
        MissingTable(sqlx::Error),
        /// It will not (a missing column, refused credentials, a value the column cannot hold).
        #[cfg(any(feature = "mysql", feature = "postgres"))]
        Refused(sqlx::Error),
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
            let code = e.as_database_error().and_then(|d| d.code());
            match code.as_deref().map(classify) {
                Some(Class::MissingTable) => Failure::MissingTable(e),
                Some(Class::Permanent) => Failure::Refused(e),
                _ => Failure::Transient(AttemptError::Server(e)),
            }
        }
    }

    /// What a server's error code says about retrying.
    #[cfg(any(feature = "mysql", feature = "postgres"))]
    #[derive(Debug, PartialEq, Eq)]
    pub(super) enum Class {
        MissingTable,
        /// Retrying the same statement cannot succeed: the data, the statement or the
        /// credentials are wrong.
        Permanent,
        Transient,
    }

    /// Classifies a SQLSTATE (what sqlx reports for both servers) by its class, the first
    /// two characters (ISO SQL; PostgreSQL's Appendix A, MariaDB's error reference): data
    /// exceptions (22: a poison record, e.g. NUL in PostgreSQL TEXT, 22021, or a 4-byte
    /// character in MariaDB utf8mb3, 22007), integrity violations (23), syntax and access
    /// rules (42), authorization (28), unknown database (3D), unsupported features (0A) and
    /// cardinality (21) are permanent; connection (08), rollback (40), resources (53),
    /// operator intervention (57), system errors (58) and the rest are transient. MySQL's
    /// numeric codes are accepted for the ones that matter.
    #[cfg(any(feature = "mysql", feature = "postgres"))]
    pub(super) fn classify(code: &str) -> Class {
        const MISSING_TABLE: &[&str] = &["42S02", "42P01", "1146"];
        const PERMANENT_CLASSES: &[&str] = &["22", "23", "42", "28", "3D", "0A", "21"];
        const PERMANENT_NUMBERS: &[&str] = &["1054", "1045", "1044", "1049", "1366", "1406"];
        if MISSING_TABLE.contains(&code) {
            Class::MissingTable
        } else if PERMANENT_NUMBERS.contains(&code)
            || (code.len() == 5 && PERMANENT_CLASSES.contains(&&code[..2]))
        {
            Class::Permanent
        } else {
            Class::Transient
        }
    }

    #[cfg(all(test, any(feature = "mysql", feature = "postgres")))]
    #[test]
    fn codes_are_classified_by_sqlstate_class() {
        for poison in ["22021", "22007", "22001", "23505", "1366"] {
            assert_eq!(classify(poison), Class::Permanent, "{poison}");
        }
        for refused in ["42703", "28P01", "28000", "3D000", "1045"] {
            assert_eq!(classify(refused), Class::Permanent, "{refused}");
        }
        for missing in ["42S02", "42P01", "1146"] {
            assert_eq!(classify(missing), Class::MissingTable, "{missing}");
        }
        for transient in [
            "08006", "40001", "40P01", "53300", "57P01", "58030", "HY000", "1213",
        ] {
            assert_eq!(classify(transient), Class::Transient, "{transient}");
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
                Err(Failure::UnsupportedScheme(other.to_owned()))
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
        assert_eq!(
            sink.plan().err().map(|e| e.to_string()).as_deref(),
            Some(
                "upsert key `nope` is not one of the columns [\"word\", \"count\"]: \
                 `.upsert_on([…])` names columns given to `.columns([…])`"
            )
        );
    }

    #[test]
    fn a_value_that_does_not_fit_its_column_is_named() {
        let mut row = Vec::new();
        let error = ("a", u64::MAX).to_row(&mut row).unwrap_err();
        assert_eq!(error, ValueError::TooLarge { value: u64::MAX });
        assert_eq!(
            error.to_string(),
            "18446744073709551615 does not fit a BIGINT (at most 9223372036854775807); map it to \
             a type that fits, e.g. a String"
        );
        assert!(("a", 7usize).to_row(&mut row).is_ok());
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
