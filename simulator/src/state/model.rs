//! The simulated network's data: accounts, their devices and keys, groups, and the per-device
//! queues of stanzas waiting for delivery or acknowledgement.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use openwa_protocol::Jid;
use openwa_protocol::crypto::KeyPair;
use serde::{Deserialize, Serialize};

use super::stored_node::StoredNode;

/// A key pair in storable form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKeyPair {
    /// Clamped private key.
    #[serde(with = "crate::util::hex_array")]
    pub private: [u8; 32],
    /// Public key.
    #[serde(with = "crate::util::hex_array")]
    pub public: [u8; 32],
}

impl From<&KeyPair> for StoredKeyPair {
    fn from(pair: &KeyPair) -> Self {
        StoredKeyPair {
            private: pair.private,
            public: pair.public,
        }
    }
}

impl StoredKeyPair {
    /// The key pair as stored. Both halves were written from one [`KeyPair`], so the public key
    /// is not derived again: that is a base-point multiplication, and the phones build their
    /// Signal store (identity and signed prekey) for every message they decrypt.
    pub fn to_key_pair(&self) -> KeyPair {
        KeyPair {
            private: self.private,
            public: self.public,
        }
    }
}

/// A signed prekey as published by a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedPreKey {
    /// Key id (24-bit on the wire).
    pub id: u32,
    /// Public key.
    #[serde(with = "crate::util::hex_array")]
    pub public: [u8; 32],
    /// XEdDSA signature of `05 ‖ public` by the identity key.
    #[serde(with = "crate::util::hex_array")]
    pub signature: [u8; 64],
}

/// A one-time prekey as published by a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreKey {
    /// Key id (24-bit on the wire).
    pub id: u32,
    /// Public key.
    #[serde(with = "crate::util::hex_array")]
    pub public: [u8; 32],
}

/// One device of an account: 0 is the simulated phone, 1..N are linked companions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Device id.
    pub id: u16,
    /// ADV key index (0 for the phone, ≥ 1 for companions; docs/PROTOCOL.md, Compatibility rules item 6).
    pub key_index: u32,
    /// The companion's Noise static public key (its login credential); `None` for the phone.
    #[serde(default, with = "opt_hex32")]
    pub noise_key: Option<[u8; 32]>,
    /// Signal identity public key.
    #[serde(with = "crate::util::hex_array")]
    pub identity: [u8; 32],
    /// Signal registration id.
    pub registration_id: u32,
    /// Current signed prekey.
    pub signed_prekey: SignedPreKey,
    /// One-time prekeys not handed out yet, oldest first.
    pub prekeys: VecDeque<PreKey>,
    /// Platform name shown in device lists (e.g. "Chrome (Mac OS)" or "android").
    pub platform: String,
    /// Unix time of linking.
    pub linked_at: u64,
}

impl Device {
    /// A companion not linked yet: its id, key index and link time are set by
    /// [`super::State::add_companion`].
    pub fn companion(
        noise_key: [u8; 32],
        identity: [u8; 32],
        registration_id: u32,
        signed_prekey: SignedPreKey,
        platform: String,
    ) -> Device {
        Device {
            id: 0,
            key_index: 0,
            noise_key: Some(noise_key),
            identity,
            registration_id,
            signed_prekey,
            prekeys: Default::default(),
            platform,
            linked_at: 0,
        }
    }
}

/// The private half of the simulated phone's Signal keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneKeys {
    /// Identity key pair; also the ADV account signature key.
    pub identity: StoredKeyPair,
    /// Signed prekey pair.
    pub signed_prekey: StoredKeyPair,
    /// One-time prekey pairs by id.
    pub prekeys: BTreeMap<u32, StoredKeyPair>,
    /// Next one-time prekey id to generate.
    pub next_prekey_id: u32,
}

/// An account of the simulated network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Phone number (digits only), the PN user part.
    pub phone: String,
    /// Push name.
    pub name: String,
    /// LID user part.
    pub lid: String,
    /// The phone's private keys.
    pub phone_keys: PhoneKeys,
    /// Devices by id, the phone (0) included.
    pub devices: BTreeMap<u16, Device>,
    /// Next companion device id.
    pub next_device_id: u16,
    /// Next ADV key index.
    pub next_key_index: u32,
    /// What the phone received and sent (`GET /admin/accounts/{phone}/messages`).
    #[serde(default)]
    pub timeline: crate::phone::timeline::Timeline,
    /// The phone's Signal sessions, peer identities and sender keys.
    #[serde(default)]
    pub signal: crate::phone::records::PhoneSignal,
    /// Generated chats the phone sends its companions as history sync, with its timeline.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<crate::phone::history::SeededChat>,
    /// The account's app-state collections as the server keeps them.
    #[serde(
        default,
        skip_serializing_if = "crate::phone::app_state::AppStateStore::is_empty"
    )]
    pub app_state: crate::phone::app_state::AppStateStore,
}

impl Account {
    /// `PHONE@s.whatsapp.net`.
    pub fn pn_jid(&self) -> Jid {
        Jid::pn(self.phone.clone())
    }

    /// `LID@lid`.
    pub fn lid_jid(&self) -> Jid {
        Jid::lid(self.lid.clone())
    }
}

