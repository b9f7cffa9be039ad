//! Events: everything a session reports, in one ordered, replayable stream.
//!
//! Every [`Event`] carries the `session_id` it belongs to and a `seq` that increases by one for
//! every event of the manager (across all sessions). Events are written to the event log before
//! they are published, so `SessionManager::events_since(seq)` can replay anything a subscriber
//! missed. Ids inside events are strings in canonical JID form (`15551234567@s.whatsapp.net`).

use serde::{Deserialize, Serialize};

use crate::media::MediaFile;

/// One event of one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Event {
    /// The session that produced it (empty only for [`EventKind::Lagged`], which is about the
    /// subscriber, not a session).
    pub session_id: String,
    /// Position in the manager's event log; strictly increasing, starting at 1. For
    /// [`EventKind::Lagged`] it is the seq of the last event this stream delivered (the cursor to
    /// pass to `events_since`).
    pub seq: u64,
    /// Wall-clock time the event was produced, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened. Each variant says when it fires and what follows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum EventKind {
    /// A QR code to show to the user, fired while the session is `waiting_for_qr`: once when the
    /// server hands out its refs, then again each time the previous code expires (first after
    /// 60 s, then every 20 s). Followed by another `Qr`, by `Paired` when the phone scanned it, or
    /// by a `ConnectionState` change to `disconnected` (reason `qr_timeout`) when the refs run out.
    Qr {
        /// The string to encode in the QR code (`https://wa.me/settings/linked_devices#…`).
        code: String,
        /// How long this code stays valid, in seconds.
        timeout_secs: u32,
    },
    /// The code to type on the phone, fired after `pair_with_code`. The phone shows a
    /// notification; once the user types the code, `Paired` follows.
    PairingCode {
        /// The 8-character code, formatted `XXXX-XXXX`.
        code: String,
    },
    /// The phone accepted this device. Fired once per pairing, right before the server restarts
    /// the stream (the state goes `pairing` → `connecting` → `connected`). The session now has
    /// credentials; later connects log in without a QR.
    Paired {
        /// Our own device id on the phone-number namespace (`15551234567:3@s.whatsapp.net`).
        jid: String,
        /// Our own device id on the LID namespace, if the server sent it.
        lid: Option<String>,
        /// The phone's platform (`android`, `iphone`…), if the server sent it.
        platform: Option<String>,
        /// The business name of a business account, if any.
        business_name: Option<String>,
    },
    /// The connection state changed. Fired for every transition (never twice in a row with the
    /// same state and reason). `connected` is followed by messages; `disconnected` with a
    /// retryable reason is followed by `connecting` after the backoff; `logged_out` is final
    /// until the session is paired again.
    ConnectionState {
        /// The new state.
        state: ConnectionState,
        /// Why the state changed.
        reason: StateReason,
        /// Extra human-readable context (a server code, a network error).
        detail: Option<String>,
        /// Whether the engine goes on by itself: true while it connects, is connected or waits
        /// out a backoff; false once it stopped (`disconnected` for good, `logged_out`) and only
        /// `connect()` starts it again. See [`EventKind::is_final`].
        #[serde(default)]
        will_reconnect: bool,
    },
    /// A message arrived and was stored. Fired after it is persisted and before the delivery
    /// receipt is sent; a redelivered message (same id) is not reported twice.
    MessageReceived {
        /// The message.
        message: Message,
    },
    /// A message we sent was accepted by the server (its ack arrived). `MessageStatus`
    /// updates follow as receipts come in.
    MessageSent {
        /// The message as stored.
        message: Message,
    },
    /// Someone (the author, on any of their devices, ourselves included) edited a message of
    /// `chat`: the stored message now has the new text, and history reads it so. Fired once per
    /// edit, after it is stored; an edit of a message we never stored is reported all the same
    /// (the application may have it from elsewhere).
    MessageEdited {
        /// The chat of the edited message.
        chat: String,
        /// The edited message's id.
        message_id: String,
        /// Who edited it (device-less JID).
        sender: String,
        /// The new text (or caption).
        text: Option<String>,
        /// The new content, typed.
        content: MessageContent,
        /// Server timestamp of the edit, seconds since the epoch.
        timestamp: u64,
    },
    /// A message of `chat` was deleted for everyone (revoked by its author, or by a group
    /// admin). The stored message becomes a `revoked` message with no text or content. Fired
    /// once, after that is stored.
    MessageRevoked {
        /// The chat of the revoked message.
        chat: String,
        /// The revoked message's id.
        message_id: String,
        /// Who revoked it (device-less JID).
        sender: String,
        /// Server timestamp of the revoke, seconds since the epoch.
        timestamp: u64,
    },
    /// Someone (ourselves included, from any device) voted on a poll of `chat`, or changed or
    /// withdrew their vote (`selected` empty). Fired after the vote is decrypted with the
    /// poll's secret and stored; `Session::poll_results` then counts it. A vote on a poll this
    /// session never stored cannot be read: it is logged, not reported.
    PollVote {
        /// The poll's chat.
        chat: String,
        /// The poll's message id.
        poll_id: String,
        /// The voter (device-less JID): their phone-number JID when known, else their LID.
        voter: String,
        /// The voter's other id (their LID), if known.
        voter_alt: Option<String>,
        /// The names of the options now chosen, in the poll's order.
        selected: Vec<String>,
        /// Server timestamp of the vote, seconds since the epoch.
        timestamp: u64,
    },
    /// A contact we subscribed to (`Session::subscribe_presence`) came online or went offline.
    /// Fired for each push the server sends while we are connected; nothing is replayed from
    /// the server after a reconnect (subscribe again).
    Presence {
        /// The contact (device-less JID).
        user: String,
        /// Whether any of their devices is online.
        available: bool,
        /// When they were last online (seconds since the epoch), when offline and shown.
        last_seen: Option<u64>,
        /// Whether their privacy settings hide when they were last online.
        #[serde(default)]
        last_seen_hidden: bool,
    },
    /// Someone is typing, recording a voice note, or stopped (`paused`) in a chat. Fired for
    /// each indicator as it arrives; an indicator that is not followed by `paused` or a message
    /// fades on its own after a few seconds (WhatsApp clients time it out).
    ChatState {
        /// The chat (the contact, or the group).
        chat: String,
        /// Who is typing (device-less JID; the contact itself in 1:1 chats).
        sender: String,
        /// What they are doing.
        state: ChatState,
    },
    /// The status of one of our sent messages changed (delivered, read, played, failed).
    /// Fired once per status step per message; never goes backwards.
    MessageStatus {
        /// The chat of the message.
        chat: String,
        /// The message id.
        message_id: String,
        /// The new status.
        status: MessageStatus,
    },
    /// A receipt arrived from another device (delivered, read, played…). Fired for every
    /// receipt stanza, including those about several messages; a `MessageStatus` follows for
    /// each message whose status moved forward.
    Receipt {
        /// The chat the receipt is about.
        chat: String,
        /// Who sent the receipt (a device JID).
        sender: String,
        /// The message ids it covers.
        message_ids: Vec<String>,
        /// What kind of receipt.
        receipt: ReceiptKind,
        /// Server timestamp, seconds since the epoch.
        timestamp: u64,
    },
    /// We are in a new group: we created it, or someone created it with us in it. Fired when
    /// the server's `create` notification arrives (after `create_group` returns, for our own
    /// groups). Later changes arrive as `GroupParticipants` and `GroupUpdated`.
    GroupJoined {
        /// The group's metadata at creation.
        group: Box<crate::group_types::GroupInfo>,
        /// Why we are in it, when the server says (e.g. `invite`).
        reason: Option<String>,
    },
    /// Members of a group were added, removed, promoted or demoted, or left (ourselves
    /// included: a `removed`/`left` naming us means we are no longer in the group). Fired for
    /// each membership notification, after the group's cached metadata was dropped. When
    /// members were removed or left, our sender key of the group is replaced before our next
    /// message to it, so they cannot read it.
    GroupParticipants {
        /// The group.
        group: String,
        /// Who did it (as the group names members), when the server says.
        actor: Option<String>,
        /// The actor's phone number, when known.
        actor_pn: Option<String>,
        /// What happened.
        change: crate::group_types::MembershipChange,
        /// Whom it concerns.
        participants: Vec<crate::group_types::GroupParticipant>,
        /// The server's reason, if any (e.g. `invite` for a join by link).
        reason: Option<String>,
    },
    /// A group's subject, description or settings changed, or its invite link was reset.
    /// Fired for each such notification, after the group's cached metadata was dropped.
    GroupUpdated {
        /// The group.
        group: String,
        /// Who did it, when the server says.
        actor: Option<String>,
        /// The actor's phone number, when known.
        actor_pn: Option<String>,
        /// What changed.
        change: crate::group_types::GroupChange,
    },
    /// A history-sync chunk from our phone was processed: what it added is stored (chats and
    /// messages under the session's `history` policy; push names and the PN↔LID map always).
    /// Fired once per chunk, in the commit that stores it, after linking (initial bootstrap,
    /// push names, recent, non-blocking data) and when the phone sends more. History messages
    /// are not reported one by one: list them with `list_chats` and `messages`.
    HistorySync {
        /// Which part of the history the chunk carries.
        sync_type: crate::history_types::HistorySyncType,
        /// The chunk's position among the chunks of its type (from 1).
        chunk_order: u32,
        /// How far the phone is with chunks of this type, in percent, when it says.
        progress: Option<u32>,
        /// Chats the chunk described (and the policy kept).
        chats: u32,
        /// Messages the chunk carried (and the policy kept); messages stored already count too.
        messages: u32,
        /// Push names it carried.
        contacts: u32,
    },
    /// A chat setting kept by app-state sync changed: archived, pinned, muted or marked
    /// unread. Fired once per change, whichever device made it (this session
    /// included, once the server accepted it), in the commit that stores it; a full sync after
    /// linking reports every setting the account has.
    ChatUpdated {
        /// The chat.
        chat: String,
        /// What changed.
        setting: crate::app_state_types::ChatSetting,
    },
    /// A chat was deleted (app-state sync) on a device of the account (this session included,
    /// once the server accepted it): its messages up to the deletion are gone from the store,
    /// and with them the chat, its stars, votes and labels unless a newer message is stored.
    /// Fired once, in the commit that deletes it.
    ChatDeleted {
        /// The chat.
        chat: String,
    },
    /// A chat was cleared (app-state sync) on a device of the account (this session included,
    /// once the server accepted it): its messages up to the clearing are gone from the store
    /// (its starred messages too when the clearing said so); the chat stays. Fired once, in the
    /// commit that clears it.
    ChatCleared {
        /// The chat.
        chat: String,
    },
    /// Our push name (the name our contacts see) was set on our phone (app-state sync); the
    /// session uses it from now on (presence, and after a restart). Fired once per change, in
    /// the commit that stores it.
    PushNameChanged {
        /// The new name.
        name: String,
    },
    /// A contact's address-book name changed (app-state sync), on any device of the account.
    /// Fired once per change, in the commit that stores it.
    ContactUpdated {
        /// The contact (user JID).
        jid: String,
        /// The full name (`None`: removed from the address book).
        full_name: Option<String>,
        /// The first name, when given.
        first_name: Option<String>,
    },
    /// A label was made, renamed, recoloured or deleted (app-state sync), on any device of the
    /// account. Fired once per change, in the commit that stores it.
    LabelUpdated {
        /// The label as it is now.
        label: crate::app_state_types::Label,
    },
    /// A chat or message was put on a label or taken off it (app-state sync), on any device of
    /// the account. Fired once per change, in the commit that stores it.
    LabelAssociation {
        /// The label id.
        label: String,
        /// The chat.
        chat: String,
        /// The message, when a message (not the chat) is labelled.
        message_id: Option<String>,
        /// On the label (`true`) or taken off.
        labeled: bool,
    },
    /// A message was starred or unstarred (app-state sync), on any device of the account.
    /// Fired once per change, in the commit that stores it.
    MessageStarred {
        /// The chat.
        chat: String,
        /// The message id.
        message_id: String,
        /// Whether we sent it.
        from_me: bool,
        /// Starred (`true`) or unstarred.
        starred: bool,
    },
    /// This subscriber fell behind and `missed` events were dropped from its queue (the engine
    /// never waits for a slow consumer). Replay them with `events_since(seq)`; the stream
    /// continues with newer events.
    Lagged {
        /// How many events were skipped.
        missed: u64,
    },
    /// A logged event this build cannot read (written by a newer version, or damaged). Replay
    /// reports it in its place and goes on with the next event.
    Unreadable {
        /// The event's type name as logged.
        name: String,
        /// The payload format version it was logged with.
        version: u32,
        /// Why it could not be read.
        error: String,
    },
}

