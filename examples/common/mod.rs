//! What the examples share: logs to standard error, a fresh checkpoint directory.

/// Logs at `warn` and above, or at the level named by `STREAMDSL_LOG` (`info`, `debug`, …):
/// `info` shows one line per batch with its records and delays.
pub fn init_logging() {
    let level = std::env::var("STREAMDSL_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::WARN);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .init();
}

/// The checkpoint directory of `example`, emptied first: a pipeline started on a directory
/// holding its checkpoint resumes from it (Spark's `getOrCreate`), and a demo starts afresh
/// each run.
#[allow(dead_code)] // not every example checkpoints
pub fn fresh_checkpoint_dir(example: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir()
        .join("streamdsl-examples")
        .join(example);
    if let Err(e) = std::fs::remove_dir_all(&dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        panic!(
            "cannot empty the checkpoint directory {}: {e}",
            dir.display()
        );
    }
    dir
}
