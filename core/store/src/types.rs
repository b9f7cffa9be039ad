//! The records the store keeps. Secrets are plain in memory and encrypted only at rest.

use std::fmt;

/// An X25519 key pair. `Debug` never prints the private half.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// Public key.
    pub public: [u8; 32],
    /// Private key (encrypted at rest).
    pub private: [u8; 32],
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("public", &hex::encode(self.public))
            .field("private", &"<redacted>")
            .finish()
    }
}

/// The device's current signed prekey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPreKey {
    /// Key id (24-bit in the protocol).
    pub id: u32,
    /// The key pair (private half encrypted at rest).
    pub key_pair: KeyPair,
    /// XEdDSA signature of the public key by the identity key.
    pub signature: [u8; 64],
}

/// Everything a linked device needs to log in again: its keys and its account identity.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceCredentials {
    /// Signal registration id.
    pub registration_id: u32,
    /// Noise static key pair.
    pub noise_key: KeyPair,
    /// Signal identity key pair.
    pub identity_key: KeyPair,
    /// Current signed prekey.
    pub signed_prekey: SignedPreKey,
    /// ADV secret shared with the phone at pairing (encrypted at rest).
    pub adv_secret: [u8; 32],
    /// Serialized `ADVSignedDeviceIdentity` received at pairing, once paired.
    pub account: Option<Vec<u8>>,
    /// Own phone-number JID (with device), once paired.
    pub pn_jid: Option<String>,
    /// Own LID JID (with device), once known.
    pub lid_jid: Option<String>,
    /// Push name (display name).
    pub push_name: Option<String>,
    /// Platform reported by the server.
    pub platform: Option<String>,
}

impl fmt::Debug for DeviceCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCredentials")
            .field("registration_id", &self.registration_id)
            .field("noise_key", &self.noise_key)
            .field("identity_key", &self.identity_key)
            .field("signed_prekey", &self.signed_prekey)
            .field("adv_secret", &"<redacted>")
            .field("account", &self.account.as_ref().map(Vec::len))
            .field("pn_jid", &self.pn_jid)
            .field("lid_jid", &self.lid_jid)
            .field("push_name", &self.push_name)
            .field("platform", &self.platform)
            .finish()
    }
}

/// A row of the sessions table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Caller-chosen session id.
    pub id: String,
    /// Caller-defined state label (e.g. `connected`, `logged_out`).
    pub state: String,
    /// Creation time, Unix milliseconds.
    pub created_at: i64,
    /// Last state change, Unix milliseconds.
    pub updated_at: i64,
}

/// How far a remote identity key is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrustLevel {
    /// Seen but not trusted (e.g. the key changed and the user was not told yet).
    Untrusted,
    /// Trusted on first use.
    Trusted,
    /// Verified by the user (safety number).
    Verified,
}

impl TrustLevel {
    pub(crate) fn code(self) -> i64 {
        match self {
            TrustLevel::Untrusted => 0,
            TrustLevel::Trusted => 1,
            TrustLevel::Verified => 2,
        }
    }

    pub(crate) fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(TrustLevel::Untrusted),
            1 => Some(TrustLevel::Trusted),
            2 => Some(TrustLevel::Verified),
            _ => None,
        }
    }
}

/// A remote Signal identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRecord {
    /// Serialized public identity key, as the Signal module keeps it.
    pub identity_key: Vec<u8>,
    /// Trust flag.
    pub trust: TrustLevel,
}

/// A one-time prekey as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPreKey {
    /// Key id.
    pub id: u32,
    /// Opaque serialized record (encrypted at rest).
    pub record: Vec<u8>,
    /// Whether it was uploaded to the server.
    pub uploaded: bool,
}

/// A cached device list of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceList {
    /// Device ids (0 is the phone).
    pub devices: Vec<u32>,
    /// The server's device-list hash, when known.
    pub hash: Option<String>,
    /// When it was fetched, Unix milliseconds.
    pub updated_at: i64,
}