impl EventKind {
    /// Whether this is the session's last connection event until the application acts: a
    /// `ConnectionState` whose `will_reconnect` is false (logged out, banned, replaced by
    /// another connection, QR codes expired, `disconnect()`…).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            EventKind::ConnectionState {
                will_reconnect: false,
                ..
            }
        )
    }

    /// The snake_case name of the variant (the `type` field in JSON).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Qr { .. } => "qr",
            EventKind::PairingCode { .. } => "pairing_code",
            EventKind::Paired { .. } => "paired",
            EventKind::ConnectionState { .. } => "connection_state",
            EventKind::MessageReceived { .. } => "message_received",
            EventKind::MessageSent { .. } => "message_sent",
            EventKind::MessageEdited { .. } => "message_edited",
            EventKind::MessageRevoked { .. } => "message_revoked",
            EventKind::PollVote { .. } => "poll_vote",
            EventKind::Presence { .. } => "presence",
            EventKind::ChatState { .. } => "chat_state",
            EventKind::MessageStatus { .. } => "message_status",
            EventKind::Receipt { .. } => "receipt",
            EventKind::GroupJoined { .. } => "group_joined",
            EventKind::GroupParticipants { .. } => "group_participants",
            EventKind::GroupUpdated { .. } => "group_updated",
            EventKind::HistorySync { .. } => "history_sync",
            EventKind::ChatUpdated { .. } => "chat_updated",
            EventKind::ChatDeleted { .. } => "chat_deleted",
            EventKind::ChatCleared { .. } => "chat_cleared",
            EventKind::PushNameChanged { .. } => "push_name_changed",
            EventKind::ContactUpdated { .. } => "contact_updated",
            EventKind::LabelUpdated { .. } => "label_updated",
            EventKind::LabelAssociation { .. } => "label_association",
            EventKind::MessageStarred { .. } => "message_starred",
            EventKind::Lagged { .. } => "lagged",
            EventKind::Unreadable { .. } => "unreadable",
        }
    }
}

