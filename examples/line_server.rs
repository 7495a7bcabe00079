//! A line server for the socket examples, like `nc -lk 9999 < FILE`: listens on
//! `127.0.0.1:<port>` and serves the lines of FILE (or of standard input, read once at start)
//! to every client that connects, each client on a thread of its own.
//!
//! Lines are sent as fast as the client takes them, or `--rate` lines per second. After the
//! last line the connection stays open until the client leaves (as with `nc`), so a client
//! does not reconnect and count the same lines again; with `--repeat` the lines are sent
//! again and again instead.
//!
//! ```text
//! cargo run --example line_server -- --port 9999 README.md
//! cargo run --example line_server -- --rate 5 --repeat README.md
//! yes "to be or not to be" | head -n 1000 | cargo run --example line_server
//! ```

use clap::Parser;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Serves the lines of a file to every client that connects, like `nc -lk`.
#[derive(Parser, Debug)]
struct Args {
    /// Port to listen on (at 127.0.0.1).
    #[arg(long, default_value_t = 9999)]
    port: u16,
    /// Lines per second sent to each client (default: as fast as it reads).
    #[arg(long, value_name = "LINES_PER_S", value_parser = positive_rate)]
    rate: Option<f64>,
    /// Send the lines again and again, until the client leaves.
    #[arg(long)]
    repeat: bool,
    /// The file whose lines are served; standard input if absent or `-`.
    file: Option<PathBuf>,
}

fn positive_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "`{s}` is not a positive number of lines per second"
        )),
    }
}

/// The text to serve, each line ended by `'\n'`, and where each line ends.
struct Lines {
    text: Vec<u8>,
    /// `ends[i]`: the offset just after line `i`'s `'\n'`.
    ends: Vec<usize>,
}

impl Lines {
    fn new(mut text: Vec<u8>) -> Self {
        if !text.is_empty() && !text.ends_with(b"\n") {
            text.push(b'\n');
        }
        let ends = text
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        Lines { text, ends }
    }

    /// The bytes of lines `from..to`.
    fn range(&self, from: usize, to: usize) -> &[u8] {
        let start = if from == 0 { 0 } else { self.ends[from - 1] };
        &self.text[start..self.ends[to - 1]]
    }
}

/// Serves one client; returns when it leaves (or, an error aside, never with `--repeat`).
fn serve(
    mut client: TcpStream,
    lines: &Lines,
    rate: Option<f64>,
    repeat: bool,
) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    let count = lines.ends.len();
    loop {
        match rate {
            None => client.write_all(&lines.text)?,
            Some(rate) => {
                // Line `i` is due `i / rate` seconds after the start: whatever is due is sent
                // at once, then the server sleeps until the next line is due.
                let start = Instant::now();
                let mut sent = 0;
                while sent < count {
                    let due = ((start.elapsed().as_secs_f64() * rate) as usize + 1).min(count);
                    if due > sent {
                        client.write_all(lines.range(sent, due))?;
                        sent = due;
                    }
                    let next = Duration::from_secs_f64(sent as f64 / rate);
                    if let Some(wait) = next.checked_sub(start.elapsed()) {
                        std::thread::sleep(wait);
                    }
                }
            }
        }
        if !repeat || count == 0 {
            break;
        }
    }
    // Everything is sent: keep the connection until the client closes it.
    let mut sink = [0u8; 4096];
    while client.read(&mut sink)? > 0 {}
    Ok(())
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let text = match &args.file {
        Some(path) if path.as_os_str() != "-" => std::fs::read(path).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display()))
        })?,
        _ => {
            let mut text = Vec::new();
            std::io::stdin().read_to_end(&mut text)?;
            text
        }
    };
    let lines = Arc::new(Lines::new(text));
    let address = SocketAddr::from(([127, 0, 0, 1], args.port));
    let listener = TcpListener::bind(address)
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {address}: {e}")))?;
    let source = match &args.file {
        Some(path) if path.as_os_str() != "-" => path.display().to_string(),
        _ => "standard input".to_string(),
    };
    eprintln!(
        "line_server: serving {} lines ({} bytes) of {source} on {address}{}{}",
        lines.ends.len(),
        lines.text.len(),
        args.rate
            .map_or(String::new(), |r| format!(", {r} lines/s")),
        if args.repeat { ", repeated" } else { "" },
    );
    for client in listener.incoming() {
        let client = match client {
            Ok(client) => client,
            Err(e) => {
                eprintln!("line_server: accept failed: {e}");
                continue;
            }
        };
        let peer = client
            .peer_addr()
            .map_or_else(|_| "?".to_string(), |a| a.to_string());
        eprintln!("line_server: {peer} connected");
        let lines = Arc::clone(&lines);
        let (rate, repeat) = (args.rate, args.repeat);
        std::thread::spawn(move || match serve(client, &lines, rate, repeat) {
            Ok(()) => eprintln!("line_server: {peer} disconnected"),
            // A client leaving while lines are sent: not an error.
            Err(e) if matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset) => {
                eprintln!("line_server: {peer} disconnected")
            }
            Err(e) => eprintln!("line_server: {peer}: {e}"),
        });
    }
    Ok(())
}
