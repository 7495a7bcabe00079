//! `foreach_rdd(|time, batch| …)` or `foreach_rdd(|batch| …)`: a function called with every
//! batch, for custom sinks.

use super::{ArgKind, ArgSpec, Codegen, OpCall, OperatorSpec, Slide, is_closure_with_params};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "foreach_rdd",
    spark_name: "foreachRDD",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    slide: Slide::Inherit,
    codegen: Codegen::Output(emit),
};

fn emit(call: &OpCall, batch: &TokenStream) -> TokenStream {
    emit_callback(call, batch, quote::quote!(foreach_rdd), |invoke| invoke)
}

/// A user function called with `(time, batch)` or `(batch)` (the closure's parameter count
/// says which), checked by `outputs::<module>::check[_batch_only]`; `finish` turns the call into
/// the output's result (`foreach_batch` awaits it). Shared by `foreach_rdd` and
/// `foreach_batch`.
pub fn emit_callback(
    call: &OpCall,
    batch: &TokenStream,
    module: TokenStream,
    finish: impl FnOnce(TokenStream) -> TokenStream,
) -> TokenStream {
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
    let result = finish(invoke);
    quote_spanned!(call.span=>
        let mut #f = ::streamdsl::__private::outputs::#module::#check(&#marker, #user);
        #ctx.output(#index, #batch, |__out, __batch| {
            ::streamdsl::__private::OutputResult::into_output_result(#result)
        });
    )
}
