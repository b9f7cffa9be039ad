//! Who made a change to an earlier message (an edit, a revoke, a poll vote), where and when.

/// Who made a change, where and when.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    /// The chat's store keys (a contact's PN and LID forms), the first being the chat reported.
    pub chats: Vec<String>,
    /// The author of the change (device-less JID).
    pub sender: String,
    /// The author's other form, when known.
    pub sender_alt: Option<String>,
    /// Whether the chat is a group (where admins may revoke others' messages).
    pub group: bool,
    /// Server time of the change, seconds.
    pub timestamp: u64,
}
