//! [`SignalBatch`]: one unit of Signal work with buffered writes (see the module docs of
//! `signal_store`).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use openwa_protocol::crypto::KeyPair;
use openwa_protocol::signal::{
    Direction, IdentityChange, IdentityKey, IdentityKeyStore, PreKeyRecord, PreKeyStore,
    ProtocolAddress, SenderKeyName, SenderKeyRecord, SenderKeyStore, SessionRecord, SessionStore,
    SignedPreKeyRecord, SignedPreKeyStore, StoreError,
};
use openwa_store::{SenderKeyChange, SessionTx, SignalChanges, WriteFuture};

use super::{SignalStore, address_key, identity_record};
use crate::bus::Publisher;
use crate::error::Error;
use crate::event::Event;
use crate::persist::write_unit;

/// Writes of one batch, not yet committed.
#[derive(Default)]
pub(super) struct Overlay {
    pub sessions: BTreeMap<String, SessionRecord>,
    pub identities: BTreeMap<String, IdentityKey>,
    pub sender_keys: BTreeMap<(String, String), SenderKeyRecord>,
    pub new_pre_keys: BTreeMap<u32, PreKeyRecord>,
    pub consumed_pre_keys: BTreeSet<u32>,
    pub signed_pre_keys: BTreeMap<u32, SignedPreKeyRecord>,
}

impl Overlay {
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.sessions.is_empty()
            && self.identities.is_empty()
            && self.sender_keys.is_empty()
            && self.new_pre_keys.is_empty()
            && self.consumed_pre_keys.is_empty()
            && self.signed_pre_keys.is_empty()
    }

    /// The store's change set for these writes.
    fn signal_changes(&self) -> SignalChanges {
        SignalChanges {
            sessions: self
                .sessions
                .iter()
                .map(|(address, record)| (address.clone(), record.serialize()))
                .collect(),
            sender_keys: self
                .sender_keys
                .iter()
                .map(|((group_id, sender), record)| SenderKeyChange {
                    group_id: group_id.clone(),
                    sender: sender.clone(),
                    record: record.serialize(),
                })
                .collect(),
            identities: self
                .identities
                .iter()
                .map(|(address, identity)| (address.clone(), identity_record(identity)))
                .collect(),
            consumed_prekeys: self.consumed_pre_keys.iter().copied().collect(),
        }
    }
}

/// A batch's writes, serialized, ready to go into a store unit.
struct PendingWrites {
    changes: SignalChanges,
    pre_keys: Vec<(u32, Vec<u8>)>,
    signed: Vec<(u32, Vec<u8>)>,
}

impl PendingWrites {
    async fn write_to(&self, tx: &mut SessionTx<'_>) -> Result<(), openwa_store::StoreError> {
        if !self.pre_keys.is_empty() {
            tx.put_prekeys(&self.pre_keys).await?;
        }
        for (id, record) in &self.signed {
            tx.put_signed_prekey(*id, record).await?;
        }
        tx.apply_signal_changes(&self.changes).await
    }
}

/// One unit of Signal work of a session: implements every Signal store trait, buffers its
/// writes, and changes nothing unless committed. Holds the session's Signal lock while alive.
pub(crate) struct SignalBatch {
    store: SignalStore,
    overlay: Mutex<Overlay>,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl std::fmt::Debug for SignalBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignalBatch")
            .field("session_id", &self.store.session_id())
            .finish_non_exhaustive()
    }
}

impl SignalBatch {
    pub(super) fn new(store: SignalStore, guard: tokio::sync::OwnedMutexGuard<()>) -> Self {
        SignalBatch {
            store,
            overlay: Mutex::new(Overlay::default()),
            _guard: guard,
        }
    }

    fn overlay(&self) -> MutexGuard<'_, Overlay> {
        match self.overlay.lock() {
            Ok(overlay) => overlay,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Whether the batch wrote anything.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.overlay().is_empty()
    }

