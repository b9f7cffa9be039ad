//! A thread-safe in-memory [`SignalStore`](super::store::SignalStore) (tests, the simulator's phones).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::address::{ProtocolAddress, SenderKeyName};
use super::error::StoreError;
use super::keys::{IdentityKey, PreKeyRecord, SignedPreKeyRecord};
use super::sender_keys::SenderKeyRecord;
use super::session::SessionRecord;
use super::store::{
    Direction, IdentityChange, IdentityKeyStore, PreKeyStore, SenderKeyStore, SessionStore,
    SignedPreKeyStore, TrustPolicy,
};
use crate::crypto::KeyPair;

#[derive(Default)]
struct Inner {
    identities: HashMap<ProtocolAddress, IdentityKey>,
    pre_keys: HashMap<u32, PreKeyRecord>,
    signed_pre_keys: HashMap<u32, SignedPreKeyRecord>,
    sessions: HashMap<ProtocolAddress, SessionRecord>,
    sender_keys: HashMap<SenderKeyName, SenderKeyRecord>,
}

/// Keeps every record in memory behind a mutex.
pub struct InMemorySignalStore {
    identity: KeyPair,
    registration_id: u32,
    policy: TrustPolicy,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for InMemorySignalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemorySignalStore")
            .field("registration_id", &self.registration_id)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl InMemorySignalStore {
    /// An empty store for our identity and registration id.
    pub fn new(identity: KeyPair, registration_id: u32, policy: TrustPolicy) -> Self {
        InMemorySignalStore {
            identity,
            registration_id,
            policy,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        self.inner
            .lock()
            .map_err(|_| StoreError::new("in-memory signal store lock poisoned"))
    }

    /// Number of one-time prekeys left.
    pub fn pre_key_count(&self) -> Result<usize, StoreError> {
        Ok(self.lock()?.pre_keys.len())
    }
}

#[async_trait]
impl IdentityKeyStore for InMemorySignalStore {
    async fn identity_key_pair(&self) -> Result<KeyPair, StoreError> {
        Ok(self.identity.clone())
    }

    async fn local_registration_id(&self) -> Result<u32, StoreError> {
        Ok(self.registration_id)
    }

    async fn is_trusted_identity(
        &self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
        _direction: Direction,
    ) -> Result<bool, StoreError> {
        let inner = self.lock()?;
        Ok(self
            .policy
            .is_trusted(inner.identities.get(address), identity))
    }

    async fn save_identity(
        &self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
    ) -> Result<IdentityChange, StoreError> {
        let mut inner = self.lock()?;
        Ok(match inner.identities.insert(address.clone(), *identity) {
            None => IdentityChange::New,
            Some(previous) if previous == *identity => IdentityChange::Unchanged,
            Some(previous) => IdentityChange::Replaced { previous },
        })
    }

    async fn identity(&self, address: &ProtocolAddress) -> Result<Option<IdentityKey>, StoreError> {
        Ok(self.lock()?.identities.get(address).copied())
    }
}

#[async_trait]
impl PreKeyStore for InMemorySignalStore {
    async fn load_pre_key(&self, id: u32) -> Result<Option<PreKeyRecord>, StoreError> {
        Ok(self.lock()?.pre_keys.get(&id).cloned())
    }

    async fn store_pre_key(&self, record: &PreKeyRecord) -> Result<(), StoreError> {
        self.lock()?.pre_keys.insert(record.id, record.clone());
        Ok(())
    }

    async fn remove_pre_key(&self, id: u32) -> Result<(), StoreError> {
        self.lock()?.pre_keys.remove(&id);
        Ok(())
    }
}

#[async_trait]
impl SignedPreKeyStore for InMemorySignalStore {
    async fn load_signed_pre_key(&self, id: u32) -> Result<Option<SignedPreKeyRecord>, StoreError> {
        Ok(self.lock()?.signed_pre_keys.get(&id).cloned())
    }

    async fn store_signed_pre_key(&self, record: &SignedPreKeyRecord) -> Result<(), StoreError> {
        self.lock()?
            .signed_pre_keys
            .insert(record.id, record.clone());
        Ok(())
    }
}

#[async_trait]
impl SessionStore for InMemorySignalStore {
    async fn load_session(
        &self,
        address: &ProtocolAddress,
    ) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self.lock()?.sessions.get(address).cloned())
    }

    async fn store_session(
        &self,
        address: &ProtocolAddress,
        record: &SessionRecord,
    ) -> Result<(), StoreError> {
        self.lock()?
            .sessions
            .insert(address.clone(), record.clone());
        Ok(())
    }
}

#[async_trait]
impl SenderKeyStore for InMemorySignalStore {
    async fn load_sender_key(
        &self,
        name: &SenderKeyName,
    ) -> Result<Option<SenderKeyRecord>, StoreError> {
        Ok(self.lock()?.sender_keys.get(name).cloned())
    }

    async fn store_sender_key(
        &self,
        name: &SenderKeyName,
        record: &SenderKeyRecord,
    ) -> Result<(), StoreError> {
        self.lock()?
            .sender_keys
            .insert(name.clone(), record.clone());
        Ok(())
    }
}
