//! `openwa.Session`.

use std::sync::Arc;

use crate::waiter::future_into_py;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{self, error_detached, to_py_detached};
use crate::stream::EventStream;

/// Default page size of `messages` and `events_since`.
const DEFAULT_LIMIT: u32 = 50;
/// Default page of `list_chats` and `list_contacts`.
const DEFAULT_LIST_LIMIT: u32 = 100;

/// One WhatsApp device of a manager.
#[pyclass(frozen, module = "openwa")]
#[derive(Debug)]
pub(crate) struct Session {
    inner: Arc<openwa::Session>,
}

impl Session {
    pub(crate) fn new(inner: Arc<openwa::Session>) -> Self {
        Session { inner }
    }

    /// Runs one send on the engine; the awaitable resolves with the stored `Message`.
    fn send<'py, F, Fut>(&self, py: Python<'py>, send: F) -> PyResult<Bound<'py, PyAny>>
    where
        F: FnOnce(Arc<openwa::Session>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<openwa::Message, openwa::Error>> + Send + 'static,
    {
        self.query(py, "_message", send)
    }

    /// Runs `call` on the engine and hands its result to the `_types` factory `factory`.
    fn query<'py, T, F, Fut>(
        &self,
        py: Python<'py>,
        factory: &'static str,
        call: F,
    ) -> PyResult<Bound<'py, PyAny>>
    where
        T: serde::Serialize + Send + 'static,
        F: FnOnce(Arc<openwa::Session>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<T, openwa::Error>> + Send + 'static,
    {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let value = call(inner).await.map_err(error_detached)?;
            to_py_detached(factory, &value)
        })
    }
}

impl Session {
    /// Runs an engine call that answers nothing; the awaitable answers `None`.
    fn done<'py, F, Fut>(&self, py: Python<'py>, call: F) -> PyResult<Bound<'py, PyAny>>
    where
        F: FnOnce(Arc<openwa::Session>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<(), openwa::Error>> + Send + 'static,
    {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            call(inner).await.map_err(error_detached)?;
            Ok(convert::NONE)
        })
    }
}

/// Send options with an idempotency key, a quoted message, and whether to queue the send.
fn options(
    idempotency_key: Option<String>,
    quoted: Option<String>,
    queued: bool,
) -> openwa::SendOptions {
    openwa::SendOptions {
        idempotency_key,
        quoted,
        queued,
        ..openwa::SendOptions::default()
    }
}

#[pymethods]
impl Session {
    /// The session id.
    #[getter]
    fn id(&self) -> String {
        self.inner.id()
    }

