//! `text_file_stream(dir)`: the lines of files that appear in a directory (Spark's
//! `textFileStream`, spec 3.1).

use super::text::{InvalidUtf8, decode_line, find_newline, trim_cr};
use super::{InputContext, InputPosition, InputStream};
use crate::{Batch, BoxError, Time};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An input of the files that appear in a directory; see [`text_file_stream`].
pub struct TextFileStream {
    dir: PathBuf,
    include_existing: bool,
    remember_ms: i64,
    invalid_utf8: InvalidUtf8,
    /// Files modified before this are ignored (the stream's start, unless existing files are
    /// included).
    initial_threshold_ms: i64,
    /// Files already read, with their modification time, within the remember window.
    seen: HashMap<String, i64>,
    /// Files whose skipping was reported, so each is reported once.
    reported: HashSet<String>,
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
/// Unlike Spark, names starting with `_` are skipped as well as those starting with `.`, and
/// sub-directories are skipped; every skipped or unreadable file (hidden, directory, too old,
/// empty, permission denied, vanished) is logged once by name and counted
/// (`files_skipped_hidden`, `files_skipped_directory`, `files_skipped_old`,
/// `files_skipped_empty`, `files_unreadable`; `files_read` counts the others). Invalid UTF-8
/// is decoded lossily and counted ([`invalid_utf8`](TextFileStream::invalid_utf8)).
///
/// The files read within the remember window are the input's checkpoint position: after a
/// restart no file is read twice or missed.
pub fn text_file_stream(dir: impl Into<PathBuf>) -> TextFileStream {
    TextFileStream {
        dir: dir.into(),
        include_existing: false,
        remember_ms: 60_000,
        invalid_utf8: InvalidUtf8::Lossy,
        initial_threshold_ms: 0,
        seen: HashMap::new(),
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

    /// What to do with lines that are not valid UTF-8 (`Fail` skips the whole file).
    pub fn invalid_utf8(mut self, policy: InvalidUtf8) -> Self {
        self.invalid_utf8 = policy;
        self
    }

    fn count(&mut self, name: &'static str, n: u64) {
        match self.counters.iter_mut().find(|(k, _)| *k == name) {
            Some((_, v)) => *v += n,
            None => self.counters.push((name, n)),
        }
    }

    /// Counts a skipped file, and logs it the first time.
    fn skip(&mut self, name: &str, counter: &'static str, why: &str) {
        if self.reported.insert(name.to_owned()) {
            self.count(counter, 1);
            tracing::warn!(dir = %self.dir.display(), file = name, reason = why, "file skipped");
        }
    }

    /// The lines of one file, or why it cannot be read: `Unreadable` may pass (tried again
    /// while in the window), `Undecodable` will not (the file is not tried again).
    /// The lines are appended to `lines` (nothing is appended on failure).
    fn read(&mut self, path: &Path, lines: &mut Vec<String>) -> Result<(), ReadFailure> {
        let bytes = std::fs::read(path).map_err(|e| ReadFailure::Unreadable(e.to_string()))?;
        // Valid UTF-8 (the usual case): validated once for the whole file, split with memchr.
        if let Ok(text) = std::str::from_utf8(&bytes) {
            lines.extend(
                text.split_terminator('\n')
                    .map(|line| line.strip_suffix('\r').unwrap_or(line).to_owned()),
            );
            self.count("invalid_utf8_lines", 0);
            return Ok(());
        }
        let start = lines.len();
        let mut invalid = 0;
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let end = find_newline(rest).unwrap_or(rest.len());
            let line = decode_line(trim_cr(&rest[..end]), self.invalid_utf8, &mut invalid);
            rest = rest.get(end + 1..).unwrap_or(&[]);
            match line {
                Ok(Some(line)) => lines.push(line),
                Ok(None) => {}
                Err(e) => {
                    self.count("invalid_utf8_lines", invalid);
                    lines.truncate(start);
                    return Err(ReadFailure::Undecodable(e));
                }
            }
        }
        self.count("invalid_utf8_lines", invalid);
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

impl InputStream<String> for TextFileStream {
    fn describe(&self) -> String {
        format!("text_file_stream {}", self.dir.display())
    }

    fn start(&mut self, _: &InputContext) -> Result<(), BoxError> {
        if !self.include_existing && !self.restored {
            self.initial_threshold_ms = millis(SystemTime::now());
        }
        Ok(())
    }

    fn next_batch(&mut self, time: Time) -> Result<Batch<String>, BoxError> {
        let threshold = self
            .initial_threshold_ms
            .max(time.millis() - self.remember_ms);
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) => {
                let dir = self.dir.display().to_string();
                self.skip(&dir, "directory_unreadable", &e.to_string());
                return Ok(Batch::empty());
            }
        };
        let mut selected: Vec<(i64, String, PathBuf)> = Vec::new();
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.starts_with('_') {
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
            selected.push((modified, name, entry.path()));
        }
        selected.sort();
        let mut lines = Vec::new();
        for (modified, name, path) in selected {
            match self.read(&path, &mut lines) {
                Ok(()) => {
                    self.count("files_read", 1);
                    self.seen.insert(name, modified);
                }
                // Not marked as read: tried again at the next batch while in the window.
                Err(ReadFailure::Unreadable(why)) => self.skip(&name, "files_unreadable", &why),
                Err(ReadFailure::Undecodable(why)) => {
                    self.skip(&name, "files_unreadable", &why);
                    self.seen.insert(name, modified);
                }
            }
        }
        // Files older than the window can never be selected again.
        self.seen.retain(|_, modified| *modified > threshold);
        Ok(Batch::from(lines))
    }

    fn position(&mut self) -> Option<InputPosition> {
        let mut files: Vec<(String, i64)> =
            self.seen.iter().map(|(n, m)| (n.clone(), *m)).collect();
        files.sort();
        Some(InputPosition::Files {
            read: files,
            started_ms: self.initial_threshold_ms,
        })
    }

    fn restore(&mut self, position: &InputPosition) -> Result<(), BoxError> {
        let InputPosition::Files { read, started_ms } = position else {
            return Err(format!(
                "{} cannot be repositioned to {position:?}",
                InputStream::<String>::describe(self)
            )
            .into());
        };
        self.seen = read.iter().cloned().collect();
        // Files present before the first start stay ignored; files that arrived while the
        // pipeline was down are read (within the window).
        self.initial_threshold_ms = *started_ms;
        self.restored = true;
        Ok(())
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        self.counters.clone()
    }
}
