//! `save_as_text_files(prefix, suffix?)`: each batch as a directory of text files
//! (`prefix-TIME_IN_MS[.suffix]/part-NNNNN`), written atomically.

use super::{ArgKind, ArgSpec, Codegen, OpCall, OperatorSpec, Slide};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "save_as_text_files",
    spark_name: "saveAsTextFiles",
    args: &[
        ArgSpec::required("prefix", ArgKind::Value),
        ArgSpec::optional("suffix", ArgKind::Value),
    ],
    slide: Slide::Inherit,
    codegen: Codegen::Output(emit),
};

fn emit(call: &OpCall, batch: &TokenStream) -> TokenStream {
    let (ctx, index, prefix) = (&call.ctx, call.output_index, call.value(0));
    let suffix = match call.value(1) {
        Some(s) => {
            quote_spanned!(call.span=> ::core::option::Option::Some(::core::convert::AsRef::<str>::as_ref(&#s)))
        }
        None => quote_spanned!(call.span=> ::core::option::Option::None),
    };
    quote_spanned!(call.span=>
        #ctx.output(#index, #batch, |__out, __batch| {
            ::streamdsl::__private::outputs::save_as_text_files::run(__out, __batch, #prefix, #suffix)
                .map_err(::core::convert::Into::into)
        });
    )
}
