//! `foreach_rdd(|time, batch| …)` or `foreach_rdd(|batch| …)`: a function called with every
//! batch, for custom sinks.

use super::pprint::{output_params, output_run, with_checked_function};
use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, is_closure_with_params};
use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "foreach_rdd",
    spark_name: "foreachRDD",
    args: &[ArgSpec::required("function", ArgKind::Function)],
    kind: Kind::Output(emit),
    doc: Doc {
        summary: "calls `function(time, batch)` or `function(batch)` with every batch; may return `Result<(), E>`",
        example: "numbers.foreach_rdd(|time, batch| println!(\"{time}: {} records\", batch.len()));",
        feature: None,
    },
};

fn emit(call: &OpCall, batch: &TokenStream) -> TokenStream {
    emit_callback(call, batch, "foreach_rdd", |invoke, _| invoke)
}

/// A user function called with `(time, batch)` or `(batch)` (the closure's parameter count
/// says which), checked by `outputs::<module>::check[_batch_only]`; `finish` turns the call
/// into the output's result, given the output's context (`foreach_batch` awaits it).
pub fn emit_callback(
    call: &OpCall,
    batch: &TokenStream,
    module: &str,
    finish: impl FnOnce(TokenStream, &Ident) -> TokenStream,
) -> TokenStream {
    let (rt, f) = (call.rt(), &call.closure);
    let user = call.arg("function");
    let (out, records) = output_params(call);
    let module = quote::format_ident!("{module}");
    let with_time = user.is_some_and(|u| is_closure_with_params(u, 2));
    let (check, invoke) = if with_time {
        (
            quote_spanned!(call.span=> check),
            quote_spanned!(call.span=> #f(#out.time(), #records)),
        )
    } else {
        (
            quote_spanned!(call.span=> check_batch_only),
            quote_spanned!(call.span=> #f(#records)),
        )
    };
    let result = finish(invoke, &out);
    let run = output_run(
        call,
        batch,
        quote_spanned!(call.span=> #rt::OutputResult::into_output_result(#result)),
    );
    with_checked_function(
        call,
        quote_spanned!(call.span=> #rt::outputs::#module::#check),
        user,
        run,
    )
}
