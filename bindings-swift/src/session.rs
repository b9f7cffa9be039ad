//! `Session`: one WhatsApp device of a manager. Every method delegates to `openwa::Session`
//! with the engine's own argument and result types.

use std::sync::Arc;

use openwa::{
    Chat, ChatState, ConnectionState, Contact, ContactCard, Event, GroupInfo, GroupJoin,
    GroupJoinRequest, GroupSetting, Location, Message, MessagePage, NumberStatus, OutgoingMedia,
    ParticipantAction, ParticipantUpdate, PollResults, ReconnectPolicy, SendOptions, SendPacing,
    SessionInfo,
};

use crate::error::Result;
use crate::stream::EventStream;

/// One WhatsApp device of a manager.
#[derive(Debug, uniffi::Object)]
pub struct Session {
    pub(crate) inner: Arc<openwa::Session>,
}

impl Session {
    pub(crate) fn new(inner: Arc<openwa::Session>) -> Arc<Self> {
        Arc::new(Session { inner })
    }
}

#[uniffi::export]
impl Session {
    /// The session id.
    pub fn id(&self) -> String {
        self.inner.id()
    }

    /// The current connection state.
    pub fn state(&self) -> ConnectionState {
        self.inner.state()
    }

    /// Whether the session has credentials from a completed pairing.
    pub fn is_paired(&self) -> bool {
        self.inner.is_paired()
    }

    /// A snapshot: id, state, own ids.
    pub fn info(&self) -> SessionInfo {
        self.inner.info()
    }

    /// Our push name: the options' until our phone sets another (`PushNameChanged`).
    pub fn push_name(&self) -> Option<String> {
        self.inner.push_name()
    }

    /// Starts connecting in the background (returns at once); `Qr`, `PairingCode`, `Paired`
    /// and `ConnectionState` events follow.
    pub async fn connect(&self) -> Result<()> {
        Ok(self.inner.connect().await?)
    }

    /// Closes the connection and stops reconnecting.
    pub async fn disconnect(&self) -> Result<()> {
        Ok(self.inner.disconnect().await?)
    }

    /// Unlinks this device and deletes its credentials.
    pub async fn logout(&self) -> Result<()> {
        Ok(self.inner.logout().await?)
    }

    /// Pairs by phone-number code instead of QR: returns the code (`XXXX-XXXX`) to type on the
    /// phone.
    pub async fn pair_with_code(&self, phone: String) -> Result<String> {
        Ok(self.inner.pair_with_code(&phone).await?)
    }

    /// Waits until the session reaches `state`; `Timeout` after `timeout_ms`.
    #[uniffi::method(default(timeout_ms = 60000))]
    pub async fn wait_for_state(&self, state: ConnectionState, timeout_ms: u64) -> Result<()> {
        Ok(self.inner.wait_for_state(state, timeout_ms).await?)
    }

    /// Changes how fast this session sends, from now on and after a restart.
    pub async fn set_send_pacing(&self, pacing: SendPacing) -> Result<()> {
        Ok(self.inner.set_send_pacing(pacing).await?)
    }

    /// The pacing this session's sends follow now.
    pub fn send_pacing(&self) -> SendPacing {
        self.inner.send_pacing()
    }

    /// Changes how this session reconnects after a transient failure, from the next reconnect
    /// on and after a restart.
    pub async fn set_reconnect_policy(&self, policy: ReconnectPolicy) -> Result<()> {
        Ok(self.inner.set_reconnect_policy(policy).await?)
    }

    /// The reconnect policy in force now.
    pub fn reconnect_policy(&self) -> ReconnectPolicy {
        self.inner.reconnect_policy()
    }

    /// Sends a text. With `options.idempotency_key`, a repeated call returns the first call's
    /// message instead of sending again.
    pub async fn send_text(
        &self,
        chat: String,
        text: String,
        options: SendOptions,
    ) -> Result<Message> {
        Ok(self.inner.send_text(&chat, &text, options).await?)
    }

    /// Sends a media file (image, video, GIF, audio, voice note, document, sticker).
    pub async fn send_media(
        &self,
        chat: String,
        media: OutgoingMedia,
        options: SendOptions,
    ) -> Result<Message> {
        Ok(self.inner.send_media(&chat, media, options).await?)
    }

    /// Sends a location pin.
    pub async fn send_location(
        &self,
        chat: String,
        location: Location,
        options: SendOptions,
    ) -> Result<Message> {
        Ok(self.inner.send_location(&chat, location, options).await?)
    }

    /// Sends contact cards.
    pub async fn send_contacts(
        &self,
        chat: String,
        contacts: Vec<ContactCard>,
        options: SendOptions,
    ) -> Result<Message> {
        Ok(self.inner.send_contacts(&chat, contacts, options).await?)
    }

