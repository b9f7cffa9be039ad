//! The simulated phone's persisted records: Signal sessions, identities and sender keys, what
//! it sent lately (for retries), and its app-state sync key. They live in the account, under
//! the state lock, and so in `--state`; `PhoneStore` (in `store`) reads and writes them.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

/// Bytes stored as lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HexBytes(#[serde(with = "crate::util::hex_vec")] pub Vec<u8>);

/// The phone's Signal records (besides its own keys, which are in the account's `PhoneKeys`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneSignal {
    /// Peer identity keys by address (`name.device`).
    #[serde(default)]
    pub identities: BTreeMap<String, HexBytes>,
    /// Serialized session records by address (`name.device`).
    #[serde(default)]
    pub sessions: BTreeMap<String, HexBytes>,
    /// Serialized sender key records by sender key name (`group::name::device`).
    #[serde(default)]
    pub sender_keys: BTreeMap<String, HexBytes>,
    /// What the phone sent lately (the unpadded `Message`), oldest first, for retry receipts.
    #[serde(default)]
    pub sent: VecDeque<SentPayload>,
    /// The account's app-state sync key, shared with every companion it links.
    #[serde(default)]
    pub app_state_key: Option<AppStateKey>,
    /// The keys it replaced (key rotation), oldest first: records under them still verify.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub old_app_state_keys: Vec<AppStateKey>,
}

/// A message the phone sent, kept to re-encrypt it for a device that asks for a retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentPayload {
    /// Message id.
    pub id: String,
    /// Chat JID.
    pub chat: String,
    /// The serialized `Message`.
    pub message: HexBytes,
}

/// The account's app-state sync key (one per account, made on first use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStateKey {
    /// Key id.
    pub key_id: HexBytes,
    /// The 32-byte key.
    pub key_data: HexBytes,
    /// Creation time, unix milliseconds.
    pub timestamp: i64,
}
