//! Every operator against the spec's expected outputs (spec sections 4 and 8, test vectors of
//! section 13), through the public test harness.

use streamdsl::prelude::*;
use streamdsl::testing::{Harness, TestRun};

fn run<P: Pipeline + InputsBound>(pipeline: P, batches: usize) -> TestRun {
    Harness::new(pipeline).run(batches).expect("pipeline runs")
}

stream! {
    pipeline Stateless {
        batch = 1s;
        input numbers: i64;
        let doubled = numbers.map(|x| x * 2);
        doubled.pprint();
        let evens = numbers.filter(|x| x % 2 == 0);
        evens.pprint();
        let spread = numbers.flat_map(|x| vec![x; x as usize]);
        spread.pprint();
    }
}

#[test]
fn map_filter_flat_map() {
    let r = run(
        Stateless::new().numbers(queue_stream(vec![vec![1, 2, 3], vec![]])),
        2,
    );
    assert_eq!(r.stream("doubled").records_at(1000), ["2", "4", "6"]);
    assert_eq!(r.stream("evens").records_at(1000), ["2"]);
    assert_eq!(
        r.stream("spread").records_at(1000),
        ["1", "2", "2", "3", "3", "3"]
    );
    for s in ["doubled", "evens", "spread"] {
        assert_eq!(
            r.stream(s).times(),
            [1000, 2000],
            "{s} runs on the empty batch too"
        );
        assert!(r.stream(s).records_at(2000).is_empty());
    }
}

stream! {
    pipeline ParseNumbers {
        batch = 1s;
        input lines: &str;
        let numbers = lines.filter_map(|line| line.trim().parse::<i64>().ok());
        numbers.pprint();
        let doubled_evens = lines
            .filter_map(|line| line.parse::<i64>().ok())
            .filter(|n| n % 2 == 0)
            .map(|n| n * 2);
        doubled_evens.pprint();
    }
}

/// `filter_map` is Spark's `flatMap` over an `Option`: the `Some`s, in order.
#[test]
fn filter_map_keeps_the_somes() {
    let lines = vec![
        vec!["1".to_string(), "x".into(), " 4 ".into(), "6".into()],
        vec![],
    ];
    let r = run(ParseNumbers::new().lines(queue_stream(lines)), 2);
    assert_eq!(r.stream("numbers").records_at(1000), ["1", "4", "6"]);
    assert_eq!(r.stream("doubled_evens").records_at(1000), ["12"]);
    assert!(r.stream("numbers").records_at(2000).is_empty());
}

stream! {
    pipeline Pairs {
        batch = 1s;
        input pairs: (String, i64);
        let mapped = pairs.map_values(|v| v * 10);
        mapped.pprint();
        let flat = pairs.flat_map_values(|v| 0..v);
        flat.pprint();
        let reduced = pairs.reduce_by_key(|a, b| a + b);
        reduced.pprint();
        let grouped = pairs.group_by_key().map_values(|mut vs| { vs.sort(); vs });
        grouped.pprint();
    }
}

fn pair(k: &str, v: i64) -> (String, i64) {
    (k.to_owned(), v)
}

