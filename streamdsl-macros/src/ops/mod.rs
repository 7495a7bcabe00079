//! The operator table. Each operator is one file named after it, holding its whole
//! definition: name, Spark's name, named arguments, kind, documentation with an example, and
//! code generation. Registering it is one line in [`declare_ops!`] below; its run-time half
//! lives in the runtime's file of the same name (`streamdsl-runtime/src/ops/<name>.rs`).

use crate::model::Args;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote_spanned};
use syn::Expr;

/// Declares the operator modules and [`TABLE`], in the order of the documentation's tables.
macro_rules! declare_ops {
    ($($op:ident),* $(,)?) => {
        $(mod $op;)*
        /// Every operator `stream!` knows.
        pub const TABLE: &[&OperatorSpec] = &[$(&$op::SPEC),*];
    };
}

declare_ops![
    // Record by record and per batch.
    map,
    flat_map,
    filter,
    filter_map,
    map_values,
    flat_map_values,
    repartition,
    glom,
    reduce,
    count,
    count_by_value,
    reduce_by_key,
    group_by_key,
    union,
    join,
    left_outer_join,
    right_outer_join,
    full_outer_join,
    cogroup,
    transform,
    transform_with,
    // Windows and state.
    window,
    count_by_window,
    reduce_by_window,
    reduce_by_key_and_window,
    count_by_value_and_window,
    group_by_key_and_window,
    update_state_by_key,
    map_with_state,
    state_snapshots,
    // Outputs.
    pprint,
    foreach_rdd,
    foreach_batch,
    save_as_text_files,
    save_to_database,
    save_to_kafka,
];

#[cfg(test)]
mod docs;

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
    /// The arguments after the receiver stream, in order; code generation reads them by name.
    pub args: &'static [ArgSpec],
    /// Its role, and how it becomes code.
    pub kind: Kind,
    /// Its line in the documentation's operator tables.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "read by the documentation test")
    )]
    pub doc: Doc,
}

/// An operator's documentation, from which the operator tables and the example of every
/// operator in the crate docs and the README are generated (see `docs`; a test checks they
/// match).
#[cfg_attr(
    not(test),
    expect(dead_code, reason = "read by the documentation test")
)]
pub struct Doc {
    /// What it does to records (`` `T` → `f(T)` ``), or what an output does.
    pub summary: &'static str,
    /// Statements using it, ending in an output, over the streams `lines: String`,
    /// `words: (String, u64)`, `other: (String, u64)`, `numbers: i64` and the parameter
    /// `sink: DatabaseSink`; they are compiled as a doctest of the crate docs.
    pub example: &'static str,
    /// The cargo feature the operator needs, if any: its example is left out of that
    /// doctest, which builds without features (the operator's own tests use it).
    pub feature: Option<&'static str>,
}

/// The role of an operator, each with its code generation.
pub enum Kind {
    /// Record by record; fused into the loop of its chain. Before the loop its function
    /// (its only argument) is checked by the runtime's `ops::<name>::check(&input_marker, f)`,
    /// which gives the checked function (bound to `call.closure`) and the marker of the output
    /// record type (bound to `call.marker`). The `fn` is the step inside the loop: the record is
    /// `call.record()`; `rest` continues with the output record bound to the same name.
    PerRecord(fn(&OpCall, TokenStream) -> TokenStream),
    /// Ends a chain: gathers records into sinks, then makes its batch (`StageCode::batch`).
    Breaker(fn(&OpCall, &[Ident]) -> StageCode),
    /// Keeps state across batches (windows, per-key state): a field of the pipeline's state.
    Stateful(Stateful),
    /// Reads the state of the stateful operator before it; no loop.
    Snapshot(Snapshot),
    /// An output statement, given an expression borrowing the stream's batch.
    Output(fn(&OpCall, &TokenStream) -> TokenStream),
}

