//! The messaging methods of [`Session`].

use crate::config::SendPacing;
use crate::error::Error;
use crate::event::{ChatState, ContactCard, Location, Message};
use crate::session::Session;

use super::polls::PollResults;
use super::send::SendOptions;
use super::{actions, compose};

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
        options: SendOptions,
    ) -> Result<Message, Error> {
        let (chat, text) = (chat.to_owned(), text.to_owned());
        self.on_runtime(move |s| async move {
            super::send::send_text(s.shared(), &chat, &text, options).await
        })
        .await
    }

    /// Sends a location pin (see [`Location`]; live locations are not sent). Coordinates out of
    /// range or not finite are `invalid_argument`, and nothing is sent. Otherwise as
    /// [`Session::send_text`].
    pub async fn send_location(
        &self,
        chat: &str,
        location: Location,
        options: SendOptions,
    ) -> Result<Message, Error> {
        let proto = compose::location(&location)?;
        self.send_proto(chat, proto, options).await
    }

    /// Sends one or more contact cards (vCard 3.0 text with a `VERSION` line, each with a
    /// display name; at most 256). A malformed card is `invalid_argument`, and nothing is sent.
    /// Otherwise as [`Session::send_text`].
    pub async fn send_contacts(
        &self,
        chat: &str,
        contacts: Vec<ContactCard>,
        options: SendOptions,
    ) -> Result<Message, Error> {
        let proto = compose::contacts(&contacts)?;
        self.send_proto(chat, proto, options).await
    }

    /// Reacts to the stored message `message_id` of `chat` with `emoji`; an empty `emoji`
    /// removes our reaction. `not_found` when the chat has no such message. Returns the
    /// reaction message (type `reaction`); otherwise as [`Session::send_text`].
    pub async fn react(
        &self,
        chat: &str,
        message_id: &str,
        emoji: &str,
        options: SendOptions,
    ) -> Result<Message, Error> {
        let (chat, id, emoji) = (chat.to_owned(), message_id.to_owned(), emoji.to_owned());
        self.on_runtime(move |s| async move {
            actions::react(s.shared(), &chat, &id, &emoji, options).await
        })
        .await
    }

    /// Edits one of our stored messages of `chat` (a text, or a media caption): recipients see
    /// the new text. Once the server took the edit, the stored message has the new text and a
    /// `MessageEdited` event fires. Someone else's message, or one that is neither text nor
    /// captioned media, is `invalid_argument`; an unknown id `not_found`. Returns the edit
    /// message (type `protocol`).
    pub async fn edit_message(
        &self,
        chat: &str,
        message_id: &str,
        text: &str,
        options: SendOptions,
    ) -> Result<Message, Error> {
        let (chat, id, text) = (chat.to_owned(), message_id.to_owned(), text.to_owned());
        self.on_runtime(move |s| async move {
            actions::edit(s.shared(), &chat, &id, &text, options).await
        })
        .await
    }

    /// Deletes one of our stored messages of `chat` for everyone. Once the server took it, the
    /// stored message becomes `revoked` and a `MessageRevoked` event fires. Revoking someone
    /// else's message (a group admin's right) is `unsupported` for now; an unknown id
    /// `not_found`. Returns the revoke message (type `protocol`).
    pub async fn revoke_message(
        &self,
        chat: &str,
        message_id: &str,
        options: SendOptions,
    ) -> Result<Message, Error> {
        let (chat, id) = (chat.to_owned(), message_id.to_owned());
        self.on_runtime(
            move |s| async move { actions::revoke(s.shared(), &chat, &id, options).await },
        )
        .await
    }

    /// Forwards the stored message `message_id` of `from_chat` to `chat`: the same content
    /// (media is not uploaded again), marked forwarded, with a forwarding score one higher (the
    /// recipient shows "forwarded many times" from 5). `not_found` for an unknown message;
    /// `invalid_argument` for one that cannot be forwarded (a reaction, an edit, a revoked
    /// message). Otherwise as [`Session::send_text`].
    pub async fn forward_message(
        &self,
        chat: &str,
        from_chat: &str,
        message_id: &str,
        options: SendOptions,
    ) -> Result<Message, Error> {
        let (chat, from, id) = (chat.to_owned(), from_chat.to_owned(), message_id.to_owned());
        self.on_runtime(move |s| async move {
            actions::forward(s.shared(), &chat, &from, &id, options).await
        })
        .await
    }

    /// Sends a poll asking `name` with `options` (2-12 distinct names of 1-100 characters), of
    /// which a voter may choose `selectable_count` (0: any number). Recipients vote with their
    /// apps; `PollVote` events report the votes and [`Session::poll_results`] counts them.
    /// Otherwise as [`Session::send_text`].
    pub async fn send_poll(
        &self,
        chat: &str,
        name: &str,
        options: Vec<String>,
        selectable_count: u32,
        send: SendOptions,
    ) -> Result<Message, Error> {
        let proto = compose::poll(name, &options, selectable_count)?;
        self.send_proto(chat, proto, send).await
    }

    /// Votes on the stored poll `poll_id` of `chat`: `selected` are option names (at most the
    /// poll's `selectable_count` when it is not 0); an empty list withdraws our vote. A later
    /// vote replaces the earlier one. Unknown options are `invalid_argument`; an unknown poll
    /// `not_found`. Returns the vote message (type `poll_vote`, left out of history); a
    /// `PollVote` event follows.
    pub async fn vote_poll(
        &self,
        chat: &str,
        poll_id: &str,
        selected: Vec<String>,
        options: SendOptions,
    ) -> Result<Message, Error> {
        let (chat, id) = (chat.to_owned(), poll_id.to_owned());
        self.on_runtime(move |s| async move {
            super::polls::vote(s.shared(), &chat, &id, &selected, options).await
        })
        .await
    }

    /// The votes this session knows on the stored poll `poll_id` of `chat`: each option with
    /// its voters (each voter's latest vote counts). `not_found` for an unknown message,
    /// `invalid_argument` for one that is not a poll.
    pub async fn poll_results(&self, chat: &str, poll_id: &str) -> Result<PollResults, Error> {
        let (chat, id) = (chat.to_owned(), poll_id.to_owned());
        self.on_runtime(move |s| async move { super::polls::results(s.shared(), &chat, &id).await })
            .await
    }

    /// Tells our contacts we are online (`true`) or offline. WhatsApp sends contacts' presence
    /// and typing indicators only to a session that said it is available, and shows the phone
    /// no notifications while a linked device is available: set it when the app is in use.
    pub async fn set_presence(&self, available: bool) -> Result<(), Error> {
        self.on_runtime(move |s| async move {
            crate::presence::set_presence(s.shared(), available).await
        })
        .await
    }

    /// Subscribes to a contact's presence: `Presence` events follow whenever they come online
    /// or go offline, while this session is connected (subscribe again after a reconnect).
    pub async fn subscribe_presence(&self, user: &str) -> Result<(), Error> {
        let user = crate::ids::parse_user_id(user)?;
        self.on_runtime(move |s| async move { crate::presence::subscribe(s.shared(), &user).await })
            .await
    }

    /// Shows `state` in `chat`: typing, recording a voice note, or paused (stop showing).
    pub async fn send_chat_state(&self, chat: &str, state: ChatState) -> Result<(), Error> {
        let chat = crate::ids::parse_chat_id(chat)?;
        if !(chat.is_pn() || chat.is_lid() || chat.is_group()) {
            return Err(Error::invalid_argument(format!(
                "{chat} is not a user or a group"
            )));
        }
        self.on_runtime(move |s| async move {
            crate::presence::send_chat_state(s.shared(), &chat, state).await
        })
        .await
    }

    /// Sends a prepared message protobuf through the one send path.
    async fn send_proto(
        &self,
        chat: &str,
        proto: openwa_protocol::proto::e2e::Message,
        options: SendOptions,
    ) -> Result<Message, Error> {
        let chat = chat.to_owned();
        self.on_runtime(move |s| async move {
            super::send::send_content(s.shared(), &chat, proto, options).await
        })
        .await
    }

    /// Changes how fast this session sends (see [`SendPacing`]) from now on, also after a
    /// restart (the session's stored options change with it). Bad values are
    /// `invalid_argument`.
    pub async fn set_send_pacing(&self, pacing: SendPacing) -> Result<(), Error> {
        pacing.validate()?;
        // Slots already taken stay taken.
        self.shared()
            .feature::<crate::changed::Changed<SendPacing>>()
            .set(pacing);
        super::queue::wake(self.shared());
        self.save_options().await
    }

    /// The pacing this session's sends follow now.
    pub fn send_pacing(&self) -> SendPacing {
        let shared = self.shared();
        shared.feature::<super::pacing::Pacer>().pacing(shared)
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

    /// How many messages the stored history of a chat holds (what [`Session::messages`] pages
    /// through).
    pub async fn message_count(&self, chat: &str) -> Result<u64, Error> {
        let chat = crate::ids::parse_chat_id(chat)?;
        self.on_runtime(move |s| async move { history::count(s.shared(), &chat).await })
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
