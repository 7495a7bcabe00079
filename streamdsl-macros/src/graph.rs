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
use syn::spanned::Spanned;
use syn::{Expr, Ident, Type};

pub use crate::model::NodeId;
use crate::model::PIPELINE_METHODS;

/// The pipeline as a DAG of nodes, built from the statements alone. Stream arguments
/// (`b` in `a.union(b)`) and the other arguments are resolved by the validator, which has
/// the operators' specs.
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
}

pub enum NodeKind<'a> {
    Input {
        ty: &'a Type,
    },
    Op {
        spec: &'static OperatorSpec,
        call: &'a Call,
        /// The stream the operator is called on.
        receiver: NodeId,
    },
}

pub struct Output<'a> {
    pub spec: &'static OperatorSpec,
    pub call: &'a Call,
    pub node: NodeId,
}

/// `checkpoint [every <duration>];`
pub struct Checkpoint {
    /// The interval's literal, or the keyword without one.
    pub every_span: Span,
    /// The interval given, in milliseconds; `None` for the default.
    pub every_ms: Option<u64>,
}

impl Node<'_> {
    pub fn span(&self) -> Span {
        match (&self.kind, self.name) {
            (_, Some(name)) => name.span(),
            (NodeKind::Op { call, .. }, None) => call.method.span(),
            (NodeKind::Input { .. }, None) => Span::call_site(),
        }
    }
}

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
    let mut batch_seen = false;
    for statement in &decl.statements {
        match statement {
            Statement::Batch { keyword, value } => {
                if batch_seen {
                    diags.error(
                        keyword.span(),
                        "the batch interval is set twice; keep one `batch = …;`",
                    );
                    continue;
                }
                batch_seen = true;
                g.batch_ms = duration(value, "batch interval", diags);
            }
            Statement::Checkpoint { keyword, every } => g.checkpoint(keyword, every, diags),
            Statement::Input { name, ty } => g.input(name, ty, diags),
            Statement::Let { name, ty, chain } => g.let_statement(name, ty.as_ref(), chain, diags),
            Statement::Output { chain } => g.output_statement(chain, diags),
        }
    }
    if !batch_seen {
        diags.error(
            decl.name.span(),
            format!("pipeline `{}` has no batch interval; add `batch = 1s;` (or another duration) to its body", decl.name),
        );
    }
    g
}

/// The milliseconds of a setting's duration, or an error on it.
fn duration(value: &Expr, what: &str, diags: &mut Diagnostics) -> Option<u64> {
    parse_duration(value)
        .map_err(|msg| diags.error(value.span(), format!("invalid {what}: {msg}")))
        .ok()
}

impl<'a> Graph<'a> {
    fn push(&mut self, node: Node<'a>) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn checkpoint(&mut self, keyword: &Ident, every: &Option<Expr>, diags: &mut Diagnostics) {
        if self.checkpoint.is_some() {
            diags.error(
                keyword.span(),
                "the checkpoint is set twice; keep one `checkpoint …;`",
            );
            return;
        }
        self.checkpoint = Some(Checkpoint {
            every_span: every.as_ref().map_or(keyword.span(), Spanned::span),
            every_ms: every
                .as_ref()
                .and_then(|value| duration(value, "checkpoint interval", diags)),
        });
    }

    fn input(&mut self, name: &'a Ident, ty: &'a Type, diags: &mut Diagnostics) {
        if PIPELINE_METHODS.contains(&name.to_string().as_str()) {
            diags.error(
                name.span(),
                format!("an input cannot be named `{name}`: the pipeline type has a method of that name; rename the input"),
            );
        }
        let id = self.push(Node {
            kind: NodeKind::Input { ty },
            name: Some(name),
            annotation: None,
            label: name.to_string(),
        });
        self.bind(name, Binding::Stream(id), diags);
    }

