//! The plain types of the group API (metadata, participants, settings, results, changes),
//! shared by the `Session` methods, the group events and every binding (a base module: the
//! event types use them, `groups` fills them). All are owned, `Clone`
//! and serde-serializable; ids are canonical JID strings.

use serde::{Deserialize, Serialize};

/// How a group names its members on the wire: by phone number or by LID. Chosen by the server
/// per group; the engine sends accordingly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum AddressingMode {
    /// Members by phone number (`…@s.whatsapp.net`).
    Pn,
    /// Members by LID (`…@lid`), with their phone numbers alongside when known.
    Lid,
}

/// A member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ParticipantRole {
    /// A plain member.
    Member,
    /// An admin.
    Admin,
    /// The creator (super admin).
    SuperAdmin,
}

impl ParticipantRole {
    /// Whether the role may administer the group.
    pub fn is_admin(self) -> bool {
        self != ParticipantRole::Member
    }
}

/// One member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GroupParticipant {
    /// The member as the group names it (a LID in LID-addressed groups).
    pub jid: String,
    /// Its phone-number JID, when known.
    pub phone_number: Option<String>,
    /// Its LID, when known.
    pub lid: Option<String>,
    /// Its role.
    pub role: ParticipantRole,
}

/// Who may add members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum MemberAddMode {
    /// Admins only.
    AdminAdd,
    /// Every member.
    AllMemberAdd,
}

impl MemberAddMode {
    /// The wire form (`admin_add`, `all_member_add`).
    pub fn as_str(self) -> &'static str {
        match self {
            MemberAddMode::AdminAdd => "admin_add",
            MemberAddMode::AllMemberAdd => "all_member_add",
        }
    }

    pub(crate) fn from_wire(mode: &str) -> Self {
        if mode == "all_member_add" {
            MemberAddMode::AllMemberAdd
        } else {
            MemberAddMode::AdminAdd
        }
    }
}

/// A group's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GroupSettings {
    /// Only admins send messages.
    pub announcement: bool,
    /// Only admins edit the group's info (subject, description, settings).
    pub locked: bool,
    /// Joining by invite link needs an admin's approval.
    pub join_approval: bool,
    /// Who may add members.
    pub member_add_mode: MemberAddMode,
    /// Disappearing-message timer in seconds; `None` when off.
    pub ephemeral_secs: Option<u32>,
}

/// One setting to change with `set_group_setting`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "setting", content = "value", rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum GroupSetting {
    /// Only admins send (true) or everyone (false).
    Announcement(bool),
    /// Only admins edit the group's info (true) or everyone (false).
    Locked(bool),
    /// Joining by link needs approval.
    JoinApproval(bool),
    /// Who may add members.
    MemberAddMode(MemberAddMode),
    /// Disappearing-message timer in seconds (86400, 604800 or 7776000), `None` to turn off.
    Ephemeral(Option<u32>),
}

/// A group's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GroupInfo {
    /// The group JID (`…@g.us`).
    pub jid: String,
    /// The name.
    pub subject: String,
    /// Who set the name, when known.
    pub subject_owner: Option<String>,
    /// When the name was set (Unix seconds).
    pub subject_time: Option<u64>,
    /// The description, if any.
    pub description: Option<String>,
    /// The description's id (needed by nobody but kept for completeness).
    pub description_id: Option<String>,
    /// The creator, when known.
    pub creator: Option<String>,
    /// When the group was created (Unix seconds).
    pub creation: Option<u64>,
    /// How the group names its members.
    pub addressing_mode: AddressingMode,
    /// The members.
    pub participants: Vec<GroupParticipant>,
    /// The settings.
    pub settings: GroupSettings,
}

/// What to do to members with `update_group_participants`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ParticipantAction {
    /// Add members.
    Add,
    /// Remove members.
    Remove,
    /// Make members admins.
    Promote,
    /// Make admins plain members.
    Demote,
}

/// The outcome for one member of an add/remove/promote/demote or a join-request answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ParticipantUpdate {
    /// The member as the server answered it.
    pub jid: String,
    /// Its phone number when the server gave one.
    pub phone_number: Option<String>,
    /// Whether it was done.
    pub ok: bool,
    /// The server's code when not: 403 not allowed, 404 not on WhatsApp / not a member,
    /// 408 left recently, 409 already a member.
    pub error: Option<u16>,
    /// When the user can only be invited (privacy settings): the invite code to send them.
    pub invite_code: Option<String>,
    /// When that invite code expires (Unix seconds).
    pub invite_expiration: Option<u64>,
}

/// What joining by invite code did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GroupJoin {
    /// The group.
    pub jid: String,
    /// The group needs an admin's approval: a join request was filed instead.
    pub pending_approval: bool,
}

/// A pending request to join a group (see `group_join_requests`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GroupJoinRequest {
    /// Who asks.
    pub jid: String,
    /// Their phone number, when known.
    pub phone_number: Option<String>,
    /// When they asked (Unix seconds).
    pub requested_at: Option<u64>,
}

/// A change of a group's info or settings, as reported by [`crate::EventKind::GroupUpdated`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum GroupChange {
    /// The name changed.
    Subject {
        /// The new name.
        subject: String,
    },
    /// The description changed (`None`: deleted).
    Description {
        /// The new text.
        description: Option<String>,
    },
    /// A setting changed.
    Setting {
        /// The new value.
        setting: GroupSetting,
    },
    /// The invite link was reset; the old code no longer works.
    InviteLinkReset,
    /// A change this version does not decode, by its name on the wire.
    Other {
        /// The change's tag.
        name: String,
    },
}

/// A membership change, as reported by [`crate::EventKind::GroupParticipants`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum MembershipChange {
    /// Members were added (or joined by link).
    Added,
    /// Members were removed by an admin.
    Removed,
    /// Members became admins.
    Promoted,
    /// Admins became plain members.
    Demoted,
    /// Members left.
    Left,
}
