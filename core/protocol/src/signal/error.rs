//! Typed errors of the Signal implementation.

use thiserror::Error;

use super::address::{ProtocolAddress, SenderKeyName};

/// An error reported by a store implementation (database failure, poisoned lock, …).
#[derive(Debug, Error)]
#[error("signal store: {0}")]
pub struct StoreError(pub Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    /// Wraps any error or message.
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError(error.into())
    }
}

/// Everything that can go wrong encrypting, decrypting or setting up Signal sessions.
///
/// Every error leaves stored state untouched.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SignalError {
    /// The message is shorter than its fixed parts (version byte, MAC or signature).
    #[error("message truncated")]
    Truncated,
    /// The version byte is not `0x33`.
    #[error("unsupported message version byte {0:#04x}")]
    UnsupportedVersion(u8),
    /// The protobuf part does not decode.
    #[error("malformed protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// A required protobuf field is absent.
    #[error("missing field {0}")]
    MissingField(&'static str),
    /// A key field is not a 0x05-typed (or raw) 32-byte Curve25519 key.
    #[error("invalid key in field {0}")]
    InvalidKey(&'static str),
    /// The SignalMessage MAC does not match (wrong session, tampering or corruption).
    #[error("bad message MAC")]
    BadMac,
    /// The ciphertext does not decrypt (length or padding).
    #[error("bad ciphertext")]
    BadCiphertext,
    /// A signature (signed prekey in a bundle, sender key message) does not verify.
    #[error("invalid signature on {0}")]
    InvalidSignature(&'static str),
    /// No session exists with this address.
    #[error("no session with {0}")]
    NoSession(ProtocolAddress),
    /// The session record has no current state to encrypt with.
    #[error("session record has no current state")]
    NoCurrentState,
    /// A PreKeySignalMessage names a one-time prekey we do not have (used or never issued).
    #[error("unknown one-time prekey id {0}")]
    UnknownPreKey(u32),
    /// A PreKeySignalMessage names a signed prekey we do not have.
    #[error("unknown signed prekey id {0}")]
    UnknownSignedPreKey(u32),
    /// This message key was already used (duplicate or replayed message) or dropped as too old.
    #[error("duplicate message (counter {counter})")]
    DuplicateMessage {
        /// Counter or iteration of the rejected message.
        counter: u32,
    },
    /// The message is further ahead of its chain than the limit allows.
    #[error("message {jump} ahead of its chain (limit {limit})")]
    TooFarInFuture {
        /// How far ahead the message is.
        jump: u32,
        /// The limit that was exceeded.
        limit: u32,
    },
    /// A chain counter would overflow `u32`.
    #[error("chain counter overflow")]
    CounterOverflow,
    /// The peer's identity key is not trusted under the store's trust policy.
    #[error("untrusted identity for {0}")]
    UntrustedIdentity(ProtocolAddress),
    /// No session state decrypted a SignalMessage (none matched its ratchet key and MAC).
    #[error("no session state matches the message")]
    NoMatchingState,
    /// No sender key is stored for this sender in this group.
    #[error("no sender key for {0}")]
    NoSenderKey(SenderKeyName),
    /// The sender key message names a key id we have no state for.
    #[error("no sender key state with id {0}")]
    UnknownSenderKeyId(u32),
    /// Our own sender key state has no private signing key (it was received, not created).
    #[error("sender key state cannot sign")]
    NotOurSenderKey,
    /// A stored record does not decode or violates a bound.
    #[error("invalid record: {0}")]
    InvalidRecord(&'static str),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
