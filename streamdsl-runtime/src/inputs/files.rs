//! `text_file_stream(dir)`: the lines of files that appear in a directory (Spark's
//! `textFileStream`, spec 3.1).

use super::text::{
    InvalidUtf8, LongLines, decode_line, find_byte, find_newline, long_line, trim_cr,
};
use super::{InputContext, InputPosition, InputStream};
use crate::{Batch, BoxError, Text, Time};
use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An input of the files that appear in a directory; see [`text_file_stream`].
pub struct TextFileStream {
    dir: PathBuf,
    include_existing: bool,
    remember_ms: i64,
    invalid_utf8: InvalidUtf8,
    max_line_bytes: usize,
    long_lines: LongLines,
    max_batch_bytes: u64,
    /// Files modified before this are ignored (the stream's start, unless existing files are
    /// included).
    initial_threshold_ms: i64,
    /// Files already read, by name, with their modification time, within the remember window.
    seen: HashMap<OsString, i64>,
    /// The file being read across batches: name, modification time, offset of its next line.
    partial: Option<(OsString, i64, u64)>,
    /// Entries whose skipping was reported, so each is reported once; only names still in
    /// the directory are kept.
    reported: HashSet<OsString>,
    counters: Vec<(&'static str, u64)>,
    /// Whether a checkpoint restored the position (and the start threshold with it).
    restored: bool,
}

/// Each batch at time `T` reads the files that appeared in `dir` since the previous batch,
/// each exactly once, one record per line (`\n` or `\r\n`; a last line without one counts).
///
/// A file is selected when its modification time `m` is after the stream's start (unless
/// [`include_existing`](TextFileStream::include_existing)), within the remember window
/// (`T - 60 s < m`, [`remember`](TextFileStream::remember)) and not after `T`, and it was not
/// read before. Files must be *moved* into the directory complete: a file written in place may
/// be read while half written, and is not read again when it grows (as in Spark).
///
/// Lines are lent from blocks of a few MiB of the files' text: an input declared `&str` gets
/// no allocation per line (one declared `String` gets a copy of each).
///
/// Files are streamed, not read whole: a batch takes at most 128 MiB of them
/// ([`max_batch_bytes`](TextFileStream::max_batch_bytes)), and what is left of a file waits
/// for the next batch (its offset is in the checkpoint). Lines longer than 1 MiB are cut or
/// dropped as on sockets ([`max_line_bytes`](TextFileStream::max_line_bytes),
/// [`long_lines`](TextFileStream::long_lines)).
///
/// Unlike Spark, names starting with `_` are skipped as well as those starting with `.`, and
/// sub-directories are skipped; every skipped or unreadable file (hidden, directory, too old,
/// empty, permission denied, vanished) is logged once by name and counted
/// (`files_skipped_hidden`, `files_skipped_directory`, `files_skipped_old`,
/// `files_skipped_empty`, `files_unreadable`; `files_read` counts the others). Invalid UTF-8
/// is decoded lossily and counted ([`invalid_utf8`](TextFileStream::invalid_utf8)); names
/// need not be UTF-8.
///
/// The files read within the remember window are the input's checkpoint position: after a
/// restart no file is read twice or missed.
pub fn text_file_stream(dir: impl Into<PathBuf>) -> TextFileStream {
    TextFileStream {
        dir: dir.into(),
        include_existing: false,
        remember_ms: 60_000,
        invalid_utf8: InvalidUtf8::Lossy,
        max_line_bytes: 1 << 20,
        long_lines: LongLines::Cut,
        max_batch_bytes: 128 << 20,
        initial_threshold_ms: 0,
        seen: HashMap::new(),
        partial: None,
        reported: HashSet::new(),
        counters: Vec::new(),
        restored: false,
    }
}

impl TextFileStream {
    /// Also read files already in the directory at start (Spark's `newFilesOnly = false`),
    /// within the remember window.
    pub fn include_existing(mut self, include: bool) -> Self {
        self.include_existing = include;
        self
    }

