//! `reduce(f)`: folds each batch into one record with `f`; an empty batch gives no record
//! (as Spark, where `reduce` on an empty batch emits nothing).

use super::Marker;
use crate::workers::Split;
use crate::{Batch, EndPartition, Sink};

pub struct Reduce<T, F> {
    acc: Option<T>,
    f: F,
    /// A fork's records, folded in order when it is joined: the fold is then the one a
    /// single loop makes, whatever the worker count (`f` need not be associative).
    held: Option<Vec<T>>,
}

#[inline(always)]
pub fn sink<T, F: Fn(T, T) -> T + Copy>(_: &Marker<T>, f: F) -> Reduce<T, F> {
    Reduce {
        acc: None,
        f,
        held: None,
    }
}

impl<T, F> EndPartition for Reduce<T, F> {}

impl<T, F: Fn(T, T) -> T> Sink<T> for Reduce<T, F> {
    #[inline(always)]
    fn push(&mut self, record: T) {
        if let Some(held) = &mut self.held {
            held.push(record);
            return;
        }
        self.acc = Some(match self.acc.take() {
            Some(acc) => (self.f)(acc, record),
            None => record,
        });
    }
}

impl<T: Send, F: Fn(T, T) -> T + Copy + Send> Split for Reduce<T, F> {
    fn fork(&self) -> Self {
        Reduce {
            acc: None,
            f: self.f,
            held: Some(Vec::new()),
        }
    }
    fn join(&mut self, forks: Vec<Self>, _workers: usize) {
        for record in forks.into_iter().flat_map(|f| f.held).flatten() {
            self.push(record);
        }
    }
}

pub fn fold<T, F>(sink: Reduce<T, F>) -> Option<T> {
    sink.acc
}

/// Checks the function; it runs on the workers, so it must be `Fn` and shareable.
#[inline(always)]
pub fn check<T, F: Fn(T, T) -> T + super::Shareable>(_: &Marker<T>, f: F) -> F {
    f
}

pub fn finish<T, F>(sink: Reduce<T, F>) -> Batch<T> {
    Batch::from(sink.acc.into_iter().collect::<Vec<_>>())
}