/// What someone is doing in a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ChatState {
    /// Typing.
    Typing,
    /// Recording a voice note.
    Recording,
    /// Stopped typing or recording.
    Paused,
}

/// Where a session's connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ConnectionState {
    /// Not connected and not trying (initial state, after `disconnect()`, or between attempts).
    Disconnected,
    /// Opening the WebSocket and doing the Noise handshake.
    Connecting,
    /// Connected without credentials; QR codes are being shown (see [`EventKind::Qr`]).
    WaitingForQr,
    /// The phone is linking this device (code typed or QR scanned); credentials arrive next.
    Pairing,
    /// Logged in; messages flow.
    Connected,
    /// The device was removed or logged out; credentials were deleted. Pair again to continue.
    LoggedOut,
}

impl ConnectionState {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionState::Disconnected => "disconnected",
            ConnectionState::Connecting => "connecting",
            ConnectionState::WaitingForQr => "waiting_for_qr",
            ConnectionState::Pairing => "pairing",
            ConnectionState::Connected => "connected",
            ConnectionState::LoggedOut => "logged_out",
        }
    }
}

/// Why the connection state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum StateReason {
    /// The application asked for it (`connect()`, `disconnect()`, `logout()`).
    Requested,
    /// The engine is reconnecting after a failure (after the backoff delay).
    Reconnecting,
    /// Login succeeded.
    LoggedIn,
    /// The server handed out QR refs (no credentials yet).
    QrRequired,
    /// The phone started linking this device.
    PairingStarted,
    /// Pairing finished; the stream restarts to log in with the new credentials.
    PairingSucceeded,
    /// All QR refs expired without a scan.
    QrTimeout,
    /// The network failed (DNS, TCP, TLS, proxy, WebSocket closed). Retried with backoff.
    NetworkError,
    /// No answer to keepalive pings. Retried with backoff.
    KeepaliveTimeout,
    /// The server asked for a stream restart (`515`). Reconnects at once.
    StreamRestart,
    /// The server is unavailable (`503`). Retried with backoff.
    ServerUnavailable,
    /// Another connection of this same device replaced this one (`conflict type="replaced"`).
    /// Not retried automatically, so two processes never fight over one device.
    Replaced,
    /// The phone removed this device (`401` / `device_removed`). Credentials deleted.
    DeviceRemoved,
    /// The server rejected the login as logged out (`failure reason=401` and friends).
    /// Credentials deleted.
    LoginRejected,
    /// The account is banned (`failure reason=402/406`); `detail` has code and expiry.
    Banned,
    /// The server considers this client outdated (`405`) or its user agent bad (`409`).
    ClientOutdated,
    /// Any other stream error or login failure; `detail` has the code. Retried with backoff.
    ServerError,
    /// The Noise handshake failed (bad certificate or trust root), or the server's TLS
    /// certificate is not trusted. Not retried.
    HandshakeFailed,
    /// Linking this device failed (the phone's answer did not verify); `detail` says why.
    /// Not retried: `connect()` starts a fresh pairing.
    PairingFailed,
    /// The session gave up reconnecting after its reconnect policy's `max_attempts` failed
    /// attempts in a row; `detail` holds the last failure. `connect()` starts again.
    ReconnectLimit,
}