    /// How old a file may be when it is found (Spark's `minRememberDuration`, 60 s).
    pub fn remember(mut self, window: Duration) -> Self {
        self.remember_ms = crate::time::duration_millis(window);
        self
    }

    /// What to do with lines that are not valid UTF-8 (`Fail` stops reading the file at the
    /// line; its lines read in this batch are dropped).
    pub fn invalid_utf8(mut self, policy: InvalidUtf8) -> Self {
        self.invalid_utf8 = policy;
        self
    }

    /// The longest line kept whole, in bytes (1 MiB by default).
    pub fn max_line_bytes(mut self, bytes: usize) -> Self {
        self.max_line_bytes = bytes.max(1);
        self
    }

    /// What to do with longer lines.
    pub fn long_lines(mut self, policy: LongLines) -> Self {
        self.long_lines = policy;
        self
    }

    /// At most this many bytes of files are read per batch (at least one line); the rest
    /// waits for the next batch.
    pub fn max_batch_bytes(mut self, bytes: u64) -> Self {
        self.max_batch_bytes = bytes.max(1);
        self
    }

    fn count(&mut self, name: &'static str, n: u64) {
        match self.counters.iter_mut().find(|(k, _)| *k == name) {
            Some((_, v)) => *v += n,
            None => self.counters.push((name, n)),
        }
    }

    /// Counts a skipped file, and logs it the first time.
    fn skip(&mut self, name: &OsStr, counter: &'static str, why: &str) {
        if self.reported.insert(name.to_owned()) {
            self.count(counter, 1);
            tracing::warn!(dir = %self.dir.display(), file = %name.to_string_lossy(), reason = why, "file skipped");
        }
    }

    /// The new files of the directory to read at `time`, oldest first; skipped entries are
    /// reported, and the report of entries no longer there forgotten.
    fn select(&mut self, time: Time, threshold: i64) -> std::io::Result<Vec<(i64, OsString)>> {
        let mut selected = Vec::new();
        let mut present = HashSet::new();
        for entry in std::fs::read_dir(&self.dir)?.filter_map(Result::ok) {
            let name = entry.file_name();
            present.insert(name.clone());
            if name.as_bytes().starts_with(b".") || name.as_bytes().starts_with(b"_") {
                self.skip(
                    &name,
                    "files_skipped_hidden",
                    "hidden: the name starts with '.' or '_'",
                );
                continue;
            }
            let meta = match std::fs::metadata(entry.path()) {
                Ok(meta) => meta,
                Err(e) => {
                    self.skip(&name, "files_unreadable", &e.to_string());
                    continue;
                }
            };
            if meta.is_dir() {
                self.skip(&name, "files_skipped_directory", "a directory");
                continue;
            }
            let modified = meta.modified().map_or(0, millis);
            if self.seen.contains_key(&name) || modified > time.millis() {
                continue;
            }
            if modified <= threshold {
                let why = if modified <= self.initial_threshold_ms {
                    "present before the stream started"
                } else {
                    "modified before the remember window"
                };
                self.skip(&name, "files_skipped_old", why);
                continue;
            }
            if meta.len() == 0 {
                self.skip(&name, "files_skipped_empty", "empty");
                self.seen.insert(name, modified);
                continue;
            }
            selected.push((modified, name));
        }
        self.reported.retain(|name| present.contains(name));
        selected.sort();
        Ok(selected)
    }

    /// Reads file `name` from `offset` into `lines` while `budget` lasts: marked as read at
    /// its end, kept as the partial file if the budget ran out.
    fn read_file(
        &mut self,
        name: OsString,
        modified: i64,
        offset: u64,
        budget: &mut u64,
        lines: &mut Vec<Text>,
    ) {
        let path = self.dir.join(&name);
        match self.read_from(&path, offset, budget, lines) {
            Ok(None) => {
                self.count("files_read", 1);
                self.seen.insert(name, modified);
            }
            Ok(Some(next)) => self.partial = Some((name, modified, next)),
            // Not marked as read: tried again at the next batch while in the window, unless
            // part of it was delivered already (reading it again would repeat that part).
            Err(ReadFailure::Unreadable(why)) => {
                self.skip(&name, "files_unreadable", &why);
                if offset > 0 {
                    self.seen.insert(name, modified);
                }
            }
            Err(ReadFailure::Undecodable(why)) => {
                self.skip(&name, "files_unreadable", &why);
                self.seen.insert(name, modified);
            }
        }
    }