    /// The current connection state (`connected`, `waiting_for_qr`…).
    #[getter]
    fn state(&self) -> &'static str {
        self.inner.state().as_str()
    }

    /// Whether the session has credentials from a completed pairing.
    #[getter]
    fn is_paired(&self) -> bool {
        self.inner.is_paired()
    }

    /// A snapshot: id, state, own ids (`SessionInfo`).
    fn info(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        convert::to_py(py, "_session_info", &self.inner.info())
    }

    /// Our push name: the options' until our phone sets another (`push_name_changed`).
    #[getter]
    fn push_name(&self) -> Option<String> {
        self.inner.push_name()
    }

    /// Starts connecting in the background (awaitable; returns at once).
    fn connect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner.connect().await.map_err(error_detached)?;
            Ok(convert::NONE)
        })
    }

    /// Closes the connection and stops reconnecting (awaitable).
    fn disconnect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner.disconnect().await.map_err(error_detached)?;
            Ok(convert::NONE)
        })
    }

    /// Unlinks this device and deletes its credentials (awaitable).
    fn logout<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner.logout().await.map_err(error_detached)?;
            Ok(convert::NONE)
        })
    }

    /// Pairs by phone-number code (awaitable `str`, `XXXX-XXXX`).
    fn pair_with_code<'py>(&self, py: Python<'py>, phone: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner.pair_with_code(&phone).await.map_err(error_detached)
        })
    }

    /// Waits until the session reaches `state` (awaitable); `Timeout` after `timeout_ms`.
    #[pyo3(signature = (state, timeout_ms=60_000))]
    fn wait_for_state<'py>(
        &self,
        py: Python<'py>,
        state: &str,
        timeout_ms: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let state = convert::state(state).map_err(|e| convert::error(py, e))?;
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner
                .wait_for_state(state, timeout_ms)
                .await
                .map_err(error_detached)?;
            Ok(convert::NONE)
        })
    }

    /// Sends a text (awaitable `Message`). `quoted`: the id of a message of the chat this
    /// replies to; `mentions`: users it mentions (phone numbers or JIDs). With an
    /// `idempotency_key`, a repeated call returns the first call's message instead of sending
    /// again. With `queued`, it answers once the message is durably queued (status `pending`)
    /// and the session's send queue sends it.
    #[pyo3(signature = (chat, text, idempotency_key=None, *, quoted=None, mentions=None, queued=false))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn send_text<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        text: String,
        idempotency_key: Option<String>,
        quoted: Option<String>,
        mentions: Option<Vec<String>>,
        queued: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = openwa::SendOptions {
            idempotency_key,
            quoted,
            mentions: mentions.unwrap_or_default(),
            queued,
        };
        self.send(py, move |s| async move {
            s.send_text(&chat, &text, options).await
        })
    }

    /// Changes how fast this session sends, from now on and after a restart (awaitable):
    /// `min_interval_ms` between two sends, plus up to `jitter_ms` at random, and at most
    /// `max_per_hour` sends an hour (0: no cap; past it a direct send raises `RateLimited`, a
    /// queued one waits). Omitted fields are 0.
    #[pyo3(signature = (pacing=None, **kwargs))]
    fn set_send_pacing<'py>(
        &self,
        py: Python<'py>,
        pacing: Option<&Bound<'py, PyDict>>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let patch = crate::manager::dict_json(pacing, kwargs, "send pacing")?;
        let pacing = convert::config(&openwa::SendPacing::default(), patch, "send pacing")
            .map_err(|e| convert::error(py, e))?;
        self.done(py, move |s| async move { s.set_send_pacing(pacing).await })
    }

    /// The pacing this session's sends follow now (a dict).
    fn send_pacing(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        convert::to_py(py, "_json", &self.inner.send_pacing())
    }

    /// Changes how this session reconnects after a transient failure, from the next reconnect
    /// on and after a restart (awaitable): `base_delay_ms` (100-300000, default 1000) and
    /// `max_attempts` (`None`: never give up).
    #[pyo3(signature = (policy=None, **kwargs))]
    fn set_reconnect_policy<'py>(
        &self,
        py: Python<'py>,
        policy: Option<&Bound<'py, PyDict>>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let patch = crate::manager::dict_json(policy, kwargs, "reconnect policy")?;
        let policy = convert::config(
            &openwa::ReconnectPolicy::default(),
            patch,
            "reconnect policy",
        )
        .map_err(|e| convert::error(py, e))?;
        self.done(
            py,
            move |s| async move { s.set_reconnect_policy(policy).await },
        )
    }

    /// The reconnect policy in force now (a dict).
    fn reconnect_policy(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        convert::to_py(py, "_json", &self.inner.reconnect_policy())
    }

    /// Sends a location pin (awaitable `Message`).
    #[pyo3(signature = (chat, latitude, longitude, *, name=None, address=None, url=None,
                        comment=None, idempotency_key=None, quoted=None, queued=false))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn send_location<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
        url: Option<String>,
        comment: Option<String>,
        idempotency_key: Option<String>,
        quoted: Option<String>,
        queued: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let location = openwa::Location {
            latitude,
            longitude,
            name,
            address,
            url,
            comment,
            ..openwa::Location::default()
        };
        let options = options(idempotency_key, quoted, queued);
        self.send(py, move |s| async move {
            s.send_location(&chat, location, options).await
        })
    }

    /// Sends contact cards (awaitable `Message`): `contacts` is a list of
    /// `{"display_name": …, "vcard": …}` dicts or `(display_name, vcard)` pairs.
    #[pyo3(signature = (chat, contacts, *, idempotency_key=None, quoted=None, queued=false))]
    fn send_contacts<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        contacts: &Bound<'py, PyAny>,
        idempotency_key: Option<String>,
        quoted: Option<String>,
        queued: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let json = convert::to_json(contacts, "contacts")?;
        let cards: Vec<openwa::ContactCard> = serde_json::from_value(json).map_err(|e| {
            convert::error(
                py,
                openwa::Error::invalid_argument(format!("bad contacts: {e}")),
            )
        })?;
        let options = options(idempotency_key, quoted, queued);
        self.send(py, move |s| async move {
            s.send_contacts(&chat, cards, options).await
        })
    }

    /// Reacts to message `message_id` of `chat` with `emoji` ("" removes the reaction).
    #[pyo3(signature = (chat, message_id, emoji, idempotency_key=None, *, queued=false))]
    fn react<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        message_id: String,
        emoji: String,
        idempotency_key: Option<String>,
        queued: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = options(idempotency_key, None, queued);
        self.send(py, move |s| async move {
            s.react(&chat, &message_id, &emoji, options).await
        })
    }

    /// Sends a poll (awaitable `Message`): 2-12 distinct `options`, of which a voter may
    /// choose `selectable_count` (0: any number).
    #[pyo3(signature = (chat, name, options, *, selectable_count=1, idempotency_key=None, quoted=None, queued=false))]
    #[allow(clippy::too_many_arguments)]
    fn send_poll<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        name: String,
        options: Vec<String>,
        selectable_count: u32,
        idempotency_key: Option<String>,
        quoted: Option<String>,
        queued: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let send = self::options(idempotency_key, quoted, queued);
        self.send(py, move |s| async move {
            s.send_poll(&chat, &name, options, selectable_count, send)
                .await
        })
    }

    /// Votes on the poll `poll_id` of `chat` with option names (an empty list withdraws the
    /// vote); awaitable `Message`.
    #[pyo3(signature = (chat, poll_id, selected, idempotency_key=None, *, queued=false))]
    fn vote_poll<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        poll_id: String,
        selected: Vec<String>,
        idempotency_key: Option<String>,
        queued: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let send = self::options(idempotency_key, None, queued);
        self.send(py, move |s| async move {
            s.vote_poll(&chat, &poll_id, selected, send).await
        })
    }

    /// The votes on the poll `poll_id` of `chat` (awaitable dict: `name`, `selectable_count`,
    /// `options` with each option's `voters`).
    fn poll_results<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        poll_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let results = inner
                .poll_results(&chat, &poll_id)
                .await
                .map_err(error_detached)?;
            to_py_detached("_json", &results)
        })
    }

    /// Edits one of our messages of `chat` (its text or caption).
    #[pyo3(signature = (chat, message_id, text, idempotency_key=None, *, queued=false))]
    fn edit_message<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        message_id: String,
        text: String,
        idempotency_key: Option<String>,
        queued: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = options(idempotency_key, None, queued);
        self.send(py, move |s| async move {
            s.edit_message(&chat, &message_id, &text, options).await
        })
    }

    /// Forwards the stored message `message_id` of `from_chat` to `chat` (marked forwarded).
    #[pyo3(signature = (chat, from_chat, message_id, idempotency_key=None, *, queued=false))]
    fn forward_message<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        from_chat: String,
        message_id: String,
        idempotency_key: Option<String>,
        queued: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = options(idempotency_key, None, queued);
        self.send(py, move |s| async move {
            s.forward_message(&chat, &from_chat, &message_id, options)
                .await
        })
    }

    /// Tells contacts we are online (`True`) or offline (awaitable).
    fn set_presence<'py>(&self, py: Python<'py>, available: bool) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner
                .set_presence(available)
                .await
                .map_err(error_detached)?;
            Ok(convert::NONE)
        })
    }

    /// Subscribes to a contact's presence (`presence` events follow; awaitable).
    fn subscribe_presence<'py>(
        &self,
        py: Python<'py>,
        user: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner
                .subscribe_presence(&user)
                .await
                .map_err(error_detached)?;
            Ok(convert::NONE)
        })
    }

    /// Shows `state` (`typing`, `recording` or `paused`) in `chat` (awaitable).
    fn send_chat_state<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        state: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let state: openwa::ChatState =
            serde_json::from_value(serde_json::Value::String(state.clone())).map_err(|_| {
                convert::error(
                    py,
                    openwa::Error::invalid_argument(format!(
                        "unknown chat state {state:?} (typing, recording, paused)"
                    )),
                )
            })?;
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner
                .send_chat_state(&chat, state)
                .await
                .map_err(error_detached)?;
            Ok(convert::NONE)
        })
    }

    /// Which of `numbers` are on WhatsApp (awaitable list of
    /// `{"input", "exists", "jid", "lid"}` dicts, in the order given).
    fn check_numbers<'py>(
        &self,
        py: Python<'py>,
        numbers: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let statuses = inner.check_numbers(numbers).await.map_err(error_detached)?;
            to_py_detached("_json", &statuses)
        })
    }

    /// Deletes one of our messages of `chat` for everyone.
    #[pyo3(signature = (chat, message_id, idempotency_key=None, *, queued=false))]
    fn revoke_message<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        message_id: String,
        idempotency_key: Option<String>,
        queued: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = options(idempotency_key, None, queued);
        self.send(py, move |s| async move {
            s.revoke_message(&chat, &message_id, options).await
        })
    }

    /// Sends a media file (awaitable `Message`): `kind` is image, video, gif, audio, voice,
    /// document or sticker; give the file as `data` (bytes) or `path` (read in pieces);
    /// `view_once` for images and videos.
    #[pyo3(signature = (chat, kind, data=None, path=None, *, mimetype=None, caption=None,
        file_name=None, thumbnail=None, width=None, height=None, seconds=None, waveform=None,
        animated=false, view_once=false, idempotency_key=None, queued=false))]
    #[allow(clippy::too_many_arguments)]
    fn send_media<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        kind: String,
        data: Option<&[u8]>,
        path: Option<std::path::PathBuf>,
        mimetype: Option<String>,
        caption: Option<String>,
        file_name: Option<String>,
        thumbnail: Option<&[u8]>,
        width: Option<u32>,
        height: Option<u32>,
        seconds: Option<u32>,
        waveform: Option<&[u8]>,
        animated: bool,
        view_once: bool,
        idempotency_key: Option<String>,
        queued: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kind: openwa::MediaKind = serde_json::from_value(serde_json::Value::String(kind))
            .map_err(|_| {
                convert::error(
                    py,
                    openwa::Error::invalid_argument(
                        "kind is one of image, video, gif, audio, voice, document, sticker",
                    ),
                )
            })?;
        let source = match (data, path) {
            (Some(data), None) => openwa::MediaSource::Bytes {
                data: data.to_vec(),
            },
            (None, Some(path)) => openwa::MediaSource::File { path },
            _ => {
                return Err(convert::error(
                    py,
                    openwa::Error::invalid_argument("give exactly one of data and path"),
                ));
            }
        };
        let media = openwa::OutgoingMedia {
            mimetype,
            caption,
            file_name,
            thumbnail: thumbnail.map(<[u8]>::to_vec),
            width,
            height,
            seconds,
            waveform: waveform.map(<[u8]>::to_vec),
            animated,
            view_once,
            ..openwa::OutgoingMedia::new(kind, source)
        };
        let inner = self.inner.clone();
        let options = openwa::SendOptions {
            idempotency_key,
            queued,
            ..openwa::SendOptions::default()
        };
        future_into_py(py, async move {
            let message = inner
                .send_media(&chat, media, options)
                .await
                .map_err(error_detached)?;
            to_py_detached("_message", &message)
        })
    }

    /// Downloads, verifies and decrypts the file of a stored media message (awaitable `bytes`).
    fn download_media<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        message_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let bytes = inner
                .download_media(&chat, &message_id)
                .await
                .map_err(error_detached)?;
            Python::attach(|py| Ok(pyo3::types::PyBytes::new(py, &bytes).into_any().unbind()))
        })
    }

    /// Streams the file of a stored media message to `path` (awaitable size in bytes; written
    /// as `path.part`, renamed once verified).
    fn download_media_to_file<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        message_id: String,
        path: std::path::PathBuf,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner
                .download_media_to_file(&chat, &message_id, path)
                .await
                .map_err(error_detached)
        })
    }

    /// Marks messages of `chat` as read (awaitable).
    fn mark_read<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        message_ids: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner
                .mark_read(&chat, message_ids)
                .await
                .map_err(error_detached)?;
            Ok(convert::NONE)
        })
    }

    /// A page of the chat's history, newest first (awaitable `MessagePage`).
    #[pyo3(signature = (chat, cursor=None, limit=DEFAULT_LIMIT))]
    fn messages<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        cursor: Option<String>,
        limit: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let page = inner
                .messages(&chat, cursor, limit)
                .await
                .map_err(error_detached)?;
            to_py_detached("_message_page", &page)
        })
    }

    /// How many messages the stored history of `chat` holds (awaitable `int`).
    fn message_count<'py>(&self, py: Python<'py>, chat: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner.message_count(&chat).await.map_err(error_detached)
        })
    }

    /// One stored message (awaitable `Message`), or `NotFound`.
    fn message<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let message = inner.message(&chat, &id).await.map_err(error_detached)?;
            to_py_detached("_message", &message)
        })
    }

    /// A page of the chats the session knows, newest message first (awaitable list of `Chat`).
    #[pyo3(signature = (limit=DEFAULT_LIST_LIMIT, offset=0))]
    fn list_chats<'py>(
        &self,
        py: Python<'py>,
        limit: u32,
        offset: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.query(py, "_chats", move |s| async move {
            s.list_chats(limit, offset).await
        })
    }

    /// One chat by any of its ids (awaitable `Chat`), or `NotFound`.
    fn get_chat<'py>(&self, py: Python<'py>, chat: String) -> PyResult<Bound<'py, PyAny>> {
        self.query(py, "_chat", move |s| async move { s.get_chat(&chat).await })
    }

    /// A page of the contacts the session knows (awaitable list of `Contact`).
    #[pyo3(signature = (limit=DEFAULT_LIST_LIMIT, offset=0))]
    fn list_contacts<'py>(
        &self,
        py: Python<'py>,
        limit: u32,
        offset: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.query(py, "_contacts", move |s| async move {
            s.list_contacts(limit, offset).await
        })
    }

    /// One contact by phone number, PN or LID JID (awaitable `Contact`), or `NotFound`.
    fn get_contact<'py>(&self, py: Python<'py>, contact: String) -> PyResult<Bound<'py, PyAny>> {
        self.query(py, "_contact", move |s| async move {
            s.get_contact(&contact).await
        })
    }

    /// Archives or unarchives a chat on every device of the account (awaitable `None`).
    #[pyo3(signature = (chat, archived=true))]
    fn archive_chat<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        archived: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.done(
            py,
            move |s| async move { s.archive_chat(&chat, archived).await },
        )
    }

    /// Deletes a chat on every device of the account: once the server accepted it, the chat,
    /// its messages, stars and labels are gone here, with a `chat_deleted` event (awaitable
    /// `None`).
    fn delete_chat<'py>(&self, py: Python<'py>, chat: String) -> PyResult<Bound<'py, PyAny>> {
        self.done(py, move |s| async move { s.delete_chat(&chat).await })
    }

    /// Clears a chat on every device of the account: its messages go (its starred messages too
    /// unless `keep_starred`), the chat stays, with a `chat_cleared` event (awaitable `None`).
    #[pyo3(signature = (chat, keep_starred=false))]
    fn clear_chat<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        keep_starred: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.done(py, move |s| async move {
            s.clear_chat(&chat, keep_starred).await
        })
    }

    /// Pins or unpins a chat on every device of the account (awaitable `None`).
    #[pyo3(signature = (chat, pinned=true))]
    fn pin_chat<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        pinned: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.done(py, move |s| async move { s.pin_chat(&chat, pinned).await })
    }

    /// Mutes a chat until `until` (seconds since the epoch; 2**64-1 for ever), or unmutes it
    /// with `None` (awaitable `None`).
    fn mute_chat<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        until: Option<u64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.done(py, move |s| async move { s.mute_chat(&chat, until).await })
    }

    /// Marks a chat unread (or read again) on every device of the account (awaitable `None`).
    #[pyo3(signature = (chat, unread=true))]
    fn mark_chat_unread<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        unread: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.done(py, move |s| async move {
            s.mark_chat_unread(&chat, unread).await
        })
    }

    /// Stars or unstars a message (awaitable `None`).
    #[pyo3(signature = (chat, message_id, starred=true))]
    fn star_message<'py>(
        &self,
        py: Python<'py>,
        chat: String,
        message_id: String,
        starred: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.done(py, move |s| async move {
            s.star_message(&chat, &message_id, starred).await
        })
    }

    /// Saves a contact's address-book name on every device of the account (awaitable `None`).
    #[pyo3(signature = (contact, full_name, first_name=None))]
    fn set_contact_name<'py>(
        &self,
        py: Python<'py>,
        contact: String,
        full_name: String,
        first_name: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.done(py, move |s| async move {
            s.set_contact_name(&contact, &full_name, first_name).await
        })
    }

    /// Makes a label with the next free id (awaitable `Label`).
    #[pyo3(signature = (name, color=0))]
    fn create_label<'py>(
        &self,
        py: Python<'py>,
        name: String,
        color: i32,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.query(py, "_label", move |s| async move {
            s.create_label(&name, color).await
        })
    }

    /// Renames or recolours a label (awaitable `None`).
    #[pyo3(signature = (id, name, color=0))]
    fn edit_label<'py>(
        &self,
        py: Python<'py>,
        id: String,
        name: String,
        color: i32,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.done(
            py,
            move |s| async move { s.edit_label(&id, &name, color).await },
        )
    }

    /// Deletes a label (awaitable `None`).
    fn delete_label<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        self.done(py, move |s| async move { s.delete_label(&id).await })
    }

    /// Puts a chat on a label (awaitable `None`).
    fn label_chat<'py>(
        &self,
        py: Python<'py>,
        label: String,
        chat: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.done(
            py,
            move |s| async move { s.label_chat(&label, &chat).await },
        )
    }

    /// Takes a chat off a label (awaitable `None`).
    fn unlabel_chat<'py>(
        &self,
        py: Python<'py>,
        label: String,
        chat: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.done(
            py,
            move |s| async move { s.unlabel_chat(&label, &chat).await },
        )
    }

    /// Puts a message on a label, or takes it off (awaitable `None`).
    #[pyo3(signature = (label, chat, message_id, labeled=true))]
    fn label_message<'py>(
        &self,
        py: Python<'py>,
        label: String,
        chat: String,
        message_id: String,
        labeled: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.done(py, move |s| async move {
            s.label_message(&label, &chat, &message_id, labeled).await
        })
    }

    /// The account's labels (awaitable list of `Label`).
    fn list_labels<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.query(py, "_labels", move |s| async move { s.list_labels().await })
    }

    /// A page of starred messages, most recently starred first (awaitable list of
    /// `StarredMessage`).
    #[pyo3(signature = (limit=DEFAULT_LIST_LIMIT, offset=0))]
    fn list_starred<'py>(
        &self,
        py: Python<'py>,
        limit: u32,
        offset: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.query(py, "_starred", move |s| async move {
            s.list_starred(limit, offset).await
        })
    }

    /// Events of this session only, from now on.
    fn events(&self) -> EventStream {
        EventStream::new(self.inner.events())
    }

    /// Events of this session after `cursor`: replayed from the log, then live.
    fn events_from(&self, cursor: u64) -> EventStream {
        EventStream::new(self.inner.events_from(cursor))
    }

    /// Logged events of this session with `seq > cursor` (awaitable list of `Event`).
    #[pyo3(signature = (cursor, limit=1000))]
    fn events_since<'py>(
        &self,
        py: Python<'py>,
        cursor: u64,
        limit: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let events = inner
                .events_since(cursor, limit)
                .await
                .map_err(error_detached)?;
            events
                .iter()
                .map(|event| to_py_detached("_event", event))
                .collect::<PyResult<Vec<_>>>()
        })
    }

    /// Creates a group (awaitable dict: the group's metadata); we are its super admin.
    fn create_group<'py>(
        &self,
        py: Python<'py>,
        subject: String,
        participants: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let info = inner
                .create_group(&subject, participants)
                .await
                .map_err(error_detached)?;
            to_py_detached("_json", &info)
        })
    }

    /// A group's metadata, fresh from the server (awaitable dict).
    fn group_info<'py>(&self, py: Python<'py>, group: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let info = inner.group_info(&group).await.map_err(error_detached)?;
            to_py_detached("_json", &info)
        })
    }

    /// Every group we are in (awaitable list of dicts).
    fn joined_groups<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let groups = inner.joined_groups().await.map_err(error_detached)?;
            to_py_detached("_json", &groups)
        })
    }

    /// `action` (`add`, `remove`, `promote`, `demote`) on members (awaitable list of
    /// per-member results).
    fn update_group_participants<'py>(
        &self,
        py: Python<'py>,
        group: String,
        action: String,
        participants: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let action: openwa::ParticipantAction =
            crate::groups::from_json(py, serde_json::Value::String(action), "participant action")?;
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let results = inner
                .update_group_participants(&group, action, participants)
                .await
                .map_err(error_detached)?;
            to_py_detached("_json", &results)
        })
    }

    /// Renames a group (awaitable).
    fn set_group_subject<'py>(
        &self,
        py: Python<'py>,
        group: String,
        subject: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner
                .set_group_subject(&group, &subject)
                .await
                .map_err(error_detached)?;
            Ok(convert::NONE)
        })
    }

    /// Sets (or, with `None`, deletes) a group's description (awaitable).
    #[pyo3(signature = (group, description=None))]
    fn set_group_description<'py>(
        &self,
        py: Python<'py>,
        group: String,
        description: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner
                .set_group_description(&group, description)
                .await
                .map_err(error_detached)?;
            Ok(convert::NONE)
        })
    }

    /// Changes one setting (awaitable): `announcement`, `locked`, `join_approval` (bool),
    /// `member_add_mode` (`admin_add`/`all_member_add`), `ephemeral` (seconds or `None`).
    fn set_group_setting<'py>(
        &self,
        py: Python<'py>,
        group: String,
        setting: String,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let value = convert::to_json(value, "value")?;
        let setting: openwa::GroupSetting = crate::groups::from_json(
            py,
            serde_json::json!({ "setting": setting, "value": value }),
            "group setting",
        )?;
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner
                .set_group_setting(&group, setting)
                .await
                .map_err(error_detached)?;
            Ok(convert::NONE)
        })
    }

    /// The group's invite code (awaitable `str`; admins only).
    fn group_invite_code<'py>(
        &self,
        py: Python<'py>,
        group: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner
                .group_invite_code(&group)
                .await
                .map_err(error_detached)
        })
    }

    /// Revokes the invite code; returns the new one (awaitable `str`).
    fn revoke_group_invite<'py>(
        &self,
        py: Python<'py>,
        group: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner
                .revoke_group_invite(&group)
                .await
                .map_err(error_detached)
        })
    }

    /// The group an invite code or link opens (awaitable dict), without joining.
    fn group_invite_info<'py>(&self, py: Python<'py>, code: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let info = inner
                .group_invite_info(&code)
                .await
                .map_err(error_detached)?;
            to_py_detached("_json", &info)
        })
    }

    /// Joins by invite code or link (awaitable dict `{jid, pending_approval}`).
    fn join_group<'py>(&self, py: Python<'py>, code: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let joined = inner.join_group(&code).await.map_err(error_detached)?;
            to_py_detached("_json", &joined)
        })
    }

    /// Leaves a group (awaitable).
    fn leave_group<'py>(&self, py: Python<'py>, group: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner.leave_group(&group).await.map_err(error_detached)?;
            Ok(convert::NONE)
        })
    }

    /// Pending join requests (awaitable list of dicts; admins only).
    fn group_join_requests<'py>(
        &self,
        py: Python<'py>,
        group: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let requests = inner
                .group_join_requests(&group)
                .await
                .map_err(error_detached)?;
            to_py_detached("_json", &requests)
        })
    }

    /// Approves (`approve=True`) or rejects join requests (awaitable list of results).
    fn answer_group_join_requests<'py>(
        &self,
        py: Python<'py>,
        group: String,
        approve: bool,
        participants: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let results = inner
                .answer_group_join_requests(&group, approve, participants)
                .await
                .map_err(error_detached)?;
            to_py_detached("_json", &results)
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "Session(id={:?}, state={:?})",
            self.inner.id(),
            self.inner.state().as_str()
        )
    }
}
