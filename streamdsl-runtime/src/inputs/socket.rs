//! `socket_text_stream(host, port)`: lines read from a TCP server (Spark's `socketTextStream`),
//! e.g. one started with `nc -lk 9999`.

use super::receiver::{Receiver, ReceiverOutput, ReceiverStream, receiver_stream};
use super::text::{InvalidUtf8, LongLines, decode_line, find_newline, long_line, trim_cr};
use crate::{Batch, BoxError, Text};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// The receiver of [`socket_text_stream`].
#[derive(Debug, Clone)]
pub struct SocketText {
    host: String,
    port: u16,
    max_line_bytes: usize,
    long_lines: LongLines,
    invalid_utf8: InvalidUtf8,
    idle_report: Duration,
}

/// TCP keepalive: probes after this long without traffic, then every
/// [`KEEPALIVE_INTERVAL`], so that a peer that vanished (a half-open connection) ends the
/// connection in about two minutes instead of stalling the receiver forever.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);

/// Lines from a TCP server at `host:port`: `\n` or `\r\n` end a line, and a last line without
/// one ends at the end of the connection. A refused connection, a reset or the server closing
/// is logged and counted (`receiver_restarts`), and the connection retried after the restart
/// delay (2 s as Spark; [`ReceiverStream::restart_delay`]); lines received before are kept,
/// and so is an unfinished last line, whether the connection ended with a close (FIN) or a
/// reset (RST). A connection without data for a minute is reported once
/// ([`idle_report`](ReceiverStream::idle_report), counted as `idle_reports`) and kept; TCP
/// keepalive ends one whose peer is gone.
/// Lines longer than 1 MiB are cut ([`max_line_bytes`](ReceiverStream::max_line_bytes),
/// [`long_lines`](ReceiverStream::long_lines)), never buffered without bound; invalid UTF-8 is
/// decoded lossily and counted ([`invalid_utf8`](ReceiverStream::invalid_utf8)). With
/// [`write_ahead_log`](ReceiverStream::write_ahead_log) received lines survive a crash.
pub fn socket_text_stream(host: impl Into<String>, port: u16) -> ReceiverStream<SocketText> {
    receiver_stream(SocketText {
        host: host.into(),
        port,
        max_line_bytes: 1 << 20,
        long_lines: LongLines::Cut,
        invalid_utf8: InvalidUtf8::Lossy,
        idle_report: Duration::from_secs(60),
    })
}

impl ReceiverStream<SocketText> {
    /// The longest line kept whole, in bytes.
    pub fn max_line_bytes(self, bytes: usize) -> Self {
        self.configure(|s| s.max_line_bytes = bytes.max(1))
    }

    /// What to do with longer lines.
    pub fn long_lines(self, policy: LongLines) -> Self {
        self.configure(|s| s.long_lines = policy)
    }

    /// What to do with lines that are not valid UTF-8.
    pub fn invalid_utf8(self, policy: InvalidUtf8) -> Self {
        self.configure(|s| s.invalid_utf8 = policy)
    }

    /// After how long without data an open connection is reported (a warning and the
    /// `idle_reports` counter, once until data comes again); one minute by default.
    pub fn idle_report(self, after: Duration) -> Self {
        self.configure(|s| s.idle_report = after.max(Duration::from_millis(1)))
    }
}

/// Lines received together: the receiver hands the pipeline one block per read instead of
/// one `String` per line, and the lines become `String`s at batch time, on the thread that
/// also drops them (an allocation freed on another thread is what made per-line handover
/// slow). The write-ahead log stores blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "LoggedLineBlock")]
pub struct LineBlock {
    /// Every line followed by `'\n'` (lines never contain one).
    text: String,
    lines: usize,
}

/// A [`LineBlock`] as read back from the write-ahead log: its line count is checked against
/// its text before anything is sized by it.
#[derive(serde::Deserialize)]
struct LoggedLineBlock {
    text: String,
    lines: usize,
}

impl TryFrom<LoggedLineBlock> for LineBlock {
    type Error = String;

    fn try_from(logged: LoggedLineBlock) -> Result<Self, String> {
        let counted = logged.text.bytes().filter(|&b| b == b'\n').count();
        if counted != logged.lines || !(logged.text.is_empty() || logged.text.ends_with('\n')) {
            return Err(format!(
                "a logged block of lines claims {} lines but holds {counted}",
                logged.lines
            ));
        }
        Ok(LineBlock {
            text: logged.text,
            lines: counted,
        })
    }
}

impl LineBlock {
    pub(crate) fn push_line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
        self.lines += 1;
    }

    /// The number of lines.
    pub fn len(&self) -> usize {
        self.lines
    }

    /// Whether the block has no line.
    pub fn is_empty(&self) -> bool {
        self.lines == 0
    }

    /// The lines, in order.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        let mut rest = self.text.as_str();
        // libc's vectorized memchr: `str::split` scans a byte at a time on short lines.
        std::iter::from_fn(move || {
            let end = find_newline(rest.as_bytes())?;
            let line = &rest[..end];
            rest = &rest[end + 1..];
            Some(line)
        })
    }
}

