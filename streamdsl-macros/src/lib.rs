//! The `stream!` macro: a small compiler from a pipeline declaration to a monomorphized
//! per-batch function. Layers: `parse` → `graph` → `validate` → `plan` → `emit`, with
//! one operator table in `ops`. Errors from every layer are collected and reported together;
//! next to them a well-typed stub of the pipeline type is emitted, so that only real errors
//! show. Use it through the `streamdsl` crate, whose docs describe the language.

mod diagnostics;
mod duration;
mod emit;
mod graph;
mod ops;
mod parse;
mod plan;
mod suggest;
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
        out.extend(compile(decl));
    }
    out.into()
}

fn compile(decl: &parse::PipelineDecl) -> proc_macro2::TokenStream {
    let mut diags = diagnostics::Diagnostics::default();
    let mut graph = graph::build(decl, &mut diags);
    validate::validate(&mut graph, &mut diags);
    if diags.has_errors() {
        let mut out = diags.to_compile_errors();
        out.extend(emit::stub(decl));
        return out;
    }
    let plan = plan::plan(&graph);
    emit::emit(&graph, &plan)
}
