//! The broker side of the Kafka benches: names, topics.

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use streamdsl::inputs::kafka::rdkafka::ClientConfig;
use streamdsl::inputs::kafka::rdkafka::admin::{
    AdminClient, AdminOptions, NewTopic, TopicReplication,
};
use streamdsl::inputs::kafka::rdkafka::client::DefaultClientContext;

/// A name no other run uses.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// The admin client's futures need an executor; a current-thread runtime is enough.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

fn admin(bootstrap: &str) -> AdminClient<DefaultClientContext> {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("an admin client")
}

fn options() -> AdminOptions {
    AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)))
}

/// Creates `topic` with `partitions` partitions.
pub fn create_topic(bootstrap: &str, topic: &str, partitions: i32) {
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let results = block_on(admin(bootstrap).create_topics([&new], &options()))
        .unwrap_or_else(|e| panic!("cannot create topic {topic} at {bootstrap}: {e}"));
    for result in results {
        result.unwrap_or_else(|(t, e)| panic!("creating topic {t}: {e}"));
    }
}

/// Deletes `topic`; a failure is only reported.
pub fn delete_topic(bootstrap: &str, topic: &str) {
    if let Err(e) = block_on(admin(bootstrap).delete_topics(&[topic], &options())) {
        eprintln!("kafka bench: could not delete topic {topic}: {e}");
    }
}