    /// `let name[: ty] = chain;`
    fn let_statement(
        &mut self,
        name: &'a Ident,
        ty: Option<&'a Type>,
        chain: &'a Chain,
        diags: &mut Diagnostics,
    ) {
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
            self.output_statements += 1;
            self.bind(name, Binding::Failed, diags);
            return;
        }
        let Some(id) = self.chain(chain, false, diags) else {
            self.bind(name, Binding::Failed, diags);
            return;
        };
        if chain.calls.is_empty() {
            diags.error(
                name.span(),
                format!(
                    "`{name}` would only rename `{}`; use `{}` directly",
                    chain.root, chain.root
                ),
            );
            self.bind(name, Binding::Failed, diags);
            return;
        }
        if self.bind(name, Binding::Stream(id), diags) {
            let node = &mut self.nodes[id];
            node.name = Some(name);
            node.annotation = ty;
            node.label = name.to_string();
        }
    }

    /// `chain;`, which must end in an output.
    fn output_statement(&mut self, chain: &'a Chain, diags: &mut Diagnostics) {
        let Some(last) = chain.calls.last() else {
            diags.error(
                chain.root.span(),
                format!(
                    "`{}` alone does nothing; add an output such as `{}.pprint();`",
                    chain.root, chain.root
                ),
            );
            return;
        };
        let last_spec = ops::lookup(&last.method.to_string());
        if last_spec.is_none_or(|spec| spec.is_output()) {
            // An output statement (or a misspelt one): counts as an output even if its
            // stream has errors, so that "no output" is not reported on top of them.
            self.output_statements += 1;
        }
        match last_spec {
            Some(spec) if spec.is_output() => {
                if let Some(node) = self.chain(chain, true, diags) {
                    self.outputs.push(Output {
                        spec,
                        call: last,
                        node,
                    });
                }
            }
            Some(_) => {
                if self.chain(chain, true, diags).is_some() {
                    diags.error(
                        last.span,
                        "this stream is computed but never used: bind it with `let name = …;` or end the statement with an output such as `.pprint()`",
                    );
                } else {
                    self.output_statements += 1;
                }
            }
            None => {
                self.chain(chain, true, diags);
            }
        }
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
    /// call is an output and gets no node. Every unknown operator of the chain is reported.
    fn chain(
        &mut self,
        chain: &'a Chain,
        ends_in_output: bool,
        diags: &mut Diagnostics,
    ) -> Option<NodeId> {
        let root = self.resolve(&chain.root, diags);
        let transforms = if ends_in_output {
            chain.calls.len().saturating_sub(1)
        } else {
            chain.calls.len()
        };
        let mut specs = Vec::new();
        for (i, call) in chain.calls.iter().enumerate() {
            let name = call.method.to_string();
            match ops::lookup(&name) {
                None => diags.error(call.method.span(), unknown_operator(&name)),
                Some(spec) if spec.is_output() && i < transforms => diags.error(
                    call.method.span(),
                    format!(
                        "`{name}` is an output and must end the statement; nothing can follow it"
                    ),
                ),
                Some(spec) => specs.push(spec),
            }
        }
        let mut current = root?;
        if specs.len() < chain.calls.len() {
            return None;
        }
        let mut label = self.nodes[current].label.clone();
        for (call, spec) in chain.calls[..transforms].iter().zip(specs) {
            label = format!("{label}.{}", call.method);
            current = self.push(Node {
                kind: NodeKind::Op {
                    spec,
                    call,
                    receiver: current,
                },
                name: None,
                annotation: None,
                label: label.clone(),
            });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{messages, parse};

    #[test]
    fn chains_become_nodes_named_by_their_let() {
        let decl = parse(
            "pipeline P { batch = 500ms; input lines: &str;
             let counts = lines.flat_map(|l| l.split(' ')).map(|w| (w, 1)).reduce_by_key(|a, b| a + b);
             counts.pprint(); }",
        );
        let mut diags = Diagnostics::default();
        let g = build(&decl, &mut diags);
        assert!(!diags.has_errors());
        assert_eq!(g.batch_ms, Some(500));
        let labels: Vec<&str> = g.nodes.iter().map(|n| n.label.as_str()).collect();
        assert_eq!(
            labels,
            ["lines", "lines.flat_map", "lines.flat_map.map", "counts"]
        );
        let NodeKind::Op { receiver, .. } = g.nodes[3].kind else {
            panic!("an operator")
        };
        assert_eq!(receiver, 2);
        assert_eq!(g.outputs.len(), 1);
        assert_eq!(g.outputs[0].node, 3);
    }

    #[test]
    fn every_unknown_operator_of_a_chain_is_reported() {
        let found = messages(
            "pipeline P { batch = 1s; input lines: String;
             lines.fliter(|l| l.is_empty()).mapp(|l| l.len()).pprnt(); }",
        );
        assert_eq!(
            found,
            [
                "unknown operator `fliter`; did you mean `filter`?",
                "unknown operator `mapp`; did you mean `map`?",
                "unknown operator `pprnt`; did you mean `pprint`?",
            ]
        );
    }

    #[test]
    fn inputs_cannot_take_the_pipeline_types_method_names() {
        let found = messages("pipeline P { batch = 1s; input state: String; state.pprint(); }");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("an input cannot be named `state`"),
            "{found:?}"
        );
    }

    #[test]
    fn names_resolve_to_streams_or_say_what_they_are() {
        let found = messages(
            "pipeline P(limit: u64) { batch = 1s; input lines: String;
             limit.pprint(); lnes.pprint(); lines.pprint(); }",
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("is a parameter of the pipeline"));
        assert!(found[1].contains("did you mean `lines`?"));
    }
}
