//! `Session`.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use serde_json::Value;

use crate::convert::{self, count, promise, to_js, to_js_list};
use crate::stream::EventStream;

/// Default page size of `messages`.
const DEFAULT_PAGE: i64 = 50;
/// Default page size of `eventsSince`.
const DEFAULT_LIMIT: i64 = 1000;
/// Default wait of `waitForState`, in milliseconds.
const DEFAULT_WAIT_MS: i64 = 60_000;

/// One WhatsApp device of a manager.
#[napi]
#[derive(Debug)]
pub struct Session {
    pub(crate) inner: Arc<openwa::Session>,
}

impl Session {
    pub(crate) fn new(inner: Arc<openwa::Session>) -> Self {
        Session { inner }
    }
}

#[napi]
impl Session {
    /// The session id.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.inner.id()
    }

    /// The current connection state (`connected`, `waiting_for_qr`…).
    #[napi(getter)]
    pub fn state(&self) -> &'static str {
        self.inner.state().as_str()
    }

    /// Whether the session has credentials from a completed pairing.
    #[napi(getter)]
    pub fn is_paired(&self) -> bool {
        self.inner.is_paired()
    }

    /// A snapshot: id, state, own ids (`SessionInfo`).
    #[napi]
    pub fn info(&self) -> napi::Result<Value> {
        to_js(&self.inner.info())
    }

    /// Starts connecting in the background (resolves at once).
    #[napi]
    pub fn connect<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.connect().await }, Ok)
    }

    /// Closes the connection and stops reconnecting.
    #[napi]
    pub fn disconnect<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.disconnect().await }, Ok)
    }

    /// Unlinks this device and deletes its credentials.
    #[napi]
    pub fn logout<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.logout().await }, Ok)
    }

    /// Pairs by phone-number code: resolves with the code to type on the phone (`XXXX-XXXX`).
    #[napi]
    pub fn pair_with_code<'env>(
        &self,
        env: &'env Env,
        phone: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.pair_with_code(&phone).await }, Ok)
    }

    /// Waits until the session reaches `state`; `timeout` after `timeoutMs` (default 60 s).
    #[napi]
    pub fn wait_for_state<'env>(
        &self,
        env: &'env Env,
        state: String,
        timeout_ms: Option<i64>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let state = convert::state(env, &state)?;
        let timeout_ms = count(timeout_ms.unwrap_or(DEFAULT_WAIT_MS), "timeoutMs")?;
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.wait_for_state(state, timeout_ms).await },
            Ok,
        )
    }

    /// Sends a text (resolves with the stored `Message`). With an `idempotencyKey`, a repeated
    /// call resolves with the first call's message instead of sending again.
    #[napi]
    pub fn send_text<'env>(
        &self,
        env: &'env Env,
        chat: String,
        text: String,
        idempotency_key: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let inner = self.inner.clone();
        let options = openwa::SendOptions {
            idempotency_key,
            ..Default::default()
        };
        promise(
            env,
            async move { inner.send_text(&chat, &text, options).await },
            |message| to_js(&message),
        )
    }

    /// Marks messages of `chat` as read.
    #[napi]
    pub fn mark_read<'env>(
        &self,
        env: &'env Env,
        chat: String,
        message_ids: Vec<String>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.mark_read(&chat, message_ids).await },
            Ok,
        )
    }

    /// A page of the chat's history, newest first (`MessagePage`); pass its `nextCursor` for
    /// the next page.
    #[napi]
    pub fn messages<'env>(
        &self,
        env: &'env Env,
        chat: String,
        cursor: Option<String>,
        limit: Option<i64>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let limit = count(limit.unwrap_or(DEFAULT_PAGE), "limit")?;
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.messages(&chat, cursor, limit).await },
            |page| to_js(&page),
        )
    }

    /// One stored message, or `not_found`.
    #[napi]
    pub fn message<'env>(
        &self,
        env: &'env Env,
        chat: String,
        id: String,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.message(&chat, &id).await },
            |message| to_js(&message),
        )
    }

    /// Events of this session only, from now on.
    #[napi]
    pub fn events(&self) -> EventStream {
        EventStream::new(self.inner.events())
    }

    /// Events of this session after `cursor`: replayed from the log, then live.
    #[napi]
    pub fn events_from(&self, cursor: i64) -> napi::Result<EventStream> {
        Ok(EventStream::new(
            self.inner.events_from(count(cursor, "cursor")?),
        ))
    }

    /// Logged events of this session with `seq > cursor`, at most `limit` (default 1000).
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
}
