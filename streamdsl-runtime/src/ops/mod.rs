//! The operators' run-time halves: one file per operator, named as the operator.
//!
//! The `stream!` macro calls these from the per-batch code it generates. Operators that work
//! record by record (`map`, `filter`, `flat_map`, `map_values`, `flat_map_values`) only check the
//! user's closure here: their loop is fused into the generated code. Every other operator is a
//! `Sink` that a fused loop pushes into, and a `finish` that makes its batch.
//!
//! Each `check`/`sink` function takes a `Marker` of its input's record type before the user's
//! closure. That fixes the closure's parameter types before rustc reads its body, so type
//! errors point into the user's closure and name the types involved.
//!
//! Only generated code calls into this module, so its items are hidden from the documentation,
//! except those that compile errors name ([`RecordTypeIs`], [`Annotated`], [`annotated`],
//! [`shared`], [`join::right_side`], [`join::SameKeyAs`], [`union::Port`],
//! [`union::SameRecordAs`]): what such an error names can be looked up here. They stay at
//! these paths, and visible, because rustc writes a hidden item's name with its full path.

use std::marker::PhantomData;

#[doc(hidden)]
pub mod cogroup;
#[doc(hidden)]
pub mod count;
#[doc(hidden)]
pub mod count_by_value;
#[doc(hidden)]
pub mod filter;
#[doc(hidden)]
pub mod filter_map;
#[doc(hidden)]
pub mod flat_map;
#[doc(hidden)]
pub mod flat_map_values;
#[doc(hidden)]
pub mod glom;
#[doc(hidden)]
pub mod group_by_key;
pub mod join;
#[doc(hidden)]
pub mod map;
#[doc(hidden)]
pub mod map_values;
#[doc(hidden)]
pub mod reduce;
#[doc(hidden)]
pub mod reduce_by_key;
#[doc(hidden)]
pub mod repartition;
#[doc(hidden)]
pub mod transform;
pub mod union;

/// Stands for the record type `T` of a stream in generated code; carries no data.
#[doc(hidden)]
pub struct Marker<T>(PhantomData<fn() -> T>);

impl<T> Marker<T> {
    /// The marker of `T`.
    #[inline(always)]
    pub fn new() -> Self {
        Marker(PhantomData)
    }

    /// The marker of a batch's record type.
    #[inline(always)]
    pub fn of_batch(_: &crate::Batch<T>) -> Self {
        Marker(PhantomData)
    }

    /// The marker of the record type of a stream that has a batch only at some times.
    #[inline(always)]
    pub fn of_optional(_: &Option<crate::Batch<T>>) -> Self {
        Marker(PhantomData)
    }
}

impl<T> Default for Marker<T> {
    fn default() -> Self {
        Marker::new()
    }
}

impl<T> Clone for Marker<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Marker<T> {}

/// Proof that a stream read more than once has `Clone` records: checked once per stream, so
/// that a missing `Clone` is reported once however many operators read the stream.
#[doc(hidden)]
pub struct Shared<T> {
    clone: fn(&T) -> T,
}

/// Checks that the stream's records can be cloned for each reader.
#[inline(always)]
pub fn shared<T: crate::keyed::SharedRecord>(_: &Marker<T>) -> Shared<T> {
    Shared { clone: T::clone }
}

impl<T> Shared<T> {
    /// The records of one partition, each cloned.
    #[inline(always)]
    pub fn read<'a>(&self, partition: &'a [T]) -> impl Iterator<Item = T> + 'a {
        partition.iter().map(self.clone)
    }
}

/// A `let` annotated with a record type must yield that type.
#[diagnostic::on_unimplemented(
    message = "this stream yields `{Self}`, but its `let` is annotated `{A}`",
    label = "annotated `{A}`",
    note = "change the annotation to `{Self}`, or map the records to `{A}`"
)]
pub trait RecordTypeIs<A> {
    /// The record as the annotated type (itself).
    fn into_record(self) -> A;
}

impl<A> RecordTypeIs<A> for A {
    #[inline(always)]
    fn into_record(self) -> A {
        self
    }
}

/// Collects a stream's records as its `let`'s annotated type: a stateful operator that
/// stores its input's records (`window`) states the annotation where it takes them, so a
/// mismatch is reported once, in words.
pub struct Annotated<A> {
    records: crate::BatchBuilder<A>,
}

/// A collector of records of the annotated type `A`.
#[doc(hidden)]
#[inline(always)]
pub fn annotated_sink<A>() -> Annotated<A> {
    Annotated {
        records: crate::BatchBuilder::new(),
    }
}

impl<A> crate::EndPartition for Annotated<A> {
    fn end_partition(&mut self) {
        self.records.end_partition();
    }
}

crate::workers::split_through_builder!(Annotated<A>, records);

impl<A, T: RecordTypeIs<A>> crate::Sink<T> for Annotated<A> {
    #[inline(always)]
    fn push(&mut self, record: T) {
        self.records.push(record.into_record());
    }
}

impl<A> Annotated<A> {
    /// The batch of records.
    #[doc(hidden)]
    pub fn finish(self) -> crate::Batch<A> {
        self.records.finish()
    }
}

/// What a function that runs on the workers must be: several workers call it at once, so
/// what it captures must be shareable between threads (`Sync`), as Spark ships a function to
/// every task.
#[diagnostic::on_unimplemented(
    message = "this function runs on several worker threads at once, so what it captures must be shareable between threads (`Sync`)",
    label = "captures something that is not `Sync`",
    note = "a `Cell`, `RefCell` or `Rc` cannot be shared: count with an atomic (`AtomicU64`), guard with a `Mutex`, share with an `Arc`, or keep per-key state in `update_state_by_key`/`map_with_state`"
)]
pub trait Shareable: Sync {}
#[diagnostic::do_not_recommend]
impl<F: Sync> Shareable for F {}

/// Checks a `let`'s type annotation against the stream's record type.
#[inline(always)]
pub fn annotated<A, T: RecordTypeIs<A>>(_: &Marker<T>) {}

/// The partition count of a keyed operator: the one given, else the context's default
/// parallelism (Spark's `defaultParallelism`).
#[doc(hidden)]
#[inline]
pub fn partitions(given: Option<usize>, ctx: &crate::BatchContext<'_>) -> usize {
    given.unwrap_or_else(|| ctx.default_parallelism()).max(1)
}
