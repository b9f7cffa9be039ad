//! Store traits for Signal state, and the trust policy for peer identity keys.
//!
//! The traits are dyn-compatible (`async-trait`, `Send` futures) so the engine can keep its
//! stores behind `Arc<dyn SignalStore>`; records are plain values that serialize to bytes
//! (`serialize` / `deserialize`) for persistent stores.

use async_trait::async_trait;

use super::address::{ProtocolAddress, SenderKeyName};
use super::error::StoreError;
use super::keys::{IdentityKey, PreKeyRecord, SignedPreKeyRecord};
use super::sender_keys::SenderKeyRecord;
use super::session::SessionRecord;
use crate::crypto::KeyPair;

/// Whether an identity is being checked for sending to or receiving from the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// We are about to encrypt to the peer (or start a session from its bundle).
    Sending,
    /// We received a message from the peer.
    Receiving,
}

/// What saving a peer identity did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityChange {
    /// First identity seen for this address.
    New,
    /// Same identity as stored.
    Unchanged,
    /// A different identity replaced the stored one (the peer re-registered). WhatsApp
    /// clients show a "security code changed" notice for this.
    Replaced {
        /// The identity stored before.
        previous: IdentityKey,
    },
}

/// How a store decides whether a peer identity key is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrustPolicy {
    /// Every identity is trusted; changes are saved and reported as
    /// [`IdentityChange::Replaced`]. This is what WhatsApp clients do.
    #[default]
    AlwaysTrust,
    /// The first identity seen for an address is trusted; a different one later is refused
    /// (`SignalError::UntrustedIdentity`) until the application saves it explicitly.
    TrustOnFirstUse,
    /// Only identities the application saved beforehand are trusted.
    Strict,
}

impl TrustPolicy {
    /// The decision for `presented` given the identity stored for the address.
    pub fn is_trusted(self, stored: Option<&IdentityKey>, presented: &IdentityKey) -> bool {
        match (self, stored) {
            (TrustPolicy::AlwaysTrust, _) => true,
            (TrustPolicy::TrustOnFirstUse, None) => true,
            (TrustPolicy::Strict, None) => false,
            (_, Some(stored)) => stored == presented,
        }
    }
}

/// Our identity and the identities of peers.
#[async_trait]
pub trait IdentityKeyStore: Send + Sync {
    /// Our identity key pair.
    async fn identity_key_pair(&self) -> Result<KeyPair, StoreError>;
    /// Our registration id.
    async fn local_registration_id(&self) -> Result<u32, StoreError>;
    /// Whether `identity` is trusted for `address` (the store's trust policy).
    async fn is_trusted_identity(
        &self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
        direction: Direction,
    ) -> Result<bool, StoreError>;
    /// Saves the peer's identity and tells what changed.
    async fn save_identity(
        &self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
    ) -> Result<IdentityChange, StoreError>;
    /// The stored identity of a peer.
    async fn identity(&self, address: &ProtocolAddress) -> Result<Option<IdentityKey>, StoreError>;
}

/// Our one-time prekeys.
#[async_trait]
pub trait PreKeyStore: Send + Sync {
    /// A prekey by id.
    async fn load_pre_key(&self, id: u32) -> Result<Option<PreKeyRecord>, StoreError>;
    /// Stores a prekey.
    async fn store_pre_key(&self, record: &PreKeyRecord) -> Result<(), StoreError>;
    /// Removes a used prekey.
    async fn remove_pre_key(&self, id: u32) -> Result<(), StoreError>;
}

/// Our signed prekeys.
#[async_trait]
pub trait SignedPreKeyStore: Send + Sync {
    /// A signed prekey by id.
    async fn load_signed_pre_key(&self, id: u32) -> Result<Option<SignedPreKeyRecord>, StoreError>;
    /// Stores a signed prekey.
    async fn store_signed_pre_key(&self, record: &SignedPreKeyRecord) -> Result<(), StoreError>;
}

/// Session records per peer device.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// The record for an address.
    async fn load_session(
        &self,
        address: &ProtocolAddress,
    ) -> Result<Option<SessionRecord>, StoreError>;
    /// Stores the record for an address.
    async fn store_session(
        &self,
        address: &ProtocolAddress,
        record: &SessionRecord,
    ) -> Result<(), StoreError>;
}

/// Sender key records per (group, sender).
#[async_trait]
pub trait SenderKeyStore: Send + Sync {
    /// The record for a sender in a group.
    async fn load_sender_key(
        &self,
        name: &SenderKeyName,
    ) -> Result<Option<SenderKeyRecord>, StoreError>;
    /// Stores the record for a sender in a group.
    async fn store_sender_key(
        &self,
        name: &SenderKeyName,
        record: &SenderKeyRecord,
    ) -> Result<(), StoreError>;
}

/// Everything the Signal helpers need, in one object-safe trait.
pub trait SignalStore:
    IdentityKeyStore + PreKeyStore + SignedPreKeyStore + SessionStore + SenderKeyStore
{
}

impl<T> SignalStore for T where
    T: IdentityKeyStore + PreKeyStore + SignedPreKeyStore + SessionStore + SenderKeyStore + ?Sized
{
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_policies() {
        let a = IdentityKey([1; 32]);
        let b = IdentityKey([2; 32]);
        assert!(TrustPolicy::AlwaysTrust.is_trusted(Some(&a), &b));
        assert!(TrustPolicy::TrustOnFirstUse.is_trusted(None, &b));
        assert!(TrustPolicy::TrustOnFirstUse.is_trusted(Some(&b), &b));
        assert!(!TrustPolicy::TrustOnFirstUse.is_trusted(Some(&a), &b));
        assert!(!TrustPolicy::Strict.is_trusted(None, &b));
        assert!(TrustPolicy::Strict.is_trusted(Some(&b), &b));
        assert!(!TrustPolicy::Strict.is_trusted(Some(&a), &b));
    }

    #[test]
    fn store_traits_are_dyn_compatible() {
        fn takes(_: Option<&dyn SignalStore>) {}
        takes(None);
    }
}
