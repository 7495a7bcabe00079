//! The receivers' write-ahead log: records made durable before they are accepted.
//!
//! Segments `log-<first sequence>` in the input's log directory start with [`MAGIC`] and hold
//! records framed as `[length u32][crc32 u32][sequence u64][bytes]`, the checksum covering
//! sequence and bytes. Each appended chunk is written and fsynced before the records go to
//! the pipeline. After a crash, the records from the checkpoint's position on are read back.
//! A damaged frame (torn by the crash, or flipped on disk) does not end the replay: the reader
//! resynchronizes at the next intact frame, and what it skipped is reported. Since every frame
//! carries its sequence number, the records after a damaged one keep theirs, and a reopened
//! log numbers new records past anything the old segments may have held, so a number is never
//! given twice. Segments written before the sequence numbers (no magic) are read as they were:
//! numbered by position, up to their first damaged frame.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A new segment is started past this size.
const SEGMENT_BYTES: u64 = 16 << 20;

/// The first bytes of a segment whose frames carry sequence numbers.
const MAGIC: &[u8; 8] = b"SDWAL\x02\0\0";

/// Length, checksum and sequence number.
const HEADER: usize = 16;

/// How records become bytes and back.
pub(crate) struct WalCodec<T> {
    encode: fn(&T, &mut Vec<u8>) -> Result<(), String>,
    decode: fn(&[u8]) -> Result<T, String>,
}

impl<T> Clone for WalCodec<T> {
    fn clone(&self) -> Self {
        WalCodec {
            encode: self.encode,
            decode: self.decode,
        }
    }
}

impl<T: serde::Serialize + serde::de::DeserializeOwned> WalCodec<T> {
    pub(crate) fn postcard() -> Self {
        WalCodec {
            encode: |record, out| {
                let bytes = postcard::to_stdvec(record).map_err(|e| e.to_string())?;
                out.extend_from_slice(&bytes);
                Ok(())
            },
            decode: |bytes| postcard::from_bytes(bytes).map_err(|e| e.to_string()),
        }
    }
}

/// An open write-ahead log.
pub(crate) struct Wal<T> {
    dir: PathBuf,
    codec: WalCodec<T>,
    file: File,
    segment_bytes: u64,
    next_seq: u64,
    frame: Vec<u8>,
}

fn segments(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut found: Vec<(u64, PathBuf)> = fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter_map(|e| {
            Some((
                e.file_name().to_str()?.strip_prefix("log-")?.parse().ok()?,
                e.path(),
            ))
        })
        .collect();
    found.sort();
    Ok(found)
}

/// What reading one segment found.
#[derive(Default)]
struct Scan<'a> {
    /// Intact records with their sequence numbers, in order.
    frames: Vec<(u64, &'a [u8])>,
    /// Bytes of damaged frames that were skipped.
    damaged_bytes: u64,
    /// How many damaged stretches there were.
    damaged: u64,
}

/// The frame at `at` of a sequence-numbered segment, if it is intact: its sequence number,
/// its bytes and where the next frame starts.
fn frame_at(bytes: &[u8], at: usize) -> Option<(u64, &[u8], usize)> {
    let header = bytes.get(at..at.checked_add(HEADER)?)?;
    let len = u32::from_le_bytes(header[..4].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(header[4..8].try_into().ok()?);
    let end = (at + HEADER).checked_add(len)?;
    let checked = bytes.get(at + 8..end)?;
    (crc32fast::hash(checked) == crc).then(|| {
        let seq = u64::from_le_bytes(header[8..].try_into().expect("8 bytes"));
        (seq, &checked[8..], end)
    })
}

/// The records of a segment named `first` whose bytes are `bytes`.
fn scan(first: u64, bytes: &[u8]) -> Scan<'_> {
    let mut found = Scan::default();
    let Some(body) = bytes.strip_prefix(MAGIC.as_slice()) else {
        scan_unnumbered(first, bytes, &mut found);
        return found;
    };
    let mut at = 0;
    while at < body.len() {
        match frame_at(body, at) {
            Some((seq, record, next)) => {
                found.frames.push((seq, record));
                at = next;
            }
            None => {
                // Resynchronize: the next position holding an intact frame that comes after
                // the last one (a stale match inside damaged bytes cannot go backwards).
                let last = found.frames.last().map(|(seq, _)| *seq);
                let next = (at + 1..body.len())
                    .find(|&q| {
                        frame_at(body, q).is_some_and(|(seq, _, _)| last.is_none_or(|l| seq > l))
                    })
                    .unwrap_or(body.len());
                found.damaged += 1;
                found.damaged_bytes += (next - at) as u64;
                at = next;
            }
        }
    }
    found
}

