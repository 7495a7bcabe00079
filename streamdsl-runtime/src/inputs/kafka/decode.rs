//! Turning Kafka messages into records: the [`KafkaDecoder`] trait and its three forms —
//! text key/value pairs (the default, as PySpark's `createStream`), raw records with their
//! metadata, and a user function.

use crate::BoxError;
use crate::inputs::InvalidUtf8;
use crate::inputs::text::decode_line;
use rdkafka::Message;
use rdkafka::message::BorrowedMessage;

/// A message as the broker delivered it, lent to a decoder.
pub struct KafkaMessage<'a> {
    message: &'a BorrowedMessage<'a>,
}

impl<'a> KafkaMessage<'a> {
    pub(super) fn new(message: &'a BorrowedMessage<'a>) -> Self {
        KafkaMessage { message }
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        self.message.topic()
    }

    /// The partition.
    pub fn partition(&self) -> i32 {
        self.message.partition()
    }

    /// The offset within the partition.
    pub fn offset(&self) -> i64 {
        self.message.offset()
    }

    /// The timestamp in milliseconds since the epoch (create or log-append time), if any.
    pub fn timestamp(&self) -> Option<i64> {
        self.message.timestamp().to_millis()
    }

    /// The key; `None` for a null key.
    pub fn key(&self) -> Option<&[u8]> {
        self.message.key()
    }

    /// The payload; `None` for a null payload (a tombstone).
    pub fn payload(&self) -> Option<&[u8]> {
        self.message.payload()
    }
}

/// Decodes messages into the records of a [`KafkaStream`](super::KafkaStream).
///
/// `Ok(None)` skips a message (its offset still counts as read); `Err` fails the batch that
/// contains it: the pipeline stops before running that batch, so a restart reads it again.
pub trait KafkaDecoder: Send + 'static {
    /// The records produced.
    type Record: Send + 'static;

    /// One message's record.
    fn decode(&mut self, message: &KafkaMessage<'_>) -> Result<Option<Self::Record>, BoxError>;

    /// Counters reported with each batch's metrics (e.g. `invalid_utf8`).
    fn counters(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }
}

/// The default decoder: `(key, value)` as text, `(Option<String>, String)`. A null key is
/// `None`, a null payload an empty value; bytes that are not UTF-8 are handled per
/// [`InvalidUtf8`] (lossy by default), counted as `invalid_utf8`.
#[derive(Debug, Default)]
pub struct KeyValueText {
    policy: InvalidUtf8,
    invalid: u64,
}

impl KeyValueText {
    /// With `policy` for keys and values that are not UTF-8.
    pub fn new(policy: InvalidUtf8) -> Self {
        KeyValueText { policy, invalid: 0 }
    }

    /// `Ok(None)`: skip the message.
    fn text(
        &mut self,
        bytes: &[u8],
        what: &str,
        message: &KafkaMessage<'_>,
    ) -> Result<Option<String>, BoxError> {
        // The line decoder's rules (and its property tests), with the message named.
        decode_line(bytes, self.policy, &mut self.invalid).map_err(|e| {
            let cause = e.strip_prefix("invalid UTF-8 ").unwrap_or(&e);
            format!(
                "the {what} of the message at {}/{} offset {} is not UTF-8 {cause}; \
                 use InvalidUtf8::Lossy or Skip to read past it",
                message.topic(),
                message.partition(),
                message.offset()
            )
            .into()
        })
    }
}

impl KafkaDecoder for KeyValueText {
    type Record = (Option<String>, String);

    fn decode(&mut self, message: &KafkaMessage<'_>) -> Result<Option<Self::Record>, BoxError> {
        let key = match message.key() {
            None => None,
            Some(bytes) => match self.text(bytes, "key", message)? {
                Some(key) => Some(key),
                None => return Ok(None),
            },
        };
        let value = match self.text(message.payload().unwrap_or_default(), "payload", message)? {
            Some(value) => value,
            None => return Ok(None),
        };
        Ok(Some((key, value)))
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        vec![("invalid_utf8", self.invalid)]
    }
}

/// A message with everything the broker gave: what [`RawRecords`] produces.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KafkaRecord {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset within the partition.
    pub offset: i64,
    /// Milliseconds since the epoch, if the message has a timestamp.
    pub timestamp: Option<i64>,
    /// The key bytes; `None` for a null key.
    pub key: Option<Vec<u8>>,
    /// The payload bytes; `None` for a null payload.
    pub payload: Option<Vec<u8>>,
}

/// Decodes each message into a [`KafkaRecord`]: raw bytes plus topic, partition, offset and
/// timestamp.
#[derive(Debug, Default, Clone, Copy)]
pub struct RawRecords;

impl KafkaDecoder for RawRecords {
    type Record = KafkaRecord;

    fn decode(&mut self, message: &KafkaMessage<'_>) -> Result<Option<KafkaRecord>, BoxError> {
        Ok(Some(KafkaRecord {
            topic: message.topic().to_owned(),
            partition: message.partition(),
            offset: message.offset(),
            timestamp: message.timestamp(),
            key: message.key().map(<[u8]>::to_vec),
            payload: message.payload().map(<[u8]>::to_vec),
        }))
    }
}

/// A user function as decoder (a deserializer): see
/// [`kafka_stream_with`](super::kafka_stream_with).
pub struct DecodeWith<F>(pub F);

impl<T, F> KafkaDecoder for DecodeWith<F>
where
    T: Send + 'static,
    F: FnMut(&KafkaMessage<'_>) -> Result<Option<T>, BoxError> + Send + 'static,
{
    type Record = T;

    fn decode(&mut self, message: &KafkaMessage<'_>) -> Result<Option<T>, BoxError> {
        (self.0)(message)
    }
}
