//! Window operators against the spec's vectors (section 5, TV7-TV13), with streamdsl's
//! documented semantics where they deliberately differ from Spark (noted at each test).

use streamdsl::prelude::*;
use streamdsl::testing::{Harness, TestRun};

fn run<P: Pipeline + InputsBound>(pipeline: P, batches: usize) -> TestRun {
    Harness::new(pipeline).run(batches).expect("pipeline runs")
}

fn letters(batches: &[&[&str]]) -> QueueStream<String> {
    queue_stream(
        batches
            .iter()
            .map(|b| b.iter().map(|l| l.to_string()).collect::<Vec<_>>()),
    )
}

fn pairs(batches: Vec<Vec<(&str, i64)>>) -> QueueStream<(String, i64)> {
    queue_stream(batches.into_iter().map(|b| {
        b.into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Vec<_>>()
    }))
}

stream! {
    pipeline Windows {
        batch = 1s;
        input letters: String;
        let w3: String = letters.window(3s);
        w3.pprint();
        let w42: String = letters.window(4s, 2s);
        w42.pprint();
    }
}

#[test]
fn tv7_tv8_window_contents_and_emission_times() {
    let input = letters(&[&["a"], &["b"], &["c"], &["d"], &[], &[], &[], &[]]);
    let r = run(Windows::new().letters(input), 8);
    let w3: Vec<Vec<String>> = (1..=7)
        .map(|k| r.stream("w3").records_at(k * 1000).to_vec())
        .collect();
    let expected: Vec<Vec<&str>> = vec![
        vec![r#""a""#],
        vec![r#""a""#, r#""b""#],
        vec![r#""a""#, r#""b""#, r#""c""#],
        vec![r#""b""#, r#""c""#, r#""d""#],
        vec![r#""c""#, r#""d""#],
        vec![r#""d""#],
        vec![],
    ];
    assert_eq!(w3, expected);
    assert_eq!(
        r.stream("w42").times(),
        [2000, 4000, 6000, 8000],
        "slide 2 s: only even times"
    );
    assert_eq!(r.stream("w42").records_at(2000), [r#""a""#, r#""b""#]);
    assert_eq!(
        r.stream("w42").records_at(4000),
        [r#""a""#, r#""b""#, r#""c""#, r#""d""#]
    );
    assert_eq!(r.stream("w42").records_at(6000), [r#""c""#, r#""d""#]);
    assert!(r.stream("w42").records_at(8000).is_empty());
}

stream! {
    pipeline Tumbling {
        batch = 1s;
        input numbers: i64;
        let windowed: i64 = numbers.window(3s, 3s);
        windowed.reduce(|a, b| a + b).pprint();
    }
}

#[test]
fn tv8_tumbling_window_reduce() {
    let r = run(
        Tumbling::new().numbers(queue_stream((1..=6).map(|k| vec![k]))),
        6,
    );
    assert_eq!(r.output(0).times(), [3000, 6000]);
    assert_eq!(r.output(0).records_at(3000), ["6"]);
    assert_eq!(r.output(0).records_at(6000), ["15"]);
}

stream! {
    pipeline Counts {
        batch = 1s;
        checkpoint;
        input letters: String;
        letters.count_by_window(3s, 1s).pprint();
        let windowed: String = letters.window(3s, 1s);
        windowed.count().pprint();
    }
}

/// TV10 with the documented semantics: `count_by_window` emits a count for every window, 0
/// when empty (Spark emits nothing until the first record), like `window(..).count()`.
#[test]
fn tv10_count_by_window_counts_every_window() {
    let r = run(
        Counts::new().letters(letters(&[&["x", "y"], &["z"], &[], &[], &[], &[]])),
        6,
    );
    let counts: Vec<&[String]> = (1..=6).map(|k| r.output(0).records_at(k * 1000)).collect();
    assert_eq!(counts, [["2"], ["3"], ["3"], ["1"], ["0"], ["0"]]);
    let r = run(Counts::new().letters(letters(&[&[], &["a"]])), 2);
    for output in [0, 1] {
        assert_eq!(r.output(output).records_at(1000), ["0"]);
        assert_eq!(r.output(output).records_at(2000), ["1"]);
    }
}

stream! {
    pipeline KeyedWindows {
        batch = 1s;
        checkpoint;
        input pairs: (String, i64);
        let inverse: (String, i64) = pairs.reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 2s);
        inverse.pprint();
        let filtered: (String, i64) =
            pairs.reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 2s, 1s, |(_, v)| *v != 0);
        filtered.pprint();
        let plain: (String, i64) = pairs.reduce_by_key_and_window(|a, b| a + b, 2s);
        plain.pprint();
        // The filter by name: the slide need not be written out.
        let named: (String, i64) =
            pairs.reduce_by_key_and_window(|a, b| a + b, |a, b| a - b, 2s, filter = |(_, v)| *v != 0);
        named.pprint(num = 10);
    }
}

/// TV11, TV12, TV13. With an inverse function, a key leaves the output with its last batch
/// (streamdsl's documented semantics; Spark keeps `(a, 0)` for ever): the same result as
/// without the inverse, and as with Spark's `filterFunc = _._2 != 0`.
#[test]
fn tv11_tv12_tv13_reduce_by_key_and_window() {
    let input = pairs(vec![vec![("a", 1)], vec![("b", 1)], vec![], vec![], vec![]]);
    let r = run(KeyedWindows::new().pairs(input), 5);
    let expected: [&[&str]; 5] = [
        &[r#"("a", 1)"#],
        &[r#"("a", 1)"#, r#"("b", 1)"#],
        &[r#"("b", 1)"#],
        &[],
        &[],
    ];
    for stream in ["inverse", "filtered", "plain", "named"] {
        let got: Vec<Vec<String>> = (1..=5)
            .map(|k| r.stream(stream).sorted_at(k * 1000))
            .collect();
        assert_eq!(got, expected, "{stream}");
    }
    let tv13 = pairs(vec![
        vec![("a", 1), ("a", 2)],
        vec![("b", 5)],
        vec![("a", 1)],
        vec![],
        vec![],
    ]);
    let r = run(KeyedWindows::new().pairs(tv13), 5);
    let got: Vec<Vec<String>> = (1..=5)
        .map(|k| r.stream("plain").sorted_at(k * 1000))
        .collect();
    let expected: [&[&str]; 5] = [
        &[r#"("a", 3)"#],
        &[r#"("a", 3)"#, r#"("b", 5)"#],
        &[r#"("a", 1)"#, r#"("b", 5)"#],
        &[r#"("a", 1)"#],
        &[],
    ];
    assert_eq!(got, expected);
    let inverse: Vec<Vec<String>> = (1..=5)
        .map(|k| r.stream("inverse").sorted_at(k * 1000))
        .collect();
    assert_eq!(inverse, expected, "the inverse never changes the result");
}

stream! {
    pipeline ValueWindows {
        batch = 1s;
        checkpoint;
        input letters: String;
        let counts: (String, u64) = letters.count_by_value_and_window(2s, 1s);
        counts.pprint();
        let grouped: (String, Vec<i64>) = letters.map(|l| (l, 1i64)).group_by_key_and_window(2s);
        grouped.pprint();
        let total: i64 = letters.map(|_| 1i64).reduce_by_window(|a, b| a + b, |a, b| a - b, 2s, 1s);
        total.pprint();
    }
}

/// TV12's `count_by_value_and_window`, group and reduce windows.
#[test]
fn tv12_value_windows() {
    let r = run(
        ValueWindows::new().letters(letters(&[&["a"], &["b", "b"], &[], &[]])),
        4,
    );
    assert_eq!(r.stream("counts").sorted_at(1000), [r#"("a", 1)"#]);
    assert_eq!(
        r.stream("counts").sorted_at(2000),
        [r#"("a", 1)"#, r#"("b", 2)"#]
    );
    assert_eq!(r.stream("counts").sorted_at(3000), [r#"("b", 2)"#]);
    assert!(r.stream("counts").sorted_at(4000).is_empty());
    assert_eq!(
        r.stream("grouped").sorted_at(2000),
        [r#"("a", [1])"#, r#"("b", [1, 1])"#]
    );
    assert_eq!(r.stream("total").records_at(2000), ["3"]);
    assert_eq!(r.stream("total").records_at(3000), ["2"]);
    assert!(
        r.stream("total").records_at(4000).is_empty(),
        "an empty window has no fold"
    );
}
