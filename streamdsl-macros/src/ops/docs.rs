//! The operator tables of the crate docs (`src/lib.rs`) and the README, and the doctest that
//! uses every operator once, generated from the specs. The test fails when the checked-in
//! copies differ; `STREAMDSL_UPDATE_DOCS=1 cargo test -p streamdsl-macros docs` rewrites them.

use super::{Kind, NeedsCheckpoint, OperatorSpec, TABLE};
use std::path::Path;

const BEGIN: &str = "<!-- operators:begin (generated from streamdsl-macros/src/ops) -->";
const END: &str = "<!-- operators:end -->";

/// The inputs and parameters that the examples use.
const EXAMPLE_HEADER: &str = "\
pipeline EveryOperator(sink: DatabaseSink) {
    batch = 1s;
    checkpoint;
    input lines: String;
    input words: (String, u64);
    input other: (String, u64);
    input numbers: i64;";

fn table(header: &str, rows: impl Iterator<Item = String>) -> String {
    let columns = header.matches('|').count() - 1;
    let mut text = format!("{header}\n|{}\n", "---|".repeat(columns));
    for row in rows {
        text.push_str(&row);
        text.push('\n');
    }
    text
}

fn of_kind(pick: fn(&Kind) -> bool) -> impl Iterator<Item = &'static OperatorSpec> {
    TABLE.iter().copied().filter(move |op| pick(&op.kind))
}

/// The three tables, in Markdown.
fn tables() -> String {
    let batch = table(
        "| operator | records in → out |",
        of_kind(|k| matches!(k, Kind::PerRecord(_) | Kind::Breaker(_)))
            .map(|op| format!("| `{}` | {} |", op.signature(), op.doc.summary)),
    );
    let stateful = table(
        "| operator | records in → out | checkpoint |",
        of_kind(|k| matches!(k, Kind::Stateful(_) | Kind::Snapshot(_))).map(|op| {
            let checkpoint = match op.stateful().map(|s| s.checkpoint) {
                Some(NeedsCheckpoint::Always) => "needed".to_owned(),
                Some(NeedsCheckpoint::WhenGiven { arg, .. }) => format!("with `{arg}`"),
                Some(NeedsCheckpoint::Never) | None => String::new(),
            };
            format!(
                "| `{}` | {} | {checkpoint} |",
                op.signature(),
                op.doc.summary
            )
        }),
    );
    let outputs = table(
        "| output | what it does |",
        of_kind(|k| matches!(k, Kind::Output(_)))
            .map(|op| format!("| `{}` | {} |", op.signature(), op.doc.summary)),
    );
    format!(
        "Operators (Spark's names in snake_case; `partitions?` is an optional partition count, \
         else the context's default parallelism):\n\n{batch}\nWindows and state:\n\n{stateful}\n\
         Outputs:\n\n{outputs}"
    )
}

/// A pipeline using every operator once.
fn example_pipeline() -> String {
    let mut text = format!("{EXAMPLE_HEADER}\n");
    for op in TABLE.iter().filter(|op| op.doc.feature.is_none()) {
        text.push_str(&format!("    {}\n", op.doc.example));
    }
    text.push('}');
    text
}

/// The generated section of `src/lib.rs`: the tables and the examples as a doctest.
fn crate_docs_section() -> String {
    let pipeline: String = example_pipeline()
        .lines()
        .map(|line| format!("    {line}\n"))
        .collect();
    let text = format!(
        "{BEGIN}\n{}\nEvery operator, used once:\n\n```\nuse streamdsl::prelude::*;\n\
         use streamdsl::DatabaseSink;\n\nstream! {{\n{pipeline}}}\n```\n{END}",
        tables()
    );
    text.lines()
        .map(|line| format!("//!{}{line}\n", if line.is_empty() { "" } else { " " }))
        .collect()
}

fn readme_section() -> String {
    format!("{BEGIN}\n{}{END}\n", tables())
}

/// Checks (or with `STREAMDSL_UPDATE_DOCS` set, rewrites) the generated section of `file`,
/// between the lines holding `BEGIN` and `END`.
fn check_section(file: &str, generated: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let begin = text.find(BEGIN).expect("begin marker");
    let begin = text[..begin].rfind('\n').map_or(0, |i| i + 1);
    let end = text.find(END).expect("end marker");
    let end = end + text[end..].find('\n').map_or(text.len() - end, |i| i + 1);
    if &text[begin..end] == generated {
        return;
    }
    if std::env::var_os("STREAMDSL_UPDATE_DOCS").is_some() {
        let updated = format!("{}{generated}{}", &text[..begin], &text[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "the operator tables in {file} differ from the operators' specs; run \
         `STREAMDSL_UPDATE_DOCS=1 cargo test -p streamdsl-macros docs` to regenerate them\n\
         generated:\n{generated}"
    );
}

#[test]
fn docs_match_the_specs() {
    check_section("src/lib.rs", &crate_docs_section());
    check_section("README.md", &readme_section());
}

#[test]
fn every_operator_has_an_example_that_passes_the_checks() {
    for op in TABLE {
        assert!(
            op.doc.example.contains(&format!(".{}(", op.name)),
            "the example of `{}` does not use it",
            op.name
        );
    }
    let parsed: crate::parse::StreamMacro = syn::parse_str(&example_pipeline()).unwrap();
    let decl = &parsed.pipelines[0];
    assert!(decl.errors.is_empty());
    let mut diags = crate::diagnostics::Diagnostics::default();
    let graph = crate::graph::build(decl, &mut diags);
    let checked = crate::validate::validate(&graph, &mut diags);
    let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    assert!(checked.is_some(), "{messages:#?}");
}