/// Status of a message we sent, in the order it can only move forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum MessageStatus {
    /// Sending failed (the server nacked it or it could not be encrypted).
    Failed,
    /// Stored locally, not yet acknowledged by the server.
    Pending,
    /// The server acknowledged it.
    Sent,
    /// At least one recipient device received it.
    Delivered,
    /// The recipient read it.
    Read,
    /// The recipient played it (voice notes, videos).
    Played,
}

/// Kinds of receipts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ReceiptKind {
    /// The device received the message (`receipt` without `type`).
    Delivered,
    /// The user read it (`type="read"`).
    Read,
    /// Read on one of our own devices (`type="read-self"`).
    ReadSelf,
    /// Played (`type="played"`).
    Played,
    /// Played on one of our own devices (`type="played-self"`).
    PlayedSelf,
    /// The sender's device could not decrypt and asks for a resend (`type="retry"`).
    Retry,
    /// Delivered to one of our own other devices (`type="sender"`).
    Sender,
    /// Any other receipt type.
    Other,
}

impl ReceiptKind {
    /// Maps a receipt stanza's `type` attribute (absent = delivered).
    pub fn from_attr(value: Option<&str>) -> Self {
        match value {
            None | Some("") => ReceiptKind::Delivered,
            Some("read") => ReceiptKind::Read,
            Some("read-self") => ReceiptKind::ReadSelf,
            Some("played") => ReceiptKind::Played,
            Some("played-self") => ReceiptKind::PlayedSelf,
            Some("retry") => ReceiptKind::Retry,
            Some("sender") => ReceiptKind::Sender,
            Some(_) => ReceiptKind::Other,
        }
    }

    /// The status a sent message reaches when this receipt comes from a recipient.
    pub fn status(self) -> Option<MessageStatus> {
        match self {
            ReceiptKind::Delivered => Some(MessageStatus::Delivered),
            ReceiptKind::Read => Some(MessageStatus::Read),
            ReceiptKind::Played => Some(MessageStatus::Played),
            _ => None,
        }
    }
}

