//! `SessionManager`.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use serde_json::Value;

use crate::convert::{self, count, promise, to_js_list};
use crate::session::Session;
use crate::stream::EventStream;

/// Default page size of `eventsSince`.
const DEFAULT_LIMIT: i64 = 1000;

/// Runs many WhatsApp sessions on one engine runtime with one store and one event log.
#[napi]
#[derive(Debug)]
pub struct SessionManager {
    inner: Arc<openwa::SessionManager>,
}

#[napi]
impl SessionManager {
    /// Opens a manager. `config` overrides fields of the engine's `ManagerConfig` defaults
    /// (camelCase keys; byte fields accept hex strings or arrays of bytes).
    #[napi]
    pub fn open(env: &Env, config: Option<Value>) -> napi::Result<PromiseRaw<'_, SessionManager>> {
        let config = convert::config(env, &openwa::ManagerConfig::default(), config, "config")?;
        promise(env, openwa::SessionManager::open(config), |inner| {
            Ok(SessionManager { inner })
        })
    }

    /// Creates a session (not connected yet). `options` override fields of the engine's
    /// `SessionOptions` defaults; none: the manager's default options.
    #[napi]
    pub fn create_session<'env>(
        &self,
        env: &'env Env,
        id: String,
        options: Option<Value>,
    ) -> napi::Result<PromiseRaw<'env, Session>> {
        let options = options
            .map(|patch| {
                let defaults = openwa::SessionOptions::default();
                convert::config(env, &defaults, Some(patch), "session options")
            })
            .transpose()?;
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.create_session(&id, options).await },
            |session| Ok(Session::new(session)),
        )
    }

    /// The session with this id, or `not_found`.
    #[napi]
    pub fn get<'env>(&self, env: &'env Env, id: String) -> napi::Result<PromiseRaw<'env, Session>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.get(&id).await }, |session| {
            Ok(Session::new(session))
        })
    }

    /// Every session (`SessionInfo`), ordered by id.
    #[napi]
    pub fn list<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Value>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.list().await }, |list| {
            to_js_list(&list)
        })
    }

    /// Disconnects and removes a session with its credentials.
    #[napi]
    pub fn delete<'env>(&self, env: &'env Env, id: String) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.delete(&id).await }, Ok)
    }

    /// Disconnects every session, ends every event stream and closes the store.
    #[napi]
    pub fn close<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.close().await }, Ok)
    }

    /// Every event of every session, from now on.
    #[napi]
    pub fn events(&self) -> EventStream {
        EventStream::new(self.inner.events())
    }

    /// Every event after `cursor`: replayed from the log, then live, no gap, no duplicate.
    #[napi]
    pub fn events_from(&self, cursor: i64) -> napi::Result<EventStream> {
        Ok(EventStream::new(
            self.inner.events_from(count(cursor, "cursor")?),
        ))
    }

    /// Logged events with `seq > cursor`, oldest first, at most `limit` (default 1000).
    #[napi]
    pub fn events_since<'env>(
        &self,
        env: &'env Env,
        cursor: i64,
        limit: Option<i64>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let cursor = count(cursor, "cursor")?;
        let limit = count(limit.unwrap_or(DEFAULT_LIMIT), "limit")?;
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.events_since(cursor, limit).await },
            |events| to_js_list(&events),
        )
    }

    /// A named durable consumer: resumes after its last `ack`; `session` narrows it to one
    /// session.
    #[napi]
    pub fn consumer<'env>(
        &self,
        env: &'env Env,
        name: String,
        session: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, EventStream>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.consumer(&name, session.as_deref()).await },
            |stream| Ok(EventStream::new(stream)),
        )
    }

    /// The seq of the newest event (a cursor for `eventsSince`).
    #[napi(getter)]
    pub fn last_seq(&self) -> i64 {
        i64::try_from(self.inner.last_seq()).unwrap_or(i64::MAX)
    }
}