    /// The buffered writes as the store's change set (what a commit will write).
    #[cfg(test)]
    pub(crate) fn changes(&self) -> SignalChanges {
        self.overlay().signal_changes()
    }

    async fn key(&self, address: &ProtocolAddress) -> Result<String, StoreError> {
        let resolved = self
            .store
            .resolve(address)
            .await
            .map_err(|e| StoreError::new(e.message))?;
        Ok(address_key(&resolved))
    }

    async fn sender_key_name(&self, name: &SenderKeyName) -> Result<(String, String), StoreError> {
        Ok((name.group_id.clone(), self.key(&name.sender).await?))
    }

    /// Commits the buffered writes alone, atomically.
    pub(crate) async fn commit(self) -> Result<(), Error> {
        self.commit_with(None, |_| Box::pin(async { Ok(((), None)) }))
            .await
    }

    /// Commits `work` (e.g. the outgoing message, or an incoming message and its event) together
    /// the buffered writes as one unit of the store's group commit: all of it is durable when
    /// this returns, or none. The event `work` logs is published through `publisher` once durable
    /// (see `persist::write_unit`; `work` may run twice).
    ///
    /// The session's next batch does not wait for the commit: the unit is queued first, the
    /// writes go into the cache and the Signal lock is released, so the next batch builds on
    /// them and its own unit is queued behind this one (units commit in queue order, so the
    /// durable state is always a prefix of the queued ones). Should the unit fail, the lock is
    /// taken again until every unit queued meanwhile has settled, and the cache is dropped so the
    /// next batch reads the durable state.
    pub(crate) fn commit_with<T, F>(
        self,
        publisher: Option<&Publisher>,
        work: F,
    ) -> impl Future<Output = Result<T, Error>> + Send + 'static + use<T, F>
    where
        T: Send + 'static,
        F: for<'a> Fn(SessionTx<'a>) -> WriteFuture<'a, (T, Option<Event>)> + Send + Sync + 'static,
    {
        let store = self.store.clone();
        let (work, pending) = (Arc::new(work), Arc::new(self.pending()));
        let unit = write_unit(store.store(), publisher, move |mut tx| {
            let (work, pending) = (Arc::clone(&work), Arc::clone(&pending));
            Box::pin(async move {
                // One transaction: the order of the two parts changes nothing.
                pending.write_to(&mut tx).await?;
                work(tx).await
            })
        });
        self.absorb();
        async move {
            match unit.await {
                Ok(out) => Ok(out),
                Err(err) => {
                    store.recover_after_failed_unit().await;
                    Err(err)
                }
            }
        }
    }

    /// The buffered writes in the store's form.
    fn pending(&self) -> PendingWrites {
        let overlay = self.overlay();
        PendingWrites {
            changes: overlay.signal_changes(),
            pre_keys: overlay
                .new_pre_keys
                .iter()
                .map(|(id, record)| (*id, record.serialize()))
                .collect(),
            signed: overlay
                .signed_pre_keys
                .iter()
                .map(|(id, record)| (*id, record.serialize()))
                .collect(),
        }
    }

    fn absorb(self) {
        let overlay = std::mem::take(&mut *self.overlay());
        self.store.absorb(overlay);
    }
}

#[async_trait]
impl IdentityKeyStore for SignalBatch {
    async fn identity_key_pair(&self) -> Result<KeyPair, StoreError> {
        Ok(self.store.local_keys().identity.clone())
    }

    async fn local_registration_id(&self) -> Result<u32, StoreError> {
        Ok(self.store.local_keys().registration_id)
    }

    /// WhatsApp clients trust every identity (a change is reported, never refused).
    async fn is_trusted_identity(
        &self,
        _address: &ProtocolAddress,
        _identity: &IdentityKey,
        _direction: Direction,
    ) -> Result<bool, StoreError> {
        Ok(true)
    }

