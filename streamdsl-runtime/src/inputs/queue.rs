//! `queue_stream`: batches from an in-memory queue (Spark's `queueStream`, spec 3.3).

use super::{InputPosition, InputStream};
use crate::{Batch, BoxError, Time};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// An input fed from a queue of batches.
///
/// Per batch time, with `one_at_a_time` (the default) the input takes one queued batch;
/// otherwise all queued batches, unioned. With nothing queued it gives the default batch
/// (empty unless set), so outputs still run, as Spark does.
///
/// The queue can be fed while the pipeline runs through a [`QueueFeeder`]. It is *finished*
/// once it is empty and no feeder is left, which lets
/// [`StreamingContext::run_until_finished`](crate::StreamingContext::run_until_finished) stop.
///
/// ```
/// use streamdsl_runtime::{queue_stream, InputStream, Time};
/// let mut q = queue_stream(vec![vec![1, 2], vec![3]]);
/// assert_eq!(q.next_batch(Time::from_millis(1000)).unwrap().into_vec(), [1, 2]);
/// assert_eq!(q.next_batch(Time::from_millis(2000)).unwrap().into_vec(), [3]);
/// assert!(q.next_batch(Time::from_millis(3000)).unwrap().is_empty());
/// assert!(q.is_finished());
/// ```
pub struct QueueStream<T> {
    shared: Arc<Mutex<Queue<T>>>,
    one_at_a_time: bool,
    default_batch: Option<Batch<T>>,
}

struct Queue<T> {
    batches: VecDeque<Batch<T>>,
    /// Batches taken so far: the queue's position for checkpoints.
    taken: u64,
    feeders: usize,
    closed: bool,
}

/// A queue of the given batches, taken one per batch time.
pub fn queue_stream<T, B: Into<Batch<T>>>(batches: impl IntoIterator<Item = B>) -> QueueStream<T> {
    QueueStream {
        shared: Arc::new(Mutex::new(Queue {
            batches: batches.into_iter().map(Into::into).collect(),
            taken: 0,
            feeders: 0,
            closed: false,
        })),
        one_at_a_time: true,
        default_batch: None,
    }
}

impl<T> QueueStream<T> {
    /// Whether each batch takes one queued batch (`true`, the default) or all of them.
    pub fn one_at_a_time(mut self, one: bool) -> Self {
        self.one_at_a_time = one;
        self
    }

    /// The batch to use when the queue is empty (default: an empty batch).
    pub fn default_batch(mut self, batch: impl Into<Batch<T>>) -> Self {
        self.default_batch = Some(batch.into());
        self
    }

    /// A handle that adds batches while the pipeline runs; the queue is not finished while
    /// a feeder exists.
    pub fn feeder(&self) -> QueueFeeder<T> {
        lock(&self.shared).feeders += 1;
        QueueFeeder {
            shared: Arc::clone(&self.shared),
        }
    }
}

fn lock<T>(m: &Mutex<Queue<T>>) -> MutexGuard<'_, Queue<T>> {
    // A feeder that panicked while pushing leaves a consistent queue: keep using it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<T: Clone + Send + 'static> InputStream<T> for QueueStream<T> {
    fn describe(&self) -> String {
        "queue_stream".into()
    }

    fn next_batch(&mut self, _time: Time) -> Result<Batch<T>, BoxError> {
        let mut q = lock(&self.shared);
        let taken = if self.one_at_a_time {
            let batch = q.batches.pop_front();
            q.taken += u64::from(batch.is_some());
            batch
        } else if q.batches.is_empty() {
            None
        } else {
            q.taken += q.batches.len() as u64;
            Some(Batch::from_partitions(
                q.batches.drain(..).flat_map(Batch::into_partitions),
            ))
        };
        drop(q);
        Ok(taken.unwrap_or_else(|| self.default_batch.clone().unwrap_or_default()))
    }

    fn is_finished(&self) -> bool {
        let q = lock(&self.shared);
        q.batches.is_empty() && (q.feeders == 0 || q.closed)
    }

    fn stop_receiving(&mut self) {
        lock(&self.shared).closed = true;
    }

    /// Never: queued batches not yet taken are not received data (Spark's graceful stop does
    /// not drain a `queueStream` either), so a graceful stop runs the next batch and stops.
    fn has_pending(&self) -> bool {
        false
    }

    /// The number of batches taken: a queue built again with the same batches replays from
    /// there. (Batches fed while running are not replayable unless fed again.)
    fn position(&mut self) -> Option<InputPosition> {
        Some(InputPosition::Queue {
            taken: lock(&self.shared).taken,
        })
    }

    fn restore(&mut self, position: &InputPosition) -> Result<(), crate::BoxError> {
        let InputPosition::Queue { taken } = position else {
            return Err(format!("a queue cannot be repositioned to {position:?}").into());
        };
        let mut q = lock(&self.shared);
        let queued = q.batches.len() as u64;
        if queued < *taken {
            return Err(format!(
                "the checkpoint's queue had taken {taken} batches, but this queue holds only {queued}; \
                 build the queue with the same batches as the run that wrote the checkpoint"
            )
            .into());
        }
        q.batches.drain(..*taken as usize);
        q.taken = *taken;
        Ok(())
    }
}

