//! The checkpoint file format.

use crate::inputs::InputPosition;
use crate::workers::KEY_GROUPS;
use serde::{Deserialize, Serialize};

const MAGIC: &[u8; 8] = b"SDSCKPT\0";
pub(crate) const HEADER_LEN: usize = 8 + 4 + 8 + 4;

/// Version of the file format; a file of another version is refused, not misread.
///
/// Version 3 keeps each stateful operator's state on its own, by name (a state that no
/// longer decodes is named, and can be migrated); version 2 kept keyed state per key group
/// (see the crate docs' "Workers") in one struct; version 1 kept one table per operator.
pub const FORMAT_VERSION: u32 = 3;

/// What is wrong with the bytes of a file that should be a checkpoint: the file is skipped
/// for an older checkpoint, or, if none is readable, named in
/// [`Error::CheckpointUnreadable`](crate::Error::CheckpointUnreadable).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The file ends before the end of the header (a write cut short).
    #[error("truncated: {len} bytes, shorter than the {HEADER_LEN}-byte header")]
    ShorterThanHeader {
        /// The file's length.
        len: usize,
    },
    /// The file does not start as a checkpoint does.
    #[error("not a streamdsl checkpoint (bad magic bytes)")]
    BadMagic,
    /// The file has another format version (written by another streamdsl).
    #[error(
        "written by another streamdsl build (checkpoint format version {version}; this build reads \
         version {FORMAT_VERSION} only): resume it with the build that wrote it, or move the \
         checkpoint directory away to start afresh"
    )]
    Version {
        /// The file's version.
        version: u32,
    },
    /// The payload is not as long as the header says (a write cut short).
    #[error("truncated: payload of {len} bytes, header says {expected}")]
    PayloadLength {
        /// The payload's length.
        len: u64,
        /// The length the header gives.
        expected: u64,
    },
    /// The payload's CRC32 is not the header's: the file was damaged.
    #[error("corrupt: checksum mismatch")]
    Checksum,
    /// The checksum matches but the metadata does not decode.
    #[error("corrupt: its metadata does not decode")]
    Metadata(#[source] postcard::Error),
    /// Its keyed state is split into another number of key groups than this build's.
    #[error("its state is in {found} key groups, this build's in {KEY_GROUPS}")]
    KeyGroups {
        /// The file's number of key groups.
        found: u32,
    },
}

/// What a checkpoint holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointData {
    /// The pipeline's name.
    pub pipeline: String,
    /// The pipeline's fingerprint (see [`PipelineInfo::fingerprint`](crate::PipelineInfo)).
    pub fingerprint: Vec<String>,
    /// The zero time of the run, in milliseconds: a restored run keeps its batch grid.
    pub zero_time: i64,
    /// The last batch whose state and input positions this is, in milliseconds.
    pub batch_time: i64,
    /// Each input's position after that batch, by name (`None`: not replayable).
    pub inputs: Vec<(String, Option<InputPosition>)>,
    /// The pipeline's state, serialized.
    pub state: Vec<u8>,
}

/// Everything but the state, which follows it as raw bytes (no second encoding of a large
/// buffer).
#[derive(Serialize, Deserialize)]
struct Meta {
    pipeline: String,
    key_groups: u32,
    fingerprint: Vec<String>,
    zero_time: i64,
    batch_time: i64,
    inputs: Vec<(String, Option<InputPosition>)>,
}

