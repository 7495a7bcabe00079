//! `pprint(n?)`: prints the first `n` (default 10) records of each batch, PySpark's format.

use super::{ArgKind, ArgSpec, Codegen, OpCall, OperatorSpec, Slide};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "pprint",
    spark_name: "pprint",
    args: &[ArgSpec::optional("num", ArgKind::Value)],
    slide: Slide::Inherit,
    codegen: Codegen::Output(emit),
};

fn emit(call: &OpCall, batch: &TokenStream) -> TokenStream {
    let (ctx, index) = (&call.ctx, call.output_index);
    let num = match call.value(0) {
        Some(n) => quote::quote!(#n),
        None => quote::quote!(10),
    };
    quote_spanned!(call.span=>
        #ctx.output(#index, #batch, |__out, __batch| {
            ::streamdsl::__private::outputs::pprint::run(__out, __batch, #num)
                .map_err(::core::convert::Into::into)
        });
    )
}
