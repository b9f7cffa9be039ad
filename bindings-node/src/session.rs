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

    /// Runs one send on the engine; the promise resolves with the stored `Message`.
    fn send<'env, F, Fut>(&self, env: &'env Env, send: F) -> napi::Result<PromiseRaw<'env, Value>>
    where
        F: FnOnce(Arc<openwa::Session>) -> Fut,
        Fut: std::future::Future<Output = Result<openwa::Message, openwa::Error>> + Send + 'static,
    {
        promise(env, send(self.inner.clone()), |message| to_js(&message))
    }
}

/// The send options of a JS `options` object (`idempotencyKey`, `quoted`, `mentions`).
fn send_options(env: &Env, options: Option<Value>) -> napi::Result<openwa::SendOptions> {
    convert::config(env, &openwa::SendOptions::default(), options, "options")
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

    /// Sends a text (resolves with the stored `Message`). `options`: `idempotencyKey` (a
    /// repeated call resolves with the first call's message), `quoted` (the id of a message of
    /// the chat this replies to), `mentions` (users it mentions).
    #[napi]
    pub fn send_text<'env>(
        &self,
        env: &'env Env,
        chat: String,
        text: String,
        options: Option<Value>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let options = send_options(env, options)?;
        self.send(env, move |s| async move {
            s.send_text(&chat, &text, options).await
        })
    }

    /// Sends a location pin: `{latitude, longitude, name?, address?, url?, comment?}`.
    #[napi]
    pub fn send_location<'env>(
        &self,
        env: &'env Env,
        chat: String,
        location: Value,
        options: Option<Value>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let location: openwa::Location = convert::from_js(env, location, "location")?;
        let options = send_options(env, options)?;
        self.send(env, move |s| async move {
            s.send_location(&chat, location, options).await
        })
    }

    /// Sends contact cards: `[{displayName, vcard}, …]`.
    #[napi]
    pub fn send_contacts<'env>(
        &self,
        env: &'env Env,
        chat: String,
        contacts: Value,
        options: Option<Value>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let contacts: Vec<openwa::ContactCard> = convert::from_js(env, contacts, "contacts")?;
        let options = send_options(env, options)?;
        self.send(env, move |s| async move {
            s.send_contacts(&chat, contacts, options).await
        })
    }

    /// Reacts to message `messageId` of `chat` with `emoji` (`""` removes the reaction).
    #[napi]
    pub fn react<'env>(
        &self,
        env: &'env Env,
        chat: String,
        message_id: String,
        emoji: String,
        options: Option<Value>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let options = send_options(env, options)?;
        self.send(env, move |s| async move {
            s.react(&chat, &message_id, &emoji, options).await
        })
    }

    /// Edits one of our messages of `chat` (its text or caption).
    #[napi]
    pub fn edit_message<'env>(
        &self,
        env: &'env Env,
        chat: String,
        message_id: String,
        text: String,
        options: Option<Value>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let options = send_options(env, options)?;
        self.send(env, move |s| async move {
            s.edit_message(&chat, &message_id, &text, options).await
        })
    }

    /// Forwards the stored message `messageId` of `fromChat` to `chat` (marked forwarded).
    #[napi]
    pub fn forward_message<'env>(
        &self,
        env: &'env Env,
        chat: String,
        from_chat: String,
        message_id: String,
        options: Option<Value>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let options = send_options(env, options)?;
        self.send(env, move |s| async move {
            s.forward_message(&chat, &from_chat, &message_id, options)
                .await
        })
    }

    /// Tells contacts we are online (`true`) or offline.
    #[napi]
    pub fn set_presence<'env>(
        &self,
        env: &'env Env,
        available: bool,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.set_presence(available).await }, Ok)
    }

    /// Subscribes to a contact's presence (`presence` events follow).
    #[napi]
    pub fn subscribe_presence<'env>(
        &self,
        env: &'env Env,
        user: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.subscribe_presence(&user).await },
            Ok,
        )
    }

    /// Shows `state` (`typing`, `recording` or `paused`) in `chat`.
    #[napi]
    pub fn send_chat_state<'env>(
        &self,
        env: &'env Env,
        chat: String,
        state: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let state: openwa::ChatState = serde_json::from_value(Value::String(state.clone()))
            .map_err(|_| {
                convert::error(
                    env,
                    openwa::Error::invalid_argument(format!(
                        "unknown chat state {state:?} (typing, recording, paused)"
                    )),
                )
            })?;
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.send_chat_state(&chat, state).await },
            Ok,
        )
    }

    /// Which of `numbers` are on WhatsApp (`[{input, exists, jid, lid}]`, in the order given).
    #[napi]
    pub fn check_numbers<'env>(
        &self,
        env: &'env Env,
        numbers: Vec<String>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.check_numbers(numbers).await },
            |statuses| to_js_list(&statuses),
        )
    }

    /// Deletes one of our messages of `chat` for everyone.
    #[napi]
    pub fn revoke_message<'env>(
        &self,
        env: &'env Env,
        chat: String,
        message_id: String,
        options: Option<Value>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let options = send_options(env, options)?;
        self.send(env, move |s| async move {
            s.revoke_message(&chat, &message_id, options).await
        })
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
