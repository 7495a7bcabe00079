//! The operator table: one [`OperatorSpec`] per operator, each in a file named after it,
//! holding what the validator checks (arguments, role) and the operator's code generation.
//! Adding an operator means adding one file and one line in [`TABLE`].

use proc_macro2::{Ident, Span, TokenStream};
use syn::Expr;

mod cogroup;
mod count;
mod count_by_value;
mod count_by_value_and_window;
mod count_by_window;
mod filter;
mod flat_map;
mod flat_map_values;
mod foreach_batch;
mod foreach_rdd;
mod glom;
mod group_by_key;
mod group_by_key_and_window;
mod join;
mod map;
mod map_values;
mod map_with_state;
mod pprint;
mod reduce;
mod reduce_by_key;
mod reduce_by_key_and_window;
mod reduce_by_window;
mod repartition;
mod save_as_text_files;
mod save_to_database;
mod state_snapshots;
mod transform;
mod union;
mod update_state_by_key;
mod window;

/// Every operator `stream!` knows.
pub const TABLE: &[&OperatorSpec] = &[
    &window::SPEC,
    &count_by_window::SPEC,
    &reduce_by_window::SPEC,
    &reduce_by_key_and_window::SPEC,
    &count_by_value_and_window::SPEC,
    &group_by_key_and_window::SPEC,
    &update_state_by_key::SPEC,
    &map_with_state::SPEC,
    &state_snapshots::SPEC,
    &map::SPEC,
    &flat_map::SPEC,
    &filter::SPEC,
    &map_values::SPEC,
    &flat_map_values::SPEC,
    &repartition::SPEC,
    &glom::SPEC,
    &reduce::SPEC,
    &count::SPEC,
    &count_by_value::SPEC,
    &reduce_by_key::SPEC,
    &group_by_key::SPEC,
    &union::SPEC,
    &join::JOIN,
    &join::LEFT_OUTER_JOIN,
    &join::RIGHT_OUTER_JOIN,
    &join::FULL_OUTER_JOIN,
    &cogroup::SPEC,
    &transform::SPEC,
    &pprint::SPEC,
    &foreach_rdd::SPEC,
    &foreach_batch::SPEC,
    &save_as_text_files::SPEC,
    &save_to_database::SPEC,
];

/// The operator named `name`, if any.
pub fn lookup(name: &str) -> Option<&'static OperatorSpec> {
    TABLE.iter().copied().find(|op| op.name == name)
}

/// What one operator is.
pub struct OperatorSpec {
    /// The name in `stream!` (Spark's name in snake_case).
    pub name: &'static str,
    /// Spark's name, for "did you mean" when a user writes it.
    pub spark_name: &'static str,
    /// The arguments after the receiver stream, in order.
    pub args: &'static [ArgSpec],
    /// How often the operator's stream has a batch.
    pub slide: Slide,
    /// How the operator becomes code.
    pub codegen: Codegen,
}

/// The slide of an operator's stream.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Slide {
    /// The slide of its input streams, which must all have the same.
    Inherit,
    /// A window: its length is the `window`-th non-stream argument, its slide the `slide`-th
    /// (the parent's slide if not given); both must be multiples of the parent's slide.
    Windowed { window: usize, slide: usize },
}

/// The arguments of the operators that take only a window: `(window, slide?)`.
pub const WINDOW_ARGS: &[ArgSpec] = &[
    ArgSpec::required("window", ArgKind::Duration),
    ArgSpec::optional("slide", ArgKind::Duration),
];

/// The slide of an operator whose arguments are [`WINDOW_ARGS`].
pub const WINDOW_ARGS_SLIDE: Slide = Slide::Windowed {
    window: 0,
    slide: 1,
};

impl OperatorSpec {
    pub fn is_output(&self) -> bool {
        matches!(self.codegen, Codegen::Output(_))
    }

    pub fn stateful(&self) -> Option<&Stateful> {
        match &self.codegen {
            Codegen::Stateful(s) => Some(s),
            _ => None,
        }
    }

    /// `name(function, partitions?)`, for messages.
    pub fn signature(&self) -> String {
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| {
                let mut s = a.name.to_owned();
                if a.repeat {
                    s.push_str(", …");
                }
                if a.optional {
                    s.push('?');
                }
                s
            })
            .collect();
        format!("{}({})", self.name, args.join(", "))
    }
}