/// What a message is. In JSON it is the snake_case name (`"text"`, `"image"`, …); a name this
/// version does not know reads back as [`MessageType::Unknown`] with that name, never as an
/// error, so events logged by a newer version still replay.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum MessageType {
    /// Plain or extended text.
    Text,
    /// An image, with an optional caption.
    Image,
    /// A video (or a GIF played as video).
    Video,
    /// Audio or a voice note.
    Audio,
    /// A document (any file).
    Document,
    /// A sticker.
    Sticker,
    /// A location (static or live).
    Location,
    /// One or more contact cards.
    Contact,
    /// A reaction to another message.
    Reaction,
    /// A poll.
    Poll,
    /// A vote on a poll (kept for retries; history leaves it out, `PollVote` events report it).
    PollVote,
    /// A protocol message (revoke, edit, key notices…).
    Protocol,
    /// A message deleted for everyone: what is left of it once revoked.
    Revoked,
    /// Content this version does not decode, by its name in the message (`pin_in_chat_message`,
    /// `field_83`, …), or `unknown` when nothing names it.
    Unknown(String),
}

impl MessageType {
    /// The snake_case name.
    pub fn as_str(&self) -> &str {
        match self {
            MessageType::Text => "text",
            MessageType::Image => "image",
            MessageType::Video => "video",
            MessageType::Audio => "audio",
            MessageType::Document => "document",
            MessageType::Sticker => "sticker",
            MessageType::Location => "location",
            MessageType::Contact => "contact",
            MessageType::Reaction => "reaction",
            MessageType::Poll => "poll",
            MessageType::PollVote => "poll_vote",
            MessageType::Protocol => "protocol",
            MessageType::Revoked => "revoked",
            MessageType::Unknown(name) => name,
        }
    }

    /// The type named `name` (`Unknown(name)` for a name this version does not know).
    pub fn from_name(name: &str) -> MessageType {
        match name {
            "text" => MessageType::Text,
            "image" => MessageType::Image,
            "video" => MessageType::Video,
            "audio" => MessageType::Audio,
            "document" => MessageType::Document,
            "sticker" => MessageType::Sticker,
            "location" => MessageType::Location,
            "contact" => MessageType::Contact,
            "reaction" => MessageType::Reaction,
            "poll" => MessageType::Poll,
            "poll_vote" => MessageType::PollVote,
            "protocol" => MessageType::Protocol,
            "revoked" => MessageType::Revoked,
            other => MessageType::Unknown(other.to_owned()),
        }
    }
}

impl MessageType {
    /// What the protocol's classification of a message is for the API; an unknown part keeps
    /// the name the protocol gave it. (Crate-private: protocol types stay out of the API.)
    pub(crate) fn of_content(kind: openwa_protocol::content::ContentKind) -> Self {
        use openwa_protocol::content::ContentKind;
        match kind {
            ContentKind::Text => MessageType::Text,
            ContentKind::Image => MessageType::Image,
            ContentKind::Video => MessageType::Video,
            ContentKind::Audio => MessageType::Audio,
            ContentKind::Document => MessageType::Document,
            ContentKind::Sticker => MessageType::Sticker,
            ContentKind::Location => MessageType::Location,
            ContentKind::Contact => MessageType::Contact,
            ContentKind::Reaction => MessageType::Reaction,
            ContentKind::Poll => MessageType::Poll,
            ContentKind::PollVote => MessageType::PollVote,
            ContentKind::Protocol => MessageType::Protocol,
            ContentKind::SenderKeyDistribution => {
                MessageType::Unknown("sender_key_distribution".to_owned())
            }
            ContentKind::Unknown(name) => MessageType::Unknown(name),
        }
    }
}

impl Default for MessageType {
    fn default() -> Self {
        MessageType::Unknown("unknown".to_owned())
    }
}

impl From<String> for MessageType {
    fn from(name: String) -> Self {
        MessageType::from_name(&name)
    }
}

impl From<MessageType> for String {
    fn from(kind: MessageType) -> Self {
        kind.as_str().to_owned()
    }
}