/// The line being read: its bytes so far, or (after a long line was cut or dropped) the rest
/// of it being skipped up to its end.
#[derive(Default)]
struct Line {
    bytes: Vec<u8>,
    skipping: bool,
}

impl SocketText {
    /// A line longer than the limit, `head` then `tail`: its cut, or nothing if dropped.
    fn long_line(
        &self,
        head: &[u8],
        tail: &[u8],
        out: &ReceiverOutput<LineBlock>,
    ) -> Option<Vec<u8>> {
        let (cut, counter) = long_line(head, tail, self.max_line_bytes, self.long_lines);
        out.count(counter, 1);
        cut
    }

    /// Takes bytes up to a line end (`ended`) or, without one, the start of the next line.
    fn take(
        &self,
        line: &mut Line,
        bytes: &[u8],
        ended: bool,
        block: &mut LineBlock,
        out: &ReceiverOutput<LineBlock>,
    ) -> Result<(), BoxError> {
        if line.skipping {
            line.skipping = !ended;
            return Ok(());
        }
        // The `\r` of a `\r\n` line end is not part of the line; a partial line may end with
        // one whose `\n` is still to come, so it may hold one byte more.
        let bytes = if ended { trim_cr(bytes) } else { bytes };
        let mut length = line.bytes.len() + bytes.len();
        if ended && bytes.is_empty() && line.bytes.last() == Some(&b'\r') {
            line.bytes.pop();
            length -= 1;
        }
        let limit = self.max_line_bytes + usize::from(!ended && bytes.last() == Some(&b'\r'));
        if length > limit {
            let head = std::mem::take(&mut line.bytes);
            line.skipping = !ended;
            if let Some(cut) = self.long_line(&head, bytes, out) {
                self.emit(&cut, block, out)?;
            }
        } else if !ended {
            line.bytes.extend_from_slice(bytes);
        } else if line.bytes.is_empty() {
            self.emit(bytes, block, out)?;
        } else {
            line.bytes.extend_from_slice(bytes);
            let whole = std::mem::take(&mut line.bytes);
            self.emit(&whole, block, out)?;
        }
        Ok(())
    }

    /// Splits the bytes of one read into lines appended to `block`; an unfinished last line
    /// stays in `line`.
    fn split(
        &self,
        received: &[u8],
        line: &mut Line,
        block: &mut LineBlock,
        out: &ReceiverOutput<LineBlock>,
    ) -> Result<(), BoxError> {
        // One allocation per read: its lines (and a line finished by it) fit.
        block.text.reserve(received.len() + line.bytes.len());
        // Validated once for the whole read: whole lines inside the valid part need no
        // check of their own (a character cut by the end of the read ends the valid part).
        let valid = std::str::from_utf8(received).map_or_else(|e| e.valid_up_to(), str::len);
        let text = std::str::from_utf8(&received[..valid]).unwrap_or_default();
        let mut at = 0;
        while let Some(end) = find_newline(&received[at..]).map(|n| at + n) {
            let fast = end <= valid && line.bytes.is_empty() && !line.skipping;
            let whole = &text.get(at..end).unwrap_or_default();
            let whole = whole.strip_suffix('\r').unwrap_or(whole);
            if fast && whole.len() <= self.max_line_bytes {
                block.push_line(whole);
            } else {
                self.take(line, &received[at..end], true, block, out)?;
            }
            at = end + 1;
        }
        self.take(line, &received[at..], false, block, out)
    }

    fn emit(
        &self,
        bytes: &[u8],
        block: &mut LineBlock,
        out: &ReceiverOutput<LineBlock>,
    ) -> Result<(), BoxError> {
        let mut invalid = 0;
        let decoded = decode_line(trim_cr(bytes), self.invalid_utf8, &mut invalid);
        if invalid > 0 {
            out.count("invalid_utf8_lines", invalid);
        }
        if let Some(text) = decoded? {
            block.push_line(&text);
        }
        Ok(())
    }

    /// Hands the lines of the block over (waiting while the buffer is full).
    async fn hand_over(
        block: &mut LineBlock,
        out: &mut ReceiverOutput<LineBlock>,
    ) -> Result<(), BoxError> {
        if !block.is_empty() {
            let (lines, bytes) = (block.len(), block.text.len());
            out.push_sized(std::mem::take(block), lines, bytes).await?;
        }
        out.flush().await?;
        Ok(())
    }
}

impl Receiver for SocketText {
    type Record = LineBlock;

    fn describe(&self) -> String {
        format!("socket_text_stream {}:{}", self.host, self.port)
    }

