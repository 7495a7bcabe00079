//! `save_as_text_files` (spec 8.2, TV23): Spark's naming, one part per partition, `_SUCCESS`,
//! atomic directories, and a batch recomputed after a restart replacing its directory with
//! the same content.

use std::fs;
use std::path::{Path, PathBuf};
use streamdsl::TextFiles;
use streamdsl::prelude::*;
use streamdsl::testing::Harness;

stream! {
    pipeline Save(prefix: String, skipping: TextFiles) {
        batch = 1s;
        input words: &str;
        words.save_as_text_files(prefix, "txt");
        words.save_as_text_files(skipping);
    }
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("streamdsl-textfiles-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn listing(d: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn tv23_naming_parts_success_and_empty_batches() {
    let root = dir("tv23");
    let prefix = root.join("res").to_string_lossy().into_owned();
    let skipping =
        TextFiles::new(root.join("skip").to_string_lossy().into_owned()).skip_empty_batches();
    let input = queue_stream(vec![
        Batch::from_partitions(vec![vec!["x".to_string()], vec!["y".to_string()]]),
        Batch::from(Vec::<String>::new()),
    ]);
    Harness::new(Save::new(prefix, skipping).words(input))
        .run(2)
        .unwrap();
    assert_eq!(
        listing(&root),
        ["res-1000.txt", "res-2000.txt", "skip-1000"]
    );
    assert_eq!(
        listing(&root.join("res-1000.txt")),
        ["_SUCCESS", "part-00000", "part-00001"]
    );
    assert_eq!(
        fs::read_to_string(root.join("res-1000.txt/part-00000")).unwrap(),
        "\"x\"\n"
    );
    assert_eq!(
        fs::read_to_string(root.join("res-1000.txt/part-00001")).unwrap(),
        "\"y\"\n"
    );
    assert_eq!(
        listing(&root.join("res-2000.txt")),
        ["_SUCCESS", "part-00000"],
        "an empty batch: empty part"
    );
    assert_eq!(
        fs::read_to_string(root.join("res-2000.txt/part-00000")).unwrap(),
        ""
    );
    fs::remove_dir_all(&root).unwrap();
}

stream! {
    pipeline Counted(prefix: String) {
        batch = 1s;
        checkpoint every 1s;
        input words: String;
        let counts: (String, u64) = words.map(|w| (w, 1u64)).update_state_by_key(|n: Vec<u64>, s: Option<u64>| Some(n.len() as u64 + s.unwrap_or(0)));
        counts.save_as_text_files(prefix);
    }
}

/// Batches recomputed after a restart (the checkpoint predates them) rewrite their
/// directories with the same content: no partial, no duplicate directory.
#[test]
fn a_restart_rewrites_recomputed_batches_identically() {
    let root = dir("restart");
    let checkpoints = root.join("checkpoints");
    let out = |name: &str| {
        root.join(name)
            .join("counts")
            .to_string_lossy()
            .into_owned()
    };
    let input = || {
        queue_stream(vec![
            vec!["a".to_string(), "b".to_string()],
            vec!["a".to_string()],
            vec!["c".to_string()],
        ])
    };
    Harness::new(Counted::new(out("whole")).words(input()))
        .run(3)
        .unwrap();
    // A run that stopped after batch 1, then was restarted: batches 2 and 3 come from the
    // second run; a stale half-written directory from the crash is replaced.
    Harness::new(Counted::new(out("split")).words(input()))
        .checkpoint_dir(&checkpoints)
        .run(1)
        .unwrap();
    fs::create_dir_all(root.join("split/.counts-2000.writing")).unwrap();
    Harness::new(Counted::new(out("split")).words(input()))
        .checkpoint_dir(&checkpoints)
        .run(2)
        .unwrap();
    assert_eq!(listing(&root.join("split")), listing(&root.join("whole")));
    for batch in ["counts-1000", "counts-2000", "counts-3000"] {
        for part in listing(&root.join("whole").join(batch)) {
            let read =
                |run: &str| fs::read_to_string(root.join(run).join(batch).join(&part)).unwrap();
            assert_eq!(read("split"), read("whole"), "{batch}/{part}");
        }
    }
    fs::remove_dir_all(&root).unwrap();
}