    /// Reads lines of the file at `path` from `offset` into `lines` while `budget` lasts,
    /// stopping at a line boundary: where the next batch goes on, or `None` at the end.
    fn read_from(
        &mut self,
        path: &Path,
        offset: u64,
        budget: &mut u64,
        lines: &mut Vec<Text>,
    ) -> Result<Option<u64>, ReadFailure> {
        let mut file = std::fs::File::open(path).map_err(unreadable)?;
        file.seek(SeekFrom::Start(offset)).map_err(unreadable)?;
        let (start, mut invalid) = (lines.len(), 0);
        let result = self.read_chunks(file, offset, budget, &mut invalid, lines);
        self.count("invalid_utf8_lines", invalid);
        if result.is_err() {
            lines.truncate(start);
        }
        result
    }

    /// Reads `file` (at `at`) in chunks of whole lines, about a [`Block`] each, while `budget`
    /// lasts. A chunk whose lines are all short, UTF-8 and end with `'\n'` alone (the common
    /// case) becomes the block its lines are lent from, with no copy per line and one scan
    /// for line ends; any other chunk is read line by line ([`read_lines`](Self::read_lines)).
    fn read_chunks(
        &mut self,
        mut file: std::fs::File,
        mut at: u64,
        budget: &mut u64,
        invalid: &mut u64,
        lines: &mut Vec<Text>,
    ) -> Result<Option<u64>, ReadFailure> {
        loop {
            if *budget == 0 {
                return Ok(Some(at));
            }
            let want = (*budget).min(Block::BYTES as u64);
            let Some((chunk, at_end)) =
                whole_lines(&mut file, want, self.max_line_bytes + 1).map_err(unreadable)?
            else {
                // A line too long to hold whole: read it, and the rest, line by line.
                file.seek(SeekFrom::Start(at)).map_err(unreadable)?;
                let reader = BufReader::with_capacity(64 << 10, file);
                return self.read_lines(reader, at, budget, invalid, lines);
            };
            let read = chunk.len() as u64;
            if let Err(chunk) = self.lend_plain(chunk, lines) {
                // The chunk ends at a line boundary (or the file's end), so reading it line
                // by line ends at its end.
                let mut unlimited = u64::MAX;
                self.read_lines(&chunk[..], at, &mut unlimited, invalid, lines)?;
            }
            if at_end {
                return Ok(None);
            }
            at += read;
            *budget = budget.saturating_sub(read);
        }
    }

    /// Lends the lines of `chunk` from it as one block, unless a line has a `'\r'`, is longer
    /// than [`max_line_bytes`](TextFileStream::max_line_bytes) or is not UTF-8: then the
    /// chunk is given back.
    fn lend_plain(&self, chunk: Vec<u8>, lines: &mut Vec<Text>) -> Result<(), Vec<u8>> {
        if find_byte(&chunk, b'\r').is_some() {
            return Err(chunk);
        }
        let text = String::from_utf8(chunk).map_err(|e| e.into_bytes())?;
        Text::append_lines_within(text, self.max_line_bytes, lines)
    }