    /// Sends a poll: 2-12 distinct `options`, of which a voter may choose `selectable_count`
    /// (0: any number).
    pub async fn send_poll(
        &self,
        chat: String,
        name: String,
        options: Vec<String>,
        selectable_count: u32,
        send: SendOptions,
    ) -> Result<Message> {
        Ok(self
            .inner
            .send_poll(&chat, &name, options, selectable_count, send)
            .await?)
    }

    /// Votes on the poll `poll_id` of `chat` with option names (empty withdraws the vote).
    pub async fn vote_poll(
        &self,
        chat: String,
        poll_id: String,
        selected: Vec<String>,
        options: SendOptions,
    ) -> Result<Message> {
        Ok(self
            .inner
            .vote_poll(&chat, &poll_id, selected, options)
            .await?)
    }

    /// The votes on the poll `poll_id` of `chat`: each option with its voters.
    pub async fn poll_results(&self, chat: String, poll_id: String) -> Result<PollResults> {
        Ok(self.inner.poll_results(&chat, &poll_id).await?)
    }

    /// Reacts to message `message_id` of `chat` with `emoji` ("" removes the reaction).
    pub async fn react(
        &self,
        chat: String,
        message_id: String,
        emoji: String,
        options: SendOptions,
    ) -> Result<Message> {
        Ok(self
            .inner
            .react(&chat, &message_id, &emoji, options)
            .await?)
    }

    /// Edits one of our messages of `chat` (its text or caption).
    pub async fn edit_message(
        &self,
        chat: String,
        message_id: String,
        text: String,
        options: SendOptions,
    ) -> Result<Message> {
        Ok(self
            .inner
            .edit_message(&chat, &message_id, &text, options)
            .await?)
    }

    /// Deletes one of our messages of `chat` for everyone.
    pub async fn revoke_message(
        &self,
        chat: String,
        message_id: String,
        options: SendOptions,
    ) -> Result<Message> {
        Ok(self
            .inner
            .revoke_message(&chat, &message_id, options)
            .await?)
    }

    /// Forwards the stored message `message_id` of `from_chat` to `chat` (marked forwarded).
    pub async fn forward_message(
        &self,
        chat: String,
        from_chat: String,
        message_id: String,
        options: SendOptions,
    ) -> Result<Message> {
        Ok(self
            .inner
            .forward_message(&chat, &from_chat, &message_id, options)
            .await?)
    }

    /// Downloads, verifies and decrypts the file of a stored media message.
    pub async fn download_media(&self, chat: String, message_id: String) -> Result<Vec<u8>> {
        Ok(self.inner.download_media(&chat, &message_id).await?)
    }

    /// Streams the file of a stored media message to `path` (written as `path.part`, renamed
    /// once verified); returns its size in bytes.
    pub async fn download_media_to_file(
        &self,
        chat: String,
        message_id: String,
        path: String,
    ) -> Result<u64> {
        Ok(self
            .inner
            .download_media_to_file(&chat, &message_id, path.into())
            .await?)
    }

    /// Marks messages of `chat` as read.
    pub async fn mark_read(&self, chat: String, message_ids: Vec<String>) -> Result<()> {
        Ok(self.inner.mark_read(&chat, message_ids).await?)
    }

