//! `Session`.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::{Buffer, PromiseRaw};
use napi_derive::napi;
use serde_json::Value;

use crate::convert::{self, count, promise, to_js, to_js_list};
use crate::stream::EventStream;

/// Default page size of `messages`.
const DEFAULT_PAGE: i64 = 50;
/// Default page of `listChats` and `listContacts`.
const DEFAULT_LIST_PAGE: i64 = 100;
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

    /// Runs one listing on the engine with `limit` (default [`DEFAULT_LIST_PAGE`]) and `offset`
    /// (default 0); the promise resolves with the items.
    pub(crate) fn list<'env, T, F, Fut>(
        &self,
        env: &'env Env,
        limit: Option<i64>,
        offset: Option<i64>,
        list: F,
    ) -> napi::Result<PromiseRaw<'env, Value>>
    where
        T: serde::Serialize + Send + 'static,
        F: FnOnce(Arc<openwa::Session>, u32, u32) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<T>, openwa::Error>> + Send + 'static,
    {
        let limit = count(limit.unwrap_or(DEFAULT_LIST_PAGE), "limit")?;
        let offset = count(offset.unwrap_or(0), "offset")?;
        promise(env, list(self.inner.clone(), limit, offset), |items| {
            to_js_list(&items)
        })
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

    /// Our push name: the options' until our phone sets another (`push_name_changed`).
    #[napi(getter)]
    pub fn push_name(&self) -> Option<String> {
        self.inner.push_name()
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

    /// Changes how fast this session sends, from now on and after a restart:
    /// `{minIntervalMs, jitterMs, maxPerHour}` (omitted fields: 0).
    #[napi]
    pub fn set_send_pacing<'env>(
        &self,
        env: &'env Env,
        pacing: Option<Value>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let pacing = convert::config(env, &openwa::SendPacing::default(), pacing, "pacing")?;
        let inner = self.inner.clone();
        promise(env, async move { inner.set_send_pacing(pacing).await }, Ok)
    }

    /// The pacing this session's sends follow now.
    #[napi]
    pub fn send_pacing(&self) -> napi::Result<Value> {
        to_js(&self.inner.send_pacing())
    }

    /// Changes how this session reconnects after a transient failure, from the next reconnect
    /// on and after a restart: `{baseDelayMs, maxAttempts}` (omitted: 1000, never give up).
    #[napi]
    pub fn set_reconnect_policy<'env>(
        &self,
        env: &'env Env,
        policy: Option<Value>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let policy = convert::config(env, &openwa::ReconnectPolicy::default(), policy, "policy")?;
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.set_reconnect_policy(policy).await },
            Ok,
        )
    }

    /// The reconnect policy in force now.
    #[napi]
    pub fn reconnect_policy(&self) -> napi::Result<Value> {
        to_js(&self.inner.reconnect_policy())
    }

    /// Sends a text (resolves with the stored `Message`). `options`: `idempotencyKey` (a
    /// repeated call resolves with the first call's message), `quoted` (the id of a message of
    /// the chat this replies to), `mentions` (users it mentions), `queued` (resolve once
    /// durably queued, status `pending`; the send queue sends it).
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

    /// Sends a poll: 2-12 distinct `options`, of which a voter may choose `selectableCount`
    /// (0: any number; default 1).
    #[napi]
    pub fn send_poll<'env>(
        &self,
        env: &'env Env,
        chat: String,
        name: String,
        choices: Vec<String>,
        selectable_count: Option<u32>,
        options: Option<Value>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let options = send_options(env, options)?;
        let selectable = selectable_count.unwrap_or(1);
        self.send(env, move |s| async move {
            s.send_poll(&chat, &name, choices, selectable, options)
                .await
        })
    }

    /// Votes on the poll `pollId` of `chat` with option names (`[]` withdraws the vote).
    #[napi]
    pub fn vote_poll<'env>(
        &self,
        env: &'env Env,
        chat: String,
        poll_id: String,
        selected: Vec<String>,
        options: Option<Value>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let options = send_options(env, options)?;
        self.send(env, move |s| async move {
            s.vote_poll(&chat, &poll_id, selected, options).await
        })
    }

    /// The votes on the poll `pollId` of `chat`: each option with its voters.
    #[napi]
    pub fn poll_results<'env>(
        &self,
        env: &'env Env,
        chat: String,
        poll_id: String,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.poll_results(&chat, &poll_id).await },
            |results| to_js(&results),
        )
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

    /// Sends a media file (resolves with the stored `Message`): `media.kind` is image, video,
    /// gif, audio, voice, document or sticker; the file is `media.data` or `media.path`;
    /// `options` as for `sendText`.
    #[napi]
    pub fn send_media<'env>(
        &self,
        env: &'env Env,
        chat: String,
        media: MediaInput,
        options: Option<Value>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        // Bad input rejects like an engine error (`invalid_argument`), from the promise.
        let media = media.into_engine();
        let options = send_options(env, options)?;
        self.send(env, move |s| async move {
            s.send_media(&chat, media?, options).await
        })
    }

    /// Downloads, verifies and decrypts the file of a stored media message (a `Buffer`).
    #[napi]
    pub fn download_media<'env>(
        &self,
        env: &'env Env,
        chat: String,
        message_id: String,
    ) -> napi::Result<PromiseRaw<'env, Buffer>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.download_media(&chat, &message_id).await },
            |bytes| Ok(Buffer::from(bytes)),
        )
    }

    /// Streams the file of a stored media message to `path` (written as `path.part`, renamed
    /// once verified); resolves with its size in bytes.
    #[napi]
    pub fn download_media_to_file<'env>(
        &self,
        env: &'env Env,
        chat: String,
        message_id: String,
        path: String,
    ) -> napi::Result<PromiseRaw<'env, f64>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move {
                inner
                    .download_media_to_file(&chat, &message_id, path.into())
                    .await
            },
            |len| Ok(len as f64),
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

    /// How many messages the stored history of `chat` holds.
    #[napi]
    pub fn message_count<'env>(
        &self,
        env: &'env Env,
        chat: String,
    ) -> napi::Result<PromiseRaw<'env, f64>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.message_count(&chat).await }, |n| {
            Ok(n as f64)
        })
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

    /// A page of the chats the session knows, newest message first (`Chat[]`).
    #[napi]
    pub fn list_chats<'env>(
        &self,
        env: &'env Env,
        limit: Option<i64>,
        offset: Option<i64>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        self.list(env, limit, offset, |s, limit, offset| async move {
            s.list_chats(limit, offset).await
        })
    }

    /// One chat by any of its ids, or `not_found`.
    #[napi]
    pub fn get_chat<'env>(
        &self,
        env: &'env Env,
        chat: String,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.get_chat(&chat).await }, |chat| {
            to_js(&chat)
        })
    }

    /// A page of the contacts the session knows (`Contact[]`).
    #[napi]
    pub fn list_contacts<'env>(
        &self,
        env: &'env Env,
        limit: Option<i64>,
        offset: Option<i64>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        self.list(env, limit, offset, |s, limit, offset| async move {
            s.list_contacts(limit, offset).await
        })
    }

    /// One contact by phone number, PN or LID JID, or `not_found`.
    #[napi]
    pub fn get_contact<'env>(
        &self,
        env: &'env Env,
        contact: String,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let inner = self.inner.clone();
        promise(
            env,
            async move { inner.get_contact(&contact).await },
            |contact| to_js(&contact),
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

/// A media file to send (`Session.sendMedia`).
#[napi(object)]
#[allow(missing_debug_implementations)] // napi's Buffer has no Debug
pub struct MediaInput {
    /// image, video, gif, audio, voice, document or sticker.
    pub kind: String,
    /// The file's bytes (or give `path`).
    pub data: Option<Buffer>,
    /// A file to read (or give `data`).
    pub path: Option<String>,
    /// MIME type (default by kind).
    pub mimetype: Option<String>,
    /// Caption (images, videos, GIFs, documents).
    pub caption: Option<String>,
    /// A document's file name.
    pub file_name: Option<String>,
    /// A small JPEG preview.
    pub thumbnail: Option<Buffer>,
    /// Width in pixels.
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
    /// Duration in seconds.
    pub seconds: Option<u32>,
    /// Voice-note waveform (up to 64 samples of 0..=100).
    pub waveform: Option<Buffer>,
    /// An animated sticker.
    pub animated: Option<bool>,
    /// View once (images and videos).
    pub view_once: Option<bool>,
}

impl MediaInput {
    fn into_engine(self) -> Result<openwa::OutgoingMedia, openwa::Error> {
        let kind: openwa::MediaKind =
            serde_json::from_value(Value::String(self.kind)).map_err(|_| {
                openwa::Error::invalid_argument(
                    "media.kind is one of image, video, gif, audio, voice, document, sticker",
                )
            })?;
        let source = match (self.data, self.path) {
            (Some(data), None) => openwa::MediaSource::Bytes {
                data: data.to_vec(),
            },
            (None, Some(path)) => openwa::MediaSource::File { path: path.into() },
            _ => {
                return Err(openwa::Error::invalid_argument(
                    "give exactly one of media.data and media.path",
                ));
            }
        };
        Ok(openwa::OutgoingMedia {
            mimetype: self.mimetype,
            caption: self.caption,
            file_name: self.file_name,
            thumbnail: self.thumbnail.map(|b| b.to_vec()),
            width: self.width,
            height: self.height,
            seconds: self.seconds,
            waveform: self.waveform.map(|b| b.to_vec()),
            animated: self.animated.unwrap_or(false),
            view_once: self.view_once.unwrap_or(false),
            ..openwa::OutgoingMedia::new(kind, source)
        })
    }
}
