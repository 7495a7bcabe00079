//! `pprint(num?, label?)`: prints the first `num` (default 10) records of each batch,
//! PySpark's format; `label = "…"` names the output (the printed text is unchanged), so that
//! the test harness tells several `pprint`s of one stream apart.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, names};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "pprint",
    spark_name: "pprint",
    args: &[
        ArgSpec::optional("num", ArgKind::Value),
        ArgSpec::optional("label", ArgKind::Label),
    ],
    kind: Kind::Output(emit),
    doc: Doc {
        summary: "prints the first `num` records (10 by default) of each batch, as PySpark; `label = \"…\"` names the output for tests",
        example: "lines.pprint(5);",
        feature: None,
    },
};

fn emit(call: &OpCall, batch: &TokenStream) -> TokenStream {
    let rt = call.rt();
    let (out, records) = output_params(call);
    let num = match call.arg("num") {
        Some(n) => quote!(#n),
        None => quote!(10),
    };
    // Python's text where the record type has it, else `Debug`: picked by method resolution
    // on the concrete record type (a reference to the renderer first, then the renderer).
    output_run(
        call,
        batch,
        quote_spanned!(call.span=>
            #[allow(unused_imports)] // one of the two is picked
            use #rt::outputs::pprint::{ViaDebug as _, ViaPySpark as _};
            let render = (&&#rt::outputs::pprint::renderer(#records)).render();
            #rt::outputs::pprint::run(#out, #records, #num, render).map_err(::core::convert::Into::into)
        ),
    )
}

/// An output with a user function: `check(&marker, user)` (a runtime function that fixes the
/// function's parameter types from the stream's record marker) bound once to `call.closure`,
/// before `run`, which calls it.
pub fn with_checked_function(
    call: &OpCall,
    check: TokenStream,
    user: impl quote::ToTokens,
    run: TokenStream,
) -> TokenStream {
    let (f, marker, checked) = (&call.closure, &call.marker, call.fresh("checked"));
    // `mut` is needed only for `FnMut` functions; the rebinding keeps the `allow` off the
    // user's function.
    quote_spanned!(call.span=>
        let #checked = #check(&#marker, #user);
        #[allow(unused_mut)]
        let mut #f = #checked;
        #run
    )
}

/// An output's run at each batch: `body`, a function of the output's context and its records
/// (named by [`output_params`]), returning the output's `Result`; the test harness captures
/// the batch.
pub fn output_run(call: &OpCall, batch: &TokenStream, body: TokenStream) -> TokenStream {
    let (ctx, index) = (call.ctx(), call.output_index);
    let (out, records) = output_params(call);
    let capture = data_capture(call, batch);
    quote_spanned!(call.span=>
        #ctx.output(#index, #batch, #capture, |#out, #records| { #body });
    )
}

/// How the test harness captures the batch as data: an encoder when the records are
/// `Serialize` (picked by method resolution on the concrete record type), else none.
fn data_capture(call: &OpCall, batch: &TokenStream) -> TokenStream {
    let rt = call.rt();
    quote_spanned!(call.span=> {
        #[allow(unused_imports)] // one of the two is picked
        use #rt::outputs::{CaptureData as _, CaptureText as _};
        (&&#rt::outputs::capturer(#batch)).encoder()
    })
}

/// The parameters of an output's closure: its context and the batch.
pub fn output_params(call: &OpCall) -> (proc_macro2::Ident, proc_macro2::Ident) {
    (
        names::at(names::OUTPUT, call.span),
        names::at(names::OUTPUT_BATCH, call.span),
    )
}