    /// A page of the chat's history, newest first; pass `next_cursor` for the next page.
    #[uniffi::method(default(cursor = None, limit = 50))]
    pub async fn messages(
        &self,
        chat: String,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<MessagePage> {
        Ok(self.inner.messages(&chat, cursor, limit).await?)
    }

    /// How many messages the stored history of `chat` holds.
    pub async fn message_count(&self, chat: String) -> Result<u64> {
        Ok(self.inner.message_count(&chat).await?)
    }

    /// One stored message, or `NotFound`.
    pub async fn message(&self, chat: String, id: String) -> Result<Message> {
        Ok(self.inner.message(&chat, &id).await?)
    }

    /// Tells contacts we are online (`true`) or offline.
    pub async fn set_presence(&self, available: bool) -> Result<()> {
        Ok(self.inner.set_presence(available).await?)
    }

    /// Subscribes to a contact's presence (`Presence` events follow).
    pub async fn subscribe_presence(&self, user: String) -> Result<()> {
        Ok(self.inner.subscribe_presence(&user).await?)
    }

    /// Shows `state` (typing, recording, paused) in `chat`.
    pub async fn send_chat_state(&self, chat: String, state: ChatState) -> Result<()> {
        Ok(self.inner.send_chat_state(&chat, state).await?)
    }

    /// Which of `numbers` are on WhatsApp, in the order given.
    pub async fn check_numbers(&self, numbers: Vec<String>) -> Result<Vec<NumberStatus>> {
        Ok(self.inner.check_numbers(numbers).await?)
    }

    /// Events of this session only, from now on.
    pub fn events(&self) -> Arc<EventStream> {
        EventStream::new(self.inner.events())
    }

    /// Events of this session after `cursor`: replayed from the log, then live.
    pub fn events_from(&self, cursor: u64) -> Arc<EventStream> {
        EventStream::new(self.inner.events_from(cursor))
    }

    /// Logged events of this session with `seq > cursor`, oldest first, at most `limit`.
    #[uniffi::method(default(limit = 1000))]
    pub async fn events_since(&self, cursor: u64, limit: u32) -> Result<Vec<Event>> {
        Ok(self.inner.events_since(cursor, limit).await?)
    }

    /// Creates a group; we are its super admin.
    pub async fn create_group(
        &self,
        subject: String,
        participants: Vec<String>,
    ) -> Result<GroupInfo> {
        Ok(self.inner.create_group(&subject, participants).await?)
    }

    /// A page of the chats the session knows, newest first (`limit` 1-500).
    pub async fn list_chats(&self, limit: u32, offset: u32) -> Result<Vec<Chat>> {
        Ok(self.inner.list_chats(limit, offset).await?)
    }

    /// One chat, by any form of its id.
    pub async fn get_chat(&self, chat: String) -> Result<Chat> {
        Ok(self.inner.get_chat(&chat).await?)
    }

    /// A page of the contacts the session knows (`limit` 1-500).
    pub async fn list_contacts(&self, limit: u32, offset: u32) -> Result<Vec<Contact>> {
        Ok(self.inner.list_contacts(limit, offset).await?)
    }

    /// One contact, by phone number, PN or LID JID.
    pub async fn get_contact(&self, contact: String) -> Result<Contact> {
        Ok(self.inner.get_contact(&contact).await?)
    }

    /// A group's metadata, fresh from the server.
    pub async fn group_info(&self, group: String) -> Result<GroupInfo> {
        Ok(self.inner.group_info(&group).await?)
    }

    /// Every group we are in.
    pub async fn joined_groups(&self) -> Result<Vec<GroupInfo>> {
        Ok(self.inner.joined_groups().await?)
    }

    /// Adds, removes, promotes or demotes members; one result per member.
    pub async fn update_group_participants(
        &self,
        group: String,
        action: ParticipantAction,
        participants: Vec<String>,
    ) -> Result<Vec<ParticipantUpdate>> {
        Ok(self
            .inner
            .update_group_participants(&group, action, participants)
            .await?)
    }

    /// Renames a group.
    pub async fn set_group_subject(&self, group: String, subject: String) -> Result<()> {
        Ok(self.inner.set_group_subject(&group, &subject).await?)
    }

    /// Sets (or, with `None`, deletes) a group's description.
    pub async fn set_group_description(
        &self,
        group: String,
        description: Option<String>,
    ) -> Result<()> {
        Ok(self
            .inner
            .set_group_description(&group, description)
            .await?)
    }

    /// Changes one group setting.
    pub async fn set_group_setting(&self, group: String, setting: GroupSetting) -> Result<()> {
        Ok(self.inner.set_group_setting(&group, setting).await?)
    }

    /// The group's invite code (admins only).
    pub async fn group_invite_code(&self, group: String) -> Result<String> {
        Ok(self.inner.group_invite_code(&group).await?)
    }

    /// Revokes the invite code; returns the new one.
    pub async fn revoke_group_invite(&self, group: String) -> Result<String> {
        Ok(self.inner.revoke_group_invite(&group).await?)
    }

    /// The group an invite code or link opens, without joining.
    pub async fn group_invite_info(&self, code: String) -> Result<GroupInfo> {
        Ok(self.inner.group_invite_info(&code).await?)
    }

    /// Joins by invite code or link.
    pub async fn join_group(&self, code: String) -> Result<GroupJoin> {
        Ok(self.inner.join_group(&code).await?)
    }

    /// Leaves a group.
    pub async fn leave_group(&self, group: String) -> Result<()> {
        Ok(self.inner.leave_group(&group).await?)
    }

    /// Pending join requests (admins only).
    pub async fn group_join_requests(&self, group: String) -> Result<Vec<GroupJoinRequest>> {
        Ok(self.inner.group_join_requests(&group).await?)
    }

    /// Approves (`approve` true) or rejects join requests; one result per member.
    pub async fn answer_group_join_requests(
        &self,
        group: String,
        approve: bool,
        participants: Vec<String>,
    ) -> Result<Vec<ParticipantUpdate>> {
        Ok(self
            .inner
            .answer_group_join_requests(&group, approve, participants)
            .await?)
    }
}
