//! The `stream!` macro: a small compiler from a pipeline declaration to a monomorphized
//! per-batch function. Each layer hands the next one a model:
//!
//! * `parse`: the syntax tree (`PipelineDecl`), every span kept; a statement that does not
//!   parse is recorded and skipped, so the pipeline's signature is still known;
//! * `graph`: names resolved, method chains turned into a DAG of operator nodes (`Graph`);
//! * `validate`: arguments checked against the operators' specs and the pipeline as a whole;
//!   its result, the checked model (`model::CheckedPipeline`), is all that later layers read;
//! * `plan`: which streams become a batch in memory and which are fused into loops (`Plan`);
//! * `emit`: the pipeline type and its per-batch function.
//!
//! What each operator is lives in one file of `ops`, registered by one line. Errors from every
//! layer are collected and reported together; next to them a well-typed stub of the pipeline
//! type is emitted, so that only real errors show. Use the macro through the `streamdsl`
//! crate, whose docs describe the language.

mod diagnostics;
mod duration;
mod emit;
mod graph;
mod model;
mod ops;
mod parse;
mod plan;
mod suggest;
#[cfg(test)]
mod test_support;
mod validate;

use proc_macro::TokenStream;

/// Declares one or more pipelines. See the `streamdsl` crate for the language.
#[proc_macro]
pub fn stream(input: TokenStream) -> TokenStream {
    let parsed = match syn::parse::<parse::StreamMacro>(input) {
        Ok(parsed) => parsed,
        Err(e) => return e.to_compile_error().into(),
    };
    let mut out = proc_macro2::TokenStream::new();
    for decl in &parsed.pipelines {
        out.extend(compile(decl, &parsed.crate_path));
    }
    out.into()
}

fn compile(decl: &parse::PipelineDecl, krate: &syn::Path) -> proc_macro2::TokenStream {
    let mut diags = diagnostics::Diagnostics::default();
    let checked = if decl.errors.is_empty() {
        let graph = graph::build(decl, &mut diags);
        validate::validate(&graph, &mut diags)
    } else {
        // The rest of the body is not checked: its errors could stem from the statements
        // that did not parse.
        diags.extend(decl.errors.iter().cloned());
        None
    };
    let mut out = diags.to_compile_errors();
    match checked {
        Some(pipeline) => out.extend(emit::emit(&pipeline, &plan::plan(&pipeline), krate)),
        None => out.extend(emit::stub(decl, krate)),
    }
    out
}
