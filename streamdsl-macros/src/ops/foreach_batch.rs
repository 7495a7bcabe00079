//! `foreach_batch(async |time, batch| …)` or `foreach_batch(async |batch| …)`: an async
//! function called with every batch and awaited before the batch is done.

use super::{ArgKind, ArgSpec, Codegen, OpCall, OperatorSpec, Slide, is_closure_with_params};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "foreach_batch",
    spark_name: "foreachBatch",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    slide: Slide::Inherit,
    codegen: Codegen::Output(emit),
};

fn emit(call: &OpCall, batch: &TokenStream) -> TokenStream {
    let (ctx, index, f, user, marker) = (
        &call.ctx,
        call.output_index,
        &call.closure,
        call.value(0),
        &call.marker,
    );
    let with_time = user.is_some_and(|u| is_closure_with_params(u, 2));
    let (check, invoke) = if with_time {
        (
            quote::quote!(check),
            quote::quote!(#f(__out.time(), __batch)),
        )
    } else {
        (quote::quote!(check_batch_only), quote::quote!(#f(__batch)))
    };
    quote_spanned!(call.span=>
        let mut #f = ::streamdsl::__private::outputs::foreach_batch::#check(&#marker, #user);
        #ctx.output(#index, #batch, |__out, __batch| {
            ::streamdsl::__private::OutputResult::into_output_result(__out.block_on(#invoke))
        });
    )
}
