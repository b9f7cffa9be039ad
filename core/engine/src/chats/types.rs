//! The public types of chats and contacts, shared by the bindings and the server.

use serde::{Deserialize, Serialize};

use crate::event::Message;
use crate::ids::ChatKind;

/// Largest page `list_chats` and `list_contacts` return.
pub const MAX_LIST_PAGE: u32 = 500;

/// A chat the session knows, from history sync or from messages sent and received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Chat {
    /// The chat's JID as messages are stored under it (PN, LID or group).
    pub id: String,
    /// What kind of chat it is.
    pub kind: ChatKind,
    /// The user's phone-number JID, when known (user chats).
    pub pn: Option<String>,
    /// The user's LID, when known (user chats).
    pub lid: Option<String>,
    /// Its name: a group's subject, the name history gave, else the contact's push name.
    pub name: Option<String>,
    /// The newest message, when stored.
    pub last_message: Option<Message>,
    /// The newest message's time, seconds since the epoch.
    pub last_message_at: Option<u64>,
    /// Incoming messages not read yet (`mark_read` resets it).
    pub unread_count: u32,
    /// Archived (history sync, then app-state sync).
    pub archived: bool,
    /// Pinned (history sync, then app-state sync).
    pub pinned: bool,
    /// Muted until this time, seconds since the epoch; `u64::MAX` for ever (history sync,
    /// then app-state sync).
    pub muted_until: Option<u64>,
    /// Marked unread by hand on a device of the account (app-state sync), whatever its
    /// unread count.
    pub marked_unread: bool,
    /// The ids of the labels the chat is on (app-state sync).
    pub labels: Vec<String>,
    /// When the chat last changed here, milliseconds since the epoch.
    pub updated_at_ms: u64,
}

/// A contact: a user the session knows a name or an id of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Contact {
    /// The JID the contact is stored under (PN or LID).
    pub id: String,
    /// Its phone-number JID, when known.
    pub pn: Option<String>,
    /// Its LID, when known.
    pub lid: Option<String>,
    /// Its phone number (digits), when known.
    pub phone: Option<String>,
    /// The name the user chose (push name).
    pub push_name: Option<String>,
    /// The address-book name, when known (app-state sync).
    pub name: Option<String>,
}
