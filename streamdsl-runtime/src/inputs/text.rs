//! Turning bytes into text lines: what the file and socket inputs share.

/// What to do with a line that is not valid UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum InvalidUtf8 {
    /// Replace invalid bytes with U+FFFD and keep the line (counted as `invalid_utf8_lines`).
    #[default]
    Lossy,
    /// Drop the line (counted as `invalid_utf8_lines`).
    Skip,
    /// Fail: the file is not read / the connection is dropped and retried.
    Fail,
}

/// What to do with a line longer than the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LongLines {
    /// Keep its first bytes, up to the limit (counted as `lines_cut`).
    #[default]
    Cut,
    /// Drop it (counted as `lines_dropped`).
    Drop,
}

/// A line longer than `max` bytes, `head` then `tail`, per `policy`: its cut (whole
/// characters only) or nothing, and the counter to add one to.
pub(crate) fn long_line(
    head: &[u8],
    tail: &[u8],
    max: usize,
    policy: LongLines,
) -> (Option<Vec<u8>>, &'static str) {
    match policy {
        LongLines::Cut => {
            let mut cut = head.to_vec();
            cut.extend_from_slice(&tail[..max.saturating_sub(head.len()).min(tail.len())]);
            cut.truncate(max);
            // Keep whole characters: a cut inside one would look like invalid UTF-8.
            if let Err(e) = std::str::from_utf8(&cut)
                && cut.len() - e.valid_up_to() < 4
            {
                cut.truncate(e.valid_up_to());
            }
            (Some(cut), "lines_cut")
        }
        LongLines::Drop => (None, "lines_dropped"),
    }
}

/// A line's text per `policy`: `Ok(None)` to skip it, `Err` to fail.
pub(crate) fn decode_line(
    bytes: &[u8],
    policy: InvalidUtf8,
    invalid: &mut u64,
) -> Result<Option<String>, String> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Some(text.to_owned())),
        Err(e) => {
            *invalid += 1;
            match policy {
                InvalidUtf8::Lossy => Ok(Some(String::from_utf8_lossy(bytes).into_owned())),
                InvalidUtf8::Skip => Ok(None),
                InvalidUtf8::Fail => Err(format!("invalid UTF-8 ({e})")),
            }
        }
    }
}

/// The position of the first `'\n'` in `bytes` (libc's vectorized `memchr`, not a byte loop).
pub(crate) fn find_newline(bytes: &[u8]) -> Option<usize> {
    find_byte(bytes, b'\n')
}

/// The position of the first `byte` in `bytes` (libc's vectorized `memchr`).
pub(crate) fn find_byte(bytes: &[u8], byte: u8) -> Option<usize> {
    if bytes.is_empty() {
        return None;
    }
    // SAFETY: the pointer and length describe `bytes`; memchr reads only within them.
    let found = unsafe { libc::memchr(bytes.as_ptr().cast(), i32::from(byte), bytes.len()) };
    (!found.is_null()).then(|| found as usize - bytes.as_ptr() as usize)
}

/// `line` without a trailing `\r` (lines end with `\n` or `\r\n`).
pub(crate) fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_policies() {
        let mut n = 0;
        assert_eq!(
            decode_line(b"ok", InvalidUtf8::Fail, &mut n),
            Ok(Some("ok".into()))
        );
        assert_eq!(
            decode_line(b"a\xffb", InvalidUtf8::Lossy, &mut n),
            Ok(Some("a\u{fffd}b".into()))
        );
        assert_eq!(decode_line(b"a\xffb", InvalidUtf8::Skip, &mut n), Ok(None));
        assert!(decode_line(b"a\xffb", InvalidUtf8::Fail, &mut n).is_err());
        assert_eq!(n, 3);
        assert_eq!(trim_cr(b"x\r"), b"x");
    }

    #[test]
    fn arbitrary_bytes_decode_per_policy_without_panicking() {
        let mut mutator = crate::fuzz::Mutator::new(0x7e47);
        for case in 0..crate::fuzz::CASES {
            let bytes = mutator.mutate("a line ünïcode\r".as_bytes());
            let valid = std::str::from_utf8(&bytes).is_ok();
            let mut invalid = 0;
            let lossy = decode_line(&bytes, InvalidUtf8::Lossy, &mut invalid).unwrap();
            assert!(lossy.is_some(), "case {case}");
            let skipped = decode_line(&bytes, InvalidUtf8::Skip, &mut invalid).unwrap();
            assert_eq!(skipped.is_some(), valid, "case {case}");
            assert_eq!(
                decode_line(&bytes, InvalidUtf8::Fail, &mut invalid).is_ok(),
                valid
            );
            assert_eq!(invalid, if valid { 0 } else { 3 }, "case {case}");
            if let Some(end) = find_newline(&bytes) {
                assert!(!bytes[..end].contains(&b'\n') && bytes[end] == b'\n');
            } else {
                assert!(!bytes.contains(&b'\n'));
            }
            assert!(trim_cr(&bytes).len() + 1 >= bytes.len());
        }
    }
}
