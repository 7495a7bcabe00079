//! `save_as_text_files(prefix[, suffix])`: each batch as a directory of text files (Spark's
//! `saveAsTextFiles`, spec 8.2): `prefix-TIME_IN_MS[.suffix]/part-00000, part-00001, …` (one
//! file per partition, one record per line rendered with `{:?}` as `pprint` shows it) and an
//! empty `_SUCCESS` marker.
//!
//! A batch's directory appears complete or not at all: it is written under a temporary name,
//! every file fsynced, then renamed into place and the parent directory fsynced. A batch run
//! again after a restart replaces its directory with the same content, instead of failing or
//! leaving two. Empty batches write a directory with empty part files, as Spark, unless
//! [`TextFiles::skip_empty_batches`] is set.

use super::{OutputContext, OutputRecord};
use crate::Batch;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Where and how `save_as_text_files` writes; a prefix (`&str`, `String`, `PathBuf`) is
/// converted to one with Spark's defaults.
#[derive(Clone, Debug)]
pub struct TextFiles {
    prefix: String,
    suffix: String,
    skip_empty: bool,
}

impl TextFiles {
    /// Directories named `prefix-TIME_IN_MS`.
    pub fn new(prefix: impl Into<String>) -> Self {
        TextFiles {
            prefix: prefix.into(),
            suffix: String::new(),
            skip_empty: false,
        }
    }

    /// Directories named `prefix-TIME_IN_MS.suffix`.
    pub fn suffix(mut self, suffix: impl Into<String>) -> Self {
        self.suffix = suffix.into();
        self
    }

    /// Write nothing for a batch without records (Spark writes an empty directory).
    pub fn skip_empty_batches(mut self) -> Self {
        self.skip_empty = true;
        self
    }

    /// The directory of the batch at `time_ms` (spec 8.2: `prefix-` only if the prefix is not
    /// empty, `.suffix` only if the suffix is not empty).
    pub fn batch_dir(&self, time_ms: i64) -> PathBuf {
        let mut name = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}-", self.prefix)
        };
        name.push_str(&time_ms.to_string());
        if !self.suffix.is_empty() {
            name.push('.');
            name.push_str(&self.suffix);
        }
        PathBuf::from(name)
    }
}

impl From<&str> for TextFiles {
    fn from(prefix: &str) -> Self {
        TextFiles::new(prefix)
    }
}

impl From<String> for TextFiles {
    fn from(prefix: String) -> Self {
        TextFiles::new(prefix)
    }
}

impl From<&String> for TextFiles {
    fn from(prefix: &String) -> Self {
        TextFiles::new(prefix.clone())
    }
}

impl From<&TextFiles> for TextFiles {
    fn from(files: &TextFiles) -> Self {
        files.clone()
    }
}

/// Why `save_as_text_files` could not write a batch; the pipeline keeps running, as after a
/// `foreach_rdd` that returned an error.
#[derive(Debug, thiserror::Error)]
#[error(
    "could not write the batch directory {}; its parent must be a directory this process may write",
    .dir.display()
)]
pub struct TextFilesError {
    /// The batch's directory.
    pub dir: PathBuf,
    /// Why.
    #[source]
    pub source: io::Error,
}

/// Writes the batch (the generated code calls this).
#[doc(hidden)]
pub fn run<T: OutputRecord>(
    out: &mut OutputContext<'_>,
    batch: &Batch<T>,
    files: impl Into<TextFiles>,
    suffix: Option<&str>,
) -> Result<(), TextFilesError> {
    let mut files = files.into();
    if let Some(suffix) = suffix {
        files.suffix = suffix.to_owned();
    }
    if files.skip_empty && batch.is_empty() {
        return Ok(());
    }
    let dir = files.batch_dir(out.time().millis());
    write_batch_dir(&dir, batch).map_err(|source| TextFilesError { dir, source })
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn write_batch_dir<T: OutputRecord>(target: &Path, batch: &Batch<T>) -> io::Result<()> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)?;
    let temporary = parent.join(format!(".{name}.writing"));
    if temporary.exists() {
        fs::remove_dir_all(&temporary)?;
    }
    fs::create_dir(&temporary)?;
    for (i, partition) in batch.partitions().enumerate() {
        let file = File::create(temporary.join(format!("part-{i:05}")))?;
        let mut writer = BufWriter::new(file);
        for record in partition {
            writeln!(writer, "{record:?}")?;
        }
        writer
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .sync_all()?;
    }
    File::create(temporary.join("_SUCCESS"))?.sync_all()?;
    sync_dir(&temporary)?;
    crate::checkpoint::crash_point("text-files-written");
    // A directory cannot be renamed over a non-empty one: move an earlier run's aside first.
    if target.exists() {
        let old = parent.join(format!(".{name}.replaced"));
        if old.exists() {
            fs::remove_dir_all(&old)?;
        }
        fs::rename(target, &old)?;
        fs::rename(&temporary, target)?;
        fs::remove_dir_all(&old)?;
    } else {
        fs::rename(&temporary, target)?;
    }
    sync_dir(&parent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Time;

    #[test]
    fn a_batch_that_cannot_be_written_names_its_directory() {
        let root =
            std::env::temp_dir().join(format!("streamdsl-text-error-{}", std::process::id()));
        fs::write(&root, "a file, not a directory").unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut console = Vec::new();
        let mut out =
            OutputContext::for_test(runtime.handle(), &mut console, Time::from_millis(1000));
        let prefix = root.join("res").display().to_string();
        let error = run(&mut out, &Batch::from(vec!["x"]), prefix, None).unwrap_err();
        assert_eq!(error.dir, root.join("res-1000"));
        assert_eq!(
            error.to_string(),
            format!(
                "could not write the batch directory {}; its parent must be a directory this \
                 process may write",
                error.dir.display()
            )
        );
        fs::remove_file(&root).unwrap();
    }

    #[test]
    fn tv23_naming() {
        assert_eq!(
            TextFiles::new("out/res").suffix("txt").batch_dir(1000),
            PathBuf::from("out/res-1000.txt")
        );
        assert_eq!(
            TextFiles::new("out/res").batch_dir(2000),
            PathBuf::from("out/res-2000")
        );
        assert_eq!(
            TextFiles::new("").suffix("x").batch_dir(1000),
            PathBuf::from("1000.x")
        );
    }

    #[test]
    fn tv23_one_part_per_partition_then_success_and_rewrite_replaces() {
        let root = std::env::temp_dir().join(format!("streamdsl-text-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let dir = root.join("res-1000.txt");
        write_batch_dir(&dir, &Batch::from_partitions(vec![vec!["x"], vec!["y"]])).unwrap();
        assert_eq!(
            fs::read_to_string(dir.join("part-00000")).unwrap(),
            "\"x\"\n"
        );
        assert_eq!(
            fs::read_to_string(dir.join("part-00001")).unwrap(),
            "\"y\"\n"
        );
        assert!(dir.join("_SUCCESS").exists());
        write_batch_dir(&dir, &Batch::from(vec!["z"])).unwrap();
        assert_eq!(
            fs::read_to_string(dir.join("part-00000")).unwrap(),
            "\"z\"\n"
        );
        assert!(
            !dir.join("part-00001").exists(),
            "a rerun replaces the directory"
        );
        let names: Vec<_> = fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["res-1000.txt"], "no temporary directory left");
        fs::remove_dir_all(&root).unwrap();
    }
}
