//! `map_with_state(f[, timeout])`: `f(&key, Some(value), &mut state)` per record, its results
//! the stream; with a timeout, idle keys get a last call `f(&key, None, &mut state)`.

use super::{ArgKind, ArgSpec, Codegen, OpCall, OperatorSpec, Slide, StateTypeInputs, Stateful};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote_spanned};
use syn::{Expr, GenericArgument, Pat, PathArguments, Type};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "map_with_state",
    spark_name: "mapWithState",
    args: &[
        ArgSpec::required("function", ArgKind::Function),
        ArgSpec::optional("timeout", ArgKind::Duration),
    ],
    slide: Slide::Inherit,
    codegen: Codegen::Stateful(Stateful {
        state_type,
        needs_checkpoint: |_| true,
        sinks,
        ingest,
        emit,
        initial: true,
        checks_annotation: false,
    }),
};

const HINT: &str = "`map_with_state` keeps a state per key, so its function must name the key and \
                    state types: `|key: &K, value: Option<V>, state: &mut State<S>| …`";

/// `MapWithState<K, S>` from the function's parameter types `&K` and `&mut State<S>`.
fn state_type(inputs: &StateTypeInputs) -> Result<TokenStream, String> {
    let Some(Some(Expr::Closure(closure))) = inputs.values.first() else {
        return Err(HINT.into());
    };
    let typed = |i: usize| match closure.inputs.get(i) {
        Some(Pat::Type(t)) => match &*t.ty {
            Type::Reference(r) => Some(&*r.elem),
            _ => None,
        },
        _ => None,
    };
    let (Some(key), Some(state)) = (typed(0), typed(2)) else {
        return Err(HINT.into());
    };
    let Type::Path(path) = state else {
        return Err(HINT.into());
    };
    let Some(last) = path.path.segments.last().filter(|s| s.ident == "State") else {
        return Err(HINT.into());
    };
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return Err(HINT.into());
    };
    let Some(GenericArgument::Type(s)) = args.args.first() else {
        return Err(HINT.into());
    };
    Ok(quote::quote!(::streamdsl::__private::state::MapWithState<#key, #s>))
}

fn sinks(call: &OpCall, markers: &[Ident]) -> TokenStream {
    let (sink, marker) = (&call.sinks[0], &markers[0]);
    quote_spanned!(call.span=> let mut #sink = ::streamdsl::__private::ops::pairs::sink(&#marker);)
}

fn ingest(call: &OpCall) -> TokenStream {
    let (state, ctx, sink, user_f) = (&call.state, &call.ctx, &call.sinks[0], call.value(0));
    let out = format_ident!("{}_out", call.closure);
    let timeout = match call.millis(1) {
        Some(ms) => quote::quote!(::core::option::Option::Some(#ms)),
        None => quote::quote!(::core::option::Option::None),
    };
    quote_spanned!(call.span=>
        let mut #out = ::std::vec::Vec::new();
        #state.apply(#ctx.time(), ::streamdsl::__private::ops::pairs::finish(#sink), &mut (#user_f), #timeout, &mut #out);
    )
}

fn emit(call: &OpCall) -> TokenStream {
    let out = format_ident!("{}_out", call.closure);
    quote_spanned!(call.span=> ::streamdsl::__private::Batch::from(#out))
}