/// One argument of an operator.
pub struct ArgSpec {
    /// Its name in messages.
    pub name: &'static str,
    pub kind: ArgKind,
    pub optional: bool,
    /// May be given several times (`union(a, b, c)`); only for the last argument.
    pub repeat: bool,
}

impl ArgSpec {
    pub const fn required(name: &'static str, kind: ArgKind) -> Self {
        ArgSpec {
            name,
            kind,
            optional: false,
            repeat: false,
        }
    }
    pub const fn optional(name: &'static str, kind: ArgKind) -> Self {
        ArgSpec {
            name,
            kind,
            optional: true,
            repeat: false,
        }
    }
    pub const fn repeated(name: &'static str, kind: ArgKind) -> Self {
        ArgSpec {
            name,
            kind,
            optional: false,
            repeat: true,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// Another stream of the pipeline, by name.
    Stream,
    /// A closure or function.
    Function,
    /// Any Rust expression of the type the operator takes (a count, a number).
    Value,
    /// A duration literal (`30s`), checked at compile time.
    Duration,
}

impl ArgKind {
    /// Whether `expr` can be this kind of argument, to place optional arguments: a number
    /// literal is a duration (checked later), anything else a function or value.
    pub fn fits(self, expr: &Expr) -> bool {
        let number =
            matches!(expr, Expr::Lit(l) if matches!(l.lit, syn::Lit::Int(_) | syn::Lit::Float(_)));
        match self {
            ArgKind::Duration => number,
            ArgKind::Function => !number,
            ArgKind::Stream | ArgKind::Value => true,
        }
    }

    /// What the argument is, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            ArgKind::Stream => "the name of another stream",
            ArgKind::Function => "a function",
            ArgKind::Value => "a value",
            ArgKind::Duration => "a duration such as `30s`",
        }
    }
}

/// Code generation of an operator, by role.
pub enum Codegen {
    /// Record by record; fused into the loop of its chain.
    PerRecord(PerRecord),
    /// Ends a chain: gathers records into sinks, then makes its batch.
    Breaker(Breaker),
    /// Keeps state across batches (windows, per-key state): a field of the pipeline's state.
    Stateful(Stateful),
    /// Reads the state of the stateful operator before it (`state_snapshots`); no loop.
    Snapshot(fn(&OpCall, &Ident) -> TokenStream),
    /// An output statement, given an expression borrowing the stream's batch.
    Output(fn(&OpCall, &TokenStream) -> TokenStream),
}

/// A stateful operator. Its input is gathered into sinks at every batch of its parent
/// (`ingest`); it emits at its own slide (`emit`).
pub struct Stateful {
    /// The type of its state field, or a message saying what annotation it needs.
    pub state_type: fn(&StateTypeInputs) -> Result<TokenStream, String>,
    /// Whether this use (given its non-stream arguments) needs the pipeline to checkpoint
    /// (Spark's `mustCheckpoint`).
    pub needs_checkpoint: fn(&[Option<&Expr>]) -> bool,
    /// Before the loops: one sink per input port for the parent's batch.
    pub sinks: fn(&OpCall, &[Ident]) -> TokenStream,
    /// After the loops: hands the parent's batch to the state (`call.state`).
    pub ingest: fn(&OpCall) -> TokenStream,
    /// An expression: the operator's batch, from the state.
    pub emit: fn(&OpCall) -> TokenStream,
    /// A builder method for the initial state (`initial_<name>(pairs)`), if it has one: the
    /// state's `set_initial` takes the pairs.
    pub initial: bool,
    /// Whether its sinks check its input's records against the `let` annotation themselves
    /// (then the generic check after the stage is left out, so a mismatch is reported once).
    pub checks_annotation: bool,
}

/// What a stateful operator's state type can be worked out from.
pub struct StateTypeInputs<'a> {
    /// The annotation of the `let` the operator ends, if it ends one.
    pub annotation: Option<&'a syn::Type>,
    /// The non-stream arguments.
    pub values: &'a [Option<&'a Expr>],
}

pub struct PerRecord {
    /// Before the loop: checks the closure; binds it to `call.closure` and the output record
    /// type to `call.marker`.
    pub setup: fn(&OpCall, &Ident) -> TokenStream,
    /// Inside the loop: the record is `__r`; `rest` continues with the output record as `__r`.
    pub step: fn(&OpCall, TokenStream) -> TokenStream,
}