/// The code of a stage (a breaker or a stateful operator), given its ports' record markers.
/// Fields not set stay empty, so a new field does not touch every operator.
#[derive(Default)]
pub struct StageCode {
    /// Before the loops: closures checked, one sink per input port (`call.sinks`).
    pub sinks: TokenStream,
    /// After the loops, stateful operators only: hands the gathered batch to `call.state`.
    pub ingest: TokenStream,
    /// An expression: the operator's batch, from its sinks or its state.
    pub batch: TokenStream,
}

/// A stateful operator: its input is gathered at every batch of its parent (`ingest`), its
/// batch made at its own slide (`batch`).
pub struct Stateful {
    /// The type of its state field, relative to the runtime (`state::Window<T>`), or a message
    /// saying what annotation it needs.
    pub state_type: fn(&StateTypeInputs) -> Result<TokenStream, String>,
    /// How often its stream has a batch.
    pub slide: Slide,
    /// Whether it needs the pipeline to checkpoint (Spark's `mustCheckpoint`).
    pub checkpoint: NeedsCheckpoint,
    /// Whether it has a builder for its initial state (`initial_<name>(pairs)`), whose pairs
    /// the state's `set_initial` takes.
    pub initial_state: bool,
    /// Whether its sinks check its input's records against the `let` annotation themselves
    /// (then the generic check after the stage is left out, so a mismatch is reported once).
    pub checks_annotation: bool,
    pub codegen: fn(&OpCall, &[Ident]) -> StageCode,
}

impl Stateful {
    /// A stateful operator of its input's slide that needs a checkpoint.
    pub const fn new(
        state_type: fn(&StateTypeInputs) -> Result<TokenStream, String>,
        codegen: fn(&OpCall, &[Ident]) -> StageCode,
    ) -> Self {
        Stateful {
            state_type,
            slide: Slide::Inherit,
            checkpoint: NeedsCheckpoint::Always,
            initial_state: false,
            checks_annotation: false,
            codegen,
        }
    }

    /// A window: arguments `window` and `slide?` set its length and slide.
    pub const fn windowed(self) -> Self {
        Stateful {
            slide: Slide::Windowed,
            ..self
        }
    }

    pub const fn checkpoint(self, checkpoint: NeedsCheckpoint) -> Self {
        Stateful { checkpoint, ..self }
    }

    pub const fn with_initial_state(self) -> Self {
        Stateful {
            initial_state: true,
            ..self
        }
    }

    pub const fn checks_annotation(self) -> Self {
        Stateful {
            checks_annotation: true,
            ..self
        }
    }
}

/// When a stateful operator needs the pipeline to checkpoint.
#[derive(Clone, Copy)]
pub enum NeedsCheckpoint {
    Never,
    Always,
    /// When argument `arg` is given; without it the operator needs none, which the error
    /// suggests as `instead`.
    WhenGiven {
        arg: &'static str,
        instead: &'static str,
    },
}

impl NeedsCheckpoint {
    pub fn applies(self, args: &Args) -> bool {
        match self {
            NeedsCheckpoint::Never => false,
            NeedsCheckpoint::Always => true,
            NeedsCheckpoint::WhenGiven { arg, .. } => args.get(arg).is_some(),
        }
    }
}

/// The slide of a stateful operator's stream.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Slide {
    /// The slide of its input streams, which must all have the same.
    Inherit,
    /// A window: its length is argument `window`, its slide argument `slide` (the parent's
    /// slide if not given); both must be multiples of the parent's slide.
    Windowed,
}

/// An operator reading the state of the stateful operator `reads` it is called on.
pub struct Snapshot {
    pub reads: &'static str,
    /// An expression: the batch, from `call.state` (the state of its input).
    pub batch: fn(&OpCall) -> TokenStream,
}

/// The arguments of the operators that take only a window: `(window, slide?)`.
pub const WINDOW_ARGS: &[ArgSpec] = &[
    ArgSpec::required("window", ArgKind::Duration),
    ArgSpec::optional("slide", ArgKind::Duration),
];

impl OperatorSpec {
    pub fn is_output(&self) -> bool {
        matches!(self.kind, Kind::Output(_))
    }

