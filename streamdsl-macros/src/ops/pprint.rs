//! `pprint(num?)`: prints the first `num` (default 10) records of each batch, PySpark's
//! format.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, names};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "pprint",
    spark_name: "pprint",
    args: &[ArgSpec::optional("num", ArgKind::Value)],
    kind: Kind::Output(emit),
    doc: Doc {
        summary: "prints the first `num` records (10 by default) of each batch, as PySpark",
        example: "lines.pprint(5);",
    },
};

fn emit(call: &OpCall, batch: &TokenStream) -> TokenStream {
    let (rt, ctx, index) = (call.rt(), call.ctx(), call.output_index);
    let (out, records) = output_params(call);
    let num = match call.arg("num") {
        Some(n) => quote!(#n),
        None => quote!(10),
    };
    // Python's text where the record type has it, else `Debug`: picked by method resolution
    // on the concrete record type (a reference to the renderer first, then the renderer).
    quote_spanned!(call.span=>
        #ctx.output(#index, #batch, |#out, #records| {
            #[allow(unused_imports)] // one of the two is picked
            use #rt::outputs::pprint::{ViaDebug as _, ViaPySpark as _};
            let render = (&&#rt::outputs::pprint::renderer(#records)).render();
            #rt::outputs::pprint::run(#out, #records, #num, render).map_err(::core::convert::Into::into)
        });
    )
}

/// The parameters of an output's closure: its context and the batch.
pub fn output_params(call: &OpCall) -> (proc_macro2::Ident, proc_macro2::Ident) {
    (
        names::at(names::OUTPUT, call.span),
        names::at(names::OUTPUT_BATCH, call.span),
    )
}
