//! Layer 2, graph: names resolved, method chains turned into a DAG of operator nodes, and the
//! pipeline's settings read. Checks here: unknown operators (with a suggestion), names bound
//! twice, undefined streams, outputs in the wrong place.

use crate::diagnostics::Diagnostics;
use crate::duration::parse_duration;
use crate::ops::{self, OperatorSpec};
use crate::parse::{Call, Chain, Param, PipelineDecl, Statement};
use crate::suggest::suggest_operator;
use proc_macro2::Span;
use std::collections::HashMap;
use syn::{Expr, Ident, Type};

pub type NodeId = usize;

pub struct Graph<'a> {
    pub decl: &'a PipelineDecl,
    pub nodes: Vec<Node<'a>>,
    pub outputs: Vec<Output<'a>>,
    /// Statements that end in an output, including those whose stream had errors.
    pub output_statements: usize,
    /// Batch interval in milliseconds, if set correctly.
    pub batch_ms: Option<u64>,
    /// The checkpoint statement, if any.
    pub checkpoint: Option<Checkpoint>,
    /// What each name of the pipeline stands for.
    pub names: HashMap<String, Binding>,
}

#[derive(Clone, Copy)]
pub enum Binding {
    Stream(NodeId),
    Param,
    /// A `let` whose stream could not be built; its error is reported already, so uses of the
    /// name report nothing more.
    Failed,
}

pub struct Node<'a> {
    pub kind: NodeKind<'a>,
    /// The `let` or `input` name bound to this node, if any.
    pub name: Option<&'a Ident>,
    /// The type annotation of its `let`, if any.
    pub annotation: Option<&'a Type>,
    /// How messages and the test harness call this stream: its name, or `root.op.op`.
    pub label: String,
    /// The stream inputs of the node: the receiver first, then stream arguments (filled by
    /// the validator).
    pub inputs: Vec<NodeId>,
    /// Where each stream argument is written (`b` in `a.union(b)`), for errors about it.
    pub input_spans: Vec<Span>,
    /// The non-stream arguments by position among the spec's non-stream arguments, `None`
    /// where an optional one is not given (filled by the validator).
    pub values: Vec<Option<&'a Expr>>,
    /// The same arguments in milliseconds where they are durations.
    pub millis: Vec<Option<u64>>,
    /// How often the stream has a batch, in milliseconds (filled by the validator).
    pub slide_ms: u64,
}

pub enum NodeKind<'a> {
    Input {
        ty: &'a Type,
    },
    Op {
        spec: &'static OperatorSpec,
        call: &'a Call,
    },
}

pub struct Output<'a> {
    pub spec: &'static OperatorSpec,
    pub call: &'a Call,
    pub node: NodeId,
    pub values: Vec<Option<&'a Expr>>,
}

/// `checkpoint [every <duration>];`
pub struct Checkpoint {
    /// The interval's literal, or the keyword without one.
    pub every_span: Span,
    /// The interval given, in milliseconds (validated); `None` for the default.
    pub every_ms: Option<u64>,
}

impl Node<'_> {
    pub fn spec(&self) -> Option<&'static OperatorSpec> {
        match self.kind {
            NodeKind::Op { spec, .. } => Some(spec),
            NodeKind::Input { .. } => None,
        }
    }

    pub fn span(&self) -> Span {
        match (&self.kind, self.name) {
            (_, Some(name)) => name.span(),
            (NodeKind::Op { call, .. }, None) => call.method.span(),
            (NodeKind::Input { .. }, None) => Span::call_site(),
        }
    }
}

/// Names the generated pipeline type uses itself; inputs cannot take them.
const RESERVED_INPUT_NAMES: &[&str] = &["new", "info", "take_inputs", "run_batch"];