pub struct Breaker {
    /// Before the loops: binds one sink per input port (`call.sinks`), given the ports'
    /// record markers.
    pub sinks: fn(&OpCall, &[Ident]) -> TokenStream,
    /// After the loops: an expression making the operator's batch from its sinks.
    pub finish: fn(&OpCall) -> TokenStream,
}

/// One use of an operator, as code generation sees it.
pub struct OpCall<'a> {
    /// Where errors about this operator point (the operator's name): every generated call
    /// carries it, so that a failed check is reported once, on the user's token.
    pub span: Span,
    /// Where errors about each input port point: the operator for the receiver, the stream
    /// argument for the others (`a.union(b)`: `b`).
    pub port_spans: Vec<Span>,
    /// The arguments that are not streams, by position among the spec's non-stream
    /// arguments (`None` for an optional argument not given).
    pub values: Vec<Option<&'a Expr>>,
    /// The same arguments' values in milliseconds, for durations.
    pub millis: Vec<Option<u64>>,
    /// The variable of the operator's state (stateful operators), or of its input's state
    /// (`state_snapshots`).
    pub state: Ident,
    /// The type annotation of the `let` the operator ends, if any.
    pub annotation: Option<&'a syn::Type>,
    /// The variable holding the operator's checked closure.
    pub closure: Ident,
    /// The variable holding the output record type's marker.
    pub marker: Ident,
    /// The variables of the sinks, one per input port.
    pub sinks: Vec<Ident>,
    /// The per-batch context variable.
    pub ctx: Ident,
    /// Number of the output in declaration order (outputs only).
    pub output_index: usize,
}

impl OpCall<'_> {
    /// The `i`-th non-stream argument, if given.
    pub fn value(&self, i: usize) -> Option<&Expr> {
        self.values.get(i).copied().flatten()
    }

    /// The `i`-th non-stream argument as milliseconds (durations), if given.
    pub fn millis(&self, i: usize) -> Option<i64> {
        self.millis.get(i).copied().flatten().map(|ms| ms as i64)
    }

    /// The context's default partition count, as code.
    pub fn default_partitions(&self) -> TokenStream {
        let ctx = &self.ctx;
        quote::quote_spanned!(self.span=> ::streamdsl::__private::partitions(::core::option::Option::None, #ctx))
    }

    /// The partition count argument at `i` as `Option<usize>` code.
    pub fn partitions(&self, i: usize) -> TokenStream {
        let ctx = &self.ctx;
        let given = match self.value(i) {
            Some(n) => quote::quote_spanned!(self.span=> ::core::option::Option::Some(#n)),
            None => quote::quote_spanned!(self.span=> ::core::option::Option::None),
        };
        quote::quote_spanned!(self.span=> ::streamdsl::__private::partitions(#given, #ctx))
    }
}

/// The record type annotated on the `let` a stateful operator ends, or what to write.
pub fn annotated<'a>(
    inputs: &StateTypeInputs<'a>,
    op: &str,
    example: &str,
) -> Result<&'a syn::Type, String> {
    inputs.annotation.ok_or_else(|| {
        format!(
            "`{op}` keeps records across batches, so the pipeline stores them and needs their type: \
             end a `let` at this operator and annotate its records, e.g. `let name: {example} = …;`"
        )
    })
}

/// Whether `expr` is a closure literal taking `n` parameters.
pub fn is_closure_with_params(expr: &Expr, n: usize) -> bool {
    matches!(expr, Expr::Closure(c) if c.inputs.len() == n)
}

/// Shared code generation of breakers with one port whose sink is made by
/// `::streamdsl::__private::ops::<module>::sink(args…)` and finished by `.finish()`.
macro_rules! simple_sink {
    ($module:ident, |$call:ident, $marker:ident| ($($arg:expr),*)) => {
        fn sinks($call: &super::OpCall, markers: &[proc_macro2::Ident]) -> proc_macro2::TokenStream {
            let $marker = &markers[0];
            let sink = &$call.sinks[0];
            let args: Vec<proc_macro2::TokenStream> = vec![$($arg),*];
            quote::quote_spanned!($call.span=>
                let mut #sink = ::streamdsl::__private::ops::$module::sink(#(#args),*);
            )
        }
        fn finish(call: &super::OpCall) -> proc_macro2::TokenStream {
            let sink = &call.sinks[0];
            quote::quote_spanned!(call.span=> ::streamdsl::__private::ops::$module::finish(#sink))
        }
    };
}
pub(crate) use simple_sink;
