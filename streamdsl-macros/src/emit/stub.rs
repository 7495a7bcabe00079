//! The stub: the pipeline type alone, from its signature, with a per-batch function that
//! does nothing. Emitted next to compile errors (parse errors included) so that code using
//! the pipeline still type-checks and only the real errors show.

use super::names;
use super::types::{Info, pipeline_type};
use crate::parse::PipelineDecl;
use proc_macro2::{Span, TokenStream};
use quote::quote;

pub fn stub(decl: &PipelineDecl, krate: &syn::Path) -> TokenStream {
    let ctx = names::at(names::CONTEXT, Span::call_site());
    let info = Info {
        batch_ms: 1000,
        ..Info::default()
    };
    pipeline_type(
        &decl.signature(),
        &info,
        quote!(let _ = (#ctx, __batches);),
        krate,
    )
}
