//! What every example does first: send the runtime's logs to standard error.

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
