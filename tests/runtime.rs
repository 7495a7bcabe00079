//! The runtime's contract: batch clock, stops, termination, metrics, errors (spec 1.2-1.3,
//! 2.4-2.5, 9). Runs on the manual clock unless a test is about the system clock.

use std::sync::{Arc, Mutex};
use std::time::Duration;
use streamdsl::Unbound;
use streamdsl::prelude::*;
use streamdsl::testing::Harness;
use streamdsl::{Error, Stopper};

type Seen = Arc<Mutex<Vec<(i64, Vec<i64>)>>>;

stream! {
    /// Records what each batch held, and fails on request.
    pipeline Recorder(seen: Seen, fail_on: Option<i64>) {
        batch = 1s;
        input numbers: i64;
        numbers.foreach_rdd(|time, batch| {
            seen.lock().unwrap().push((time.millis(), batch.iter().copied().collect()));
            if *fail_on == Some(time.millis()) {
                return Err(format!("sink refused batch {time}"));
            }
            Ok(())
        });
    }
}

fn recorder(
    batches: Vec<Vec<i64>>,
    fail_on: Option<i64>,
) -> (Recorder<Unbound>, QueueStream<i64>, Seen) {
    let seen = Seen::default();
    (
        Recorder::new(Arc::clone(&seen), fail_on),
        queue_stream(batches),
        seen,
    )
}

/// Collects batch metrics.
#[derive(Clone, Default)]
struct Metrics(Arc<Mutex<Vec<BatchInfo>>>);

impl StreamingListener for Metrics {
    fn on_batch_completed(&mut self, info: &BatchInfo) {
        self.0.lock().unwrap().push(info.clone());
    }
}

#[test]
fn slow_batches_delay_the_next_ones_without_skipping() {
    let (pipeline, input, _) = recorder(vec![vec![1], vec![2], vec![3]], None);
    let run = Harness::new(pipeline.numbers(input))
        .each_batch_takes(Duration::from_millis(2500))
        .run(3)
        .unwrap();
    let times: Vec<i64> = run
        .batches()
        .iter()
        .map(|b| b.batch_time.millis())
        .collect();
    assert_eq!(times, [1000, 2000, 3000], "every batch time runs, in order");
    let delays: Vec<u128> = run
        .batches()
        .iter()
        .map(|b| b.scheduling_delay().as_millis())
        .collect();
    assert_eq!(
        delays,
        [0, 1500, 3000],
        "each 2.5 s batch pushes the next one later"
    );
    let records: Vec<u64> = run.batches().iter().map(BatchInfo::num_records).collect();
    assert_eq!(records, [1, 1, 1]);
}

/// Spark's graceful stop runs the batch whose time comes next, then stops: queued batches not
/// yet taken are not received data, so they are not drained.
#[test]
fn graceful_stop_runs_the_next_batch_and_leaves_the_rest_of_a_queue() {
    let (pipeline, input, seen) = recorder(vec![vec![1], vec![2], vec![3]], None);
    let clock = ManualClock::new();
    let running = StreamingContext::new()
        .manual_clock(clock.clone())
        .start(pipeline.numbers(input))
        .unwrap();
    running.stopper().stop(StopMode::Gracefully);
    clock.advance(Duration::from_secs(10));
    assert!(
        running
            .await_termination_or_timeout(Duration::from_secs(30))
            .unwrap()
    );
    running.stop(StopMode::Gracefully).unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(*seen, [(1000, vec![1])]);
}

#[test]
fn immediate_stop_runs_no_further_batch() {
    let (pipeline, input, seen) = recorder(vec![vec![1], vec![2]], None);
    let clock = ManualClock::new();
    let metrics = Metrics::default();
    let running = StreamingContext::new()
        .manual_clock(clock.clone())
        .add_listener(metrics.clone())
        .start(pipeline.numbers(input))
        .unwrap();
    clock.advance(Duration::from_secs(1));
    while metrics.0.lock().unwrap().is_empty() {
        assert!(
            !running
                .await_termination_or_timeout(Duration::from_millis(10))
                .unwrap()
        );
    }
    running.stop(StopMode::Immediately).unwrap();
    clock.advance(Duration::from_secs(5));
    assert_eq!(*seen.lock().unwrap(), [(1000, vec![1])]);
}

#[test]
fn await_termination_times_out_while_running() {
    let (pipeline, input, _) = recorder(vec![], None);
    let running = StreamingContext::new()
        .manual_clock(ManualClock::new())
        .start(pipeline.numbers(input))
        .unwrap();
    assert!(
        !running
            .await_termination_or_timeout(Duration::from_millis(20))
            .unwrap()
    );
    running.stop(StopMode::Immediately).unwrap();
}

