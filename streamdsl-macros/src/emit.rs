//! Layer 5, emit: the pipeline type, its state struct, its input and initial-state builders,
//! its description, and its per-batch function with every fused chain inlined as one loop.
//!
//! Each stage becomes `let __sN = …;`: a `Batch` for a stream with a batch every interval, an
//! `Option<Batch>` for a stream with a longer slide (a window), `None` at the times it has no
//! batch. A stateful stage gathers its parent's batch whenever the parent has one and emits at
//! its own slide.

use crate::graph::{Graph, NodeId, NodeKind};
use crate::ops::{Codegen, OpCall, StateTypeInputs};
use crate::parse::{PipelineDecl, Statement};
use crate::plan::{Plan, Port, Read, Stage, borrowed_input};
use crate::validate::input_type_is_valid;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Type;

/// Names of generated variables, spanned by the user's token they stand for, so that errors
/// about them point there (rustc reports errors about names spanned inside the expansion on
/// the whole macro call). They resolve like the user's own names; the `__` prefix is
/// reserved for them.
fn var(prefix: &str, id: usize, at: Span) -> Ident {
    format_ident!("__{}{}", prefix, id, span = at)
}
/// The same variable, spanned by another token (its use rather than its definition).
fn at(ident: &Ident, span: Span) -> Ident {
    let mut relocated = ident.clone();
    relocated.set_span(span);
    relocated
}
fn batch_var(g: &Graph, id: NodeId) -> Ident {
    var("s", id, g.nodes[id].span())
}
fn marker_var(g: &Graph, id: NodeId) -> Ident {
    var("m", id, g.nodes[id].span())
}
/// The variable holding a stateful operator's state while a batch runs.
fn state_var(g: &Graph, id: NodeId) -> Ident {
    var("st", id, g.nodes[id].span())
}
fn ctx_var() -> Ident {
    Ident::new("__ctx", Span::call_site())
}
fn state_struct_name(decl: &PipelineDecl) -> Ident {
    format_ident!("{}State", decl.name)
}

/// Whether node `id`'s stream has a batch only at some times.
fn optional(g: &Graph, id: NodeId) -> bool {
    g.nodes[id].slide_ms != g.batch_ms.unwrap_or(1000)
}

