//! [`Text`]: how a pipeline stores the records of an input declared `&str`. A line is either
//! a `String` of its own or a range of a block of text shared by many lines, so an input that
//! receives text in blocks (a socket) lends its lines without allocating one per line.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// A record of text that the pipeline reads as `&str`.
///
/// ```
/// use streamdsl_runtime::Text;
/// let lines = Text::lines_of("to be\nor not\n".to_owned());
/// let words: Vec<&str> = lines.iter().flat_map(|line| line.split(' ')).collect();
/// assert_eq!(words, ["to", "be", "or", "not"]);
/// assert_eq!(Text::from("to be".to_owned()), lines[0]);
/// ```
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    Owned(String),
    Shared {
        block: Arc<str>,
        start: usize,
        end: usize,
    },
}

impl Text {
    /// The lines of `block` (each ended by `'\n'`; a last line without one is kept), sharing
    /// its memory: one allocation for all of them.
    pub fn lines_of(block: String) -> Vec<Text> {
        let mut lines = Vec::new();
        Text::append_lines(block, &mut lines);
        lines
    }

    /// [`lines_of`](Self::lines_of), appended to `lines`.
    pub(crate) fn append_lines(block: String, lines: &mut Vec<Text>) {
        let appended = Text::append_lines_within(block, usize::MAX, lines);
        debug_assert!(appended.is_ok(), "no line is longer than usize::MAX bytes");
    }

    /// [`append_lines`](Self::append_lines) if no line (without its `'\n'`) is longer than
    /// `max_line_bytes`; otherwise nothing is appended and the block's bytes are given back.
    pub(crate) fn append_lines_within(
        block: String,
        max_line_bytes: usize,
        lines: &mut Vec<Text>,
    ) -> Result<(), Vec<u8>> {
        let (block, before): (Arc<str>, usize) = (Arc::from(block), lines.len());
        let mut start = 0;
        while start < block.len() {
            let end = crate::inputs::find_newline(&block.as_bytes()[start..])
                .map_or(block.len(), |n| start + n);
            if end - start > max_line_bytes {
                lines.truncate(before);
                return Err(block.as_bytes().to_vec());
            }
            lines.push(Text(Repr::Shared {
                block: Arc::clone(&block),
                start,
                end,
            }));
            start = end + 1;
        }
        Ok(())
    }

    /// A batch of lines as owned `String`s (one allocation per line).
    #[doc(hidden)]
    pub fn into_strings(batch: crate::Batch<Text>) -> crate::Batch<String> {
        crate::Batch::from_partitions(
            batch
                .into_partitions()
                .map(|p| p.into_iter().map(String::from).collect()),
        )
    }

    /// A batch of `String`s as `Text`s (moved, not copied).
    pub fn from_strings(batch: crate::Batch<String>) -> crate::Batch<Text> {
        crate::Batch::from_partitions(
            batch
                .into_partitions()
                .map(|p| p.into_iter().map(Text::from).collect()),
        )
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Owned(s) => s,
            Repr::Shared { block, start, end } => &block[*start..*end],
        }
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(Repr::Owned(s))
    }
}

impl From<Text> for String {
    fn from(t: Text) -> Self {
        match t.0 {
            Repr::Owned(s) => s,
            Repr::Shared { .. } => t.as_str().to_owned(),
        }
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_lines_read_like_owned_ones() {
        let lines = Text::lines_of("a\n\nlast".to_owned());
        let texts: Vec<&str> = lines.iter().map(Text::as_str).collect();
        assert_eq!(texts, ["a", "", "last"]);
        assert_eq!(lines[2], Text::from("last".to_owned()));
        assert_eq!(String::from(lines[0].clone()), "a");
        assert_eq!(format!("{:?} {}", lines[0], lines[2]), "\"a\" last");
        assert!(Text::lines_of(String::new()).is_empty());
    }
}
