//! A batch: the records a stream holds at one batch time, in partitions (Spark's RDD).

use smallvec::SmallVec;
use std::borrow::Borrow;
use std::fmt;

/// The records of one stream at one batch time, split into partitions.
///
/// Operators that work record by record keep the partitions of their parent; keyed operators
/// hash-partition their output; [`repartition`](crate#operators) sets the count. Outputs such as
/// `foreach_rdd` receive a `&Batch`.
///
/// ```
/// use streamdsl_runtime::Batch;
/// let batch = Batch::from_partitions(vec![vec![1, 2], vec![3]]);
/// assert_eq!(batch.len(), 3);
/// assert_eq!(batch.num_partitions(), 2);
/// assert_eq!(batch.iter().sum::<i32>(), 6);
/// assert_eq!(batch.into_vec(), vec![1, 2, 3]);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Batch<T> {
    // Most batches have one or two partitions: keep those inline.
    partitions: SmallVec<[Vec<T>; 2]>,
}

impl<T> Batch<T> {
    /// An empty batch with one empty partition (what Spark's `queueStream` gives when its
    /// queue is empty).
    pub fn empty() -> Self {
        Batch {
            partitions: smallvec::smallvec![Vec::new()],
        }
    }

    /// A batch with the given partitions.
    pub fn from_partitions(partitions: impl IntoIterator<Item = Vec<T>>) -> Self {
        Batch {
            partitions: partitions.into_iter().collect(),
        }
    }

    /// Number of records in all partitions.
    pub fn len(&self) -> usize {
        self.partitions.iter().map(Vec::len).sum()
    }

    /// Whether the batch has no record (it may still have empty partitions).
    pub fn is_empty(&self) -> bool {
        self.partitions.iter().all(Vec::is_empty)
    }

    /// Number of partitions.
    pub fn num_partitions(&self) -> usize {
        self.partitions.len()
    }

    /// The partitions, in order.
    pub fn partitions(&self) -> impl ExactSizeIterator<Item = &[T]> {
        self.partitions.iter().map(Vec::as_slice)
    }

    /// The partitions, by value.
    pub fn into_partitions(self) -> impl ExactSizeIterator<Item = Vec<T>> {
        self.partitions.into_iter()
    }

    /// All records in partition order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.partitions.iter().flatten()
    }

    /// All records in partition order, by value.
    pub fn into_vec(self) -> Vec<T> {
        if self.partitions.len() == 1 {
            return self.partitions.into_iter().next().unwrap_or_default();
        }
        self.partitions.into_iter().flatten().collect()
    }

    /// The batch seen through [`Borrow`], e.g. a `Batch<String>` as a `Batch<&str>`.
    pub fn borrowed<B: ?Sized>(&self) -> Batch<&B>
    where
        T: Borrow<B>,
    {
        Batch {
            partitions: self
                .partitions
                .iter()
                .map(|p| p.iter().map(Borrow::borrow).collect())
                .collect(),
        }
    }
}

impl<T> Default for Batch<T> {
    fn default() -> Self {
        Batch::empty()
    }
}

impl<T: fmt::Debug> fmt::Debug for Batch<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.partitions.iter()).finish()
    }
}

impl<T> From<Vec<T>> for Batch<T> {
    fn from(records: Vec<T>) -> Self {
        Batch {
            partitions: smallvec::smallvec![records],
        }
    }
}

impl<T, const N: usize> From<[T; N]> for Batch<T> {
    fn from(records: [T; N]) -> Self {
        Batch::from(Vec::from(records))
    }
}

impl<T> IntoIterator for Batch<T> {
    type Item = T;
    type IntoIter = std::iter::Flatten<smallvec::IntoIter<[Vec<T>; 2]>>;
    fn into_iter(self) -> Self::IntoIter {
        self.partitions.into_iter().flatten()
    }
}

impl<'a, T> IntoIterator for &'a Batch<T> {
    type Item = &'a T;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<T>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.partitions.iter().flatten()
    }
}

impl<T> FromIterator<T> for Batch<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Batch::from(iter.into_iter().collect::<Vec<T>>())
    }
}

/// A stream's batch at one time: a [`Batch`], or `Option<Batch>` for a stream that has a batch
/// only at some times (a window with a slide longer than the batch interval); `None` has no
/// records. The generated loops read both the same way.
#[doc(hidden)]
pub trait BatchSource<T> {
    /// The partitions, borrowed.
    fn parts<'a>(&'a self) -> impl Iterator<Item = &'a [T]>
    where
        T: 'a;
    /// The partitions, by value.
    fn into_parts(self) -> impl Iterator<Item = Vec<T>>;
}

impl<T> BatchSource<T> for Batch<T> {
    fn parts<'a>(&'a self) -> impl Iterator<Item = &'a [T]>
    where
        T: 'a,
    {
        self.partitions()
    }
    fn into_parts(self) -> impl Iterator<Item = Vec<T>> {
        self.into_partitions()
    }
}

