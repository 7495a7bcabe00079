//! Writing checkpoints atomically, and reading the directory back.

use super::format::{CheckpointData, HEADER_LEN};
use super::recovery::checkpoint_time;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// How many checkpoints are kept: the newest, and two older ones in case it is damaged.
const KEEP: usize = 3;

/// A checkpoint directory: where a pipeline's checkpoints are written and read back.
#[derive(Clone, Debug)]
pub struct CheckpointDir {
    path: PathBuf,
}

impl CheckpointDir {
    /// The directory at `path`, created if missing.
    pub fn open(path: &Path) -> io::Result<Self> {
        fs::create_dir_all(path)?;
        Ok(CheckpointDir {
            path: path.to_owned(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The names of the directory's checkpoint files (`checkpoint-<ms>`).
    pub fn names(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.path)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if checkpoint_time(&name).is_some() {
                names.push(name);
            }
        }
        Ok(names)
    }

    /// The bytes of checkpoint file `name`. Its header is read first: a file that is not a
    /// checkpoint of this format, or is longer than its header announces, is not read
    /// further (its header alone shows what is wrong), so a large damaged file costs a few
    /// bytes, not its size.
    pub fn read(&self, name: &str) -> io::Result<Vec<u8>> {
        let mut file = File::open(self.path.join(name))?;
        let len = file.metadata()?.len();
        let mut bytes = Vec::new();
        (&mut file)
            .take(HEADER_LEN as u64)
            .read_to_end(&mut bytes)?;
        if CheckpointData::announced_len(&bytes).is_some_and(|announced| len <= announced) {
            bytes.reserve_exact((len as usize).saturating_sub(bytes.len()));
            file.read_to_end(&mut bytes)?;
        }
        Ok(bytes)
    }

    /// Writes `data` as `checkpoint-<batch time>`: temporary file, fsync, rename, fsync of the
    /// directory; then deletes all but the newest few. A crash at any point leaves either the
    /// previous checkpoints or the new one complete.
    pub fn write(&self, data: &CheckpointData) -> io::Result<PathBuf> {
        let name = format!("checkpoint-{}", data.batch_time);
        let tmp = self.path.join(format!(".{name}.tmp"));
        let target = self.path.join(&name);
        let mut file = File::create(&tmp)?;
        file.write_all(&data.encode())?;
        file.sync_all()?;
        drop(file);
        crash_point("checkpoint-temp-written");
        fs::rename(&tmp, &target)?;
        crash_point("checkpoint-renamed");
        File::open(&self.path)?.sync_all()?;
        self.prune()?;
        Ok(target)
    }

    fn prune(&self) -> io::Result<()> {
        let mut times: Vec<(i64, PathBuf)> = fs::read_dir(&self.path)?
            .filter_map(Result::ok)
            .filter_map(|e| Some((checkpoint_time(&e.file_name().to_string_lossy())?, e.path())))
            .collect();
        times.sort_by_key(|t| std::cmp::Reverse(t.0));
        for (_, old) in times.into_iter().skip(KEEP) {
            fs::remove_file(old)?;
        }
        Ok(())
    }
}

/// Test-only crash injection: with the `fault-injection` feature, the process kills itself
/// with SIGKILL at the `n`-th time it reaches `point` when `STREAMDSL_CRASH_AT=point:n`.
#[cfg(feature = "fault-injection")]
pub(crate) fn crash_point(point: &str) {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static HITS: AtomicU64 = AtomicU64::new(0);
    // Read once: a process that is not a crash test pays one load per call, not an
    // environment lookup.
    static TARGET: OnceLock<Option<(String, u64)>> = OnceLock::new();
    let target = TARGET.get_or_init(|| {
        let spec = std::env::var("STREAMDSL_CRASH_AT").ok()?;
        let (name, n) = spec.split_once(':')?;
        Some((name.to_owned(), n.parse().ok()?))
    });
    let Some((name, n)) = target else {
        return;
    };
    if name == point && HITS.fetch_add(1, Ordering::SeqCst) + 1 == *n {
        // SAFETY: kill(2) on our own pid; nothing of ours runs after it.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn crash_point(_: &str) {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::recovery::{Expected, Recovery, decide};

    fn sample(batch_time: i64) -> CheckpointData {
        CheckpointData {
            pipeline: "P".into(),
            fingerprint: vec![],
            zero_time: 0,
            batch_time,
            inputs: vec![],
            state: vec![7; 100],
        }
    }

    #[test]
    fn writes_atomically_and_keeps_the_newest_three() {
        let dir = std::env::temp_dir().join(format!("streamdsl-ckpt-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let ckpt = CheckpointDir::open(&dir).unwrap();
        for t in 1..=5 {
            ckpt.write(&sample(t * 1000)).unwrap();
        }
        let mut names: Vec<String> = ckpt.names().unwrap();
        names.sort();
        assert_eq!(
            names,
            ["checkpoint-3000", "checkpoint-4000", "checkpoint-5000"]
        );
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        let expected = Expected {
            pipeline: "P",
            fingerprint: &[],
            batch_ms: 1000,
        };
        match decide(
            ckpt.names().unwrap(),
            |n| ckpt.read(n),
            &expected,
            |_| Ok(()),
        ) {
            Ok(Recovery::Resume { data, .. }) => assert_eq!(data, sample(5000)),
            other => panic!("{other:?}"),
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_longer_than_its_header_announces_is_not_read_whole() {
        let dir =
            std::env::temp_dir().join(format!("streamdsl-ckpt-sparse-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let ckpt = CheckpointDir::open(&dir).unwrap();
        ckpt.write(&sample(1000)).unwrap();
        assert_eq!(ckpt.read("checkpoint-1000").unwrap(), sample(1000).encode());
        // 3 GiB of holes after a valid header: only the header is read.
        let big = File::create(dir.join("checkpoint-2000")).unwrap();
        big.set_len(3 << 30).unwrap();
        drop(big);
        fs::write(
            dir.join("checkpoint-3000"),
            &sample(3000).encode()[..HEADER_LEN],
        )
        .unwrap();
        let file = fs::OpenOptions::new()
            .write(true)
            .open(dir.join("checkpoint-3000"))
            .unwrap();
        file.set_len(3 << 30).unwrap();
        drop(file);
        assert_eq!(ckpt.read("checkpoint-2000").unwrap().len(), HEADER_LEN);
        assert_eq!(ckpt.read("checkpoint-3000").unwrap().len(), HEADER_LEN);
        fs::remove_dir_all(&dir).unwrap();
    }
}