#[test]
fn keyed_operators() {
    let input = queue_stream(vec![vec![pair("a", 1), pair("b", 2), pair("a", 3)]]);
    let r = run(Pairs::new().pairs(input), 1);
    assert_eq!(
        r.stream("mapped").sorted_at(1000),
        [r#"("a", 10)"#, r#"("a", 30)"#, r#"("b", 20)"#]
    );
    assert_eq!(
        r.stream("flat").sorted_at(1000),
        [
            r#"("a", 0)"#,
            r#"("a", 0)"#,
            r#"("a", 1)"#,
            r#"("a", 2)"#,
            r#"("b", 0)"#,
            r#"("b", 1)"#
        ]
    );
    assert_eq!(
        r.stream("reduced").sorted_at(1000),
        [r#"("a", 4)"#, r#"("b", 2)"#]
    );
    assert_eq!(
        r.stream("grouped").sorted_at(1000),
        [r#"("a", [1, 3])"#, r#"("b", [2])"#]
    );
}

stream! {
    pipeline Aggregates {
        batch = 1s;
        input words: &str;
        let total = words.count();
        total.pprint();
        let joined = words.reduce(|a, b| if a < b { a } else { b });
        joined.pprint();
        let distinct = words.count_by_value();
        distinct.pprint();
    }
}

#[test]
fn tv3_tv4_count_and_reduce_on_empty_batches() {
    let input = queue_stream(
        vec![vec!["b", "a", "b"], vec![], vec!["c"]]
            .into_iter()
            .map(|b| b.into_iter().map(String::from).collect::<Vec<_>>()),
    );
    let r = run(Aggregates::new().words(input), 3);
    assert_eq!(r.stream("total").records_at(1000), ["3"]);
    assert_eq!(
        r.stream("total").records_at(2000),
        ["0"],
        "count emits 0 for an empty batch"
    );
    assert_eq!(r.stream("total").records_at(3000), ["1"]);
    assert_eq!(r.stream("joined").records_at(1000), ["\"a\""]);
    assert!(
        r.stream("joined").records_at(2000).is_empty(),
        "reduce emits nothing for an empty batch"
    );
    assert_eq!(
        r.stream("joined").times(),
        [1000, 2000, 3000],
        "but the output still runs"
    );
    assert_eq!(
        r.stream("distinct").sorted_at(1000),
        [r#"("a", 1)"#, r#"("b", 2)"#]
    );
}

stream! {
    pipeline Joins {
        batch = 1s;
        input left: (&'static str, i64);
        input right: (&'static str, &'static str);
        let inner = left.join(right);
        inner.pprint();
        let lo = left.left_outer_join(right);
        lo.pprint();
        let ro = left.right_outer_join(right);
        ro.pprint();
        let fo = left.full_outer_join(right);
        fo.pprint();
        let co = left.cogroup(right);
        co.pprint();
    }
}

#[test]
fn tv20_joins_and_cogroup() {
    let left = queue_stream(vec![vec![("a", 1), ("b", 2)], vec![]]);
    let right = queue_stream(vec![
        vec![("a", "x"), ("a", "y"), ("c", "z")],
        vec![("b", "w")],
    ]);
    let r = run(Joins::new().left(left).right(right), 2);
    assert_eq!(
        r.stream("inner").sorted_at(1000),
        [r#"("a", (1, "x"))"#, r#"("a", (1, "y"))"#]
    );
    assert_eq!(
        r.stream("lo").sorted_at(1000),
        [
            r#"("a", (1, Some("x")))"#,
            r#"("a", (1, Some("y")))"#,
            r#"("b", (2, None))"#
        ]
    );
    assert_eq!(
        r.stream("ro").sorted_at(1000),
        [
            r#"("a", (Some(1), "x"))"#,
            r#"("a", (Some(1), "y"))"#,
            r#"("c", (None, "z"))"#
        ]
    );
    assert_eq!(r.stream("fo").sorted_at(1000).len(), 4);
    assert_eq!(
        r.stream("co").sorted_at(1000),
        [
            r#"("a", ([1], ["x", "y"]))"#,
            r#"("b", ([2], []))"#,
            r#"("c", ([], ["z"]))"#
        ]
    );
    assert!(
        r.stream("inner").records_at(2000).is_empty(),
        "batches of different times never join"
    );
}

stream! {
    pipeline Shapes {
        batch = 1s;
        input a: i64;
        input b: i64;
        let both = a.union(b, a);
        both.pprint();
        let parts = both.repartition(3).glom().map(|p| p.len());
        parts.pprint();
        let top = a.transform(|batch| { let mut v = batch.into_vec(); v.sort(); v.dedup(); v });
        top.pprint();
        let tagged = a.transform(|time, batch| batch.into_iter().map(move |x| (time.millis(), x)).collect::<Vec<_>>());
        tagged.pprint();
    }
}

#[test]
fn union_repartition_glom_transform() {
    let r = run(
        Shapes::new()
            .a(queue_stream(vec![vec![3, 1, 3]]))
            .b(queue_stream(vec![vec![7]])),
        1,
    );
    assert_eq!(
        r.stream("both").records_at(1000),
        ["3", "1", "3", "7", "3", "1", "3"]
    );
    assert_eq!(r.stream("parts").records_at(1000), ["3", "2", "2"]);
    assert_eq!(r.stream("top").records_at(1000), ["1", "3"]);
    assert_eq!(
        r.stream("tagged").records_at(1000),
        ["(1000, 3)", "(1000, 1)", "(1000, 3)"]
    );
}

stream! {
    /// Spark's `transformWith`: a function of both streams' batches, with or without the time.
    pipeline TransformWith {
        batch = 1s;
        input left: i64;
        input right: i64;
        let both = left.transform_with(right, |a, b| a.into_iter().chain(b).collect::<Vec<_>>());
        both.pprint();
        let sizes = left.transform_with(right, |time, a, b| vec![(time.millis(), a.len(), b.len())]);
        sizes.pprint();
    }
}

#[test]
fn transform_with_sees_both_batches_and_the_time() {
    let left = queue_stream(vec![vec![1i64, 2], vec![3]]);
    let right = queue_stream(vec![vec![10i64], vec![]]);
    let run = Harness::new(TransformWith::new().left(left).right(right))
        .run(2)
        .unwrap();
    assert_eq!(run.stream("both").records_at(1000), ["1", "2", "10"]);
    assert_eq!(run.stream("both").records_at(2000), ["3"]);
    assert_eq!(
        run.records::<(i64, usize, usize)>("sizes", 1000),
        [(1000, 2, 1)]
    );
    assert_eq!(
        run.records::<(i64, usize, usize)>("sizes", 2000),
        [(2000, 1, 0)]
    );
}

stream! {
    /// Two `pprint`s of one stream, told apart by their labels.
    pipeline Labelled {
        batch = 1s;
        input numbers: i64;
        let doubled = numbers.map(|n| n * 2);
        doubled.pprint(2, label = "first two");
        doubled.pprint(label = "all");
    }
}

#[test]
fn labelled_outputs_are_found_by_their_labels() {
    let run = Harness::new(Labelled::new().numbers(queue_stream(vec![vec![1i64, 2, 3]])))
        .run(1)
        .unwrap();
    assert_eq!(run.stream("first two").records_at(1000), ["2", "4", "6"]);
    assert_eq!(run.records::<i64>("all", 1000), [2, 4, 6]);
    // The printed text is PySpark's: the label is not in it.
    assert!(!run.console().contains("first two"), "{}", run.console());
    assert_eq!(
        run.console().matches("...").count(),
        1,
        "the first prints two and `...`"
    );
}