pub fn build<'a>(decl: &'a PipelineDecl, diags: &mut Diagnostics) -> Graph<'a> {
    let mut g = Graph {
        decl,
        nodes: Vec::new(),
        outputs: Vec::new(),
        output_statements: 0,
        batch_ms: None,
        checkpoint: None,
        names: HashMap::new(),
    };
    for Param { name, .. } in &decl.params {
        g.bind(name, Binding::Param, diags);
    }
    let mut batch_seen: Option<Span> = None;
    for statement in &decl.statements {
        match statement {
            Statement::Batch { keyword, value } => {
                if batch_seen.is_some() {
                    diags.error(
                        keyword.span(),
                        "the batch interval is set twice; keep one `batch = …;`",
                    );
                    continue;
                }
                batch_seen = Some(keyword.span());
                match parse_duration(value) {
                    Ok(ms) => g.batch_ms = Some(ms),
                    Err(msg) => diags.error(
                        syn::spanned::Spanned::span(value),
                        format!("invalid batch interval: {msg}"),
                    ),
                }
            }
            Statement::Checkpoint { keyword, every } => {
                if g.checkpoint.is_some() {
                    diags.error(
                        keyword.span(),
                        "the checkpoint is set twice; keep one `checkpoint …;`",
                    );
                    continue;
                }
                let every_ms = every
                    .as_ref()
                    .and_then(|value| match parse_duration(value) {
                        Ok(ms) => Some(ms),
                        Err(msg) => {
                            diags.error(
                                syn::spanned::Spanned::span(value),
                                format!("invalid checkpoint interval: {msg}"),
                            );
                            None
                        }
                    });
                let every_span = every
                    .as_ref()
                    .map_or(keyword.span(), syn::spanned::Spanned::span);
                g.checkpoint = Some(Checkpoint {
                    every_span,
                    every_ms,
                });
            }
            Statement::Input { name, ty } => {
                if RESERVED_INPUT_NAMES.contains(&name.to_string().as_str()) {
                    diags.error(
                        name.span(),
                        format!("an input cannot be named `{name}`: the pipeline type has a method of that name; rename the input"),
                    );
                }
                let id = g.push(Node {
                    kind: NodeKind::Input { ty },
                    name: Some(name),
                    annotation: None,
                    label: name.to_string(),
                    inputs: Vec::new(),
                    input_spans: Vec::new(),
                    values: Vec::new(),
                    millis: Vec::new(),
                    slide_ms: 0,
                });
                g.bind(name, Binding::Stream(id), diags);
            }
            Statement::Let { name, ty, chain } => {
                if let Some(last) = chain.calls.last()
                    && let Some(spec) = ops::lookup(&last.method.to_string())
                    && spec.is_output()
                {
                    diags.error(
                        last.method.span(),
                        format!(
                            "`{}` is an output and gives no stream to bind; write `{}.{}(…);` as a statement of its own",
                            spec.name,
                            chain_text(chain, chain.calls.len() - 1),
                            spec.name
                        ),
                    );
                    g.output_statements += 1;
                    g.bind(name, Binding::Failed, diags);
                    continue;
                }
                let Some(id) = g.chain(chain, false, diags) else {
                    g.bind(name, Binding::Failed, diags);
                    continue;
                };
                if chain.calls.is_empty() {
                    diags.error(
                        name.span(),
                        format!(
                            "`{name}` would only rename `{}`; use `{}` directly",
                            chain.root, chain.root
                        ),
                    );
                    g.bind(name, Binding::Failed, diags);
                    continue;
                }
                if g.bind(name, Binding::Stream(id), diags) {
                    let node = &mut g.nodes[id];
                    node.name = Some(name);
                    node.annotation = ty.as_ref();
                    node.label = name.to_string();
                }
            }
            Statement::Output { chain } => {
                let Some(last) = chain.calls.last() else {
                    diags.error(
                        chain.root.span(),
                        format!(
                            "`{}` alone does nothing; add an output such as `{}.pprint();`",
                            chain.root, chain.root
                        ),
                    );
                    continue;
                };
                let last_spec = ops::lookup(&last.method.to_string());
                if last_spec.is_none_or(|spec| spec.is_output()) {
                    // An output statement (or a misspelt one): counts as an output even if its
                    // stream has errors, so that "no output" is not reported on top of them.
                    g.output_statements += 1;
                }
                match last_spec {
                    Some(spec) if spec.is_output() => {
                        if let Some(node) = g.chain(chain, true, diags) {
                            g.outputs.push(Output {
                                spec,
                                call: last,
                                node,
                                values: Vec::new(),
                            });
                        }
                    }
                    Some(_) => {
                        if g.chain(chain, true, diags).is_some() {
                            diags.error(
                                last.span,
                                "this stream is computed but never used: bind it with `let name = …;` or end the statement with an output such as `.pprint()`",
                            );
                        } else {
                            g.output_statements += 1;
                        }
                    }
                    None => {
                        g.chain(chain, true, diags);
                    }
                }
            }
        }
    }
    if batch_seen.is_none() {
        diags.error(
            decl.name.span(),
            format!("pipeline `{}` has no batch interval; add `batch = 1s;` (or another duration) to its body", decl.name),
        );
    }
    g
}