    async fn save_identity(
        &self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
    ) -> Result<IdentityChange, StoreError> {
        let key = self.key(address).await?;
        let previous = self.identity_at(&key).await?;
        let change = match previous {
            None => IdentityChange::New,
            Some(previous) if previous == *identity => return Ok(IdentityChange::Unchanged),
            Some(previous) => IdentityChange::Replaced { previous },
        };
        self.overlay().identities.insert(key, *identity);
        Ok(change)
    }

    async fn identity(&self, address: &ProtocolAddress) -> Result<Option<IdentityKey>, StoreError> {
        let key = self.key(address).await?;
        self.identity_at(&key).await
    }
}

impl SignalBatch {
    async fn identity_at(&self, key: &str) -> Result<Option<IdentityKey>, StoreError> {
        if let Some(identity) = self.overlay().identities.get(key) {
            return Ok(Some(*identity));
        }
        self.store.committed_identity(key).await
    }
}

#[async_trait]
impl PreKeyStore for SignalBatch {
    async fn load_pre_key(&self, id: u32) -> Result<Option<PreKeyRecord>, StoreError> {
        {
            let overlay = self.overlay();
            if overlay.consumed_pre_keys.contains(&id) {
                return Ok(None);
            }
            if let Some(record) = overlay.new_pre_keys.get(&id) {
                return Ok(Some(record.clone()));
            }
        }
        self.store.committed_pre_key(id).await
    }

    async fn store_pre_key(&self, record: &PreKeyRecord) -> Result<(), StoreError> {
        let mut overlay = self.overlay();
        overlay.consumed_pre_keys.remove(&record.id);
        overlay.new_pre_keys.insert(record.id, record.clone());
        Ok(())
    }

    async fn remove_pre_key(&self, id: u32) -> Result<(), StoreError> {
        let mut overlay = self.overlay();
        overlay.new_pre_keys.remove(&id);
        overlay.consumed_pre_keys.insert(id);
        Ok(())
    }
}

#[async_trait]
impl SignedPreKeyStore for SignalBatch {
    async fn load_signed_pre_key(&self, id: u32) -> Result<Option<SignedPreKeyRecord>, StoreError> {
        if let Some(record) = self.overlay().signed_pre_keys.get(&id) {
            return Ok(Some(record.clone()));
        }
        self.store.committed_signed_pre_key(id).await
    }

    async fn store_signed_pre_key(&self, record: &SignedPreKeyRecord) -> Result<(), StoreError> {
        self.overlay()
            .signed_pre_keys
            .insert(record.id, record.clone());
        Ok(())
    }
}

#[async_trait]
impl SessionStore for SignalBatch {
    async fn load_session(
        &self,
        address: &ProtocolAddress,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let key = self.key(address).await?;
        if let Some(record) = self.overlay().sessions.get(&key) {
            return Ok(Some(record.clone()));
        }
        self.store.committed_session(&key).await
    }

    async fn store_session(
        &self,
        address: &ProtocolAddress,
        record: &SessionRecord,
    ) -> Result<(), StoreError> {
        let key = self.key(address).await?;
        self.overlay().sessions.insert(key, record.clone());
        Ok(())
    }
}

#[async_trait]
impl SenderKeyStore for SignalBatch {
    async fn load_sender_key(
        &self,
        name: &SenderKeyName,
    ) -> Result<Option<SenderKeyRecord>, StoreError> {
        let name = self.sender_key_name(name).await?;
        if let Some(record) = self.overlay().sender_keys.get(&name) {
            return Ok(Some(record.clone()));
        }
        self.store.committed_sender_key(&name).await
    }

    async fn store_sender_key(
        &self,
        name: &SenderKeyName,
        record: &SenderKeyRecord,
    ) -> Result<(), StoreError> {
        let name = self.sender_key_name(name).await?;
        self.overlay().sender_keys.insert(name, record.clone());
        Ok(())
    }
}