    pub fn stateful(&self) -> Option<&Stateful> {
        match &self.kind {
            Kind::Stateful(s) => Some(s),
            _ => None,
        }
    }

    /// `name(function, partitions?)`, for messages and the docs.
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

    fn arg_spec(&self, name: &str) -> &ArgSpec {
        self.args
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("operator `{}` has no argument `{name}`", self.name))
    }
}

/// One argument of an operator.
pub struct ArgSpec {
    /// Its name in messages and in code generation.
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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ArgKind {
    /// Another stream of the pipeline, by name.
    Stream,
    /// A closure or function.
    Function,
    /// Any Rust expression of the type the operator takes (a count, a number).
    Value,
    /// A duration literal (`30s`), checked at compile time.
    Duration,
    /// A string literal naming something (an output's label).
    Label,
}

impl ArgKind {
    /// Whether `expr` can be this kind of argument, to place optional arguments: a number
    /// literal is a duration (checked later), anything else a function or value.
    pub fn fits(self, expr: &Expr) -> bool {
        let number =
            matches!(expr, Expr::Lit(l) if matches!(l.lit, syn::Lit::Int(_) | syn::Lit::Float(_)));
        let string = matches!(expr, Expr::Lit(l) if matches!(l.lit, syn::Lit::Str(_)));
        match self {
            ArgKind::Duration => number,
            ArgKind::Function => !number,
            ArgKind::Label => string,
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
            ArgKind::Label => "a string literal such as `\"top words\"`",
        }
    }
}

/// What a stateful operator's state type can be worked out from.
pub struct StateTypeInputs<'a> {
    /// The annotation of the `let` the operator ends, if it ends one.
    pub annotation: Option<&'a syn::Type>,
    pub args: &'a Args<'a>,
}

/// The names shared by the generated per-batch function and the operator files.
pub mod names {
    use proc_macro2::{Ident, Span};

    /// The record at hand inside a loop (rebound by each fused step).
    pub const RECORD: &str = "__r";
    /// The partition at hand in a loop over a batch's partitions.
    pub const PARTITION: &str = "__p";
    /// Whether the piece of a partition at hand ends the partition.
    pub const ENDS: &str = "__ends";
    /// The alias of the runtime's `__private` module inside the generated items.
    pub const RUNTIME: &str = "__streamdsl";
    /// The per-batch context.
    pub const CONTEXT: &str = "__ctx";
    /// The parameters of an output's closure: the output's context and the batch.
    pub const OUTPUT: &str = "__out";
    pub const OUTPUT_BATCH: &str = "__batch";

    pub fn at(name: &str, span: Span) -> Ident {
        Ident::new(name, span)
    }
}

/// One use of an operator, as code generation sees it.
pub struct OpCall<'a> {
    pub spec: &'static OperatorSpec,
    /// Where errors about this operator point (the operator's name): every generated call
    /// carries it, so that a failed check is reported once, on the user's token.
    pub span: Span,
    /// Where errors about each input port point: the operator for the receiver, the stream
    /// argument for the others (`a.union(b)`: `b`).
    pub port_spans: Vec<Span>,
    /// The arguments that are not streams, by name.
    pub args: &'a Args<'a>,
    /// The variable of the operator's state (stateful operators), or of its input's state
    /// (snapshots).
    pub state: Ident,
    /// The type annotation of the `let` the operator ends, if any.
    pub annotation: Option<&'a syn::Type>,
    /// The variable holding the operator's checked closure; other variables of the operator
    /// are made from it by [`OpCall::fresh`].
    pub closure: Ident,
    /// The variable holding the output record type's marker.
    pub marker: Ident,
    /// The variables of the sinks, one per input port.
    pub sinks: Vec<Ident>,
    /// Number of the output in declaration order (outputs only).
    pub output_index: usize,
}