impl std::fmt::Display for MessageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The content of a message, typed: an application matches on it instead of parsing strings.
/// Kinds this version does not decode are [`MessageContent::Other`] with their
/// [`MessageType`] (never dropped). In JSON: `{"kind": "text", "text": "…"}`,
/// `{"kind": "location", "latitude": …}`, ….
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum MessageContent {
    /// Plain or extended text.
    Text {
        /// The text.
        text: String,
    },
    /// An image (`Session::download_media` fetches the file).
    Image {
        /// The file.
        media: MediaFile,
        /// Caption, if any.
        caption: Option<String>,
        /// Width in pixels, if given.
        width: Option<u32>,
        /// Height in pixels, if given.
        height: Option<u32>,
        /// A small JPEG preview, if given.
        #[serde(default, with = "crate::media::types::b64_opt")]
        thumbnail: Option<Vec<u8>>,
        /// A view-once image (the recipient's app shows it once).
        #[serde(default)]
        view_once: bool,
    },
    /// A video, or a GIF (`gif_playback`: an MP4 played as a silent loop).
    Video {
        /// The file.
        media: MediaFile,
        /// Caption, if any.
        caption: Option<String>,
        /// Width in pixels, if given.
        width: Option<u32>,
        /// Height in pixels, if given.
        height: Option<u32>,
        /// Duration in seconds, if given.
        seconds: Option<u32>,
        /// Whether it plays as a GIF.
        #[serde(default)]
        gif_playback: bool,
        /// A small JPEG preview, if given.
        #[serde(default, with = "crate::media::types::b64_opt")]
        thumbnail: Option<Vec<u8>>,
        /// A view-once video.
        #[serde(default)]
        view_once: bool,
    },
    /// An audio file, or a voice note (`ptt`).
    Audio {
        /// The file.
        media: MediaFile,
        /// Duration in seconds, if given.
        seconds: Option<u32>,
        /// Whether it is a voice note (push to talk).
        #[serde(default)]
        ptt: bool,
        /// Voice-note waveform (up to 64 samples of 0..=100), if given.
        #[serde(default, with = "crate::media::types::b64_opt")]
        waveform: Option<Vec<u8>>,
    },
    /// A document (any file).
    Document {
        /// The file.
        media: MediaFile,
        /// File name, if given.
        file_name: Option<String>,
        /// Title, if given.
        title: Option<String>,
        /// Caption, if any.
        caption: Option<String>,
        /// Page count, if given.
        page_count: Option<u32>,
        /// A small JPEG preview, if given.
        #[serde(default, with = "crate::media::types::b64_opt")]
        thumbnail: Option<Vec<u8>>,
    },
    /// A sticker (WebP).
    Sticker {
        /// The file.
        media: MediaFile,
        /// Width in pixels, if given.
        width: Option<u32>,
        /// Height in pixels, if given.
        height: Option<u32>,
        /// Whether it is animated.
        #[serde(default)]
        animated: bool,
    },
    /// A location: a static pin, or one update of a live location.
    Location(Location),
    /// One or more contact cards.
    Contacts {
        /// The cards, in the order sent.
        contacts: Vec<ContactCard>,
    },
    /// A reaction to another message of the chat.
    Reaction {
        /// The id of the message reacted to.
        message_id: String,
        /// The emoji; empty when the reaction was removed.
        emoji: String,
    },
    /// A poll: a question and its options (`Session::vote_poll` votes,
    /// `Session::poll_results` counts the votes).
    Poll {
        /// The question.
        name: String,
        /// The options, in order.
        options: Vec<String>,
        /// How many options a voter may choose; 0 means any number.
        selectable_count: u32,
    },
    /// Content this version reports only by type (see [`Message::message_type`]; a caption, if
    /// any, is in [`Message::text`]).
    Other {
        /// What it is.
        message_type: MessageType,
    },
}

/// A location. Coordinates are degrees (WGS 84).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Location {
    /// Latitude, -90..=90.
    pub latitude: f64,
    /// Longitude, -180..=180.
    pub longitude: f64,
    /// The place's name.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub name: Option<String>,
    /// The place's address.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub address: Option<String>,
    /// A link about the place.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub url: Option<String>,
    /// A comment (live locations).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub comment: Option<String>,
    /// Accuracy in metres, when known.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub accuracy_m: Option<u32>,
    /// Whether this is an update of a live location (received only; sending live locations
    /// is not supported).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub live: bool,
}

/// A contact card: the name shown and the vCard (3.0) text.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ContactCard {
    /// The name shown on the card.
    pub display_name: String,
    /// The vCard, `BEGIN:VCARD` … `END:VCARD`.
    pub vcard: String,
}

/// The message a reply quotes, as the reply carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct QuotedMessage {
    /// The quoted message's id.
    pub id: String,
    /// Its author (device-less JID), when the reply names one.
    pub sender: Option<String>,
    /// Its text or caption, as quoted.
    pub text: Option<String>,
    /// Its type, as quoted.
    pub message_type: MessageType,
}

impl MessageContent {
    /// The content of a message of `message_type` whose text (or caption) is `text`.
    pub(crate) fn of(message_type: &MessageType, text: Option<&str>) -> MessageContent {
        match (message_type, text) {
            (MessageType::Text, Some(text)) => MessageContent::Text {
                text: text.to_owned(),
            },
            _ => MessageContent::Other {
                message_type: message_type.clone(),
            },
        }
    }
}

impl Default for MessageContent {
    fn default() -> Self {
        MessageContent::Other {
            message_type: MessageType::default(),
        }
    }
}