/// A segment from before sequence numbers: `[length u32][crc32 u32][bytes]`, numbered by
/// position from `first`, up to the first damaged frame.
fn scan_unnumbered<'a>(first: u64, bytes: &'a [u8], found: &mut Scan<'a>) {
    let mut at = 0;
    while at < bytes.len() {
        let frame = bytes.get(at..at + 8).and_then(|header| {
            let len = u32::from_le_bytes(header[..4].try_into().ok()?) as usize;
            let crc = u32::from_le_bytes(header[4..].try_into().ok()?);
            let body = bytes.get(at + 8..(at + 8).checked_add(len)?)?;
            (crc32fast::hash(body) == crc).then_some(body)
        });
        let Some(body) = frame else {
            found.damaged += 1;
            found.damaged_bytes += (bytes.len() - at) as u64;
            return;
        };
        found.frames.push((first + found.frames.len() as u64, body));
        at += 8 + body.len();
    }
}

/// For kill tests: with `STREAMDSL_WAL_TEAR=<n>:<bytes>`, the n-th append of the process
/// writes only its first `bytes` bytes, makes them durable, and the process is killed: a
/// crash in the middle of a write.
#[cfg(feature = "fault-injection")]
fn torn_write_point(file: &mut File, out: &[u8]) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static APPENDS: AtomicU64 = AtomicU64::new(0);
    let Ok(spec) = std::env::var("STREAMDSL_WAL_TEAR") else {
        return;
    };
    let Some((Ok(n), Ok(bytes))) = spec
        .split_once(':')
        .map(|(n, b)| (n.parse::<u64>(), b.parse::<usize>()))
    else {
        return;
    };
    if APPENDS.fetch_add(1, Ordering::SeqCst) + 1 == n {
        let _ = file.write_all(&out[..bytes.min(out.len())]);
        let _ = file.sync_data();
        // SAFETY: kill(2) on our own pid; nothing of ours runs after it.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
fn torn_write_point(_: &mut File, _: &[u8]) {}

/// One record read back from the log.
pub(crate) struct Replayed<T> {
    pub(crate) seq: u64,
    /// The bytes it took in the log, an estimate of its size in memory.
    pub(crate) bytes: usize,
    pub(crate) record: T,
}

/// The records of the log from a position on, and what was skipped to get them.
pub(crate) struct Replay<T> {
    pub(crate) records: Vec<Replayed<T>>,
    /// The sequence number after the last record (the position the replay reaches).
    pub(crate) next: u64,
    /// Damaged stretches and undecodable records skipped, and their bytes.
    pub(crate) damaged: u64,
    pub(crate) damaged_bytes: u64,
}

#[cfg(test)]
impl<T> Replay<T> {
    fn values(&self) -> Vec<&T> {
        self.records.iter().map(|r| &r.record).collect()
    }
}

impl<T> Wal<T> {
    /// Opens the log in `dir` (created if missing). Appends go to a new segment, numbered
    /// past every record the old segments hold or may have held (damaged ones included) and
    /// past `at_least` (the checkpoint's position), so no sequence number is given twice.
    pub(crate) fn open(dir: &Path, codec: WalCodec<T>, at_least: u64) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let mut next_seq = at_least;
        if let Some((first, path)) = segments(dir)?.last() {
            let bytes = fs::read(path)?;
            let highest = scan(*first, &bytes).frames.last().map(|(seq, _)| seq + 1);
            // Each frame takes at least 8 bytes: the most records the segment can have held.
            let most = first + (bytes.len() as u64).div_ceil(8);
            next_seq = next_seq.max(highest.unwrap_or(0)).max(most).max(first + 1);
        }
        let file = Self::segment(dir, next_seq)?;
        Ok(Wal {
            dir: dir.to_owned(),
            codec,
            file,
            segment_bytes: MAGIC.len() as u64,
            next_seq,
            frame: Vec::new(),
        })
    }

    /// A new, empty segment starting at `first_seq`.
    fn segment(dir: &Path, first_seq: u64) -> io::Result<File> {
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(dir.join(format!("log-{first_seq:020}")))?;
        file.write_all(MAGIC)?;
        file.sync_data()?;
        File::open(dir)?.sync_all()?;
        Ok(file)
    }

    /// Appends records durably; returns the sequence number of the first.
    pub(crate) fn append(&mut self, records: &[T]) -> io::Result<u64> {
        if self.segment_bytes > SEGMENT_BYTES {
            self.file = Self::segment(&self.dir, self.next_seq)?;
            self.segment_bytes = MAGIC.len() as u64;
        }
        let mut out = Vec::new();
        for (i, record) in records.iter().enumerate() {
            self.frame.clear();
            self.frame
                .extend_from_slice(&(self.next_seq + i as u64).to_le_bytes());
            (self.codec.encode)(record, &mut self.frame).map_err(io::Error::other)?;
            out.extend_from_slice(&(self.frame.len() as u32 - 8).to_le_bytes());
            out.extend_from_slice(&crc32fast::hash(&self.frame).to_le_bytes());
            out.extend_from_slice(&self.frame);
        }
        torn_write_point(&mut self.file, &out);
        self.file.write_all(&out)?;
        self.file.sync_data()?;
        self.segment_bytes += out.len() as u64;
        let first = self.next_seq;
        self.next_seq += records.len() as u64;
        Ok(first)
    }

    /// The intact records from sequence `from` on.
    pub(crate) fn read_from(&self, from: u64) -> io::Result<Replay<T>> {
        let mut replay = Replay {
            records: Vec::new(),
            next: from,
            damaged: 0,
            damaged_bytes: 0,
        };
        for (first, path) in segments(&self.dir)? {
            let bytes = fs::read(path)?;
            let found = scan(first, &bytes);
            replay.damaged += found.damaged;
            replay.damaged_bytes += found.damaged_bytes;
            for (seq, frame) in found.frames.into_iter().filter(|(seq, _)| *seq >= from) {
                // Intact but not a record (a crafted or foreign frame): skipped like damage.
                match (self.codec.decode)(frame) {
                    Ok(record) => replay.records.push(Replayed {
                        seq,
                        bytes: frame.len(),
                        record,
                    }),
                    Err(_) => {
                        replay.damaged += 1;
                        replay.damaged_bytes += (HEADER + frame.len()) as u64;
                    }
                }
                replay.next = seq + 1;
            }
        }
        Ok(replay)
    }

    /// Deletes the segments whose records all come before `seq`.
    pub(crate) fn delete_before(dir: &Path, seq: u64) -> io::Result<()> {
        let all = segments(dir)?;
        for pair in all.windows(2) {
            if pair[1].0 <= seq {
                fs::remove_file(&pair[0].1)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("streamdsl-wal-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn open(d: &Path, at_least: u64) -> Wal<String> {
        Wal::open(d, WalCodec::<String>::postcard(), at_least).unwrap()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    /// The one segment of `d`, with where each of its frames starts.
    fn segment_frames(d: &Path) -> (PathBuf, Vec<u8>, Vec<usize>) {
        let (_, path) = segments(d).unwrap().pop().unwrap();
        let bytes = fs::read(&path).unwrap();
        let (mut starts, mut at) = (Vec::new(), MAGIC.len());
        while let Some((_, _, next)) = frame_at(&bytes[MAGIC.len()..], at - MAGIC.len()) {
            starts.push(at);
            at = next + MAGIC.len();
        }
        (path, bytes, starts)
    }

    #[test]
    fn appended_records_are_read_back_from_a_position_across_reopens() {
        let d = dir("reopen");
        let mut wal = open(&d, 0);
        assert_eq!(wal.append(&strings(&["a", "b"])).unwrap(), 0);
        assert_eq!(wal.append(&strings(&["c"])).unwrap(), 2);
        drop(wal);
        let mut wal = open(&d, 3);
        let d_seq = wal.append(&strings(&["d"])).unwrap();
        assert!(d_seq >= 3, "numbers continue past the old segment");
        let replay = wal.read_from(1).unwrap();
        assert_eq!(replay.values(), ["b", "c", "d"]);
        assert_eq!((replay.next, replay.damaged), (d_seq + 1, 0));
        assert_eq!(wal.read_from(3).unwrap().values(), ["d"]);
        Wal::<String>::delete_before(&d, d_seq).unwrap();
        assert_eq!(
            wal.read_from(0).unwrap().values(),
            ["d"],
            "the old segment is gone"
        );
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_write_torn_at_any_offset_loses_only_the_torn_record() {
        let d = dir("torn");
        let mut wal = open(&d, 0);
        wal.append(&strings(&["first", "second", "third"])).unwrap();
        drop(wal);
        let (path, bytes, starts) = segment_frames(&d);
        for cut in starts[2]..bytes.len() {
            fs::write(&path, &bytes[..cut]).unwrap();
            let replay = open(&d, 0).read_from(0).unwrap();
            assert_eq!(replay.values(), ["first", "second"], "cut at {cut}");
            assert_eq!(replay.damaged, u64::from(cut > starts[2]), "cut at {cut}");
            // Reopening left a new, empty segment; only the torn one is examined again.
            for (first, p) in segments(&d).unwrap() {
                if p != path {
                    fs::remove_file(p).unwrap();
                    assert!(first >= 3, "a reopened log never reuses a number");
                }
            }
        }
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_damaged_record_is_skipped_and_the_intact_ones_after_it_are_replayed() {
        let d = dir("flipped");
        let mut wal = open(&d, 0);
        wal.append(&strings(&["first", "second", "third"])).unwrap();
        drop(wal);
        let (path, bytes, starts) = segment_frames(&d);
        for at in starts[1]..starts[2] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x10;
            fs::write(&path, &flipped).unwrap();
            let replay = Wal {
                dir: d.clone(),
                codec: WalCodec::<String>::postcard(),
                file: File::open(&path).unwrap(),
                segment_bytes: 0,
                next_seq: 0,
                frame: Vec::new(),
            }
            .read_from(0)
            .unwrap();
            assert_eq!(replay.values(), ["first", "third"], "flipped byte {at}");
            assert_eq!(replay.damaged, 1);
            assert_eq!(replay.damaged_bytes, (starts[2] - starts[1]) as u64);
            assert_eq!(replay.next, 3, "the third record keeps its number");
        }
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_log_whose_first_record_is_damaged_still_keeps_what_is_written_after() {
        // Seen before: 0 readable records made the log append to the damaged segment, after
        // the bad bytes, where replay never looked.
        let d = dir("first-damaged");
        let mut wal = open(&d, 0);
        wal.append(&strings(&["lost"])).unwrap();
        drop(wal);
        let (path, mut bytes, starts) = segment_frames(&d);
        bytes[starts[0] + HEADER] ^= 0xff;
        fs::write(&path, &bytes).unwrap();
        let mut wal = open(&d, 0);
        wal.append(&strings(&["kept"])).unwrap();
        drop(wal);
        let replay = open(&d, 0).read_from(0).unwrap();
        assert_eq!(replay.values(), ["kept"]);
        assert_eq!(replay.damaged, 1);
        assert_eq!(
            fs::read(&path).unwrap(),
            bytes,
            "the damaged segment is left as it was"
        );
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn an_intact_frame_that_is_not_a_record_is_skipped() {
        let d = dir("undecodable");
        let mut wal = open(&d, 0);
        wal.append(&strings(&["a"])).unwrap();
        // A frame with a valid checksum whose bytes are not a string (length 200, 1 byte).
        let mut frame = 1u64.to_le_bytes().to_vec();
        frame.extend_from_slice(&[200, 1, b'x']);
        let mut bytes = (frame.len() as u32 - 8).to_le_bytes().to_vec();
        bytes.extend_from_slice(&crc32fast::hash(&frame).to_le_bytes());
        bytes.extend_from_slice(&frame);
        wal.file.write_all(&bytes).unwrap();
        wal.next_seq = 2;
        wal.append(&strings(&["c"])).unwrap();
        let replay = wal.read_from(0).unwrap();
        assert_eq!(replay.values(), ["a", "c"]);
        assert_eq!((replay.damaged, replay.next), (1, 3));
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn segments_from_before_sequence_numbers_are_read_by_position() {
        let d = dir("unnumbered");
        fs::create_dir_all(&d).unwrap();
        let mut old = Vec::new();
        for record in ["a", "b"] {
            let body = postcard::to_stdvec(&record.to_owned()).unwrap();
            old.extend_from_slice(&(body.len() as u32).to_le_bytes());
            old.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
            old.extend_from_slice(&body);
        }
        fs::write(d.join(format!("log-{:020}", 5)), &old).unwrap();
        let mut wal = open(&d, 0);
        let c = wal.append(&strings(&["c"])).unwrap();
        assert!(c >= 7);
        let replay = wal.read_from(6).unwrap();
        assert_eq!(replay.values(), ["b", "c"]);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn arbitrary_and_mutated_segments_never_panic_the_reader() {
        use crate::inputs::socket::LineBlock;
        let d = dir("fuzz");
        let mut wal = Wal::open(&d, WalCodec::<LineBlock>::postcard(), 0).unwrap();
        let blocks: Vec<LineBlock> = ["a", "bb\ncc", "", "ünïcode"]
            .iter()
            .map(|text| {
                let mut block = LineBlock::default();
                text.split('\n').for_each(|line| block.push_line(line));
                block
            })
            .collect();
        wal.append(&blocks).unwrap();
        let (path, valid, _) = segment_frames(&d);
        let mut mutator = crate::fuzz::Mutator::new(0x00a1_f00d);
        for case in 0..crate::fuzz::CASES {
            let bytes = if case % 4 == 0 {
                let mut arbitrary = MAGIC.to_vec();
                arbitrary.extend(mutator.arbitrary(200));
                arbitrary
            } else {
                mutator.mutate(&valid)
            };
            fs::write(&path, &bytes).unwrap();
            let replay = wal.read_from(0).unwrap();
            // Whatever is replayed is a block that was logged: damage is skipped, not misread.
            for block in replay.values() {
                assert!(blocks.contains(block), "case {case}: {block:?}");
            }
        }
        fs::remove_dir_all(&d).unwrap();
    }
}
