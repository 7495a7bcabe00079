//! What the examples share: the `--ui` flag, a fresh checkpoint directory.

/// `--ui ADDR`, shared by the examples: serve the live page and metrics there.
#[derive(clap::Args, Debug)]
pub struct Ui {
    /// Serve the live page (`/`) and Prometheus metrics (`/metrics`) on ADDR, e.g.
    /// 127.0.0.1:4040.
    #[arg(long, value_name = "ADDR")]
    ui: Option<String>,
}

impl Ui {
    /// A context that serves the page when `--ui` was given. `run` logs to standard error
    /// (`STREAMDSL_LOG=debug` shows every batch, `warn` only problems).
    pub fn context(&self) -> streamdsl::StreamingContext {
        let context = streamdsl::StreamingContext::new();
        match &self.ui {
            Some(addr) => context.metrics_addr(addr.clone()),
            None => context,
        }
    }
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