impl<T> BatchSource<T> for Option<Batch<T>> {
    fn parts<'a>(&'a self) -> impl Iterator<Item = &'a [T]>
    where
        T: 'a,
    {
        self.iter().flat_map(Batch::partitions)
    }
    fn into_parts(self) -> impl Iterator<Item = Vec<T>> {
        self.into_iter().flat_map(Batch::into_partitions)
    }
}

/// What a `transform` function may return: a [`Batch`] or a `Vec` (one partition).
pub trait IntoBatch {
    /// The record type.
    type Record;
    /// Converts into a batch.
    fn into_batch(self) -> Batch<Self::Record>;
}

impl<T> IntoBatch for Batch<T> {
    type Record = T;
    fn into_batch(self) -> Batch<T> {
        self
    }
}

impl<T> IntoBatch for Vec<T> {
    type Record = T;
    fn into_batch(self) -> Batch<T> {
        Batch::from(self)
    }
}

/// Where a fused loop delivers its records.
///
/// Every operator that ends a fused chain (keyed aggregation, join side, union, transform,
/// a stream read twice) is a `Sink`; the generated per-batch code calls `push` for each record
/// and [`EndPartition::end_partition`] after each input partition. The record type is a
/// parameter so that a keyed sink can state what it needs of the records it is given (pairs,
/// hashable keys) in the same words as the operator's check.
#[doc(hidden)]
pub trait Sink<T>: EndPartition {
    /// Takes one record.
    fn push(&mut self, record: T);
}

/// The partition boundaries of a fused loop's input.
#[doc(hidden)]
pub trait EndPartition {
    /// Marks the end of the current input partition.
    fn end_partition(&mut self) {}
}

/// Collects records into a [`Batch`], keeping the partitions of the input.
#[doc(hidden)]
#[derive(Debug)]
pub struct BatchBuilder<T> {
    partitions: SmallVec<[Vec<T>; 2]>,
    current: Vec<T>,
}

impl<T> BatchBuilder<T> {
    /// An empty builder.
    pub fn new() -> Self {
        BatchBuilder {
            partitions: SmallVec::new(),
            current: Vec::new(),
        }
    }

    /// The batch built so far; a builder that saw no partition gives [`Batch::empty`].
    pub fn finish(mut self) -> Batch<T> {
        if self.partitions.is_empty() {
            self.partitions.push(std::mem::take(&mut self.current));
        }
        Batch {
            partitions: self.partitions,
        }
    }

    /// Appends whole partitions (used by `union`).
    pub(crate) fn append_partitions(&mut self, batch: Batch<T>) {
        self.partitions.extend(batch.partitions);
    }
}

impl<T> Default for BatchBuilder<T> {
    fn default() -> Self {
        BatchBuilder::new()
    }
}

impl<T> Sink<T> for BatchBuilder<T> {
    #[inline(always)]
    fn push(&mut self, record: T) {
        self.current.push(record);
    }
}

impl<T> EndPartition for BatchBuilder<T> {
    fn end_partition(&mut self) {
        let capacity = self.current.len();
        self.partitions.push(std::mem::replace(
            &mut self.current,
            Vec::with_capacity(capacity),
        ));
    }
}

impl<T: Send> crate::workers::Split for BatchBuilder<T> {
    fn fork(&self) -> Self {
        BatchBuilder::new()
    }

    /// A fork's records up to its first partition end continue this builder's open
    /// partition (the partition was cut between two shares); its other partitions follow.
    fn join(&mut self, forks: Vec<Self>, _workers: usize) {
        for later in forks {
            let mut closed = later.partitions.into_iter();
            match closed.next() {
                Some(continued) => {
                    if self.current.is_empty() {
                        self.partitions.push(continued);
                    } else {
                        self.current.extend(continued);
                        self.partitions.push(std::mem::take(&mut self.current));
                    }
                    self.partitions.extend(closed);
                    self.current = later.current;
                }
                None if self.current.is_empty() => self.current = later.current,
                None => self.current.extend(later.current),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_keeps_partitions() {
        let mut b = BatchBuilder::new();
        b.push(1);
        b.end_partition();
        b.end_partition();
        b.push(2);
        b.push(3);
        b.end_partition();
        let batch = b.finish();
        assert_eq!(batch.num_partitions(), 3);
        assert_eq!(
            batch.partitions().map(<[i32]>::len).collect::<Vec<_>>(),
            [1, 0, 2]
        );
    }

    #[test]
    fn empty_builder_gives_one_empty_partition() {
        let batch = BatchBuilder::<u8>::new().finish();
        assert_eq!(batch.num_partitions(), 1);
        assert!(batch.is_empty());
    }

    #[test]
    fn borrowed_view() {
        let batch = Batch::from(vec![String::from("a"), String::from("b")]);
        let view: Batch<&str> = batch.borrowed();
        assert_eq!(view.into_vec(), ["a", "b"]);
    }
}