/// A message as the API reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Message {
    /// The message id (unique per chat and sender).
    pub id: String,
    /// The chat: the other person for 1:1 chats (even for our own messages), or the group.
    pub chat: String,
    /// The author's JID (device-less); ourselves when `from_me`.
    pub sender: String,
    /// The author's other id (LID when `sender` is a phone number, or the reverse), if known.
    pub sender_alt: Option<String>,
    /// Whether we (any of our devices) sent it.
    pub from_me: bool,
    /// Server timestamp, seconds since the epoch.
    pub timestamp: u64,
    /// The author's push name, if the server sent it.
    pub push_name: Option<String>,
    /// The text (conversation or extended-text), if it is a text message.
    pub text: Option<String>,
    /// What the message is (see [`MessageType`]).
    #[serde(default)]
    pub message_type: MessageType,
    /// The content, typed (see [`MessageContent`]).
    #[serde(default)]
    pub content: MessageContent,
    /// The message this one replies to, if it is a reply.
    #[serde(default)]
    pub quoted: Option<QuotedMessage>,
    /// The users (JIDs) it mentions.
    #[serde(default)]
    pub mentions: Vec<String>,
    /// Whether it was forwarded.
    #[serde(default)]
    pub forwarded: bool,
    /// How many times it was forwarded along the way (WhatsApp shows "forwarded many times"
    /// from 5); 0 when unknown or not forwarded.
    #[serde(default)]
    pub forwarding_score: u32,
    /// Current status (meaningful for messages we sent).
    pub status: MessageStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_types_read_unknown_names_back_as_unknown() {
        for kind in [
            MessageType::Text,
            MessageType::Sticker,
            MessageType::Protocol,
        ] {
            let json = serde_json::to_value(&kind).unwrap();
            assert_eq!(json, serde_json::json!(kind.as_str()));
            assert_eq!(serde_json::from_value::<MessageType>(json).unwrap(), kind);
        }
        let future: MessageType = serde_json::from_value(serde_json::json!("event")).unwrap();
        assert_eq!(future, MessageType::Unknown("event".into()));
        assert_eq!(MessageType::default().as_str(), "unknown");
    }

    #[test]
    fn a_message_logged_before_typed_content_still_decodes() {
        let old = serde_json::json!({
            "id": "3EB0AA", "chat": "1@s.whatsapp.net", "sender": "1@s.whatsapp.net",
            "sender_alt": null, "from_me": false, "timestamp": 1, "push_name": null,
            "text": "hi", "message_type": "text", "status": "delivered"
        });
        let message: Message = serde_json::from_value(old).unwrap();
        assert_eq!(message.message_type, MessageType::Text);
        assert_eq!(message.content, MessageContent::default());
        let text = MessageContent::of(&MessageType::Text, Some("hi"));
        let json = serde_json::to_value(&text).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "text", "text": "hi"}));
        let image = MessageContent::of(&MessageType::Image, Some("caption"));
        assert_eq!(
            image,
            MessageContent::Other {
                message_type: MessageType::Image
            }
        );
    }

    #[test]
    fn only_a_stopped_connection_is_final() {
        let state = |state, will_reconnect| EventKind::ConnectionState {
            state,
            reason: StateReason::Requested,
            detail: None,
            will_reconnect,
        };
        assert!(state(ConnectionState::LoggedOut, false).is_final());
        assert!(state(ConnectionState::Disconnected, false).is_final());
        assert!(!state(ConnectionState::Disconnected, true).is_final());
        assert!(!state(ConnectionState::Connected, true).is_final());
        assert!(!EventKind::Lagged { missed: 1 }.is_final());
    }

    #[test]
    fn events_serialize_flat_with_a_type_tag() {
        let event = Event {
            session_id: "alice".into(),
            seq: 7,
            timestamp_ms: 1_700_000_000_000,
            kind: EventKind::ConnectionState {
                state: ConnectionState::WaitingForQr,
                reason: StateReason::QrRequired,
                detail: None,
                will_reconnect: true,
            },
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "connection_state");
        assert_eq!(json["state"], "waiting_for_qr");
        assert_eq!(json["reason"], "qr_required");
        assert_eq!(json["session_id"], "alice");
        assert_eq!(json["seq"], 7);
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }

    fn message_for_kinds() -> Message {
        Message {
            id: "3EB0AB".into(),
            chat: "15551234567@s.whatsapp.net".into(),
            sender: "15551234567@s.whatsapp.net".into(),
            sender_alt: None,
            from_me: false,
            timestamp: 1_700_000_000,
            push_name: None,
            text: None,
            message_type: MessageType::default(),
            content: MessageContent::default(),
            quoted: None,
            mentions: Vec::new(),
            forwarded: false,
            forwarding_score: 0,
            status: MessageStatus::Delivered,
        }
    }

    #[test]
    fn every_kind_round_trips_and_names_match_json() {
        let message = Message {
            id: "3EB0AA".into(),
            chat: "15551234567@s.whatsapp.net".into(),
            sender: "15551234567@s.whatsapp.net".into(),
            sender_alt: Some("987654321@lid".into()),
            from_me: false,
            timestamp: 1_700_000_000,
            push_name: Some("Bob".into()),
            text: Some("hi".into()),
            message_type: MessageType::Text,
            content: MessageContent::Text { text: "hi".into() },
            quoted: Some(QuotedMessage {
                id: "3EB0A9".into(),
                sender: Some("987654321@lid".into()),
                text: Some("hello".into()),
                message_type: MessageType::Text,
            }),
            mentions: vec!["987654321@lid".into()],
            forwarded: true,
            forwarding_score: 2,
            status: MessageStatus::Delivered,
        };
        let kinds = vec![
            EventKind::Qr {
                code: "https://wa.me/settings/linked_devices#a,b,c,d,1".into(),
                timeout_secs: 60,
            },
            EventKind::PairingCode {
                code: "ABCD-EFGH".into(),
            },
            EventKind::Paired {
                jid: "15551234567:3@s.whatsapp.net".into(),
                lid: Some("987654321:3@lid".into()),
                platform: Some("android".into()),
                business_name: None,
            },
            EventKind::ConnectionState {
                state: ConnectionState::LoggedOut,
                reason: StateReason::DeviceRemoved,
                detail: Some("401".into()),
                will_reconnect: false,
            },
            EventKind::MessageReceived {
                message: message.clone(),
            },
            EventKind::MessageSent { message },
            EventKind::MessageEdited {
                chat: "15551234567@s.whatsapp.net".into(),
                message_id: "3EB0AA".into(),
                sender: "15551234567@s.whatsapp.net".into(),
                text: Some("fixed".into()),
                content: MessageContent::Text {
                    text: "fixed".into(),
                },
                timestamp: 1_700_000_002,
            },
            EventKind::Presence {
                user: "15551234567@s.whatsapp.net".into(),
                available: false,
                last_seen: Some(1_700_000_004),
                last_seen_hidden: false,
            },
            EventKind::ChatState {
                chat: "15551234567@s.whatsapp.net".into(),
                sender: "15551234567@s.whatsapp.net".into(),
                state: ChatState::Recording,
            },
            EventKind::MessageRevoked {
                chat: "15551234567@s.whatsapp.net".into(),
                message_id: "3EB0AA".into(),
                sender: "15551234567@s.whatsapp.net".into(),
                timestamp: 1_700_000_003,
            },
            EventKind::MessageReceived {
                message: Message {
                    message_type: MessageType::Location,
                    content: MessageContent::Location(Location {
                        latitude: 52.37,
                        longitude: 4.89,
                        name: Some("Dam".into()),
                        ..Location::default()
                    }),
                    ..message_for_kinds()
                },
            },
            EventKind::MessageReceived {
                message: Message {
                    message_type: MessageType::Contact,
                    content: MessageContent::Contacts {
                        contacts: vec![ContactCard {
                            display_name: "Ann".into(),
                            vcard: "BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nEND:VCARD".into(),
                        }],
                    },
                    ..message_for_kinds()
                },
            },
            EventKind::MessageReceived {
                message: Message {
                    message_type: MessageType::Reaction,
                    content: MessageContent::Reaction {
                        message_id: "3EB0AA".into(),
                        emoji: String::new(),
                    },
                    ..message_for_kinds()
                },
            },
            EventKind::MessageStatus {
                chat: "15551234567@s.whatsapp.net".into(),
                message_id: "3EB0AA".into(),
                status: MessageStatus::Read,
            },
            EventKind::Receipt {
                chat: "15551234567@s.whatsapp.net".into(),
                sender: "15551234567:1@s.whatsapp.net".into(),
                message_ids: vec!["a".into(), "b".into()],
                receipt: ReceiptKind::Read,
                timestamp: 1_700_000_001,
            },
            EventKind::ChatUpdated {
                chat: "15551234567@s.whatsapp.net".into(),
                setting: crate::ChatSetting::Muted {
                    until: Some(1_700_000_000),
                },
            },
            EventKind::ChatDeleted {
                chat: "15551234567@s.whatsapp.net".into(),
            },
            EventKind::ChatCleared {
                chat: "15551234567@s.whatsapp.net".into(),
            },
            EventKind::PushNameChanged {
                name: "Alice".into(),
            },
            EventKind::ContactUpdated {
                jid: "15551234567@s.whatsapp.net".into(),
                full_name: Some("Bob Builder".into()),
                first_name: Some("Bob".into()),
            },
            EventKind::LabelUpdated {
                label: crate::Label {
                    id: "4".into(),
                    name: "Clients".into(),
                    color: 2,
                    deleted: false,
                },
            },
            EventKind::LabelAssociation {
                label: "4".into(),
                chat: "15551234567@s.whatsapp.net".into(),
                message_id: Some("3EB0AA".into()),
                labeled: true,
            },
            EventKind::MessageStarred {
                chat: "15551234567@s.whatsapp.net".into(),
                message_id: "3EB0AA".into(),
                from_me: true,
                starred: true,
            },
            EventKind::Lagged { missed: 3 },
        ];
        for kind in kinds {
            let event = Event {
                session_id: "s".into(),
                seq: 1,
                timestamp_ms: 0,
                kind,
            };
            let json = serde_json::to_value(&event).unwrap();
            assert_eq!(json["type"], event.kind.name());
            assert_eq!(serde_json::from_value::<Event>(json).unwrap(), event);
        }
    }

    #[test]
    fn receipt_kinds_and_status_order() {
        assert_eq!(ReceiptKind::from_attr(None), ReceiptKind::Delivered);
        assert_eq!(ReceiptKind::from_attr(Some("read")), ReceiptKind::Read);
        assert_eq!(
            ReceiptKind::from_attr(Some("played-self")),
            ReceiptKind::PlayedSelf
        );
        assert_eq!(ReceiptKind::from_attr(Some("weird")), ReceiptKind::Other);
        assert_eq!(ReceiptKind::Read.status(), Some(MessageStatus::Read));
        assert_eq!(ReceiptKind::Retry.status(), None);
        assert!(MessageStatus::Pending < MessageStatus::Sent);
        assert!(MessageStatus::Sent < MessageStatus::Delivered);
        assert!(MessageStatus::Delivered < MessageStatus::Read);
        assert!(MessageStatus::Read < MessageStatus::Played);
    }
}
