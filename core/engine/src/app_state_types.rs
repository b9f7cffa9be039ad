//! The public types of app-state sync: labels, starred messages and what the app-state events
//! report. Plain types, shared by the bindings and the server.

use serde::{Deserialize, Serialize};

/// A chat setting app-state sync changed, as reported by [`crate::EventKind::ChatUpdated`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ChatSetting {
    /// Archived or unarchived.
    Archived {
        /// The new value.
        archived: bool,
    },
    /// Pinned or unpinned.
    Pinned {
        /// The new value.
        pinned: bool,
    },
    /// Muted (until a time, or for ever) or unmuted.
    Muted {
        /// Muted until this time, seconds since the epoch; `None` when unmuted; `u64::MAX`
        /// for ever.
        until: Option<u64>,
    },
    /// Marked unread or read.
    MarkedUnread {
        /// The new value.
        unread: bool,
    },
}

/// A label (WhatsApp Business) to file chats and messages under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Label {
    /// Its id (chosen by the device that made it).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its colour, an index into WhatsApp's palette (0 to 19).
    pub color: i32,
    /// Whether it was deleted.
    pub deleted: bool,
}

/// A starred message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct StarredMessage {
    /// The chat.
    pub chat: String,
    /// The message id.
    pub message_id: String,
    /// Whether we sent it.
    pub from_me: bool,
    /// Its sender in a group, when known.
    pub participant: Option<String>,
    /// When it was starred, milliseconds since the epoch.
    pub starred_at_ms: u64,
}