impl CheckpointData {
    /// The file's bytes: header, then the payload (metadata, then the state).
    pub fn encode(&self) -> Vec<u8> {
        let meta = Meta {
            pipeline: self.pipeline.clone(),
            key_groups: KEY_GROUPS as u32,
            fingerprint: self.fingerprint.clone(),
            zero_time: self.zero_time,
            batch_time: self.batch_time,
            inputs: self.inputs.clone(),
        };
        let mut out = Vec::with_capacity(HEADER_LEN + 256 + self.state.len());
        out.extend_from_slice(&[0; HEADER_LEN]);
        let out = postcard::to_extend(&meta, out)
            .expect("checkpoint metadata is plain data and always serializes");
        let mut out = out;
        out.extend_from_slice(&self.state);
        let payload_len = (out.len() - HEADER_LEN) as u64;
        let crc = crc32fast::hash(&out[HEADER_LEN..]);
        out[..8].copy_from_slice(MAGIC);
        out[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        out[12..20].copy_from_slice(&payload_len.to_le_bytes());
        out[20..24].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// The length of the whole file its first bytes announce, if they start a checkpoint
    /// of this format; lets a reader check a file's size before reading it.
    pub fn announced_len(header: &[u8]) -> Option<u64> {
        let header = header.get(..HEADER_LEN)?;
        let version = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes"));
        if &header[..8] != MAGIC || version != FORMAT_VERSION {
            return None;
        }
        let payload = u64::from_le_bytes(header[12..20].try_into().expect("8 bytes"));
        payload.checked_add(HEADER_LEN as u64)
    }

    /// Reads a file's bytes, or says what is wrong with them.
    pub fn decode(bytes: &[u8]) -> Result<CheckpointData, DecodeError> {
        if bytes.len() < HEADER_LEN {
            return Err(DecodeError::ShorterThanHeader { len: bytes.len() });
        }
        let (header, payload) = bytes.split_at(HEADER_LEN);
        if &header[..8] != MAGIC {
            return Err(DecodeError::BadMagic);
        }
        let field = |at: usize, len: usize| &header[at..at + len];
        let version = u32::from_le_bytes(field(8, 4).try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(DecodeError::Version { version });
        }
        let expected = u64::from_le_bytes(field(12, 8).try_into().expect("8 bytes"));
        if payload.len() as u64 != expected {
            return Err(DecodeError::PayloadLength {
                len: payload.len() as u64,
                expected,
            });
        }
        let crc = u32::from_le_bytes(field(20, 4).try_into().expect("4 bytes"));
        if crc32fast::hash(payload) != crc {
            return Err(DecodeError::Checksum);
        }
        let (meta, state): (Meta, &[u8]) =
            postcard::take_from_bytes(payload).map_err(DecodeError::Metadata)?;
        if meta.key_groups as usize != KEY_GROUPS {
            return Err(DecodeError::KeyGroups {
                found: meta.key_groups,
            });
        }
        Ok(CheckpointData {
            pipeline: meta.pipeline,
            fingerprint: meta.fingerprint,
            zero_time: meta.zero_time,
            batch_time: meta.batch_time,
            inputs: meta.inputs,
            state: state.to_vec(),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample(batch_time: i64) -> CheckpointData {
        CheckpointData {
            pipeline: "P".into(),
            fingerprint: vec!["batch 1000 ms".into()],
            zero_time: 0,
            batch_time,
            inputs: vec![("lines".into(), Some(InputPosition::Queue { taken: 3 }))],
            state: vec![1, 2, 3],
        }
    }

    #[test]
    fn round_trip() {
        let data = sample(5000);
        assert_eq!(CheckpointData::decode(&data.encode()), Ok(data));
    }

    #[test]
    fn what_is_wrong_is_named() {
        let bytes = sample(5000).encode();
        assert_eq!(
            CheckpointData::decode(&bytes[..10]),
            Err(DecodeError::ShorterThanHeader { len: 10 })
        );
        assert_eq!(
            CheckpointData::decode(&[0; HEADER_LEN]),
            Err(DecodeError::BadMagic)
        );
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(CheckpointData::decode(&flipped), Err(DecodeError::Checksum));
        assert_eq!(
            DecodeError::PayloadLength {
                len: 3,
                expected: 7
            }
            .to_string(),
            "truncated: payload of 3 bytes, header says 7"
        );
    }

    #[test]
    fn every_truncation_and_bit_flip_is_detected() {
        let bytes = sample(5000).encode();
        for len in 0..bytes.len() {
            assert!(
                CheckpointData::decode(&bytes[..len]).is_err(),
                "truncated to {len}"
            );
        }
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x10;
            assert!(CheckpointData::decode(&flipped).is_err(), "flip at {i}");
        }
    }

    #[test]
    fn arbitrary_and_mutated_bytes_never_panic_the_decoder() {
        let valid = sample(5000).encode();
        let mut mutator = crate::fuzz::Mutator::new(0x5eed_c4ec);
        for case in 0..crate::fuzz::CASES {
            let bytes = if case % 4 == 0 {
                mutator.arbitrary(200)
            } else {
                mutator.mutate(&valid)
            };
            // A mutation may by chance leave a valid checkpoint: then it must be that one.
            if let Ok(data) = CheckpointData::decode(&bytes) {
                assert_eq!(data.encode(), bytes, "case {case}");
            }
        }
    }
}
