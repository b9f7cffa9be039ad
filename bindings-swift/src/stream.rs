//! `EventStream`: `next()`, `try_next()`, `ack(seq)` (Swift wraps it in an
//! `AsyncThrowingStream`, see Sources/OpenWA/OpenWA+Events.swift).

use crate::error::Result;

/// A subscription to events: all of a manager's, one session's, a replay from a cursor, or a
/// named durable consumer.
#[derive(Debug, uniffi::Object)]
pub struct EventStream {
    inner: openwa::EventStream,
}

impl EventStream {
    pub(crate) fn new(inner: openwa::EventStream) -> std::sync::Arc<Self> {
        std::sync::Arc::new(EventStream { inner })
    }
}

#[uniffi::export]
impl EventStream {
    /// The next event; `None` once the manager is closed.
    pub async fn next(&self) -> Option<openwa::Event> {
        self.inner.next().await
    }

    /// The next event if one is ready now, else `None` (does not wait).
    pub fn try_next(&self) -> Option<openwa::Event> {
        self.inner.try_next()
    }

    /// Stores a durable consumer's position: after a restart it resumes after `seq`.
    pub async fn ack(&self, seq: u64) -> Result<()> {
        Ok(self.inner.ack(seq).await?)
    }
}