/// A group participant's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Ordinary member.
    Member,
    /// Admin.
    Admin,
    /// The creator.
    SuperAdmin,
}

/// A group participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// The member's phone number.
    pub phone: String,
    /// The member's role.
    pub role: Role,
}

/// A group's description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Description {
    /// Description id (changes with every edit).
    pub id: String,
    /// The text.
    pub text: String,
    /// Who set it (phone).
    pub author: String,
    /// When (unix seconds).
    pub time: u64,
}

/// A pending request to join a group that needs approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    /// Who asks (phone).
    pub phone: String,
    /// When (Unix seconds).
    pub time: u64,
}

/// A group (`ID@g.us`), in LID addressing mode unless created PN-addressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// The user part of the group JID.
    pub id: String,
    /// Subject.
    pub subject: String,
    /// Who last set the subject (phone).
    pub subject_owner: String,
    /// When the subject was set.
    pub subject_time: u64,
    /// Creator (phone).
    pub creator: String,
    /// Creation time.
    pub creation: u64,
    /// Members in joining order.
    pub participants: Vec<Participant>,
    /// Description, if any.
    pub description: Option<Description>,
    /// Only admins may send.
    pub announce: bool,
    /// Only admins may edit group info.
    pub locked: bool,
    /// Disappearing-messages timer in seconds (0 = off).
    pub ephemeral: u32,
    /// Current invite code.
    pub invite_code: String,
    /// Invite codes revoked so far (joining with one is 410 gone).
    #[serde(default)]
    pub revoked_invites: Vec<String>,
    /// Non-admins may add members (`member_add_mode` `all_member_add`).
    #[serde(default)]
    pub all_members_add: bool,
    /// Joining by link needs an admin's approval (`membership_approval_mode`).
    #[serde(default)]
    pub approval_required: bool,
    /// Bumped on every announcement change (`v_id`).
    #[serde(default)]
    pub announce_version: u64,
    /// The creator's create key, echoed in the `create` notification.
    #[serde(default)]
    pub create_key: Option<String>,
    /// Members are named by phone number (`addressing_mode="pn"`) instead of by LID.
    #[serde(default)]
    pub pn_addressing: bool,
    /// Pending join requests (joining by link while approval is required), oldest first.
    #[serde(default)]
    pub join_requests: Vec<JoinRequest>,
}

impl Group {
    /// `ID@g.us`.
    pub fn jid(&self) -> Jid {
        Jid::new(self.id.clone(), openwa_protocol::jid::GROUP_SERVER)
    }

    /// The participant with this phone, if a member.
    pub fn participant(&self, phone: &str) -> Option<&Participant> {
        self.participants.iter().find(|p| p.phone == phone)
    }

    /// The participant with this phone, mutable.
    pub fn participant_mut(&mut self, phone: &str) -> Option<&mut Participant> {
        self.participants.iter_mut().find(|p| p.phone == phone)
    }

    /// Whether `phone` is an admin or the super admin.
    pub fn is_admin(&self, phone: &str) -> bool {
        self.participant(phone)
            .is_some_and(|p| matches!(p.role, Role::Admin | Role::SuperAdmin))
    }
}

/// A stanza pushed (or to be pushed) to a device and not yet acknowledged by it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingStanza {
    /// The stanza's `id`.
    pub id: String,
    /// Its tag (the `class` of the expected ack).
    pub class: String,
    /// The stanza.
    pub node: StoredNode,
}

/// Address of one device: phone number and device id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceAddr<'a> {
    /// Phone number.
    pub phone: &'a str,
    /// Device id.
    pub device: u16,
}

/// The key of a device in persisted maps: `PHONE:DEVICE`.
pub fn device_key(phone: &str, device: u16) -> String {
    format!("{phone}:{device}")
}

mod opt_hex32 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(value: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(bytes) => s.serialize_some(&hex::encode(bytes)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u8; 32]>, D::Error> {
        let Some(text) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        let bytes = hex::decode(&text).map_err(D::Error::custom)?;
        bytes
            .try_into()
            .map(Some)
            .map_err(|_| D::Error::custom("expected 32 bytes of hex"))
    }
}

/// A newsletter (channel, `ID@newsletter`): one owner posts, followers receive in the clear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Newsletter {
    /// The user part of the newsletter JID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description (may be empty).
    pub description: String,
    /// Creation time (seconds).
    pub created: u64,
    /// Invite code (the `whatsapp.com/channel/CODE` link).
    pub invite: String,
    /// The owner (phone); the only one who may post and edit.
    pub owner: String,
    /// Followers (phones), the owner not included.
    pub followers: BTreeSet<String>,
    /// Followers who muted it.
    pub muted: BTreeSet<String>,
    /// Posts, oldest first; `server_id` counts from 1.
    pub posts: Vec<NewsletterPost>,
}

/// One post in a [`Newsletter`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewsletterPost {
    /// Sequence number in the newsletter.
    pub server_id: u64,
    /// The message id the owner gave it.
    pub id: String,
    /// Server time (seconds).
    pub t: u64,
    /// Stanza type (`text`, `media`…).
    pub kind: String,
    /// Serialized `Message`.
    pub plaintext: Vec<u8>,
    /// Reactions by phone.
    #[serde(default)]
    pub reactions: BTreeMap<String, String>,
}
