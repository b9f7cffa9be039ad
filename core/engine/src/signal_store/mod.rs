//! The Signal store adapter: openwa-protocol's Signal store traits for one session, on top of
//! `openwa-store`.
//!
//! [`SignalStore`] is shared by everything of one session that encrypts or decrypts. Work on it
//! happens in a [`SignalBatch`] (from [`SignalStore::begin`]), which implements every Signal
//! store trait:
//! - reads go through a per-session in-memory cache of committed records (loaded from the
//!   store on first use; one-time prekeys are read once and not cached);
//! - writes are **buffered** in the batch and reach the database only when the batch is
//!   committed, always as one unit of the store's group commit: alone
//!   ([`SignalBatch::commit`]), or together with the caller's writes
//!   ([`SignalBatch::commit_with`]: the outgoing message, or an incoming message and its event —
//!   "persist, then ack"). A batch dropped without commit changes nothing, in the database or in
//!   the cache;
//! - one batch at a time per session (the batch holds the session's Signal lock), so a session
//!   record is never advanced by two operations at once.
//!
//! Addressing: when the PN↔LID mapping of a user is known, every address of its phone-number
//! form is served from the LID form (`15551234567.2` → `987654321_1.2`), and
//! [`SignalStore::learn_mapping`] persists a new mapping and moves PN-keyed sessions and
//! identities to the LID key in the same transaction.

mod batch;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use openwa_protocol::crypto::KeyPair;
use openwa_protocol::signal::{
    IdentityKey, PreKeyRecord, ProtocolAddress, SenderKeyRecord, SessionRecord, SignedPreKeyRecord,
};
use openwa_store::{IdentityRecord, SessionStore, TrustLevel};

pub(crate) use batch::SignalBatch;

use crate::error::{Error, ErrorCode};

/// Our own keys the adapter serves: identity, registration id, current signed prekey.
#[derive(Clone)]
pub(crate) struct LocalKeys {
    /// Identity key pair.
    pub identity: KeyPair,
    /// Registration id.
    pub registration_id: u32,
    /// The current signed prekey.
    pub signed_pre_key: SignedPreKeyRecord,
}

impl std::fmt::Debug for LocalKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalKeys")
            .field("registration_id", &self.registration_id)
            .field("signed_pre_key", &self.signed_pre_key.id)
            .finish_non_exhaustive()
    }
}

/// Committed records known to this process: a missing entry means "not loaded yet" and
/// `Some(None)` "known absent".
#[derive(Default)]
struct Cache {
    sessions: HashMap<String, Option<SessionRecord>>,
    identities: HashMap<String, Option<IdentityKey>>,
    sender_keys: HashMap<(String, String), Option<SenderKeyRecord>>,
    signed_pre_keys: HashMap<u32, Option<SignedPreKeyRecord>>,
    /// PN user → LID user (`None`: known unmapped).
    lid_for_pn: HashMap<String, Option<String>>,
}

struct Shared {
    store: SessionStore,
    /// Our keys; the signed prekey changes when it is rotated.
    keys: std::sync::RwLock<LocalKeys>,
    cache: Mutex<Cache>,
    /// Held by the one live batch.
    lock: Arc<tokio::sync::Mutex<()>>,
}

/// The Signal state of one session (see the module docs). Cheap to clone.
#[derive(Clone)]
pub(crate) struct SignalStore {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SignalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignalStore")
            .field("session_id", &self.session_id())
            .finish_non_exhaustive()
    }
}

/// The Signal address key of a record in the database: `name.device`.
pub(crate) fn address_key(address: &ProtocolAddress) -> String {
    address.to_string()
}

fn store_error(err: openwa_store::StoreError) -> openwa_protocol::signal::StoreError {
    openwa_protocol::signal::StoreError::new(err)
}

fn corrupt(what: &str, err: impl std::fmt::Display) -> openwa_protocol::signal::StoreError {
    openwa_protocol::signal::StoreError::new(format!("stored {what} does not decode: {err}"))
}