    /// Reads lines from `reader` (at file offset `at`) into `lines` while `budget` lasts,
    /// stopping at a line boundary: where the next batch goes on, or `None` at the reader's
    /// end. Handles every line: `\r\n` ends, long lines, invalid UTF-8 (counted in
    /// `invalid`).
    ///
    /// Lines are gathered in blocks of text and lent from them ([`Text`]): no allocation
    /// per line.
    fn read_lines(
        &mut self,
        mut reader: impl BufRead,
        mut at: u64,
        budget: &mut u64,
        invalid: &mut u64,
        lines: &mut Vec<Text>,
    ) -> Result<Option<u64>, ReadFailure> {
        let (mut line, mut skipping) = (Vec::new(), false);
        let mut block = Block::default();
        let result = loop {
            if *budget == 0 && line.is_empty() && !skipping {
                break Ok(Some(at));
            }
            let buf = reader.fill_buf().map_err(unreadable)?;
            if buf.is_empty() {
                // The last line may have no line end.
                let last = (!line.is_empty() && !skipping).then(|| std::mem::take(&mut line));
                if let Some(last) = last {
                    block.push(&last);
                }
                break Ok(None);
            }
            let (piece, ended) = match find_newline(buf) {
                Some(end) => (&buf[..end], true),
                None => (buf, false),
            };
            let consumed = piece.len() + usize::from(ended);
            if skipping {
                skipping = !ended;
            } else if line.is_empty() && ended && trim_cr(piece).len() <= self.max_line_bytes {
                // A whole line in the reader's buffer: straight into the block.
                block.push(trim_cr(piece));
            } else {
                line.extend_from_slice(piece);
                // A partial line may end with the `\r` of a `\r\n`, one byte over.
                let length = if ended {
                    trim_cr(&line).len()
                } else {
                    line.len()
                };
                let limit =
                    self.max_line_bytes + usize::from(!ended && line.last() == Some(&b'\r'));
                if length > limit {
                    let (cut, counter) =
                        long_line(&line, &[], self.max_line_bytes, self.long_lines);
                    self.count(counter, 1);
                    line.clear();
                    skipping = !ended;
                    if let Some(cut) = cut {
                        block.push(&cut);
                    }
                } else if ended {
                    block.push(trim_cr(&line));
                    line.clear();
                }
            }
            if block.is_full()
                && let Err(e) = block.lend(self.invalid_utf8, invalid, lines)
            {
                break Err(e);
            }
            reader.consume(consumed);
            at += consumed as u64;
            *budget = budget.saturating_sub(consumed as u64);
        };
        result.and_then(|next| {
            block.lend(self.invalid_utf8, invalid, lines)?;
            Ok(next)
        })
    }
}

/// An I/O error as the reason a file was not read.
fn unreadable(e: std::io::Error) -> ReadFailure {
    ReadFailure::Unreadable(e.to_string())
}

/// The next `want` bytes of `file` and the rest of the line they end in, leaving the file
/// after them: a chunk of whole lines (the last may end at the file's end without `'\n'`),
/// and whether it reaches the file's end. `None` if completing the last line would hold more
/// than `max_line` bytes of it (the file is then at an unspecified position).
fn whole_lines(
    file: &mut std::fs::File,
    want: u64,
    max_line: usize,
) -> std::io::Result<Option<(Vec<u8>, bool)>> {
    const PIECE: usize = 64 << 10;
    let mut chunk = Vec::with_capacity(want as usize + PIECE);
    (&mut *file).take(want).read_to_end(&mut chunk)?;
    if (chunk.len() as u64) < want {
        return Ok(Some((chunk, true)));
    }
    if chunk.last() == Some(&b'\n') {
        return Ok(Some((chunk, false)));
    }
    // Where the unfinished last line begins.
    let line_start = chunk.iter().rposition(|&b| b == b'\n').map_or(0, |n| n + 1);
    loop {
        let before = chunk.len();
        let read = (&mut *file).take(PIECE as u64).read_to_end(&mut chunk)?;
        if read == 0 {
            return Ok(Some((chunk, true)));
        }
        if let Some(end) = find_newline(&chunk[before..]) {
            let keep = before + end + 1;
            // Leave the file after the chunk: the next chunk starts there.
            file.seek(SeekFrom::Current(-((chunk.len() - keep) as i64)))?;
            chunk.truncate(keep);
            return Ok(Some((chunk, false)));
        }
        if chunk.len() - line_start > max_line {
            return Ok(None);
        }
    }
}

/// Whole lines of a file, each ended by `'\n'`, gathered to be lent as [`Text`].
#[derive(Default)]
struct Block {
    text: Vec<u8>,
}

impl Block {
    /// Bytes of text after which a block is lent (a few per batch: their lines are shared
    /// and freed together).
    const BYTES: usize = 4 << 20;