#[test]
fn a_failed_output_is_reported_and_the_pipeline_keeps_running() {
    let (pipeline, input, seen) = recorder(vec![vec![1], vec![2], vec![3]], Some(2000));
    let clock = ManualClock::new();
    let running = StreamingContext::new()
        .manual_clock(clock.clone())
        .start(pipeline.numbers(input))
        .unwrap();
    clock.advance(Duration::from_secs(2));
    let err = running.await_termination().unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutputFailed {
                index: 0,
                operation: "foreach_rdd",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "output 0 (`foreach_rdd` of stream `numbers`) of pipeline `Recorder` failed at batch 2000 ms"
    );
    let cause = std::error::Error::source(&err).expect("the output's error is the cause");
    assert_eq!(cause.to_string(), "sink refused batch 2000 ms");
    clock.advance(Duration::from_secs(1));
    while seen.lock().unwrap().len() < 3 {
        assert!(
            !running
                .await_termination_or_timeout(Duration::from_millis(10))
                .unwrap()
        );
    }
    running.stop(StopMode::Immediately).unwrap();
}

stream! {
    pipeline Panicky {
        batch = 1s;
        input numbers: i64;
        numbers.map(|x| if x == 2 { panic!("two is not allowed") } else { x }).pprint();
    }
}

#[test]
fn a_panic_in_user_code_stops_the_pipeline_with_an_error() {
    let err = Harness::new(Panicky::new().numbers(queue_stream(vec![vec![1], vec![2], vec![3]])))
        .run(3)
        .unwrap_err();
    assert!(
        matches!(&err, Error::Panicked { message, .. } if message == "two is not allowed"),
        "{err:?}"
    );
    assert!(err.to_string().contains("in batch 2000 ms"), "{err}");
}

