//! The receivers' write-ahead log: records made durable before they are accepted.
//!
//! Segments `log-<first sequence>` in the input's log directory hold records framed as
//! `[length u32][crc32 u32][bytes]`. Each appended chunk is written and fsynced before the
//! records go to the pipeline. After a crash, the records from the checkpoint's position on
//! are read back; a torn last record (the crash came mid-write) ends the log.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A new segment is started past this size.
const SEGMENT_BYTES: u64 = 16 << 20;

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

/// The records of one segment's bytes, up to a torn or corrupt frame.
fn frames(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let header = bytes.get(at..at + 8)?;
        let len = u32::from_le_bytes(header[..4].try_into().ok()?) as usize;
        let crc = u32::from_le_bytes(header[4..].try_into().ok()?);
        let body = bytes.get(at + 8..at + 8 + len)?;
        if crc32fast::hash(body) != crc {
            return None;
        }
        at += 8 + len;
        Some(body)
    })
}

impl<T> Wal<T> {
    /// Opens the log in `dir` (created if missing); appends go to a new segment after the
    /// records already there.
    pub(crate) fn open(dir: &Path, codec: WalCodec<T>) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let next_seq = match segments(dir)?.last() {
            Some((first, path)) => first + frames(&fs::read(path)?).count() as u64,
            None => 0,
        };
        let file = Self::segment(dir, next_seq)?;
        Ok(Wal {
            dir: dir.to_owned(),
            codec,
            file,
            segment_bytes: 0,
            next_seq,
            frame: Vec::new(),
        })
    }

    fn segment(dir: &Path, first_seq: u64) -> io::Result<File> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("log-{first_seq:020}")))?;
        File::open(dir)?.sync_all()?;
        Ok(file)
    }

    /// Appends records durably; returns the sequence number of the first.
    pub(crate) fn append(&mut self, records: &[T]) -> io::Result<u64> {
        if self.segment_bytes > SEGMENT_BYTES {
            self.file = Self::segment(&self.dir, self.next_seq)?;
            self.segment_bytes = 0;
        }
        let mut out = Vec::new();
        for record in records {
            self.frame.clear();
            (self.codec.encode)(record, &mut self.frame).map_err(io::Error::other)?;
            out.extend_from_slice(&(self.frame.len() as u32).to_le_bytes());
            out.extend_from_slice(&crc32fast::hash(&self.frame).to_le_bytes());
            out.extend_from_slice(&self.frame);
        }
        self.file.write_all(&out)?;
        self.file.sync_data()?;
        self.segment_bytes += out.len() as u64;
        let first = self.next_seq;
        self.next_seq += records.len() as u64;
        Ok(first)
    }

    /// The records from sequence `from` on.
    pub(crate) fn read_from(&self, from: u64) -> io::Result<Vec<T>> {
        let mut records = Vec::new();
        for (first, path) in segments(&self.dir)? {
            for (i, frame) in frames(&fs::read(path)?).enumerate() {
                if first + i as u64 >= from {
                    records.push((self.codec.decode)(frame).map_err(io::Error::other)?);
                }
            }
        }
        Ok(records)
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

    #[test]
    fn appended_records_are_read_back_from_a_position_across_reopens() {
        let d = dir("reopen");
        let mut wal = Wal::open(&d, WalCodec::<String>::postcard()).unwrap();
        assert_eq!(wal.append(&["a".into(), "b".into()]).unwrap(), 0);
        assert_eq!(wal.append(&["c".into()]).unwrap(), 2);
        drop(wal);
        let mut wal = Wal::open(&d, WalCodec::<String>::postcard()).unwrap();
        assert_eq!(
            wal.append(&["d".into()]).unwrap(),
            3,
            "sequence numbers continue"
        );
        assert_eq!(wal.read_from(1).unwrap(), ["b", "c", "d"]);
        Wal::<String>::delete_before(&d, 3).unwrap();
        assert_eq!(
            wal.read_from(0).unwrap(),
            ["d"],
            "the first segment held only records before 3"
        );
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_torn_last_record_ends_the_log() {
        let d = dir("torn");
        let mut wal = Wal::open(&d, WalCodec::<String>::postcard()).unwrap();
        wal.append(&["whole".into(), "torn".into()]).unwrap();
        let (_, path) = segments(&d).unwrap().pop().unwrap();
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() - 2]).unwrap();
        assert_eq!(wal.read_from(0).unwrap(), ["whole"]);
        fs::remove_dir_all(&d).unwrap();
    }
}
