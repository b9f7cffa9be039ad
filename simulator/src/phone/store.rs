//! [`PhoneStore`]: a view over the phone's Signal records ([`super::records`], kept in the
//! account and so in `--state`) that implements openwa-protocol's store traits, so the phone
//! runs the same Signal helpers as every client.
//!
//! The phone's records live under the simulator's state lock. The store helpers are `async`
//! but never wait on anything (every record is in memory), so [`run`] drives them to completion
//! synchronously inside one locked section: each Signal operation is atomic.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use futures_util::FutureExt;
use openwa_protocol::crypto::KeyPair;
use openwa_protocol::signal::{
    Direction, IdentityChange, IdentityKey, IdentityKeyStore, PreKeyRecord, PreKeyStore,
    ProtocolAddress, SenderKeyName, SenderKeyRecord, SenderKeyStore, SessionRecord, SessionStore,
    SignalError, SignedPreKeyRecord, SignedPreKeyStore, StoreError, TrustPolicy,
};

use super::records::{HexBytes, PhoneSignal};
use crate::state::{Account, StoredKeyPair};

/// The phone's Signal store for one locked operation.
pub struct PhoneStore<'a> {
    identity: KeyPair,
    registration_id: u32,
    signed: SignedPreKeyRecord,
    parts: Mutex<Parts<'a>>,
}

struct Parts<'a> {
    signal: &'a mut PhoneSignal,
    prekeys: &'a mut BTreeMap<u32, StoredKeyPair>,
}

impl std::fmt::Debug for PhoneStore<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneStore")
            .field("registration_id", &self.registration_id)
            .finish_non_exhaustive()
    }
}

impl<'a> PhoneStore<'a> {
    /// The store of `account`'s phone (device 0); `None` if the account has no device 0.
    pub fn new(account: &'a mut Account) -> Option<Self> {
        let Account {
            phone_keys,
            devices,
            signal,
            ..
        } = account;
        let device = devices.get(&0)?;
        let identity = phone_keys.identity.to_key_pair();
        let signed = SignedPreKeyRecord {
            id: device.signed_prekey.id,
            key_pair: phone_keys.signed_prekey.to_key_pair(),
            signature: device.signed_prekey.signature,
            timestamp: device.linked_at,
        };
        Some(PhoneStore {
            identity,
            registration_id: device.registration_id,
            signed,
            parts: Mutex::new(Parts {
                signal,
                prekeys: &mut phone_keys.prekeys,
            }),
        })
    }

    fn parts(&self) -> MutexGuard<'_, Parts<'a>> {
        self.parts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs a store helper to completion. The phone store never waits, so a helper that is still
/// pending after one poll is a bug; it is reported as a store error rather than blocking.
pub fn run<T>(future: impl Future<Output = Result<T, SignalError>>) -> Result<T, SignalError> {
    future.now_or_never().unwrap_or_else(|| {
        Err(SignalError::Store(StoreError::new(
            "phone store operation did not complete synchronously",
        )))
    })
}

fn corrupt(what: &str, e: SignalError) -> StoreError {
    StoreError::new(format!("stored {what} does not decode: {e}"))
}

#[async_trait]
impl IdentityKeyStore for PhoneStore<'_> {
    async fn identity_key_pair(&self) -> Result<KeyPair, StoreError> {
        Ok(self.identity.clone())
    }

    async fn local_registration_id(&self) -> Result<u32, StoreError> {
        Ok(self.registration_id)
    }

    async fn is_trusted_identity(
        &self,
        _address: &ProtocolAddress,
        identity: &IdentityKey,
        _direction: Direction,
    ) -> Result<bool, StoreError> {
        // A phone trusts every identity, as WhatsApp clients do.
        Ok(TrustPolicy::AlwaysTrust.is_trusted(None, identity))
    }

    async fn save_identity(
        &self,
        address: &ProtocolAddress,
        identity: &IdentityKey,
    ) -> Result<IdentityChange, StoreError> {
        let mut parts = self.parts();
        let previous = parts
            .signal
            .identities
            .insert(address.to_string(), HexBytes(identity.0.to_vec()));
        Ok(
            match previous.and_then(|p| <[u8; 32]>::try_from(p.0).ok()) {
                None => IdentityChange::New,
                Some(previous) if previous == identity.0 => IdentityChange::Unchanged,
                Some(previous) => IdentityChange::Replaced {
                    previous: IdentityKey(previous),
                },
            },
        )
    }

    async fn identity(&self, address: &ProtocolAddress) -> Result<Option<IdentityKey>, StoreError> {
        Ok(self
            .parts()
            .signal
            .identities
            .get(&address.to_string())
            .and_then(|bytes| <[u8; 32]>::try_from(bytes.0.as_slice()).ok())
            .map(IdentityKey))
    }
}

#[async_trait]
impl PreKeyStore for PhoneStore<'_> {
    async fn load_pre_key(&self, id: u32) -> Result<Option<PreKeyRecord>, StoreError> {
        Ok(self.parts().prekeys.get(&id).map(|pair| PreKeyRecord {
            id,
            key_pair: pair.to_key_pair(),
        }))
    }

    async fn store_pre_key(&self, record: &PreKeyRecord) -> Result<(), StoreError> {
        self.parts()
            .prekeys
            .insert(record.id, StoredKeyPair::from(&record.key_pair));
        Ok(())
    }

    async fn remove_pre_key(&self, id: u32) -> Result<(), StoreError> {
        self.parts().prekeys.remove(&id);
        Ok(())
    }
}

#[async_trait]
impl SignedPreKeyStore for PhoneStore<'_> {
    async fn load_signed_pre_key(&self, id: u32) -> Result<Option<SignedPreKeyRecord>, StoreError> {
        Ok((id == self.signed.id).then(|| self.signed.clone()))
    }

    async fn store_signed_pre_key(&self, _record: &SignedPreKeyRecord) -> Result<(), StoreError> {
        Err(StoreError::new(
            "the simulated phone keeps one signed prekey",
        ))
    }
}

#[async_trait]
impl SessionStore for PhoneStore<'_> {
    async fn load_session(
        &self,
        address: &ProtocolAddress,
    ) -> Result<Option<SessionRecord>, StoreError> {
        self.parts()
            .signal
            .sessions
            .get(&address.to_string())
            .map(|bytes| SessionRecord::deserialize(&bytes.0).map_err(|e| corrupt("session", e)))
            .transpose()
    }

    async fn store_session(
        &self,
        address: &ProtocolAddress,
        record: &SessionRecord,
    ) -> Result<(), StoreError> {
        self.parts()
            .signal
            .sessions
            .insert(address.to_string(), HexBytes(record.serialize()));
        Ok(())
    }
}

#[async_trait]
impl SenderKeyStore for PhoneStore<'_> {
    async fn load_sender_key(
        &self,
        name: &SenderKeyName,
    ) -> Result<Option<SenderKeyRecord>, StoreError> {
        self.parts()
            .signal
            .sender_keys
            .get(&name.to_string())
            .map(|bytes| {
                SenderKeyRecord::deserialize(&bytes.0).map_err(|e| corrupt("sender key", e))
            })
            .transpose()
    }

    async fn store_sender_key(
        &self,
        name: &SenderKeyName,
        record: &SenderKeyRecord,
    ) -> Result<(), StoreError> {
        self.parts()
            .signal
            .sender_keys
            .insert(name.to_string(), HexBytes(record.serialize()));
        Ok(())
    }
}