    async fn receive(&mut self, out: &mut ReceiverOutput<LineBlock>) -> Result<(), BoxError> {
        let address = format!("{}:{}", self.host, self.port);
        let stopped = out.stopped();
        tokio::pin!(stopped);
        let mut stream = tokio::select! {
            connected = TcpStream::connect(&address) => {
                connected.map_err(|e| format!("error connecting to {address}: {e}"))?
            }
            () = &mut stopped => return Ok(()),
        };
        tracing::info!(input = %self.describe(), "connected");
        let keepalive = socket2::TcpKeepalive::new()
            .with_time(KEEPALIVE_IDLE)
            .with_interval(KEEPALIVE_INTERVAL);
        if let Err(e) = socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive) {
            tracing::warn!(input = %self.describe(), error = %e, "could not turn TCP keepalive on");
        }
        let mut buffer = vec![0u8; 64 * 1024];
        let mut line = Line::default();
        let mut block = LineBlock::default();
        let mut idle = false;
        loop {
            let read = tokio::select! {
                read = tokio::time::timeout(self.idle_report, stream.read(&mut buffer)) => read,
                () = &mut stopped => return Ok(()),
            };
            let Ok(read) = read else {
                if !idle {
                    idle = true;
                    out.count("idle_reports", 1);
                    tracing::warn!(input = %self.describe(), idle_ms = self.idle_report.as_millis() as u64, "connected, but nothing received for a while; still waiting");
                }
                continue;
            };
            if std::mem::take(&mut idle) {
                tracing::info!(input = %self.describe(), "receiving again");
            }
            let ended = match read {
                Ok(0) => format!("{address} closed the connection"),
                Err(e) => format!("error receiving data from {address}: {e}"),
                Ok(read) => {
                    let split = self.split(&buffer[..read], &mut line, &mut block, out);
                    // The lines before a failure (e.g. invalid UTF-8 with `Fail`) are kept.
                    SocketText::hand_over(&mut block, out).await?;
                    split?;
                    continue;
                }
            };
            // Closed or reset alike: the last line may have no line end, and is kept.
            let last = if !line.skipping && !line.bytes.is_empty() {
                let last = std::mem::take(&mut line.bytes);
                self.emit(&last, &mut block, out)
            } else {
                Ok(())
            };
            SocketText::hand_over(&mut block, out).await?;
            last?;
            return Err(ended.into());
        }
    }
}

// The pipeline sees the socket's lines one record per line: blocks are split at batch time,
// into `String`s for an input declared `String`, into lines sharing their block (no
// allocation per line) for one declared `&str`.
super::records_as!(ReceiverStream<SocketText>, LineBlock => String, |blocks| {
    let mut lines = Vec::with_capacity(blocks.iter().map(LineBlock::len).sum());
    for block in blocks.iter() {
        lines.extend(block.lines().map(str::to_owned));
    }
    Batch::from(lines)
});
super::records_as!(ReceiverStream<SocketText>, LineBlock => Text, |blocks| {
    let mut lines = Vec::with_capacity(blocks.iter().map(LineBlock::len).sum());
    for block in blocks.into_vec() {
        Text::append_lines(block.text, &mut lines);
    }
    Batch::from(lines)
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_line_block_whose_count_does_not_match_its_text_is_refused() {
        let mut block = LineBlock::default();
        block.push_line("a");
        block.push_line("b");
        let bytes = postcard::to_stdvec(&block).unwrap();
        assert_eq!(postcard::from_bytes::<LineBlock>(&bytes).unwrap(), block);
        #[derive(serde::Serialize)]
        struct Crafted<'a> {
            text: &'a str,
            lines: usize,
        }
        for (text, lines) in [("a\nb\n", 1usize << 62), ("a\nb\n", 1), ("a\nb", 1)] {
            let crafted = postcard::to_stdvec(&Crafted { text, lines }).unwrap();
            let error = postcard::from_bytes::<LineBlock>(&crafted).unwrap_err();
            assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn a_line_block_gives_back_its_lines_empty_ones_included() {
        let mut block = LineBlock::default();
        for line in ["a b", "", "ünïcode", ""] {
            block.push_line(line);
        }
        assert_eq!(block.len(), 4);
        assert_eq!(
            block.lines().collect::<Vec<_>>(),
            ["a b", "", "ünïcode", ""]
        );
        assert!(LineBlock::default().lines().next().is_none());
    }

    #[test]
    fn lines_are_split_decoded_and_cut_per_settings() {
        let socket = SocketText {
            host: "h".into(),
            port: 1,
            max_line_bytes: 4,
            long_lines: LongLines::Cut,
            invalid_utf8: InvalidUtf8::Lossy,
            idle_report: Duration::from_secs(60),
        };
        let (out, _chunks) = ReceiverOutput::detached();
        let (mut line, mut block) = (Line::default(), LineBlock::default());
        socket
            .split(b"ab\r\ncdefgh\nx\xffy\npart", &mut line, &mut block, &out)
            .unwrap();
        socket.split(b"ial\n", &mut line, &mut block, &out).unwrap();
        assert_eq!(
            block.lines().collect::<Vec<_>>(),
            ["ab", "cdef", "x\u{fffd}y", "part"]
        );
        assert_eq!(out.counter("lines_cut"), 2, "`cdefgh` and `partial`");
        assert_eq!(out.counter("invalid_utf8_lines"), 1);
    }
}
