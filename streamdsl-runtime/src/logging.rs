//! The log a newcomer sees without writing code: what [`init_logging`] sets up.

/// Logs to standard error at `info` (pipeline start and stop, keep-up warnings, a status line
/// every 30 s of batches), or at the level `STREAMDSL_LOG` names (`warn`, `debug` for one line
/// per batch, `off`), unless the program has set up a `tracing` subscriber of its own, which
/// is left alone. [`StreamingContext::run`](crate::StreamingContext::run) and
/// [`run_until_finished`](crate::StreamingContext::run_until_finished) call it; call it
/// yourself before [`start`](crate::StreamingContext::start) to get the same.
///
/// ```
/// streamdsl_runtime::init_logging();
/// tracing::info!("shown on standard error");
/// ```
pub fn init_logging() {
    if tracing::dispatcher::has_been_set() {
        return;
    }
    let wanted = std::env::var("STREAMDSL_LOG").ok();
    let level = match wanted.as_deref().map(str::trim) {
        Some(off) if off.eq_ignore_ascii_case("off") => return,
        Some(level) => level.parse().unwrap_or_else(|_| {
            eprintln!("STREAMDSL_LOG={level} is not a log level (error, warn, info, debug, trace, off); logging at info");
            tracing::Level::INFO
        }),
        None => tracing::Level::INFO,
    };
    // Another thread may have set one meanwhile: then that one stays.
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(|| Stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Standard error through `eprint!`, which a test harness captures (a test's pipeline logs
/// only with its failure report), where a write to `std::io::stderr()` would not be.
struct Stderr;

impl std::io::Write for Stderr {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        eprint!("{}", String::from_utf8_lossy(bytes));
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
