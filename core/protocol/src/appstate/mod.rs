//! App-state sync ("syncd", docs/PROTOCOL.md, App state): account-wide settings (contacts,
//! archive/pin/mute, stars, labels, push name) kept by the server as five encrypted collections
//! that every device of an account reads and writes.
//!
//! The server only sees opaque records: an index MAC (which thing), an encrypted value and its
//! MAC, and the id of the sync key used. Devices check each step with an LT-hash over all value
//! MACs (so the server cannot drop or replay records) and MACs over each snapshot and patch.
//!
//! - [`keys`]: a sync key's five derived keys.
//! - [`lthash`]: the order-free running hash of a collection.
//! - [`mac`]: index, value, snapshot and patch MACs.
//! - [`value`]: sealing and opening one record value.
//! - [`index`]: the JSON index arrays and the well-known indexes.
//! - [`patch`]: decoding and verifying snapshots and patches, encoding new patches.

pub mod index;
pub mod keys;
pub mod lthash;
pub mod mac;
pub mod patch;
pub mod value;

use thiserror::Error;

pub use index::Index;
pub use keys::MutationKeys;
pub use lthash::LtHash;
pub use patch::{
    CollectionState, Mutation, MutationInput, Operation, decode_patch, decode_snapshot,
    encode_patch, encode_snapshot,
};

/// The five collections, in the order WhatsApp clients fetch them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Collection {
    /// Push name and locale settings.
    CriticalBlock,
    /// The contact list.
    CriticalUnblockLow,
    /// Mute, stars, chat deletion.
    RegularHigh,
    /// Labels and their associations.
    Regular,
    /// Pin, archive, read marks.
    RegularLow,
}

impl Collection {
    /// Every collection.
    pub const ALL: [Collection; 5] = [
        Collection::CriticalBlock,
        Collection::CriticalUnblockLow,
        Collection::RegularHigh,
        Collection::Regular,
        Collection::RegularLow,
    ];

    /// The wire name (`name` attribute, and part of the snapshot and patch MACs).
    pub fn name(self) -> &'static str {
        match self {
            Collection::CriticalBlock => "critical_block",
            Collection::CriticalUnblockLow => "critical_unblock_low",
            Collection::RegularHigh => "regular_high",
            Collection::Regular => "regular",
            Collection::RegularLow => "regular_low",
        }
    }

    /// The collection of a wire name.
    pub fn from_name(name: &str) -> Option<Collection> {
        Collection::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl std::fmt::Display for Collection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a snapshot, patch or record was refused. Every MAC or LT-hash mismatch is its own
/// variant: a client must not accept such data, only refetch the collection from scratch.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AppStateError {
    /// No sync key with this id is known (ask the phone for it).
    #[error("no app-state sync key with id {}", hex_id(.0))]
    MissingKey(Vec<u8>),
    /// A record's value MAC does not match its encrypted value.
    #[error("a record's value MAC does not match")]
    BadValueMac,
    /// A record's index MAC does not match the index inside its value.
    #[error("a record's index MAC does not match its index")]
    BadIndexMac,
    /// The snapshot MAC (over the LT-hash, version and name) does not match.
    #[error("the {0} snapshot MAC does not match (LT-hash or version differ)")]
    BadSnapshotMac(Collection),
    /// The patch MAC does not match.
    #[error("the {0} patch MAC does not match")]
    BadPatchMac(Collection),
    /// A patch does not follow the collection's current version.
    #[error("the {collection} patch has version {got}, expected more than {current}")]
    BadVersion {
        /// The collection.
        collection: Collection,
        /// The version the collection is at.
        current: u64,
        /// The version the patch claims.
        got: u64,
    },
    /// A required field is missing or a blob has the wrong shape.
    #[error("malformed app-state data: {0}")]
    Malformed(&'static str),
}

fn hex_id(id: &[u8]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}