#[test]
fn tv6_queue_fed_while_running() {
    let (pipeline, _, seen) = recorder(vec![], None);
    let input = queue_stream(vec![vec![1], vec![2], vec![3]]).one_at_a_time(false);
    let feeder = input.feeder();
    let clock = ManualClock::new();
    let metrics = Metrics::default();
    let running = StreamingContext::new()
        .manual_clock(clock.clone())
        .add_listener(metrics.clone())
        .start(pipeline.numbers(input))
        .unwrap();
    let wait_for = |n: usize| {
        while metrics.0.lock().unwrap().len() < n {
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    clock.advance(Duration::from_secs(1));
    wait_for(1);
    feeder.push(vec![4]);
    clock.advance(Duration::from_secs(1));
    wait_for(2);
    running.stop(StopMode::Immediately).unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [(1000, vec![1, 2, 3]), (2000, vec![4])]
    );
}

stream! {
    pipeline Fast {
        batch = 50ms;
        input numbers: i64;
        numbers.count().foreach_rdd(|_| ());
    }
}

#[test]
fn system_clock_batches_are_aligned_to_the_interval() {
    let metrics = Metrics::default();
    let running = StreamingContext::new()
        .add_listener(metrics.clone())
        .start(Fast::new().numbers(queue_stream(vec![vec![1]])))
        .unwrap();
    assert_eq!(
        running.zero_time().millis() % 50,
        0,
        "zero time is on the 50 ms grid"
    );
    let stopper: Stopper = running.stopper();
    while metrics.0.lock().unwrap().len() < 3 {
        std::thread::sleep(Duration::from_millis(10));
    }
    stopper.stop(StopMode::Immediately);
    running.await_termination().unwrap();
    let infos = metrics.0.lock().unwrap();
    let first = running.zero_time().millis() + 50;
    for (k, info) in infos.iter().enumerate() {
        assert_eq!(
            info.batch_time.millis(),
            first + 50 * k as i64,
            "consecutive, none skipped"
        );
    }
    assert_eq!(infos[0].num_records(), 1);
}

type Log = Arc<Mutex<Vec<String>>>;

stream! {
    /// Two outputs: an async sink that takes a while, then a sync one.
    pipeline AsyncSink(log: Log) {
        batch = 1s;
        input numbers: i64;
        numbers.foreach_batch(async |time, batch| {
            tokio::time::sleep(Duration::from_millis(20)).await;
            log.lock().unwrap().push(format!("async {} {}", time.millis(), batch.len()));
            if batch.is_empty() { Err("empty batch") } else { Ok(()) }
        });
        numbers.foreach_rdd(|time, batch| log.lock().unwrap().push(format!("sync {} {}", time.millis(), batch.len())));
    }
}

#[test]
fn an_async_output_is_awaited_before_the_next_output_and_batch() {
    let log = Log::default();
    let err = Harness::new(
        AsyncSink::new(Arc::clone(&log)).numbers(queue_stream(vec![vec![1, 2], vec![]])),
    )
    .run(2)
    .unwrap_err();
    let cause = std::error::Error::source(&err).map(ToString::to_string);
    assert!(
        err.to_string().contains("foreach_batch") && cause.as_deref() == Some("empty batch"),
        "{err}: {cause:?}"
    );
    assert_eq!(
        *log.lock().unwrap(),
        ["async 1000 2", "sync 1000 2", "async 2000 0", "sync 2000 0"]
    );
}

/// A listener that panics at its first batch.
struct PanickingListener;

impl StreamingListener for PanickingListener {
    fn on_batch_completed(&mut self, _: &BatchInfo) {
        panic!("listener bug");
    }
}

/// An input whose second batch panics.
struct PanickingInput;

impl InputStream<i64> for PanickingInput {
    fn describe(&self) -> String {
        "panicking input".into()
    }

    fn next_batch(&mut self, time: Time) -> std::result::Result<Batch<i64>, streamdsl::BoxError> {
        assert!(time.millis() < 2000, "input bug");
        Ok(Batch::from(vec![1]))
    }
}

/// Waits (bounded, so a regression fails instead of hanging) for the pipeline to end.
fn panic_error(running: &Running, clock: &ManualClock) -> Error {
    for _ in 0..500 {
        clock.advance(Duration::from_secs(1));
        match running.await_termination_or_timeout(Duration::from_millis(10)) {
            Err(e) => return e,
            Ok(true) => panic!("the pipeline stopped without an error"),
            Ok(false) => {}
        }
    }
    panic!("the pipeline neither ended nor reported the panic");
}

#[test]
fn a_panic_on_the_driver_thread_ends_the_pipeline_with_where_it_happened() {
    let (pipeline, input, _) = recorder(vec![vec![1]], None);
    let clock = ManualClock::new();
    let running = StreamingContext::new()
        .manual_clock(clock.clone())
        .add_listener(PanickingListener)
        .start(pipeline.numbers(input))
        .unwrap();
    let error = panic_error(&running, &clock);
    let Error::DriverPanicked {
        during, message, ..
    } = &error
    else {
        panic!("expected DriverPanicked, got {error:?}");
    };
    assert_eq!(*during, "in a listener's on_batch_completed");
    assert_eq!(message, "listener bug");
    assert!(
        running
            .await_termination_or_timeout(Duration::from_secs(5))
            .unwrap()
    );

    let (pipeline, _, _) = recorder(vec![], None);
    let clock = ManualClock::new();
    let running = StreamingContext::new()
        .manual_clock(clock.clone())
        .start(pipeline.numbers(PanickingInput))
        .unwrap();
    let error = panic_error(&running, &clock);
    assert!(
        error
            .to_string()
            .contains("panicked while reading the inputs' batches: input bug"),
        "{error}"
    );
    // Stopping after the panic returns (the thread ended) instead of hanging.
    assert!(running.stop(StopMode::Immediately).is_ok());
}

/// A receiver whose first `receive` panics; the second delivers two records and finishes.
struct PanicsOnce {
    panicked: bool,
}

impl streamdsl::inputs::Receiver for PanicsOnce {
    type Record = i64;

    fn describe(&self) -> String {
        "panics once".into()
    }

    async fn receive(
        &mut self,
        out: &mut streamdsl::inputs::ReceiverOutput<i64>,
    ) -> std::result::Result<(), streamdsl::BoxError> {
        if !self.panicked {
            self.panicked = true;
            panic!("receiver bug");
        }
        for n in [7, 8] {
            if out.push(n).await.is_err() {
                break;
            }
        }
        Ok(())
    }
}

#[test]
fn a_receiver_that_panics_is_restarted_and_counted() {
    let (pipeline, _, seen) = recorder(vec![], None);
    let input = streamdsl::inputs::receiver_stream(PanicsOnce { panicked: false })
        .restart_delay(Duration::from_millis(10));
    let metrics = Metrics::default();
    let running = StreamingContext::new()
        .add_listener(metrics.clone())
        .start(pipeline.numbers(input))
        .unwrap();
    // Bounded: without the restart the records never come, and the test fails, not hangs.
    for _ in 0..100 {
        if metrics
            .0
            .lock()
            .unwrap()
            .iter()
            .map(BatchInfo::num_records)
            .sum::<u64>()
            == 2
        {
            break;
        }
        assert!(
            !running
                .await_termination_or_timeout(Duration::from_millis(100))
                .unwrap()
        );
    }
    running.stop(StopMode::Immediately).unwrap();
    let records: Vec<i64> = seen
        .lock()
        .unwrap()
        .iter()
        .flat_map(|(_, r)| r.clone())
        .collect();
    assert_eq!(records, [7, 8]);
    let last = metrics.0.lock().unwrap().last().cloned().unwrap();
    let counter = |name: &str| {
        last.input_counters
            .iter()
            .find(|(_, counter, _)| *counter == name)
            .map_or(0, |(_, _, value)| *value)
    };
    assert_eq!(counter("receiver_panics"), 1);
    assert_eq!(counter("receiver_restarts"), 1);
}