/// Adds batches to a running [`QueueStream`]. Dropping the last feeder lets the queue finish.
pub struct QueueFeeder<T> {
    shared: Arc<Mutex<Queue<T>>>,
}

impl<T> QueueFeeder<T> {
    /// Queues a batch. Returns `false` (and drops the batch) if the pipeline is stopping.
    pub fn push(&self, batch: impl Into<Batch<T>>) -> bool {
        let mut q = lock(&self.shared);
        if q.closed {
            return false;
        }
        q.batches.push_back(batch.into());
        true
    }
}

impl<T> Clone for QueueFeeder<T> {
    fn clone(&self) -> Self {
        lock(&self.shared).feeders += 1;
        QueueFeeder {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for QueueFeeder<T> {
    fn drop(&mut self) {
        lock(&self.shared).feeders -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(k: i64) -> Time {
        Time::from_millis(k * 1000)
    }

    #[test]
    fn tv5_one_at_a_time() {
        let mut q = queue_stream(vec![vec![1], vec![2], vec![3]]);
        let got: Vec<Vec<i32>> = (1..=4)
            .map(|k| q.next_batch(t(k)).unwrap().into_vec())
            .collect();
        assert_eq!(got, [vec![1], vec![2], vec![3], vec![]]);
    }

    #[test]
    fn tv6_all_at_once_and_fed_while_running() {
        let mut q = queue_stream(vec![vec![1], vec![2], vec![3]]).one_at_a_time(false);
        let feeder = q.feeder();
        assert_eq!(q.next_batch(t(1)).unwrap().into_vec(), [1, 2, 3]);
        feeder.push(vec![4]);
        assert_eq!(q.next_batch(t(2)).unwrap().into_vec(), [4]);
        assert!(!q.is_finished(), "a live feeder keeps the queue open");
        drop(feeder);
        assert!(q.is_finished());
    }

    #[test]
    fn position_and_restore_replay_the_rest() {
        let mut q = queue_stream(vec![vec![1], vec![2], vec![3]]);
        q.next_batch(t(1)).unwrap();
        q.next_batch(t(2)).unwrap();
        let position = q.position().unwrap();
        assert_eq!(position, InputPosition::Queue { taken: 2 });
        let mut again = queue_stream(vec![vec![1], vec![2], vec![3]]);
        again.restore(&position).unwrap();
        assert_eq!(again.next_batch(t(3)).unwrap().into_vec(), [3]);
        assert!(
            queue_stream(vec![vec![1]]).restore(&position).is_err(),
            "a shorter queue is refused"
        );
    }

    #[test]
    fn default_batch_when_empty() {
        let mut q = queue_stream(Vec::<Vec<i32>>::new()).default_batch(vec![0]);
        assert_eq!(q.next_batch(t(1)).unwrap().into_vec(), [0]);
    }

    #[test]
    fn graceful_stop_refuses_new_batches_and_leaves_queued_ones_to_the_next_batch() {
        let mut q = queue_stream(vec![vec![1]]);
        let feeder = q.feeder();
        q.stop_receiving();
        assert!(!feeder.push(vec![2]));
        assert!(!q.has_pending(), "queued batches are not received data");
        assert_eq!(q.next_batch(t(1)).unwrap().into_vec(), [1]);
        assert!(q.is_finished());
    }
}
