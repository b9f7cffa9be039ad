//! The Signal protocol as WhatsApp uses it (docs/PROTOCOL.md, Signal): X3DH session setup, the double
//! ratchet, sender keys for groups, wire formats byte-compatible with libsignal, storage records
//! and store traits.
//!
//! The core operations are pure functions on records ([`SessionRecord::encrypt`],
//! [`SessionRecord::decrypt`], [`SenderKeyRecord::decrypt`], …) that either succeed or leave the
//! record untouched. The async helpers in [`cipher`] and [`group`] load records from a store,
//! run those operations and write back only on success.
//!
//! # Bounds
//! * Ratchet: a message may be at most [`MAX_FORWARD_JUMP`] (2,000) messages ahead of its
//!   chain — the same limit libsignal-node enforces, and one that bounds the work an
//!   unauthenticated message can cause (the MAC can only be checked after the jump is
//!   computed). At most [`MAX_SKIPPED_KEYS`] (2,000) skipped keys are kept per session state
//!   (oldest dropped first), at most [`MAX_RECEIVER_CHAINS`] receiving chains per state and
//!   [`MAX_ARCHIVED_STATES`] (40) archived states per record.
//! * Sender keys: at most [`MAX_SENDER_KEY_JUMP`] (2,000) iterations ahead, at most
//!   [`MAX_SENDER_SKIPPED_KEYS`] (2,000) stored keys per state and [`MAX_SENDER_KEY_STATES`]
//!   (5) states per record.

pub mod address;
pub mod cipher;
pub mod error;
pub mod group;
pub mod keys;
pub mod memory_store;
pub(crate) mod ratchet;
pub mod sender_keys;
pub mod session;
pub mod store;
pub mod wire;
mod x3dh;

pub use address::{ProtocolAddress, SenderKeyName};
pub use cipher::{Decrypted, decrypt, encrypt, has_session, process_bundle};
pub use error::{SignalError, StoreError};
pub use keys::{IdentityKey, PreKeyBundle, PreKeyRecord, SignedPreKeyRecord};
pub use memory_store::InMemorySignalStore;
pub use sender_keys::SenderKeyRecord;
pub use session::SessionRecord;
pub use store::{
    Direction, IdentityChange, IdentityKeyStore, PreKeyStore, SenderKeyStore, SessionStore,
    SignalStore, SignedPreKeyStore, TrustPolicy,
};
pub use wire::{
    MessageType, PreKeySignalMessage, SenderKeyDistributionMessage, SenderKeyMessage, SignalMessage,
};

/// The message version this implementation speaks (libsignal's "v3").
pub const MESSAGE_VERSION: u8 = 3;
/// The version byte in front of every Signal wire message: `(3 << 4) | 3`.
pub const VERSION_BYTE: u8 = (MESSAGE_VERSION << 4) | MESSAGE_VERSION;
/// Largest accepted gap between a chain's next counter and a received message's counter.
pub const MAX_FORWARD_JUMP: u32 = 2_000;
/// Most skipped message keys kept per session state.
pub const MAX_SKIPPED_KEYS: usize = 2_000;
/// Most receiving chains kept per session state.
pub const MAX_RECEIVER_CHAINS: usize = 5;
/// Most archived (previous) session states kept per session record.
pub const MAX_ARCHIVED_STATES: usize = 40;
/// Largest accepted gap between a sender key chain's iteration and a message's iteration.
pub const MAX_SENDER_KEY_JUMP: u32 = 2_000;
/// Most skipped sender message keys kept per sender key state.
pub const MAX_SENDER_SKIPPED_KEYS: usize = 2_000;
/// Most sender key states kept per sender key record.
pub const MAX_SENDER_KEY_STATES: usize = 5;