/// Delivery status of a message. Statuses only move forward (see
/// [`crate::StoreTx::update_message_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageStatus {
    /// Stored, not yet acknowledged by the server.
    Pending,
    /// Acknowledged by the server.
    Sent,
    /// Delivered to the recipient's device.
    Delivered,
    /// Read by the recipient.
    Read,
    /// Played (voice/video) by the recipient.
    Played,
    /// Sending failed.
    Failed,
}

impl MessageStatus {
    pub(crate) fn code(self) -> i64 {
        match self {
            MessageStatus::Pending => 0,
            MessageStatus::Sent => 1,
            MessageStatus::Delivered => 2,
            MessageStatus::Read => 3,
            MessageStatus::Played => 4,
            MessageStatus::Failed => 5,
        }
    }

    pub(crate) fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => MessageStatus::Pending,
            1 => MessageStatus::Sent,
            2 => MessageStatus::Delivered,
            3 => MessageStatus::Read,
            4 => MessageStatus::Played,
            5 => MessageStatus::Failed,
            _ => return None,
        })
    }

    /// The statuses a message may be in for `self` to replace it.
    pub(crate) fn may_replace(self) -> &'static [MessageStatus] {
        use MessageStatus::*;
        match self {
            Pending => &[],
            Failed => &[Pending],
            Sent => &[Pending, Failed],
            Delivered => &[Pending, Failed, Sent],
            Read => &[Pending, Failed, Sent, Delivered],
            Played => &[Pending, Failed, Sent, Delivered, Read],
        }
    }
}

/// A stored message, incoming or outgoing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    /// Owning session.
    pub session_id: String,
    /// Chat JID.
    pub chat: String,
    /// Message id (unique within the chat).
    pub id: String,
    /// Sender JID.
    pub sender: String,
    /// Sent by this account.
    pub from_me: bool,
    /// Message timestamp, Unix seconds as WhatsApp sends it.
    pub timestamp: i64,
    /// Message type label (e.g. `text`, `image`, `reaction`).
    pub msg_type: String,
    /// Plain text body, when the message has one (kept queryable).
    pub body: Option<String>,
    /// Serialized protobuf of the message.
    pub payload: Option<Vec<u8>>,
    /// Delivery status.
    pub status: MessageStatus,
}

/// A voter's latest vote on a poll, decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollVoteRecord {
    /// The poll's chat, as the poll is stored.
    pub chat: String,
    /// The poll's message id.
    pub poll_id: String,
    /// The voter (device-less JID).
    pub voter: String,
    /// The names of the chosen options; empty when the voter withdrew their vote.
    pub selected: Vec<String>,
    /// When the voter voted, by their clock: Unix milliseconds.
    pub voted_at_ms: i64,
}

/// Position in a chat's history: messages are ordered by `(timestamp, id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageCursor {
    /// Timestamp of the message at the cursor.
    pub timestamp: i64,
    /// Id of the message at the cursor.
    pub id: String,
}

/// Which way to page from a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageDirection {
    /// Messages strictly older than the cursor (newest first); no cursor = start at the newest.
    Older(Option<MessageCursor>),
    /// Messages strictly newer than the cursor (oldest first); no cursor = start at the oldest.
    Newer(Option<MessageCursor>),
}

/// One page of a chat's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePage {
    /// The messages, in the page direction's order.
    pub messages: Vec<MessageRecord>,
    /// Cursor for the next page in the same direction, or `None` at the end.
    pub next: Option<MessageCursor>,
}

/// Whether an insert stored a new row or found an existing one (a redelivery).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// The row is new.
    Inserted,
    /// A row with the same key already existed; nothing was changed.
    Duplicate,
}

/// An entry of the global event log.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// Global, strictly increasing sequence number (starts at 1).
    pub seq: u64,
    /// Session the event belongs to.
    pub session_id: String,
    /// Event kind label.
    pub kind: String,
    /// Format version of the payload, as given when appended (1 for events appended without
    /// one, and for every event older than the version column).
    pub version: u32,
    /// JSON payload.
    pub payload: serde_json::Value,
    /// When it was appended, Unix milliseconds.
    pub created_at: i64,
}