/// The full pipeline.
pub fn emit(g: &Graph, plan: &Plan) -> TokenStream {
    let params: Vec<&Ident> = g.decl.params.iter().map(|p| &p.name).collect();
    let state = PipelineState::of(g);
    let state_name = state_struct_name(g.decl);
    let (fields, vars): (Vec<&Ident>, Vec<Ident>) = state
        .fields
        .iter()
        .map(|f| (&f.name, state_var(g, f.node)))
        .unzip();
    let bind_self = quote! {
        let Self { #(ref #params,)* ref mut __streamdsl_state, .. } = *self;
        let #state_name { #(#fields: ref mut #vars,)* } = *__streamdsl_state;
    };
    let inputs: Vec<NodeId> = (0..g.nodes.len())
        .filter(|&id| matches!(g.nodes[id].kind, NodeKind::Input { .. }))
        .collect();
    let input_batches = inputs.iter().map(|&id| batch_var(g, id));
    let input_markers = inputs.iter().map(|&id| {
        let (m, NodeKind::Input { ty }) = (marker_var(g, id), &g.nodes[id].kind) else {
            unreachable!()
        };
        let proof = shared_proof(g, plan, id);
        quote!(let #m = ::streamdsl::__private::Marker::<#ty>::new(); #proof)
    });
    let stages = plan.stages.iter().map(|s| {
        let code = stage(g, s);
        let proof = shared_proof(g, plan, s.node);
        quote!(#code #proof)
    });
    let outputs = outputs(g);
    let body = quote! {
        #bind_self
        let (#(#input_batches,)*) = __batches;
        #(#input_markers)*
        #(#stages)*
        #outputs
    };
    let batch_ms = g.batch_ms.unwrap_or(1000);
    let info = Info {
        batch_ms,
        outputs: g
            .outputs
            .iter()
            .map(|o| (o.spec.name, g.nodes[o.node].label.clone()))
            .collect(),
        // Spark's default: the first multiple of the interval that is at least 10 s.
        checkpoint_ms: g.checkpoint.as_ref().map(|c| {
            c.every_ms
                .unwrap_or(batch_ms * 10_000u64.div_ceil(batch_ms))
        }),
        fingerprint: fingerprint(g, &state),
        state,
    };
    pipeline_type(g.decl, info, body)
}

/// The pipeline type alone, with a per-batch function that does nothing: emitted next to
/// compile errors so that code using the pipeline still type-checks and only real errors show.
pub fn stub(decl: &PipelineDecl) -> TokenStream {
    let ctx = ctx_var();
    let info = Info {
        batch_ms: 1000,
        outputs: Vec::new(),
        checkpoint_ms: None,
        fingerprint: Vec::new(),
        state: PipelineState::default(),
    };
    pipeline_type(decl, info, quote!(let _ = (#ctx, __batches);))
}

/// What the pipeline type's description holds besides the declaration itself.
struct Info {
    batch_ms: u64,
    outputs: Vec<(&'static str, String)>,
    checkpoint_ms: Option<u64>,
    fingerprint: Vec<String>,
    state: PipelineState,
}

/// The pipeline's stateful operators: the fields of its `…State` struct.
#[derive(Default)]
struct PipelineState {
    fields: Vec<StateField>,
}

struct StateField {
    node: NodeId,
    /// The `let` name, or `<operator>_<n>`.
    name: Ident,
    ty: TokenStream,
    /// `name: operator`, for messages.
    description: String,
    /// Whether it has an initial-state builder method.
    initial: bool,
}

impl PipelineState {
    fn of(g: &Graph) -> Self {
        let fields = (0..g.nodes.len())
            .filter_map(|id| {
                let node = &g.nodes[id];
                let spec = node.spec()?;
                let stateful = spec.stateful()?;
                let inputs = StateTypeInputs {
                    annotation: node.annotation,
                    values: &node.values,
                };
                let ty = (stateful.state_type)(&inputs).ok()?;
                let name = match node.name {
                    Some(name) => name.clone(),
                    None => format_ident!("{}_{}", spec.name, id, span = node.span()),
                };
                let description = format!("{name}: {}", spec.name);
                Some(StateField {
                    node: id,
                    name,
                    ty,
                    description,
                    initial: stateful.initial,
                })
            })
            .collect();
        PipelineState { fields }
    }
}

/// What a checkpoint must match: inputs, operators (with windows and state types), outputs.
fn fingerprint(g: &Graph, state: &PipelineState) -> Vec<String> {
    let squash = |t: TokenStream| {
        t.to_string()
            .replace(' ', "")
            .replace("::streamdsl::__private::state::", "")
    };
    let mut lines = vec![format!("batch {} ms", g.batch_ms.unwrap_or(1000))];
    for (id, node) in g.nodes.iter().enumerate() {
        lines.push(match &node.kind {
            NodeKind::Input { ty } => format!("input {}: {}", node.label, squash(quote!(#ty))),
            NodeKind::Op { spec, .. } => {
                let inputs: Vec<&str> = node
                    .inputs
                    .iter()
                    .map(|&i| g.nodes[i].label.as_str())
                    .collect();
                let durations: Vec<String> = node
                    .millis
                    .iter()
                    .flatten()
                    .map(|ms| format!("{ms} ms"))
                    .collect();
                let state = state.fields.iter().find(|f| f.node == id).map(|f| {
                    let ty = &f.ty;
                    format!(", state {}", squash(quote!(#ty)))
                });
                format!(
                    "{} = {}({}) of {}, slide {} ms{}",
                    node.label,
                    spec.name,
                    durations.join(", "),
                    inputs.join(", "),
                    node.slide_ms,
                    state.unwrap_or_default()
                )
            }
        });
    }
    for o in &g.outputs {
        lines.push(format!(
            "output {} of {}",
            o.spec.name, g.nodes[o.node].label
        ));
    }
    lines
}

fn pipeline_type(decl: &PipelineDecl, info: Info, run_batch_body: TokenStream) -> TokenStream {
    let Info {
        batch_ms,
        outputs,
        checkpoint_ms,
        fingerprint,
        state,
    } = info;
    let PipelineDecl {
        attrs,
        vis,
        name,
        params,
        ..
    } = decl;
    let name_str = name.to_string();
    let ctx = ctx_var();
    let (param_names, param_types): (Vec<_>, Vec<_>) =
        params.iter().map(|p| (&p.name, &p.ty)).unzip();
    let inputs: Vec<(&Ident, &Type)> = decl
        .statements
        .iter()
        .filter_map(|s| match s {
            Statement::Input { name, ty } => Some((name, ty)),
            _ => None,
        })
        .collect();
    let storage: Vec<TokenStream> = inputs
        .iter()
        .map(|(_, ty)| match borrowed_input(ty) {
            // A rejected input type (already reported) becomes `()` in the stub.
            _ if !input_type_is_valid(ty) => quote!(()),
            // Text is lent from `Text` records: blocks of lines shared without a copy per line.
            Some(referent) if is_str(referent) => quote!(::streamdsl::__private::Text),
            Some(referent) => quote!(<#referent as ::std::borrow::ToOwned>::Owned),
            None => quote!(#ty),
        })
        .collect();
    let input_names: Vec<String> = inputs.iter().map(|(n, _)| n.to_string()).collect();
    let binders = inputs.iter().zip(&storage).enumerate().map(|(i, ((input, ty), storage))| {
        let index = syn::Index::from(i);
        let doc = format!(
            "Binds input `{input}` (records: `{}`) to a source, e.g. `queue_stream(batches)`.",
            quote!(#ty).to_string().replace(' ', "")
        );
        quote! {
            #[doc = #doc]
            #vis fn #input(mut self, source: impl ::streamdsl::__private::InputStream<#storage>) -> Self {
                self.__streamdsl_inputs.#index.bind(source);
                self
            }
        }
    });
    let state_name = state_struct_name(decl);
    let initial_builders = state.fields.iter().filter(|f| f.initial).map(|f| {
        let (field, ty) = (&f.name, &f.ty);
        let method = format_ident!("initial_{}", f.name);
        let doc = format!("Sets the state of `{field}` before the first batch, as `(key, state)` pairs (Spark's `initialRDD`).");
        quote! {
            #[doc = #doc]
            #vis fn #method(
                mut self,
                initial: impl ::core::iter::IntoIterator<Item = <#ty as ::streamdsl::__private::state::InitialState>::Item>,
            ) -> Self {
                ::streamdsl::__private::state::InitialState::set_initial(&mut self.__streamdsl_state.#field, initial);
                self
            }
        }
    });
    let (field_names, field_types): (Vec<&Ident>, Vec<&TokenStream>) =
        state.fields.iter().map(|f| (&f.name, &f.ty)).unzip();
    let field_docs = state
        .fields
        .iter()
        .map(|f| format!("State of `{}`.", f.description));
    let stateful: Vec<&str> = state
        .fields
        .iter()
        .map(|f| f.description.as_str())
        .collect();
    let serde = checkpoint_ms.map(|_| {
        quote! {
            #[derive(::streamdsl::__private::serde::Serialize, ::streamdsl::__private::serde::Deserialize)]
            #[serde(crate = "::streamdsl::__private::serde")]
        }
    });
    let (save, restore) = match checkpoint_ms {
        Some(_) => (
            quote!(::streamdsl::__private::postcard::to_stdvec(
                &self.__streamdsl_state
            )),
            quote! {
                self.__streamdsl_state = ::streamdsl::__private::postcard::from_bytes(bytes)?;
                ::core::result::Result::Ok(())
            },
        ),
        // Without `checkpoint` nothing is saved (the driver never asks).
        None => (
            quote!(::core::result::Result::Ok(::std::vec::Vec::new())),
            quote!(let _ = bytes; ::core::result::Result::Ok(())),
        ),
    };
    let checkpoint_interval = match checkpoint_ms {
        Some(ms) => {
            quote!(::core::option::Option::Some(::streamdsl::__private::Duration::from_millis(#ms)))
        }
        None => quote!(::core::option::Option::None),
    };
    let (output_ops, output_streams): (Vec<_>, Vec<_>) = outputs.into_iter().unzip();
    let summary = format!(
        "\n\nGenerated by `stream!`: batch interval {batch_ms} ms; inputs: {}.",
        if input_names.is_empty() {
            "none".to_owned()
        } else {
            input_names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let new_doc = format!("Creates pipeline `{name}`. Bind its inputs before starting it.");
    let state_doc = format!("The state of pipeline `{name}`: one field per stateful operator.");
    quote! {
        #(#attrs)*
        #[doc = #summary]
        #vis struct #name {
            #(#param_names: #param_types,)*
            __streamdsl_inputs: (#(::streamdsl::__private::InputSlot<#storage>,)*),
            __streamdsl_state: #state_name,
        }

        #[doc = #state_doc]
        #[derive(Default)]
        #serde
        #vis struct #state_name {
            #(#[doc = #field_docs] pub #field_names: #field_types,)*
        }

        impl #name {
            #[doc = #new_doc]
            #[allow(clippy::new_without_default)]
            #vis fn new(#(#param_names: #param_types),*) -> Self {
                #name {
                    #(#param_names,)*
                    __streamdsl_inputs: Self::__streamdsl_unbound(),
                    __streamdsl_state: ::core::default::Default::default(),
                }
            }

            /// The pipeline's state (its stateful operators'), as set before the first batch.
            #vis fn state(&self) -> &#state_name {
                &self.__streamdsl_state
            }

            fn __streamdsl_unbound() -> (#(::streamdsl::__private::InputSlot<#storage>,)*) {
                (#(::streamdsl::__private::InputSlot::new(#name_str, #input_names),)*)
            }

            #(#binders)*
            #(#initial_builders)*
        }

        impl ::streamdsl::__private::Pipeline for #name {
            type Inputs = (#(::streamdsl::__private::InputSlot<#storage>,)*);

            fn info(&self) -> &'static ::streamdsl::__private::PipelineInfo {
                static INFO: ::streamdsl::__private::PipelineInfo = ::streamdsl::__private::PipelineInfo {
                    name: #name_str,
                    batch_interval: ::streamdsl::__private::Duration::from_millis(#batch_ms),
                    inputs: &[#(#input_names),*],
                    outputs: &[#(::streamdsl::__private::OutputInfo { operation: #output_ops, stream: #output_streams }),*],
                    checkpoint_interval: #checkpoint_interval,
                    stateful: &[#(#stateful),*],
                    fingerprint: &[#(#fingerprint),*],
                };
                &INFO
            }

            fn take_inputs(&mut self) -> Self::Inputs {
                ::core::mem::replace(&mut self.__streamdsl_inputs, Self::__streamdsl_unbound())
            }

            #[allow(unused_variables, unused_mut, clippy::all)]
            fn run_batch(
                &mut self,
                #ctx: &mut ::streamdsl::__private::BatchContext<'_>,
                __batches: <Self::Inputs as ::streamdsl::__private::InputSet>::Batches,
            ) {
                #run_batch_body
            }

            fn save_state(&self) -> ::core::result::Result<::std::vec::Vec<u8>, ::streamdsl::__private::postcard::Error> {
                #save
            }

            fn restore_state(&mut self, bytes: &[u8]) -> ::core::result::Result<(), ::streamdsl::__private::postcard::Error> {
                #restore
            }
        }
    }
}

/// How code generation sees the operator of node `id`.
fn op_call<'a>(g: &'a Graph, id: NodeId) -> OpCall<'a> {
    let node = &g.nodes[id];
    let NodeKind::Op { call, spec } = &node.kind else {
        unreachable!("stages are operators")
    };
    let span = call.method.span();
    // `state_snapshots` reads its input's state.
    let state_owner = match spec.codegen {
        Codegen::Snapshot(_) => node.inputs.first().copied().unwrap_or(id),
        _ => id,
    };
    OpCall {
        span,
        port_spans: std::iter::once(span)
            .chain(node.input_spans.iter().copied())
            .collect(),
        values: node.values.clone(),
        millis: node.millis.clone(),
        state: at(&state_var(g, state_owner), span),
        annotation: node.annotation,
        closure: var("f", id, span),
        marker: var("m", id, span),
        sinks: (0..node.inputs.len())
            .map(|port| format_ident!("__a{}_{}", id, port, span = span))
            .collect(),
        ctx: at(&ctx_var(), span),
        output_index: 0,
    }
}

fn per_record(g: &Graph, id: NodeId) -> &'static crate::ops::PerRecord {
    match &g.nodes[id].spec().expect("chains hold operators").codegen {
        Codegen::PerRecord(p) => p,
        _ => unreachable!("chains hold record-by-record operators"),
    }
}

/// One stage: closures checked, sinks made, one loop per port, the batch made, all at the
/// times the stream (or, for a stateful operator, its parent) has a batch.
fn stage(g: &Graph, stage: &Stage) -> TokenStream {
    let id = stage.node;
    let node = &g.nodes[id];
    let spec = node.spec().expect("stages are operators");
    let call = op_call(g, id);
    let mut setup = TokenStream::new();
    let mut port_markers = Vec::new();
    for (port, port_span) in stage.ports.iter().zip(&call.port_spans) {
        let mut input = marker_var(g, port.source);
        for &c in &port.chain {
            let chain_call = op_call(g, c);
            setup.extend((per_record(g, c).setup)(
                &chain_call,
                &at(&input, chain_call.span),
            ));
            input = chain_call.marker;
        }
        port_markers.push(at(&input, *port_span));
    }
    let loops: TokenStream = stage
        .ports
        .iter()
        .zip(&call.sinks)
        .zip(&call.port_spans)
        .map(|((port, sink), span)| port_loop(g, port, sink, *span))
        .collect();
    let ctx = &call.ctx;
    let own_ms = node.slide_ms as i64;
    let wrap = |batch: TokenStream| {
        if optional(g, id) {
            quote!(::core::option::Option::Some(#batch))
        } else {
            batch
        }
    };
    let guarded = |slide_ms: i64, inner: TokenStream| {
        if slide_ms == g.batch_ms.unwrap_or(1000) as i64 {
            inner
        } else {
            quote!(if #ctx.is_valid(#slide_ms) { #inner } else { ::core::option::Option::None })
        }
    };
    let value = match &spec.codegen {
        Codegen::Stateful(s) => {
            let parent_ms = node
                .inputs
                .first()
                .map_or(own_ms, |&p| g.nodes[p].slide_ms as i64);
            let (sinks, ingest, emit) = (
                (s.sinks)(&call, &port_markers),
                (s.ingest)(&call),
                (s.emit)(&call),
            );
            let emitted = if own_ms == parent_ms {
                wrap(emit)
            } else {
                quote!(if #ctx.is_valid(#own_ms) { ::core::option::Option::Some(#emit) } else { ::core::option::Option::None })
            };
            guarded(parent_ms, quote!({ #setup #sinks #loops #ingest #emitted }))
        }
        Codegen::Breaker(b) => {
            let (sinks, finish) = ((b.sinks)(&call, &port_markers), wrap((b.finish)(&call)));
            guarded(own_ms, quote!({ #setup #sinks #loops #finish }))
        }
        Codegen::Snapshot(emit) => guarded(own_ms, wrap(emit(&call, &call.state))),
        Codegen::PerRecord(_) => {
            let sink = &call.sinks[0];
            let finish = wrap(quote_spanned!(call.span=> #sink.finish()));
            guarded(
                own_ms,
                quote!({ #setup let mut #sink = ::streamdsl::__private::BatchBuilder::new(); #loops #finish }),
            )
        }
        Codegen::Output(_) => unreachable!("outputs are not stages"),
    };
    let (batch, marker) = (batch_var(g, id), marker_var(g, id));
    let of = if optional(g, id) {
        quote!(of_optional)
    } else {
        quote!(of_batch)
    };
    let checked = spec.stateful().is_some_and(|s| s.checks_annotation);
    let annotation = node.annotation.filter(|_| !checked).map(|ty| {
        let span = syn::spanned::Spanned::span(ty);
        let marker = at(&marker, span);
        quote_spanned!(span=> ::streamdsl::__private::annotated::<#ty, _>(&#marker);)
    });
    quote! {
        let #batch = #value;
        let #marker = ::streamdsl::__private::Marker::#of(&#batch);
        #annotation
    }
}

/// The loop of one port: every record of the source through the fused chain into `sink`.
/// Its tokens carry `span`, the user's token for this port.
fn port_loop(g: &Graph, port: &Port, sink: &Ident, span: Span) -> TokenStream {
    let sink = at(sink, span);
    let mut body = quote_spanned!(span=> ::streamdsl::__private::Sink::push(&mut #sink, __r););
    for &c in port.chain.iter().rev() {
        body = (per_record(g, c).step)(&op_call(g, c), body);
    }
    let source = at(&batch_var(g, port.source), span);
    let (partitions, records) = match port.read {
        Read::Move => (
            quote_spanned!(span=> ::streamdsl::__private::BatchSource::into_parts(#source)),
            quote_spanned!(span=> __p),
        ),
        Read::Clone => {
            let shared = at(&var("c", port.source, span), span);
            (
                quote_spanned!(span=> ::streamdsl::__private::BatchSource::parts(&#source)),
                quote_spanned!(span=> #shared.read(__p)),
            )
        }
        Read::Borrow => {
            let NodeKind::Input { ty } = &g.nodes[port.source].kind else {
                unreachable!("only inputs are borrowed")
            };
            let referent = borrowed_input(ty);
            body = quote_spanned!(span=> let __r = ::core::borrow::Borrow::<#referent>::borrow(__r); #body);
            (
                quote_spanned!(span=> ::streamdsl::__private::BatchSource::parts(&#source)),
                quote_spanned!(span=> __p.iter()),
            )
        }
    };
    quote_spanned! {span=>
        for __p in #partitions {
            for __r in #records { #body }
            ::streamdsl::__private::EndPartition::end_partition(&mut #sink);
        }
    }
}

/// If loops clone from the batch of node `id`, the proof that its records are `Clone`:
/// checked once, and reported on the stream's name.
fn shared_proof(g: &Graph, plan: &Plan, id: NodeId) -> Option<TokenStream> {
    let cloned = plan
        .stages
        .iter()
        .flat_map(|s| &s.ports)
        .any(|p| p.source == id && p.read == Read::Clone);
    cloned.then(|| {
        let span = g.nodes[id].span();
        let (proof, marker) = (var("c", id, span), marker_var(g, id));
        quote_spanned!(span=> let #proof = ::streamdsl::__private::shared(&#marker);)
    })
}

/// The outputs, in declaration order; an output of a stream with a longer slide runs only at
/// the times it has a batch.
fn outputs(g: &Graph) -> TokenStream {
    let mut code = TokenStream::new();
    let mut views = Vec::new();
    for (index, output) in g.outputs.iter().enumerate() {
        let node = output.node;
        let span = output.call.method.span();
        let mut batch = batch_var(g, node);
        if let NodeKind::Input { ty } = &g.nodes[node].kind
            && let Some(referent) = borrowed_input(ty)
        {
            // An output of a borrowed input sees the records as declared (`&str`).
            let view = var("v", node, g.nodes[node].span());
            if !views.contains(&node) {
                views.push(node);
                code.extend(quote!(let #view = #batch.borrowed::<#referent>();));
            }
            batch = view;
        }
        let call = OpCall {
            span,
            port_spans: vec![span],
            values: output.values.clone(),
            millis: Vec::new(),
            state: state_var(g, node),
            annotation: None,
            closure: var("o", index, span),
            marker: at(&marker_var(g, node), span),
            sinks: Vec::new(),
            ctx: at(&ctx_var(), span),
            output_index: index,
        };
        let Codegen::Output(emit) = output.spec.codegen else {
            unreachable!("outputs are outputs")
        };
        if optional(g, node) {
            let present = format_ident!("__b{}", index, span = span);
            let run = emit(&call, &quote!(#present));
            code.extend(quote_spanned!(span=> if let ::core::option::Option::Some(#present) = &#batch { #run }));
        } else {
            let batch = at(&batch, span);
            code.extend(emit(&call, &quote_spanned!(span=> &#batch)));
        }
    }
    code
}

/// Whether `ty` is `str`.
fn is_str(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("str"))
}
