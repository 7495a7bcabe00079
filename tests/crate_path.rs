//! `#![streamdsl(crate = "…")]`: generated code names streamdsl through the given path, for a
//! crate that depends on streamdsl under another name or re-exports it.

extern crate streamdsl as renamed_streamdsl;

use renamed_streamdsl::testing::Harness;
use renamed_streamdsl::{queue_stream, stream};

stream! {
    #![streamdsl(crate = "::renamed_streamdsl")]
    pipeline Renamed {
        batch = 1s;
        checkpoint;
        input words: &str;
        let totals: (String, u64) = words
            .map(|w| (w.to_owned(), 1u64))
            .update_state_by_key(|new: Vec<u64>, old: Option<u64>| Some(old.unwrap_or(0) + new.len() as u64));
        totals.pprint();
    }
}

#[test]
fn a_pipeline_through_a_renamed_crate_runs() {
    let words = queue_stream(vec![
        vec!["a".to_string(), "b".to_string()],
        vec!["a".to_string()],
    ]);
    let run = Harness::new(Renamed::new().words(words)).run(2).unwrap();
    assert_eq!(run.output(0).sorted_at(2000), ["(\"a\", 2)", "(\"b\", 1)"]);
}