/// What [`crate::StoreTx::claim_send_key`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendKeyClaim {
    /// The key was free and is now bound to the given message.
    Claimed,
    /// The key was already bound to this message (the given one was not recorded).
    Existing {
        /// Chat JID of the first message.
        chat: String,
        /// Id of the first message.
        message_id: String,
    },
}

/// An entry of a session's send queue (see [`crate::StoreTx::queue_send`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedSend {
    /// Its place in the queue: later entries have larger positions.
    pub position: i64,
    /// Chat JID of the message.
    pub chat: String,
    /// Id of the message (stored in `messages`).
    pub message_id: String,
}

/// A chat the session knows: from history sync or from a stored message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChatRecord {
    /// The chat JID messages are stored under (user PN or LID, or group).
    pub chat: String,
    /// The chat's other form (LID for a PN chat, PN for a LID chat), when known.
    pub alt: Option<String>,
    /// Its name (a group's subject, a contact's name), when known.
    pub name: Option<String>,
    /// The newest message's id.
    pub last_message_id: Option<String>,
    /// The newest message's time (Unix seconds; 0 if none).
    pub last_message_at: i64,
    /// Incoming messages not read yet.
    pub unread_count: u32,
    /// Archived (app state; false until it is synced).
    pub archived: bool,
    /// Pinned (app state).
    pub pinned: bool,
    /// Muted until this Unix time (0: not muted).
    pub muted_until: i64,
    /// Marked unread by hand (app state).
    pub marked_unread: bool,
    /// When the store first saw the chat (Unix milliseconds).
    pub created_at: i64,
    /// When the row last changed (Unix milliseconds).
    pub updated_at: i64,
}

/// A contact: a user JID and the names it goes by.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactRecord {
    /// User JID (PN or LID form).
    pub jid: String,
    /// The name the user chose (push name).
    pub push_name: Option<String>,
    /// The address-book name (app state), when known.
    pub full_name: Option<String>,
    /// When the row last changed (Unix milliseconds).
    pub updated_at: i64,
}

/// A history-sync notification acknowledged but not ingested yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingHistory {
    /// The id of the peer message that carried it.
    pub id: String,
    /// Its sync type (WhatsApp's number).
    pub sync_type: i64,
    /// Its chunk order.
    pub chunk_order: i64,
    /// The serialized notification (sealed at rest: it holds the blob's media key).
    pub notification: Vec<u8>,
    /// When it was stored (Unix milliseconds).
    pub created_at: i64,
}

/// An app-state sync key our phone shared.
#[derive(Clone, PartialEq, Eq)]
pub struct AppStateKeyRecord {
    /// The key id.
    pub key_id: Vec<u8>,
    /// The key data (sealed at rest).
    pub key_data: Vec<u8>,
    /// When the phone made it (Unix milliseconds).
    pub timestamp: i64,
}

impl std::fmt::Debug for AppStateKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppStateKeyRecord")
            .field("key_id", &self.key_id)
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

/// Where an app-state collection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppStateVersion {
    /// The version of the last snapshot or patch applied.
    pub version: u64,
    /// The LT-hash (128 bytes).
    pub hash: Vec<u8>,
}

/// A chat setting app-state sync changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatFlag {
    /// Archived or not.
    Archived(bool),
    /// Pinned or not.
    Pinned(bool),
    /// Muted until this Unix time (0: not muted; -1: forever).
    MutedUntil(i64),
    /// Marked unread or not.
    MarkedUnread(bool),
}

/// A label.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelRecord {
    /// The id the account gave it.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its colour index.
    pub color: i64,
    /// Deleted.
    pub deleted: bool,
    /// When it last changed here (Unix milliseconds).
    pub updated_at: i64,
}

/// A chat or message on a label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelAssociationRecord {
    /// The label id.
    pub label: String,
    /// The chat.
    pub chat: String,
    /// The message, for a message label.
    pub message_id: Option<String>,
}

/// A starred message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarredRecord {
    /// The chat.
    pub chat: String,
    /// The message id.
    pub message_id: String,
    /// Whether we sent it.
    pub from_me: bool,
    /// The sender in a group.
    pub participant: Option<String>,
    /// When it was starred (Unix milliseconds).
    pub starred_at: i64,
}