    fn push(&mut self, line: &[u8]) {
        self.text.extend_from_slice(line);
        self.text.push(b'\n');
    }

    fn is_full(&self) -> bool {
        self.text.len() >= Self::BYTES
    }

    /// The lines into `lines`, lent from one shared block when all are UTF-8; otherwise each
    /// is decoded per `policy` (and counted in `invalid`).
    fn lend(
        &mut self,
        policy: InvalidUtf8,
        invalid: &mut u64,
        lines: &mut Vec<Text>,
    ) -> Result<(), ReadFailure> {
        let text = std::mem::take(&mut self.text);
        let bytes = match String::from_utf8(text) {
            Ok(text) => {
                Text::append_lines(text, lines);
                return Ok(());
            }
            Err(e) => e.into_bytes(),
        };
        for line in bytes
            .strip_suffix(b"\n")
            .unwrap_or(&bytes)
            .split(|&b| b == b'\n')
        {
            match decode_line(line, policy, invalid) {
                Ok(Some(line)) => lines.push(Text::from(line)),
                Ok(None) => {}
                Err(e) => return Err(ReadFailure::Undecodable(e)),
            }
        }
        Ok(())
    }
}

/// Why a file was not read.
enum ReadFailure {
    Unreadable(String),
    Undecodable(String),
}

fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, crate::time::duration_millis)
}

impl InputStream<Text> for TextFileStream {
    fn describe(&self) -> String {
        format!("text_file_stream {}", self.dir.display())
    }

    fn start(&mut self, _: &InputContext) -> Result<(), BoxError> {
        if !self.include_existing && !self.restored {
            self.initial_threshold_ms = millis(SystemTime::now());
        }
        Ok(())
    }

    fn next_batch(&mut self, time: Time) -> Result<Batch<Text>, BoxError> {
        let threshold = self
            .initial_threshold_ms
            .max(time.millis() - self.remember_ms);
        let mut budget = self.max_batch_bytes;
        let mut lines = Vec::new();
        // A file begun in an earlier batch goes on first.
        if let Some((name, modified, offset)) = self.partial.take() {
            self.read_file(name, modified, offset, &mut budget, &mut lines);
        }
        if budget == 0 || self.partial.is_some() {
            return Ok(Batch::from(lines));
        }
        let selected = match self.select(time, threshold) {
            Ok(selected) => selected,
            Err(e) => {
                let dir = self.dir.clone().into_os_string();
                self.skip(&dir, "directory_unreadable", &e.to_string());
                return Ok(Batch::from(lines));
            }
        };
        for (modified, name) in selected {
            if budget == 0 {
                break;
            }
            self.read_file(name, modified, 0, &mut budget, &mut lines);
            if self.partial.is_some() {
                break;
            }
        }
        // Files older than the window can never be selected again.
        self.seen.retain(|_, modified| *modified > threshold);
        Ok(Batch::from(lines))
    }

    fn position(&mut self) -> Option<InputPosition> {
        let mut read: Vec<(Vec<u8>, i64)> = self
            .seen
            .iter()
            .map(|(n, m)| (n.as_bytes().to_vec(), *m))
            .collect();
        read.sort();
        Some(InputPosition::FilesRead {
            read,
            partial: self
                .partial
                .as_ref()
                .map(|(n, m, o)| (n.as_bytes().to_vec(), *m, *o)),
            started_ms: self.initial_threshold_ms,
        })
    }

