//! Checkpoints: a pipeline's state and its inputs' positions, as versioned data.
//!
//! A checkpoint is a file `checkpoint-<batch time in ms>` in the checkpoint directory: a
//! header (magic, format version, payload length, CRC32) and a postcard payload holding the
//! pipeline's name and fingerprint, its zero time, the batch time, each input's position and
//! the serialized state. It is written atomically (temporary file, fsync, rename, fsync of the
//! directory) and the newest few are kept.
//!
//! On start, [`recovery::decide`] — a pure function of the directory's files — picks the
//! newest readable checkpoint: corrupt or truncated files are reported and skipped, and a
//! checkpoint of a different pipeline is refused with what differs. Closures are not saved:
//! a pipeline whose closures changed but whose shape and state types did not restores its
//! state.

mod checkpointer;
pub mod format;
pub mod recovery;
mod writer;

pub(crate) use checkpointer::Checkpointer;
pub use format::{CheckpointData, DecodeError, FORMAT_VERSION};
pub use recovery::Unreadable;
pub use writer::CheckpointDir;
pub(crate) use writer::crash_point;
