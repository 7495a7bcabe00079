//! `save_as_text_files(prefix, suffix?)`: each batch as a directory of text files
//! (`prefix-TIME_IN_MS[.suffix]/part-NNNNN`), written atomically.

use super::pprint::{output_params, output_run};
use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec};
use proc_macro2::TokenStream;
use quote::quote_spanned;

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "save_as_text_files",
    spark_name: "saveAsTextFiles",
    args: &[
        ArgSpec::required("prefix", ArgKind::Value),
        ArgSpec::optional("suffix", ArgKind::Value),
    ],
    kind: Kind::Output(emit),
    doc: Doc {
        summary: "each batch as a directory `prefix-TIME_IN_MS[.suffix]/part-NNNNN`, written atomically",
        example: "lines.save_as_text_files(\"/tmp/lines\", \"txt\");",
        feature: None,
    },
};

fn emit(call: &OpCall, batch: &TokenStream) -> TokenStream {
    let (rt, prefix) = (call.rt(), call.arg("prefix"));
    let (out, records) = output_params(call);
    let suffix = match call.arg("suffix") {
        Some(s) => {
            quote_spanned!(call.span=> ::core::option::Option::Some(::core::convert::AsRef::<str>::as_ref(&#s)))
        }
        None => quote_spanned!(call.span=> ::core::option::Option::None),
    };
    output_run(
        call,
        batch,
        quote_spanned!(call.span=>
            #rt::outputs::save_as_text_files::run(#out, #records, #prefix, #suffix)
                .map_err(::core::convert::Into::into)
        ),
    )
}