    fn restore(&mut self, position: &InputPosition) -> Result<(), BoxError> {
        let (seen, partial, started_ms) = match position {
            InputPosition::FilesRead {
                read,
                partial,
                started_ms,
            } => (
                read.iter()
                    .map(|(n, m)| (OsString::from_vec(n.clone()), *m))
                    .collect(),
                partial
                    .as_ref()
                    .map(|(n, m, o)| (OsString::from_vec(n.clone()), *m, *o)),
                *started_ms,
            ),
            // Written before files were read in parts.
            InputPosition::Files { read, started_ms } => (
                read.iter().map(|(n, m)| (OsString::from(n), *m)).collect(),
                None,
                *started_ms,
            ),
            other => {
                return Err(format!(
                    "{} cannot be repositioned to {other:?}",
                    InputStream::<Text>::describe(self)
                )
                .into());
            }
        };
        self.seen = seen;
        self.partial = partial;
        // Files present before the first start stay ignored; files that arrived while the
        // pipeline was down are read (within the window).
        self.initial_threshold_ms = started_ms;
        self.restored = true;
        Ok(())
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        self.counters.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line, a file offset after each read and the counters: reading `path` in reads
    /// of `budget` bytes, through `read` (the chunked reader or the line-by-line one).
    fn read_all(
        stream: &mut TextFileStream,
        path: &Path,
        budget: u64,
        chunked: bool,
    ) -> (Vec<String>, Vec<Option<u64>>) {
        let (mut lines, mut offsets, mut at) = (Vec::new(), Vec::new(), 0);
        loop {
            let mut left = budget;
            let next = if chunked {
                stream.read_from(path, at, &mut left, &mut lines)
            } else {
                let mut file = std::fs::File::open(path).expect("opens");
                file.seek(SeekFrom::Start(at)).expect("seeks");
                let mut invalid = 0;
                let next = stream.read_lines(
                    BufReader::new(file),
                    at,
                    &mut left,
                    &mut invalid,
                    &mut lines,
                );
                stream.count("invalid_utf8_lines", invalid);
                next
            };
            let next = next.unwrap_or_else(|_| panic!("reads {}", path.display()));
            offsets.push(next);
            match next {
                Some(next) => at = next,
                None => break,
            }
        }
        (
            lines.iter().map(|l| l.as_str().to_owned()).collect(),
            offsets,
        )
    }

    #[test]
    fn whole_line_chunks_read_as_line_by_line_does() {
        let dir = std::env::temp_dir().join(format!("streamdsl-chunks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("creates the directory");
        let mut text = Vec::new();
        for i in 0..300 {
            match i % 7 {
                0 => text.extend_from_slice(b"ends with cr lf\r\n"),
                1 => text.extend_from_slice(&[b'x'; 40]),
                2 => text.extend_from_slice(b"bad \xff byte"),
                3 => text.extend_from_slice(b""),
                _ => text.extend_from_slice(format!("line {i}").as_bytes()),
            }
            text.push(b'\n');
        }
        let mut cases = vec![("plain.txt", b"a b\nc d\n".repeat(50))];
        cases.push(("mixed.txt", text.clone()));
        text.extend_from_slice(&[b'y'; 100]);
        cases.push(("unended-long.txt", text.clone()));
        text.extend_from_slice(b"\nlast without end");
        cases.push(("unended.txt", text));
        for (name, contents) in cases {
            let path = dir.join(name);
            std::fs::write(&path, &contents).expect("writes");
            for budget in [1, 7, 33, 500, u64::MAX] {
                for long in [LongLines::Cut, LongLines::Drop] {
                    let stream = || text_file_stream(&dir).max_line_bytes(16).long_lines(long);
                    let (mut chunked, mut by_line) = (stream(), stream());
                    let got = read_all(&mut chunked, &path, budget, true);
                    let expected = read_all(&mut by_line, &path, budget, false);
                    assert_eq!(got, expected, "{name}, budget {budget}, {long:?}");
                    assert_eq!(chunked.counters, by_line.counters, "{name}, {budget}");
                }
            }
        }
        std::fs::remove_dir_all(&dir).expect("removes the directory");
    }
}
