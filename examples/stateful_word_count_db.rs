//! Running word count into a database (Spark's NetworkWordCountStateful with its counts kept in
//! a table): as `stateful_word_count`, `update_state_by_key` adds each batch's counts to every
//! word's total, starting from `hello: 1, world: 1`; every batch the totals are printed,
//! upserted into the table `word_counts` (`word` is the key, `count` is replaced) of a
//! MySQL/MariaDB or PostgreSQL database, and saved as text files
//! (`<temp dir>/streamdsl-examples/stateful_word_count_db/counts-TIME_IN_MS.txt/part-00000`).
//! The state is checkpointed to `<temp dir>/streamdsl-examples/stateful_word_count_db/checkpoint`;
//! that folder is emptied at start.
//!
//! The database URL is `--url` or, without it, the environment variable `MYSQL_URL`
//! (`mysql://user:password@host:port/database`; a `postgres://…` URL works too). The table is
//! created if missing:
//!
//! ```sql
//! CREATE TABLE IF NOT EXISTS word_counts (word VARCHAR(255) PRIMARY KEY, count BIGINT NOT NULL)
//! ```
//!
//! Rows are only added or replaced: words of earlier runs stay in the table. Each batch is one
//! transaction, recorded in the sink's marker table `streamdsl_batches`, so a batch run again
//! after a restart is not written twice.
//!
//! With `<host> <port>`, the lines come from a TCP server until Ctrl-C. Without, five batches of
//! text are queued and the pipeline stops by itself once the queue is drained. With throwaway
//! MariaDB and PostgreSQL servers (started and stopped by the script, `MYSQL_URL` exported):
//!
//! ```text
//! scripts/with-databases.sh cargo run --example stateful_word_count_db
//! scripts/with-databases.sh sh -c 'cargo run --example stateful_word_count_db -- --url "$POSTGRES_URL"'
//! cargo run --example stateful_word_count_db -- --url mysql://user:password@localhost:3306/db localhost 9999
//! ```

mod common;

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use streamdsl::DatabaseSink;
use streamdsl::prelude::*;

stream! {
    /// Every word's count since the start: printed, upserted into a table, saved as text.
    pub pipeline StatefulWordCountDb(sink: DatabaseSink, prefix: String) {
        batch = 1s;
        checkpoint;
        input lines: &str;
        let running_counts: (String, u64) = lines
            .flat_map(|line| line.split(' '))
            .filter(|word| !word.is_empty())
            .map(|word| (word.to_string(), 1u64))
            .update_state_by_key(|new: Vec<u64>, old: Option<u64>| {
                Some(new.iter().sum::<u64>() + old.unwrap_or(0))
            });
        running_counts.pprint();
        running_counts.save_to_database(sink);
        running_counts.save_as_text_files(prefix, "txt");
    }
}

/// Every word's count since the start, of queued text or of the lines of a TCP server, kept in
/// a database table and in text files.
#[derive(Parser, Debug)]
struct Args {
    /// Database URL (mysql://user:password@host:port/database or postgres://…); default: the
    /// environment variable MYSQL_URL.
    #[arg(long)]
    url: Option<String>,
    /// Host of a server to read lines from (e.g. localhost); without it, queued text.
    #[arg(requires = "port")]
    host: Option<String>,
    /// Port of the server (e.g. 9999).
    port: Option<u16>,
    #[command(flatten)]
    ui: common::Ui,
}

/// One batch of lines per entry (as `stateful_word_count`).
const BATCHES: &[&[&str]] = &[
    &["hello spark", "hello streaming"],
    &["hello rust"],
    &[],
    &["streaming state in rust", "world"],
    &["spark spark spark"],
];

/// The table the sink writes; it must exist before the first batch.
const CREATE_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS word_counts (word VARCHAR(255) PRIMARY KEY, count BIGINT NOT NULL)";

/// The example's folder (checkpoint and text files), emptied first: a pipeline started on a
/// directory holding its checkpoint resumes from it, and this demo starts afresh each run.
fn fresh_dir() -> PathBuf {
    let dir = std::env::temp_dir()
        .join("streamdsl-examples")
        .join("stateful_word_count_db");
    if let Err(e) = std::fs::remove_dir_all(&dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        panic!("cannot empty {}: {e}", dir.display());
    }
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Creates `word_counts` if it is missing, with one connection of the URL's driver.
fn create_table(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    use sqlx::Connection;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match url.split("://").next().unwrap_or("") {
            "mysql" | "mariadb" => {
                let mut connection = sqlx::MySqlConnection::connect(url).await?;
                sqlx::query(CREATE_TABLE).execute(&mut connection).await?;
                connection.close().await?;
            }
            "postgres" | "postgresql" => {
                let mut connection = sqlx::PgConnection::connect(url).await?;
                sqlx::query(CREATE_TABLE).execute(&mut connection).await?;
                connection.close().await?;
            }
            other => return Err(format!("unsupported database URL scheme `{other}://`").into()),
        }
        Ok(())
    })
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stateful_word_count_db: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let Some(url) = args.url.or_else(|| std::env::var("MYSQL_URL").ok()) else {
        return Err(
            "no database URL: give --url mysql://user:password@host:port/database, \
                    set MYSQL_URL, or run under scripts/with-databases.sh"
                .into(),
        );
    };
    create_table(&url).map_err(|e| format!("cannot create the table word_counts: {e}"))?;
    let sink = DatabaseSink::new(url)
        .table("word_counts")
        .columns(["word", "count"])
        .upsert_on(["word"]);

    let dir = fresh_dir();
    let prefix = dir.join("counts");
    // The sink's Debug form hides the URL's password.
    eprintln!(
        "writing to {sink:?} and {}-TIME_IN_MS.txt",
        prefix.display()
    );
    let pipeline = StatefulWordCountDb::new(sink, prefix.to_string_lossy().into_owned())
        .initial_running_counts([("hello".into(), 1), ("world".into(), 1)]);
    let context = args.ui.context().checkpoint_dir(dir.join("checkpoint"));
    if let (Some(host), Some(port)) = (args.host, args.port) {
        // Until Ctrl-C.
        context.run(pipeline.lines(socket_text_stream(host, port)))?;
        return Ok(());
    }
    let lines = queue_stream(
        BATCHES
            .iter()
            .map(|batch| batch.iter().map(|l| l.to_string()).collect::<Vec<_>>()),
    );
    context.run_until_finished(pipeline.lines(lines))?;
    Ok(())
}
