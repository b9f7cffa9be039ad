//! `SessionManager`.

use std::sync::Arc;

use crate::error::Result;
use crate::session::Session;
use crate::stream::EventStream;

/// Runs many WhatsApp sessions on one engine runtime with one store and one event log.
#[derive(Debug, uniffi::Object)]
pub struct SessionManager {
    inner: Arc<openwa::SessionManager>,
}

#[uniffi::export]
impl SessionManager {
    /// Opens a manager (start from `default_manager_config()`).
    #[uniffi::constructor]
    pub async fn open(config: openwa::ManagerConfig) -> Result<Arc<Self>> {
        let inner = openwa::SessionManager::open(config).await?;
        Ok(Arc::new(SessionManager { inner }))
    }

    /// Creates a session (not connected yet); no `options`: the manager's default options.
    #[uniffi::method(default(options = None))]
    pub async fn create_session(
        &self,
        id: String,
        options: Option<openwa::SessionOptions>,
    ) -> Result<Arc<Session>> {
        let session = self.inner.create_session(&id, options).await?;
        Ok(Session::new(session))
    }

    /// The session with this id, or `NotFound`.
    pub async fn get(&self, id: String) -> Result<Arc<Session>> {
        Ok(Session::new(self.inner.get(&id).await?))
    }

    /// Every session, ordered by id.
    pub async fn list(&self) -> Result<Vec<openwa::SessionInfo>> {
        Ok(self.inner.list().await?)
    }

    /// Disconnects and removes a session with its credentials.
    pub async fn delete(&self, id: String) -> Result<()> {
        Ok(self.inner.delete(&id).await?)
    }

    /// Disconnects every session and closes the store; streams then end.
    pub async fn close(&self) -> Result<()> {
        Ok(self.inner.close().await?)
    }

    /// Every event of every session, from now on.
    pub fn events(&self) -> Arc<EventStream> {
        EventStream::new(self.inner.events())
    }

    /// Every event after `cursor`: replayed from the log, then live, no gap, no duplicate.
    pub fn events_from(&self, cursor: u64) -> Arc<EventStream> {
        EventStream::new(self.inner.events_from(cursor))
    }

    /// Logged events with `seq > cursor`, oldest first, at most `limit`.
    #[uniffi::method(default(limit = 1000))]
    pub async fn events_since(&self, cursor: u64, limit: u32) -> Result<Vec<openwa::Event>> {
        Ok(self.inner.events_since(cursor, limit).await?)
    }

    /// A named durable consumer: resumes after its last `ack` (of one session's events when
    /// `session` is given).
    #[uniffi::method(default(session = None))]
    pub async fn consumer(
        &self,
        name: String,
        session: Option<String>,
    ) -> Result<Arc<EventStream>> {
        let stream = self.inner.consumer(&name, session.as_deref()).await?;
        Ok(EventStream::new(stream))
    }

    /// The seq of the newest event (a cursor for `events_since` / `events_from`).
    pub fn last_seq(&self) -> u64 {
        self.inner.last_seq()
    }
}
