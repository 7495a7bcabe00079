//! Helpers for the layers' unit tests: a pipeline from source text, through the layers.

use crate::diagnostics::Diagnostics;
use crate::parse::{PipelineDecl, StreamMacro};

/// The first pipeline of `source` (the body of a `stream!`), which must parse.
pub fn parse(source: &str) -> PipelineDecl {
    let mut parsed: StreamMacro = syn::parse_str(source).expect("the test pipeline parses");
    let decl = parsed.pipelines.remove(0);
    assert!(decl.errors.is_empty(), "the test pipeline parses");
    decl
}

/// Every message of the graph and validate layers for `source`, errors and warnings.
pub fn messages(source: &str) -> Vec<String> {
    let decl = parse(source);
    let mut diags = Diagnostics::default();
    let graph = crate::graph::build(&decl, &mut diags);
    crate::validate::validate(&graph, &mut diags);
    diags.iter().map(|d| d.message.clone()).collect()
}

/// The plan of `source` as text; the pipeline must pass every check.
pub fn plan_text(source: &str) -> String {
    let decl = parse(source);
    let mut diags = Diagnostics::default();
    let graph = crate::graph::build(&decl, &mut diags);
    let checked = crate::validate::validate(&graph, &mut diags);
    let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    let checked = checked.unwrap_or_else(|| panic!("the test pipeline has errors: {messages:#?}"));
    crate::plan::plan(&checked).describe(&checked)
}