impl OpCall<'_> {
    /// The argument `name`, if given. Panics if the spec has no such argument (a bug in an
    /// operator file, found by its tests).
    pub fn arg(&self, name: &str) -> Option<&Expr> {
        self.spec.arg_spec(name);
        self.args.get(name).map(|a| a.expr)
    }

    /// The duration argument `name` in milliseconds, if given.
    pub fn millis(&self, name: &str) -> Option<i64> {
        self.spec.arg_spec(name);
        self.args
            .get(name)
            .and_then(|a| a.millis)
            .map(|ms| ms as i64)
    }

    /// The runtime's `__private` module, as a path prefix spanned on this operator.
    pub fn rt(&self) -> Ident {
        names::at(names::RUNTIME, self.span)
    }

    /// The record variable of a loop.
    pub fn record(&self) -> Ident {
        names::at(names::RECORD, self.span)
    }

    /// The per-batch context variable.
    pub fn ctx(&self) -> Ident {
        names::at(names::CONTEXT, self.span)
    }

    /// A variable of this operator for `role` (`__f3_inverse`), distinct from every other
    /// operator's.
    pub fn fresh(&self, role: &str) -> Ident {
        format_ident!("{}_{}", self.closure, role)
    }

    /// The context's default partition count, as code.
    pub fn default_partitions(&self) -> TokenStream {
        let (rt, ctx) = (self.rt(), self.ctx());
        quote_spanned!(self.span=> #rt::partitions(::core::option::Option::None, #ctx))
    }

    /// The partition count argument `name` as code: the given count or the default.
    pub fn partitions(&self, name: &str) -> TokenStream {
        let (rt, ctx) = (self.rt(), self.ctx());
        let given = match self.arg(name) {
            Some(n) => quote_spanned!(self.span=> ::core::option::Option::Some(#n)),
            None => quote_spanned!(self.span=> ::core::option::Option::None),
        };
        quote_spanned!(self.span=> #rt::partitions(#given, #ctx))
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

/// The stage of a breaker with one port whose sink is `ops::<module>::sink(args…)` and whose
/// batch is `ops::<module>::finish(sink)`.
pub fn simple_stage(call: &OpCall, module: &str, args: TokenStream) -> StageCode {
    let (rt, sink, module) = (call.rt(), &call.sinks[0], format_ident!("{module}"));
    StageCode {
        sinks: quote_spanned!(call.span=> let mut #sink = #rt::ops::#module::sink(#args);),
        batch: quote_spanned!(call.span=> #rt::ops::#module::finish(#sink)),
        ..StageCode::default()
    }
}

/// Like [`simple_stage`], with the operator's function (argument `function`) checked by
/// `ops::<module>::<check>(&marker, f)` and bound once, to `call.closure`, before the sink (which
/// `args` may borrow: forks or key groups of the sink share it).
pub fn stage_with_shared_function(
    call: &OpCall,
    module: &str,
    check: &str,
    marker: &Ident,
    args: TokenStream,
) -> StageCode {
    let (rt, checked, f) = (call.rt(), &call.closure, call.arg("function"));
    let (module_ident, check) = (
        format_ident!("{module}", span = call.span),
        format_ident!("{check}", span = call.span),
    );
    let mut stage = simple_stage(call, module, args);
    let sinks = stage.sinks;
    stage.sinks = quote_spanned!(call.span=>
        let #checked = #rt::ops::#module_ident::#check(&#marker, #f);
        #sinks
    );
    stage
}

/// The setup of a record-by-record operator (see [`Kind::PerRecord`]), given the marker of
/// its input's records.
pub fn checked_closure(call: &OpCall, input: &Ident) -> TokenStream {
    let (rt, f, m, checked) = (
        call.rt(),
        &call.closure,
        &call.marker,
        call.fresh("checked"),
    );
    let module = format_ident!("{}", call.spec.name);
    let user = call.args.iter().next().map(|a| a.expr);
    // `mut` is needed only for `FnMut` closures; the rebinding keeps the `allow` off the
    // user's closure.
    quote_spanned!(call.span=>
        let (#checked, #m) = #rt::ops::#module::check(&#input, #user);
        #[allow(unused_mut)]
        let mut #f = #checked;
    )
}