impl<'a> Graph<'a> {
    fn push(&mut self, node: Node<'a>) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Binds `name`; `false` (with an error) if it is taken: the first binding stays.
    fn bind(&mut self, name: &Ident, binding: Binding, diags: &mut Diagnostics) -> bool {
        let key = name.to_string();
        if key.starts_with("__") {
            diags.error(
                name.span(),
                "names starting with `__` are reserved for generated code",
            );
        }
        if self.names.contains_key(&key) {
            diags.error(
                name.span(),
                format!("`{name}` is already defined in this pipeline; streams, inputs and parameters need distinct names"),
            );
            return false;
        }
        self.names.insert(key, binding);
        true
    }

    /// The stream a name stands for, or an error naming what it is instead.
    pub fn resolve(&self, name: &Ident, diags: &mut Diagnostics) -> Option<NodeId> {
        match self.names.get(&name.to_string()) {
            Some(Binding::Stream(id)) => Some(*id),
            Some(Binding::Failed) => None,
            Some(Binding::Param) => {
                diags.error(
                    name.span(),
                    format!(
                        "`{name}` is a parameter of the pipeline, not a stream; parameters are values \
                         for closures and arguments, e.g. `.filter(|x| *x > *{name})`"
                    ),
                );
                None
            }
            None => {
                let streams = self
                    .names
                    .iter()
                    .filter(|(_, b)| !matches!(b, Binding::Param));
                let hint =
                    crate::suggest::closest(&name.to_string(), streams.map(|(n, _)| n.as_str()))
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                diags.error(
                    name.span(),
                    format!("no stream named `{name}` in pipeline `{}` (streams must be defined before use){hint}", self.decl.name),
                );
                None
            }
        }
    }

    /// Adds the nodes of a chain; returns the last one. With `ends_in_output`, the chain's last
    /// call is an output and gets no node.
    fn chain(
        &mut self,
        chain: &'a Chain,
        ends_in_output: bool,
        diags: &mut Diagnostics,
    ) -> Option<NodeId> {
        let mut current = self.resolve(&chain.root, diags)?;
        let mut label = self.nodes[current].label.clone();
        let transforms = if ends_in_output {
            chain.calls.len().saturating_sub(1)
        } else {
            chain.calls.len()
        };
        for call in &chain.calls[..transforms] {
            let name = call.method.to_string();
            let Some(spec) = ops::lookup(&name) else {
                diags.error(call.method.span(), unknown_operator(&name));
                return None;
            };
            if spec.is_output() {
                diags.error(
                    call.method.span(),
                    format!(
                        "`{name}` is an output and must end the statement; nothing can follow it"
                    ),
                );
                return None;
            }
            label = format!("{label}.{name}");
            current = self.push(Node {
                kind: NodeKind::Op { spec, call },
                name: None,
                annotation: None,
                label: label.clone(),
                inputs: vec![current],
                input_spans: Vec::new(),
                values: Vec::new(),
                millis: Vec::new(),
                slide_ms: 0,
            });
        }
        if ends_in_output && let Some(last) = chain.calls.last() {
            let name = last.method.to_string();
            if ops::lookup(&name).is_none() {
                diags.error(last.method.span(), unknown_operator(&name));
                return None;
            }
        }
        Some(current)
    }
}

/// `root.op(…).op(…)` for the first `calls` calls of a chain, for messages.
fn chain_text(chain: &Chain, calls: usize) -> String {
    let mut text = chain.root.to_string();
    for call in &chain.calls[..calls] {
        text.push_str(&format!(".{}(…)", call.method));
    }
    text
}

fn unknown_operator(name: &str) -> String {
    match suggest_operator(name) {
        Some(s) => format!("unknown operator `{name}`; did you mean `{s}`?"),
        None => format!("unknown operator `{name}`; see the operator list in the streamdsl docs"),
    }
}
