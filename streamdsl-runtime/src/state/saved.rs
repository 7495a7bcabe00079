//! A pipeline's state in a checkpoint: each stateful operator's state serialized on its own,
//! by name, so a state that no longer decodes is named, and a state type that changed can be
//! converted from its previous version ([`StateMigration`]).

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// Why a checkpoint's state cannot be restored into the pipeline.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The state is not a list of operators' states.
    #[error("its state is not a list of the stateful operators' states")]
    Layout(#[source] postcard::Error),
    /// The checkpoint has no state for an operator of the pipeline.
    #[error("it has no state for `{operator}`")]
    Missing {
        /// The operator, as `name: operator`.
        operator: &'static str,
    },
    /// An operator's state does not decode as its type now.
    #[error(
        "the state type of `{operator}` changed since this checkpoint was written (a field added, \
         removed or retyped): run the build that wrote it, implement `StateMigration` for the new \
         type to convert the previous one, or move the checkpoint directory away to start afresh"
    )]
    Changed {
        /// The operator, as `name: operator`.
        operator: &'static str,
        /// What the decoder said.
        #[source]
        source: postcard::Error,
    },
}

/// The states of a pipeline's operators, as a checkpoint holds them: `(name, bytes)`,
/// borrowed from the checkpoint's bytes.
#[doc(hidden)]
pub struct SavedStates<'a>(Vec<(&'a str, &'a [u8])>);

/// An operator's state bytes, written as one byte string (a copy of the slice) rather than
/// a sequence of `u8`s (a serializer call per byte); postcard writes both the same way.
struct Blob<'a>(&'a [u8]);

impl Serialize for Blob<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

impl<'a> SavedStates<'a> {
    /// The checkpoint bytes of every operator's state, in declaration order.
    pub fn save(states: Vec<(&'static str, Vec<u8>)>) -> Result<Vec<u8>, postcard::Error> {
        let blobs: Vec<(&str, Blob)> = states.iter().map(|(n, b)| (*n, Blob(b))).collect();
        postcard::to_stdvec(&blobs)
    }

    /// Each operator's state bytes, read from a checkpoint.
    pub fn read(bytes: &'a [u8]) -> Result<Self, StateError> {
        postcard::from_bytes(bytes)
            .map(SavedStates)
            .map_err(StateError::Layout)
    }

    /// The bytes of `name`'s state (`operator` names it in errors).
    pub fn bytes(&self, name: &str, operator: &'static str) -> Result<&'a [u8], StateError> {
        let found = self.0.iter().find(|(n, _)| *n == name);
        found
            .map(|(_, bytes)| *bytes)
            .ok_or(StateError::Missing { operator })
    }
}

/// A stateful operator's state that checkpoints can hold: its keys and values implement
/// serde's `Serialize` and `Deserialize` (add `#[derive(serde::Serialize,
/// serde::Deserialize)]` to a struct of yours kept as state).
#[diagnostic::on_unimplemented(
    message = "the state `{Self}` cannot be checkpointed: its keys and values must implement serde's `Serialize` and `Deserialize`",
    label = "this state is written to checkpoints",
    note = "add `#[derive(serde::Serialize, serde::Deserialize)]` to the key and state types (with serde and its `derive` feature in your Cargo.toml)"
)]
pub trait Checkpointed: Serialize + DeserializeOwned {}

#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned> Checkpointed for T {}

/// One operator's state, serialized for a checkpoint.
#[doc(hidden)]
pub fn save<T: Checkpointed>(
    name: &'static str,
    state: &T,
) -> Result<(&'static str, Vec<u8>), postcard::Error> {
    Ok((name, postcard::to_stdvec(state)?))
}

/// A per-key state type that changed, with the conversion from its previous version: a
/// checkpoint written with the previous type is restored through [`migrate`](Self::migrate).
///
/// Checkpoints are compact binary data (postcard), not self-describing: a field added to a
/// state struct, even with `#[serde(default)]`, makes the old bytes unreadable as the new
/// type. Keep the old type (renamed) and say how to convert:
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use streamdsl_runtime::state::StateMigration;
///
/// /// The state as the running build had it.
/// #[derive(Serialize, Deserialize)]
/// struct SessionV1 {
///     clicks: u64,
/// }
///
/// /// The state now: it also keeps the pages.
/// #[derive(Clone, Serialize, Deserialize)]
/// struct Session {
///     clicks: u64,
///     pages: Vec<String>,
/// }
///
/// impl StateMigration for Session {
///     type Previous = SessionV1;
///     fn migrate(previous: SessionV1) -> Session {
///         Session { clicks: previous.clicks, pages: Vec::new() }
///     }
/// }
/// ```
///
/// Restoring tries the type as it is first, so checkpoints written after the change restore
/// as usual. It applies to the per-key states of `update_state_by_key` and `map_with_state`.
pub trait StateMigration: Sized {
    /// The type the state had before.
    type Previous: DeserializeOwned;
    /// The state converted from the previous one.
    fn migrate(previous: Self::Previous) -> Self;
}

/// A stateful operator's state whose per-key values can be converted to another type.
#[doc(hidden)]
pub trait MigratableState: Sized {
    /// The per-key state.
    type Value;
    /// The same operator's state with values of type `V`.
    type With<V>;
    /// Every value converted with `f`.
    fn convert<V>(previous: Self::With<V>, f: impl FnMut(V) -> Self::Value) -> Self;
}

/// Restores an operator's state of type `T`; see [`restorer`].
#[doc(hidden)]
pub struct Restorer<T>(PhantomData<T>);

/// The restorer of state type `T`: the generated code calls `(&&restorer()).restore(bytes)`
/// with [`ViaMigration`] and [`ViaType`] in scope, and method resolution takes the migrating
/// one (on `&Restorer`) when `T`'s values implement [`StateMigration`].
#[doc(hidden)]
pub fn restorer<T>() -> Restorer<T> {
    Restorer(PhantomData)
}

/// The state as it is, else its previous version, converted.
#[doc(hidden)]
pub trait ViaMigration<T> {
    fn restore(&self, bytes: &[u8]) -> Result<T, postcard::Error>;
}

impl<T> ViaMigration<T> for &Restorer<T>
where
    T: MigratableState + DeserializeOwned,
    T::Value: StateMigration,
    T::With<<T::Value as StateMigration>::Previous>: DeserializeOwned,
{
    fn restore(&self, bytes: &[u8]) -> Result<T, postcard::Error> {
        let now = postcard::from_bytes::<T>(bytes);
        now.or_else(|error| {
            let previous =
                postcard::from_bytes::<T::With<<T::Value as StateMigration>::Previous>>(bytes);
            // The error worth reporting is the one of the type as it is.
            previous
                .map(|previous| T::convert(previous, T::Value::migrate))
                .map_err(|_| error)
        })
    }
}

/// The state as it is. Implemented for every type, the bound on the method: a state type
/// without serde gets [`Checkpointed`]'s message, not "method not found".
#[doc(hidden)]
pub trait ViaType<T> {
    fn restore(&self, bytes: &[u8]) -> Result<T, postcard::Error>
    where
        T: Checkpointed;
}

impl<T> ViaType<T> for Restorer<T> {
    fn restore(&self, bytes: &[u8]) -> Result<T, postcard::Error>
    where
        T: Checkpointed,
    {
        postcard::from_bytes(bytes)
    }
}