/// A phone-number Signal address name: the user digits, no domain suffix.
fn is_pn_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())
}

/// The LID Signal address name of a LID user.
fn lid_name(lid_user: &str) -> String {
    format!("{lid_user}_1")
}

impl SignalStore {
    /// The adapter of `store`'s session, serving `keys`.
    pub(crate) fn new(store: SessionStore, keys: LocalKeys) -> Self {
        SignalStore {
            shared: Arc::new(Shared {
                store,
                keys: std::sync::RwLock::new(keys),
                cache: Mutex::new(Cache::default()),
                lock: Arc::new(tokio::sync::Mutex::new(())),
            }),
        }
    }

    /// The session this adapter belongs to.
    pub(crate) fn session_id(&self) -> &str {
        self.shared.store.id()
    }

    /// The session's store.
    pub(crate) fn store(&self) -> &SessionStore {
        &self.shared.store
    }

    /// Our own keys.
    pub(crate) fn local_keys(&self) -> LocalKeys {
        match self.shared.keys.read() {
            Ok(keys) => keys.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Makes `record` the current signed prekey (after a rotation; the previous one must be
    /// stored so messages built on it still decrypt).
    pub(crate) fn set_signed_pre_key(&self, record: SignedPreKeyRecord) {
        let mut keys = match self.shared.keys.write() {
            Ok(keys) => keys,
            Err(poisoned) => poisoned.into_inner(),
        };
        keys.signed_pre_key = record;
    }

    /// After a batch's unit failed: with the Signal lock held (no new batch starts), waits until
    /// every unit queued before now has settled, then drops the cached records, so the next batch
    /// reads the durable state (which may include later batches' units that did commit).
    pub(crate) async fn recover_after_failed_unit(&self) {
        let _guard = Arc::clone(&self.shared.lock).lock_owned().await;
        self.settle_queued().await;
        let mut cache = self.cache();
        cache.sessions.clear();
        cache.identities.clear();
        cache.sender_keys.clear();
        cache.signed_pre_keys.clear();
    }

    /// Waits until every store unit queued before this call has committed or failed (the
    /// writer commits units in queue order, so an empty unit queued now is a barrier).
    async fn settle_queued(&self) {
        let barrier = self
            .shared
            .store
            .write(|_| Box::pin(async { Ok(()) }), |_| {});
        if let Err(err) = barrier.await {
            tracing::warn!(session = %self.session_id(), %err, "store barrier failed");
        }
    }

    /// Starts a batch; waits while another batch of this session is live.
    pub(crate) async fn begin(&self) -> SignalBatch {
        let guard = Arc::clone(&self.shared.lock).lock_owned().await;
        SignalBatch::new(self.clone(), guard)
    }

    fn cache(&self) -> MutexGuard<'_, Cache> {
        match self.shared.cache.lock() {
            Ok(cache) => cache,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The LID user of a phone-number user, if known (cached).
    pub(crate) async fn lid_for_pn(&self, pn_user: &str) -> Result<Option<String>, Error> {
        if let Some(known) = self.cache().lid_for_pn.get(pn_user) {
            return Ok(known.clone());
        }
        let lid = self.shared.store.lid_for_pn(pn_user).await?;
        self.cache()
            .lid_for_pn
            .insert(pn_user.to_owned(), lid.clone());
        Ok(lid)
    }

    /// The phone-number user of a LID user, if known: from the cached mappings, else the store.
    pub(crate) async fn pn_for_lid(&self, lid_user: &str) -> Result<Option<String>, Error> {
        let cached = self
            .cache()
            .lid_for_pn
            .iter()
            .find(|(_, lid)| lid.as_deref() == Some(lid_user))
            .map(|(pn, _)| pn.clone());
        if cached.is_some() {
            return Ok(cached);
        }
        let pn = self.shared.store.pn_for_lid(lid_user).await?;
        if let Some(pn) = &pn {
            self.cache()
                .lid_for_pn
                .insert(pn.clone(), Some(lid_user.to_owned()));
        }
        Ok(pn)
    }

    /// The address records of `address` live under: its LID form when `address` is a
    /// phone-number address with a known mapping, else itself.
    pub(crate) async fn resolve(
        &self,
        address: &ProtocolAddress,
    ) -> Result<ProtocolAddress, Error> {
        if !is_pn_name(&address.name) {
            return Ok(address.clone());
        }
        Ok(match self.lid_for_pn(&address.name).await? {
            Some(lid) => ProtocolAddress::new(lid_name(&lid), address.device),
            None => address.clone(),
        })
    }

    /// Records that phone-number user `pn_user` is LID user `lid_user` (user parts, no device)
    /// and moves the PN-keyed Signal sessions and identities of that user to the LID key, all
    /// in one transaction. A LID-keyed record that already exists wins over the PN-keyed one.
    /// Waits for the live batch, if any. Returns whether the mapping was new.
    pub(crate) async fn learn_mapping(&self, pn_user: &str, lid_user: &str) -> Result<bool, Error> {
        if !is_pn_name(pn_user) || lid_user.is_empty() {
            return Err(Error::invalid_argument(format!(
                "not a PN/LID user pair: {pn_user} / {lid_user}"
            )));
        }
        let _guard = Arc::clone(&self.shared.lock).lock_owned().await;
        if self.lid_for_pn(pn_user).await?.as_deref() == Some(lid_user) {
            return Ok(false);
        }
        // The migration reads and moves the durable records: let earlier batches' units land.
        self.settle_queued().await;
        let lid = lid_name(lid_user);
        self.migrate(pn_user, lid_user, &lid).await?;
        let mut cache = self.cache();
        // Drop every reverse entry pointing at this LID (one PN per LID).
        cache
            .lid_for_pn
            .retain(|_, v| v.as_deref() != Some(lid_user));
        cache
            .lid_for_pn
            .insert(pn_user.to_owned(), Some(lid_user.to_owned()));
        Ok(true)
    }

    /// Stores the mapping and moves the PN-keyed records, in one transaction (read through
    /// it: on a memory store a read through the store would wait for this very transaction).
    async fn migrate(&self, pn_user: &str, lid_user: &str, lid: &str) -> Result<(), Error> {
        let store = &self.shared.store;
        let mut owned = store.store().begin().await?;
        let mut tx = store.scope(&mut owned);
        tx.put_lid_mapping(lid_user, pn_user).await?;
        let prefix = format!("{pn_user}.");
        let moved = tx.list_signal_session_addresses(&prefix).await?;
        for from in &moved {
            let Some(device) = from.strip_prefix(&prefix) else {
                continue;
            };
            let to = format!("{lid}.{device}");
            if let Some(record) = tx.get_signal_session(from).await?
                && tx.get_signal_session(&to).await?.is_none()
            {
                tx.put_signal_session(&to, &record).await?;
            }
            tx.delete_signal_session(from).await?;
            if let Some(identity) = tx.get_identity(from).await?
                && tx.get_identity(&to).await?.is_none()
            {
                tx.put_identity(&to, &identity).await?;
            }
            tx.delete_identity(from).await?;
        }
        owned.commit().await?;
        // Reload both forms lazily.
        let mut cache = self.cache();
        let lid_prefix = format!("{lid}.");
        cache
            .sessions
            .retain(|k, _| !k.starts_with(&prefix) && !k.starts_with(&lid_prefix));
        cache
            .identities
            .retain(|k, _| !k.starts_with(&prefix) && !k.starts_with(&lid_prefix));
        Ok(())
    }

    /// Merges a committed batch into the cache.
    fn absorb(&self, changes: batch::Overlay) {
        let mut cache = self.cache();
        for (address, record) in changes.sessions {
            cache.sessions.insert(address, Some(record));
        }
        for (address, identity) in changes.identities {
            cache.identities.insert(address, Some(identity));
        }
        for (name, record) in changes.sender_keys {
            cache.sender_keys.insert(name, Some(record));
        }
        // One-time prekeys are read once, by the pkmsg that consumes them: they are not cached
        // (hundreds per session would stay in memory for nothing).
        for (id, record) in changes.signed_pre_keys {
            cache.signed_pre_keys.insert(id, Some(record));
        }
    }

    // ---- committed reads (cache, then store) ---------------------------------------------

    async fn committed_session(
        &self,
        key: &str,
    ) -> Result<Option<SessionRecord>, openwa_protocol::signal::StoreError> {
        if let Some(known) = self.cache().sessions.get(key) {
            return Ok(known.clone());
        }
        let record = self
            .shared
            .store
            .get_signal_session(key)
            .await
            .map_err(store_error)?
            .map(|bytes| SessionRecord::deserialize(&bytes))
            .transpose()
            .map_err(|e| corrupt("session", e))?;
        self.cache().sessions.insert(key.to_owned(), record.clone());
        Ok(record)
    }

    async fn committed_identity(
        &self,
        key: &str,
    ) -> Result<Option<IdentityKey>, openwa_protocol::signal::StoreError> {
        if let Some(known) = self.cache().identities.get(key) {
            return Ok(*known);
        }
        let identity = match self
            .shared
            .store
            .get_identity(key)
            .await
            .map_err(store_error)?
        {
            Some(record) => Some(
                IdentityKey::from_bytes(&record.identity_key)
                    .ok_or_else(|| corrupt("identity", "not a 32-byte key"))?,
            ),
            None => None,
        };
        self.cache().identities.insert(key.to_owned(), identity);
        Ok(identity)
    }

    async fn committed_sender_key(
        &self,
        name: &(String, String),
    ) -> Result<Option<SenderKeyRecord>, openwa_protocol::signal::StoreError> {
        if let Some(known) = self.cache().sender_keys.get(name) {
            return Ok(known.clone());
        }
        let record = self
            .shared
            .store
            .get_sender_key(&name.0, &name.1)
            .await
            .map_err(store_error)?
            .map(|bytes| SenderKeyRecord::deserialize(&bytes))
            .transpose()
            .map_err(|e| corrupt("sender key", e))?;
        self.cache()
            .sender_keys
            .insert(name.clone(), record.clone());
        Ok(record)
    }

    async fn committed_pre_key(
        &self,
        id: u32,
    ) -> Result<Option<PreKeyRecord>, openwa_protocol::signal::StoreError> {
        // Not cached: one-time prekeys are read once (by the pkmsg that consumes them).
        self.shared
            .store
            .get_prekey(id)
            .await
            .map_err(store_error)?
            .map(|stored| PreKeyRecord::deserialize(&stored.record))
            .transpose()
            .map_err(|e| corrupt("prekey", e))
    }

    async fn committed_signed_pre_key(
        &self,
        id: u32,
    ) -> Result<Option<SignedPreKeyRecord>, openwa_protocol::signal::StoreError> {
        let current = self.local_keys().signed_pre_key;
        if current.id == id {
            return Ok(Some(current));
        }
        if let Some(known) = self.cache().signed_pre_keys.get(&id) {
            return Ok(known.clone());
        }
        let record = self
            .shared
            .store
            .get_signed_prekey(id)
            .await
            .map_err(store_error)?
            .map(|bytes| SignedPreKeyRecord::deserialize(&bytes))
            .transpose()
            .map_err(|e| corrupt("signed prekey", e))?;
        self.cache().signed_pre_keys.insert(id, record.clone());
        Ok(record)
    }
}

/// A peer identity as the database keeps it (raw 32-byte key, trusted).
fn identity_record(identity: &IdentityKey) -> IdentityRecord {
    IdentityRecord {
        identity_key: identity.0.to_vec(),
        trust: TrustLevel::Trusted,
    }
}

impl From<openwa_protocol::signal::SignalError> for Error {
    fn from(err: openwa_protocol::signal::SignalError) -> Self {
        Error::new(ErrorCode::Crypto, err.to_string())
    }
}
