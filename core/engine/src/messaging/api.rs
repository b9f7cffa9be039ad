//! The messaging methods of [`Session`].

use crate::error::Error;
use crate::event::Message;
use crate::session::Session;

use super::history::{self, MessagePage};

impl Session {
    /// Sends a text to a 1:1 chat (`chat`: a PN or LID JID, or a phone number) and returns it
    /// once the server acknowledged it (status `sent`; a `MessageSent` event is emitted, then
    /// `MessageStatus` events as receipts arrive). The message is stored before it leaves.
    /// Fails at once with `not_connected` when the session is not connected (nothing is
    /// queued); `not_found` when the user has no devices; a nack maps to a typed error whose
    /// `details` hold the server code; `timeout` when no ack came within the request timeout.
    ///
    /// With `options.idempotency_key`, a repeated send with the same key returns the first
    /// send's message and never creates a second one, also across a restart or a crash.
    pub async fn send_text(
        &self,
        chat: &str,
        text: &str,
        options: super::send::SendOptions,
    ) -> Result<Message, Error> {
        let (chat, text) = (chat.to_owned(), text.to_owned());
        self.on_runtime(move |s| async move {
            super::send::send_text(s.shared(), &chat, &text, options).await
        })
        .await
    }

    /// Sends read receipts for received messages of `chat` (one receipt per sender, several
    /// ids in one stanza). Needs a live connection.
    pub async fn mark_read(&self, chat: &str, message_ids: Vec<String>) -> Result<(), Error> {
        let chat = crate::ids::parse_chat_id(chat)?;
        self.on_runtime(move |s| async move {
            super::read::mark_read(s.shared(), &chat, &message_ids).await
        })
        .await
    }

    /// A page of a chat's stored history, newest first: `cursor` is `None` for the newest
    /// page, then the previous page's `next_cursor`; `limit` is 1..=500. A contact's PN and LID
    /// name one chat once their mapping is known (each message keeps the `chat` it was
    /// addressed with).
    pub async fn messages(
        &self,
        chat: &str,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<MessagePage, Error> {
        let chat = crate::ids::parse_chat_id(chat)?;
        self.on_runtime(move |s| async move {
            history::page(s.shared(), &chat, cursor.as_deref(), limit).await
        })
        .await
    }

    /// One stored message of a chat, by the contact's PN or LID (`not_found` when unknown).
    pub async fn message(&self, chat: &str, message_id: &str) -> Result<Message, Error> {
        let chat = crate::ids::parse_chat_id(chat)?;
        let id = message_id.to_owned();
        let lookup_chat = chat.clone();
        self.on_runtime(
            move |s| async move { history::lookup(s.shared(), &lookup_chat, &id).await },
        )
        .await?
        .ok_or_else(|| {
            Error::new(
                crate::error::ErrorCode::NotFound,
                format!("no message {message_id} in {chat}"),
            )
        })
    }
}
