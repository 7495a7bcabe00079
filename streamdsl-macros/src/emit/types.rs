//! The pipeline type: its struct, its state struct, `new`, the input binders and
//! initial-state builders, and its `Pipeline` impl with the description the runtime reads.

use super::{Runtime, names, state_struct_name};
use crate::model::{
    CheckedKind, CheckedPipeline, NodeId, PIPELINE_METHODS, borrowed_input, input_type_is_valid,
    is_str,
};
use crate::parse::Signature;
use proc_macro2::Span;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Type;

/// What the pipeline type's description holds besides its signature.
#[derive(Default)]
pub struct Info {
    pub batch_ms: u64,
    /// `(operation, stream label)` per output.
    /// Each output's operation, stream and label.
    pub outputs: Vec<(&'static str, String, Option<String>)>,
    pub checkpoint_ms: Option<u64>,
    pub fingerprint: Vec<String>,
    pub state: PipelineState,
}

/// The pipeline's stateful operators: the fields of its `…State` struct.
#[derive(Default)]
pub struct PipelineState {
    pub fields: Vec<StateField>,
}

pub struct StateField {
    pub node: NodeId,
    /// The `let` name, or `<operator>_<n>`.
    pub name: Ident,
    /// Its type relative to the runtime (`state::Window<T>`).
    pub ty: TokenStream,
    /// `name: operator`, for messages.
    pub description: String,
    /// Whether it has an initial-state builder method.
    pub initial_state: bool,
    /// Where errors about its state type point: the `let` annotation, else the operator.
    pub span: Span,
}

impl PipelineState {
    pub fn of(p: &CheckedPipeline) -> Self {
        let fields = (0..p.nodes.len())
            .filter_map(|id| {
                let node = &p.nodes[id];
                let CheckedKind::Op(op) = &node.kind else {
                    return None;
                };
                let stateful = op.spec.stateful()?;
                let name = match node.name {
                    Some(name) => name.clone(),
                    None => format_ident!("{}_{}", op.spec.name, id, span = node.span),
                };
                Some(StateField {
                    node: id,
                    description: format!("{name}: {}", op.spec.name),
                    name,
                    ty: op
                        .state_type
                        .clone()
                        .expect("stateful operators have a state type"),
                    initial_state: stateful.initial_state,
                    span: op
                        .annotation
                        .map_or(op.method_span, syn::spanned::Spanned::span),
                })
            })
            .collect();
        PipelineState { fields }
    }
}

/// The pipeline type, with `run_batch_body` as the body of its per-batch function.
pub fn pipeline_type(
    sig: &Signature,
    info: &Info,
    run_batch_body: TokenStream,
    krate: &syn::Path,
) -> TokenStream {
    let rt = Runtime::new(krate);
    let (full, alias) = (&rt.full, &rt.alias);
    let storage = storage_types(sig);
    let definitions = definitions(sig, info, &storage, &rt);
    let inherent = inherent_impl(sig, info, &storage, alias);
    let pipeline = pipeline_impl(sig, info, &storage, alias, run_batch_body);
    quote! {
        #definitions
        const _: () = {
            use #full as #alias;
            #inherent
            #pipeline
        };
    }
}

/// The record storage of each input, relative to the runtime where it is the runtime's:
/// `Text` for `&str`, the owned form of other borrowed types, else the type itself.
fn storage_types(sig: &Signature) -> Vec<Storage> {
    sig.inputs
        .iter()
        .map(|(_, ty)| match borrowed_input(ty) {
            // A rejected input type (already reported) becomes `()` in the stub.
            _ if !input_type_is_valid(ty) => Storage::User(quote!(())),
            // Text is lent from `Text` records: blocks of lines shared without a copy per line.
            Some(referent) if is_str(referent) => Storage::Runtime(quote!(Text)),
            Some(referent) => Storage::User(quote!(<#referent as ::std::borrow::ToOwned>::Owned)),
            None => Storage::User(quote!(#ty)),
        })
        .collect()
}

enum Storage {
    /// A type of the runtime's `__private` module.
    Runtime(TokenStream),
    User(TokenStream),
}

impl Storage {
    fn in_runtime(&self, runtime: &impl quote::ToTokens) -> TokenStream {
        match self {
            Storage::Runtime(ty) => quote!(#runtime::#ty),
            Storage::User(ty) => ty.clone(),
        }
    }
}

/// The input slots' tuple type.
fn slots(storage: &[Storage], runtime: &impl quote::ToTokens) -> TokenStream {
    let types = storage.iter().map(|s| s.in_runtime(runtime));
    quote!((#(#runtime::InputSlot<#types>,)*))
}

/// The pipeline struct and its state struct (outside the alias' scope: full paths).
fn definitions(sig: &Signature, info: &Info, storage: &[Storage], rt: &Runtime) -> TokenStream {
    let Signature {
        attrs, vis, name, ..
    } = sig;
    let full = &rt.full;
    let (param_names, param_types) = params(sig);
    let slots = slots(storage, full);
    let state_name = state_struct_name(name);
    let fields = &info.state.fields;
    let field_names = fields.iter().map(|f| &f.name);
    let field_types = fields.iter().map(|f| {
        let ty = &f.ty;
        quote!(#full::#ty)
    });
    let field_docs = fields
        .iter()
        .map(|f| format!("State of `{}`.", f.description));
    let input_names: Vec<String> = sig.inputs.iter().map(|(n, _)| format!("`{n}`")).collect();
    let summary = format!(
        "\n\nGenerated by `stream!`: batch interval {} ms; inputs: {}.",
        info.batch_ms,
        if input_names.is_empty() {
            "none".to_owned()
        } else {
            input_names.join(", ")
        }
    );
    let state_doc = format!("The state of pipeline `{name}`: one field per stateful operator.");
    let binding = binding_params(sig);
    quote! {
        #(#attrs)*
        #[doc = #summary]
        #vis struct #name<#(#binding = #full::Bound),*> {
            #(#param_names: #param_types,)*
            __streamdsl_inputs: #slots,
            __streamdsl_state: #state_name,
            /// Which inputs are bound: `Bound` or `Unbound` each, in input order.
            __streamdsl_bound: ::core::marker::PhantomData<fn() -> (#(#binding,)*)>,
        }

        #[doc = #state_doc]
        #[derive(Default)]
        #vis struct #state_name {
            #(#[doc = #field_docs] pub #field_names: #field_types,)*
        }
    }
}

/// The pipeline type's parameters, one per input: `Bound` or `Unbound` (see
/// `Pipeline`, implemented only when every one is `Bound`).
fn binding_params(sig: &Signature) -> Vec<Ident> {
    (0..sig.inputs.len())
        .map(|i| format_ident!("__Input{i}"))
        .collect()
}

fn params<'a>(sig: &Signature<'a>) -> (Vec<&'a Ident>, Vec<&'a Type>) {
    sig.params.iter().map(|p| (&p.name, &p.ty)).unzip()
}

/// `new`, `state`, the input binders and the initial-state builders.
fn inherent_impl(sig: &Signature, info: &Info, storage: &[Storage], rt: &Ident) -> TokenStream {
    let Signature { vis, name, .. } = sig;
    let (param_names, param_types) = params(sig);
    let name_str = name.to_string();
    let input_names: Vec<String> = sig.inputs.iter().map(|(n, _)| n.to_string()).collect();
    let slots = slots(storage, rt);
    let binding = binding_params(sig);
    let binders = sig.inputs.iter().zip(storage).enumerate().filter_map(
        |(i, ((input, ty), storage))| {
            // An input named like a method is an error already; the method stays.
            if PIPELINE_METHODS.contains(&input.to_string().as_str()) {
                return None;
            }
            let index = syn::Index::from(i);
            let storage = storage.in_runtime(rt);
            let doc = format!(
                "Binds input `{input}` (records: `{}`) to a source, e.g. `queue_stream(batches)`.",
                quote!(#ty).to_string().replace(' ', "")
            );
            let after = binding
                .iter()
                .enumerate()
                .map(|(k, p)| if k == i { quote!(#rt::Bound) } else { quote!(#p) });
            Some(quote! {
                #[doc = #doc]
                #vis fn #input(self, source: impl #rt::InputStream<#storage>) -> #name<#(#after),*> {
                    let mut inputs = self.__streamdsl_inputs;
                    inputs.#index.bind(source);
                    #name {
                        #(#param_names: self.#param_names,)*
                        __streamdsl_inputs: inputs,
                        __streamdsl_state: self.__streamdsl_state,
                        __streamdsl_bound: ::core::marker::PhantomData,
                    }
                }
            })
        },
    );
    let initial_builders = info.state.fields.iter().filter(|f| f.initial_state).map(|f| {
        let (field, ty) = (&f.name, &f.ty);
        let method = format_ident!("initial_{}", f.name);
        let doc = format!("Sets the state of `{field}` before the first batch, as `(key, state)` pairs (Spark's `initialRDD`).");
        quote! {
            #[doc = #doc]
            #vis fn #method(
                mut self,
                initial: impl ::core::iter::IntoIterator<Item = <#rt::#ty as #rt::state::InitialState>::Item>,
            ) -> Self {
                #rt::state::InitialState::set_initial(&mut self.__streamdsl_state.#field, initial);
                self
            }
        }
    });
    let state_name = state_struct_name(name);
    let new_doc = format!("Creates pipeline `{name}`. Bind its inputs before starting it.");
    let unbound = binding.iter().map(|_| quote!(#rt::Unbound));
    quote! {
        impl #name<#(#unbound),*> {
            #[doc = #new_doc]
            #[allow(clippy::new_without_default)]
            #vis fn new(#(#param_names: #param_types),*) -> Self {
                #name {
                    #(#param_names,)*
                    __streamdsl_inputs: Self::__streamdsl_unbound(),
                    __streamdsl_state: ::core::default::Default::default(),
                    __streamdsl_bound: ::core::marker::PhantomData,
                }
            }
        }

        impl<#(#binding),*> #name<#(#binding),*> {

            /// The pipeline's state (its stateful operators'), as set before the first batch.
            #vis fn state(&self) -> &#state_name {
                &self.__streamdsl_state
            }

            fn __streamdsl_unbound() -> #slots {
                (#(#rt::InputSlot::new(#name_str, #input_names),)*)
            }

            #(#binders)*
            #(#initial_builders)*
        }
    }
}

/// The `Pipeline` impl: description, inputs, the per-batch function, state save and restore.
fn pipeline_impl(
    sig: &Signature,
    info: &Info,
    storage: &[Storage],
    rt: &Ident,
    run_batch_body: TokenStream,
) -> TokenStream {
    let name = sig.name;
    let name_str = name.to_string();
    let input_names = sig.inputs.iter().map(|(n, _)| n.to_string());
    let slots = slots(storage, rt);
    let batch_ms = info.batch_ms;
    let outputs = info.outputs.iter().map(|(operation, stream, label)| {
        let label = match label {
            Some(label) => quote!(::core::option::Option::Some(#label)),
            None => quote!(::core::option::Option::None),
        };
        quote!(#rt::OutputInfo { operation: #operation, stream: #stream, label: #label })
    });
    let stateful = info.state.fields.iter().map(|f| &f.description);
    let fingerprint = &info.fingerprint;
    let checkpoint_interval = match info.checkpoint_ms {
        Some(ms) => quote!(::core::option::Option::Some(#rt::Duration::from_millis(#ms))),
        None => quote!(::core::option::Option::None),
    };
    let (save, restore) = save_and_restore(info, rt);
    let binding = binding_params(sig);
    let state_fields: Vec<_> = info.state.fields.iter().map(|f| &f.name).collect();
    let state_names = state_fields.iter().map(|name| name.to_string());
    let ctx = names::at(names::CONTEXT, proc_macro2::Span::call_site());
    quote! {
        impl #rt::InputsBound for #name {}

        impl<#(#binding: 'static),*> #rt::Pipeline for #name<#(#binding),*> {
            type Inputs = #slots;

            fn info(&self) -> &'static #rt::PipelineInfo {
                static INFO: #rt::PipelineInfo = #rt::PipelineInfo {
                    name: #name_str,
                    batch_interval: #rt::Duration::from_millis(#batch_ms),
                    inputs: &[#(#input_names),*],
                    outputs: &[#(#outputs),*],
                    checkpoint_interval: #checkpoint_interval,
                    stateful: &[#(#stateful),*],
                    fingerprint: &[#(#fingerprint),*],
                };
                &INFO
            }

            fn take_inputs(&mut self) -> Self::Inputs {
                ::core::mem::replace(&mut self.__streamdsl_inputs, Self::__streamdsl_unbound())
            }

            fn run_batch(
                &mut self,
                #ctx: &mut #rt::BatchContext<'_>,
                __batches: <Self::Inputs as #rt::InputSet>::Batches,
            ) {
                #run_batch_body
            }

            #save
            #restore

            fn state_entries(&self) -> ::std::vec::Vec<(&'static str, usize)> {
                ::std::vec![#((#state_names, #rt::state::Entries::entries(&self.__streamdsl_state.#state_fields))),*]
            }
        }
    }
}

/// `save_state` and `restore_state`: each operator's state through postcard, by name (so
/// that a state that no longer decodes is named, and a changed per-key state type can be
/// converted from its previous version), or nothing without `checkpoint` (the driver never
/// asks then).
fn save_and_restore(info: &Info, rt: &Ident) -> (TokenStream, TokenStream) {
    let result = quote!(::core::result::Result);
    let fields: Vec<_> = info.state.fields.iter().map(|f| &f.name).collect();
    let names: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    let operators = info.state.fields.iter().map(|f| &f.description);
    // Spanned at the state type as the user wrote it: a type without serde is named there.
    let saves = info.state.fields.iter().map(|f| {
        let (field, name) = (&f.name, f.name.to_string());
        quote_spanned!(f.span=> #rt::state::save(#name, &self.__streamdsl_state.#field))
    });
    let restores = info.state.fields.iter().map(|f| {
        let ty = &f.ty;
        quote_spanned!(f.span=> (&&#rt::state::restorer::<#rt::#ty>()).restore(bytes))
    });
    let (save, restore) = match info.checkpoint_ms {
        Some(_) => (
            quote! {
                #rt::state::SavedStates::save(::std::vec![
                    #(#saves?),*
                ])
            },
            quote! {
                let saved = #rt::state::SavedStates::read(bytes)?;
                #(
                    self.__streamdsl_state.#fields = {
                        #[allow(unused_imports)] // one of the two is picked
                        use #rt::state::{ViaMigration as _, ViaType as _};
                        let bytes = saved.bytes(#names, #operators)?;
                        #restores.map_err(|source| #rt::state::StateError::Changed { operator: #operators, source })?
                    };
                )*
                #result::Ok(())
            },
        ),
        None => (
            quote!(#result::Ok(::std::vec::Vec::new())),
            quote!(let _ = bytes; #result::Ok(())),
        ),
    };
    (
        quote! {
            fn save_state(&self) -> #result<::std::vec::Vec<u8>, #rt::postcard::Error> {
                #save
            }
        },
        quote! {
            fn restore_state(&mut self, bytes: &[u8]) -> #result<(), #rt::state::StateError> {
                #restore
            }
        },
    )
}
