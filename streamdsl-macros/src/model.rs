//! The checked model: what `validate` hands to `plan` and `emit`. Everything in it has been
//! checked: the batch interval is a value, every edge points at a node, every argument is
//! where its operator's spec says, by name, durations in milliseconds, every slide known.
//! `plan` and `emit` read only this model and never the parse tree.

use crate::ops::OperatorSpec;
use crate::parse::Signature;
use proc_macro2::{Span, TokenStream};
use syn::{Expr, Ident, Type};

pub type NodeId = usize;

/// The generated pipeline type's own methods. An input `x` gets a binder method `x`, so inputs
/// cannot take these names.
pub const PIPELINE_METHODS: &[&str] = &["new", "info", "state", "take_inputs", "run_batch"];

/// A pipeline that passed every check.
pub struct CheckedPipeline<'a> {
    /// Name, attributes, parameters and inputs: the pipeline type's interface.
    pub signature: Signature<'a>,
    pub batch_ms: u64,
    /// How often state is saved; `None` if the pipeline does not checkpoint.
    pub checkpoint_ms: Option<u64>,
    /// Inputs and operators; the inputs of a node always come before it.
    pub nodes: Vec<CheckedNode<'a>>,
    /// In declaration order.
    pub outputs: Vec<CheckedOutput<'a>>,
}

pub struct CheckedNode<'a> {
    /// The `let` or `input` name bound to this node, if any.
    pub name: Option<&'a Ident>,
    /// How messages and the test harness call this stream: its name, or `root.op.op`.
    pub label: String,
    /// Where errors about the stream point: its name, else its operator.
    pub span: Span,
    /// How often the stream has a batch, in milliseconds.
    pub slide_ms: u64,
    pub kind: CheckedKind<'a>,
}

pub enum CheckedKind<'a> {
    Input { ty: &'a Type },
    Op(CheckedOp<'a>),
}

pub struct CheckedOp<'a> {
    pub spec: &'static OperatorSpec,
    /// The operator's name as written.
    pub method_span: Span,
    /// The streams it reads: the receiver first, then the stream arguments.
    pub inputs: Vec<Edge>,
    /// Its other arguments.
    pub args: Args<'a>,
    /// The type annotation of the `let` it ends, if any.
    pub annotation: Option<&'a Type>,
    /// The type of its state field relative to the runtime (stateful operators).
    pub state_type: Option<TokenStream>,
}

/// A stream read by an operator.
#[derive(Clone, Copy)]
pub struct Edge {
    pub from: NodeId,
    /// Where it is written: the operator for the receiver, the argument for the others.
    pub span: Span,
}

pub struct CheckedOutput<'a> {
    pub spec: &'static OperatorSpec,
    pub method_span: Span,
    /// The stream it writes.
    pub node: NodeId,
    pub args: Args<'a>,
}

/// The non-stream arguments of a call that were given, by their names in the spec.
#[derive(Default)]
pub struct Args<'a> {
    given: Vec<Arg<'a>>,
}

pub struct Arg<'a> {
    pub name: &'static str,
    pub expr: &'a Expr,
    /// The value in milliseconds, for durations.
    pub millis: Option<u64>,
}

impl<'a> Args<'a> {
    pub fn push(&mut self, arg: Arg<'a>) {
        self.given.push(arg);
    }

    pub fn get(&self, name: &str) -> Option<&Arg<'a>> {
        self.given.iter().find(|a| a.name == name)
    }

    /// The given arguments, in the spec's order.
    pub fn iter(&self) -> impl Iterator<Item = &Arg<'a>> {
        self.given.iter()
    }
}

impl<'a> CheckedPipeline<'a> {
    pub fn op(&self, id: NodeId) -> Option<&CheckedOp<'a>> {
        match &self.nodes[id].kind {
            CheckedKind::Op(op) => Some(op),
            CheckedKind::Input { .. } => None,
        }
    }

    /// The streams node `id` reads (none for an input).
    pub fn inputs_of(&self, id: NodeId) -> &[Edge] {
        self.op(id).map_or(&[], |op| &op.inputs)
    }

    /// Whether node `id`'s stream has a batch only at some times.
    pub fn is_sparse(&self, id: NodeId) -> bool {
        self.nodes[id].slide_ms != self.batch_ms
    }
}

/// The referent of a borrowed input type (`str` for `&str`). Only an elided lifetime borrows
/// from the batch: `&'static str` is an owned record type.
pub fn borrowed_input(ty: &Type) -> Option<&Type> {
    match ty {
        Type::Reference(r) if r.mutability.is_none() && r.lifetime.is_none() => Some(&r.elem),
        _ => None,
    }
}

/// Whether an input type is one the validator accepts: owned, or `&T` without `mut` or a
/// named lifetime (`'static` is owned).
pub fn input_type_is_valid(ty: &Type) -> bool {
    !matches!(ty, Type::Reference(r)
        if r.mutability.is_some() || r.lifetime.as_ref().is_some_and(|l| l.ident != "static"))
}

/// Whether `ty` is `str`.
pub fn is_str(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident("str"))
}
