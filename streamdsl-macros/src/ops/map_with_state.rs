//! `map_with_state(f[, timeout])`: `f(&key, Some(value), &mut state)` per record, its results
//! the stream; with a timeout, idle keys get a last call `f(&key, None, &mut state)`. A
//! function of four parameters also gets the batch time first, as Spark's
//! `StateSpec.function((time, key, value, state) => …)`: `f(time, &key, value, &mut state)`.

use super::{ArgKind, ArgSpec, Doc, Kind, OpCall, OperatorSpec, StageCode, StateTypeInputs, Stateful};
use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};
use syn::{Expr, GenericArgument, Pat, PathArguments, Type};

pub const SPEC: OperatorSpec = OperatorSpec {
    name: "map_with_state",
    spark_name: "mapWithState",
    args: &[
        ArgSpec::required("function", ArgKind::Function),
        ArgSpec::optional("timeout", ArgKind::Duration),
    ],
    kind: Kind::Stateful(Stateful::new(state_type, codegen).with_initial_state()),
    doc: Doc {
        summary: "`(K, V)` → `function`'s results",
        example: "let seen = words.map_with_state(|word: &String, n: Option<u64>, state: &mut State<u64>| { state.update(state.get().copied().unwrap_or(0) + n.unwrap_or(0)); word.clone() }); seen.pprint();",
        feature: None,
    },
};

const HINT: &str = "`map_with_state` keeps a state per key, so its function must name the key and \
                    state types: `|key: &K, value: Option<V>, state: &mut State<S>| …` (or with the \
                    batch time first: `|time: Time, key: &K, value: Option<V>, state: &mut State<S>| …`)";

/// Whether the function takes the batch time first (four parameters).
fn takes_time(function: Option<&Expr>) -> bool {
    matches!(function, Some(Expr::Closure(c)) if c.inputs.len() == 4)
}

/// `MapWithState<K, S>` from the function's parameter types `&K` and `&mut State<S>`.
fn state_type(inputs: &StateTypeInputs) -> Result<TokenStream, String> {
    let Some(Expr::Closure(closure)) = inputs.args.get("function").map(|a| a.expr) else {
        return Err(HINT.into());
    };
    let first = usize::from(takes_time(inputs.args.get("function").map(|a| a.expr)));
    let typed = |i: usize| match closure.inputs.get(first + i) {
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
    Ok(quote!(state::MapWithState<#key, #s>))
}

fn codegen(call: &OpCall, markers: &[Ident]) -> StageCode {
    let (rt, ctx, state, sink) = (call.rt(), call.ctx(), &call.state, &call.sinks[0]);
    let (marker, user_f, out) = (&markers[0], call.arg("function"), call.fresh("out"));
    let timeout = match call.millis("timeout") {
        Some(ms) => quote!(::core::option::Option::Some(#ms)),
        None => quote!(::core::option::Option::None),
    };
    StageCode {
        sinks: quote_spanned!(call.span=> let mut #sink = #rt::ops::group_by_key::sink(&#marker, 1);),
        ingest: if takes_time(user_f) {
            let f = call.fresh("f");
            quote_spanned!(call.span=>
                let #f = &(#user_f);
                let #out = {
                    let time = #ctx.time();
                    #state.apply(#ctx.workers(), time, #sink, &(move |key, value, state| #f(time, key, value, state)), #timeout)
                };
            )
        } else {
            quote_spanned!(call.span=>
                let #out = #state.apply(#ctx.workers(), #ctx.time(), #sink, &(#user_f), #timeout);
            )
        },
        batch: quote!(#out),
    }
}
