//! 1:1 helpers over a store: set up sessions from bundles, encrypt, decrypt.
//!
//! Each helper loads the record, runs the pure operation on a copy and writes back only when
//! it succeeded; on any error nothing in the store changes. The helpers do not lock: callers
//! must not run two of them for the same address at the same time (the engine serializes work
//! per peer device).

use rand_core::CryptoRngCore;

use super::address::ProtocolAddress;
use super::error::SignalError;
use super::keys::{IdentityKey, PreKeyBundle};
use super::session::{ResponderKeys, SessionRecord};
use super::store::{
    Direction, IdentityChange, IdentityKeyStore, PreKeyStore, SessionStore, SignedPreKeyStore,
};
use super::wire::{MessageType, PreKeySignalMessage, SignalMessage};

/// A decrypted 1:1 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decrypted {
    /// The plaintext (still padded as the sender padded it).
    pub plaintext: Vec<u8>,
    /// What happened to the sender's stored identity. `Replaced` means the peer's identity
    /// changed (possible only under [`TrustPolicy::AlwaysTrust`](super::TrustPolicy)).
    pub identity: IdentityChange,
    /// The one-time prekey a `pkmsg` consumed (already removed from the store).
    pub consumed_pre_key: Option<u32>,
}

async fn check_trust<S: IdentityKeyStore + ?Sized>(
    store: &S,
    address: &ProtocolAddress,
    identity: &IdentityKey,
    direction: Direction,
) -> Result<(), SignalError> {
    if store
        .is_trusted_identity(address, identity, direction)
        .await?
    {
        Ok(())
    } else {
        Err(SignalError::UntrustedIdentity(address.clone()))
    }
}

/// Starts a session with `address` from its prekey bundle (X3DH as initiator). Fails with
/// `InvalidSignature` on a bad signed-prekey signature and `UntrustedIdentity` under the
/// store's trust policy.
pub async fn process_bundle<S, R>(
    store: &S,
    address: &ProtocolAddress,
    bundle: &PreKeyBundle,
    rng: &mut R,
) -> Result<IdentityChange, SignalError>
where
    S: IdentityKeyStore + SessionStore + ?Sized,
    R: CryptoRngCore + Send,
{
    check_trust(store, address, &bundle.identity_key, Direction::Sending).await?;
    let identity = store.identity_key_pair().await?;
    let registration_id = store.local_registration_id().await?;
    let mut record = store.load_session(address).await?.unwrap_or_default();
    record.initiate(&identity, registration_id, bundle, rng)?;
    let change = store.save_identity(address, &bundle.identity_key).await?;
    store.store_session(address, &record).await?;
    Ok(change)
}

/// Whether a session with a current state exists for `address` (if not, fetch its bundle and
/// call [`process_bundle`] before encrypting).
pub async fn has_session<S>(store: &S, address: &ProtocolAddress) -> Result<bool, SignalError>
where
    S: SessionStore + ?Sized,
{
    Ok(store
        .load_session(address)
        .await?
        .is_some_and(|r| r.current_state().is_some()))
}

/// Encrypts for `address`: `pkmsg` until the peer replied, then `msg`.
pub async fn encrypt<S>(
    store: &S,
    address: &ProtocolAddress,
    plaintext: &[u8],
) -> Result<(MessageType, Vec<u8>), SignalError>
where
    S: IdentityKeyStore + SessionStore + ?Sized,
{
    let mut record = store
        .load_session(address)
        .await?
        .filter(|r| r.current_state().is_some())
        .ok_or_else(|| SignalError::NoSession(address.clone()))?;
    let remote = record
        .current_state()
        .map(|s| s.remote_identity())
        .ok_or_else(|| SignalError::NoSession(address.clone()))?;
    check_trust(store, address, &remote, Direction::Sending).await?;
    let out = record.encrypt(plaintext)?;
    store.store_session(address, &record).await?;
    Ok(out)
}

/// Decrypts a `pkmsg` or `msg` from `address`.
pub async fn decrypt<S, R>(
    store: &S,
    address: &ProtocolAddress,
    message_type: MessageType,
    bytes: &[u8],
    rng: &mut R,
) -> Result<Decrypted, SignalError>
where
    S: IdentityKeyStore + SessionStore + PreKeyStore + SignedPreKeyStore + ?Sized,
    R: CryptoRngCore + Send,
{
    match message_type {
        MessageType::PreKey => decrypt_pre_key(store, address, bytes, rng).await,
        MessageType::Whisper => decrypt_whisper(store, address, bytes, rng).await,
    }
}

async fn decrypt_whisper<S, R>(
    store: &S,
    address: &ProtocolAddress,
    bytes: &[u8],
    rng: &mut R,
) -> Result<Decrypted, SignalError>
where
    S: IdentityKeyStore + SessionStore + ?Sized,
    R: CryptoRngCore + Send,
{
    let message = SignalMessage::decode(bytes)?;
    let mut record = store
        .load_session(address)
        .await?
        .ok_or_else(|| SignalError::NoSession(address.clone()))?;
    let (plaintext, remote) = record.decrypt(&message, rng)?;
    check_trust(store, address, &remote, Direction::Receiving).await?;
    // Only write the identity when it differs from the stored one (one read per message).
    let identity = if store.identity(address).await? == Some(remote) {
        IdentityChange::Unchanged
    } else {
        store.save_identity(address, &remote).await?
    };
    store.store_session(address, &record).await?;
    Ok(Decrypted {
        plaintext,
        identity,
        consumed_pre_key: None,
    })
}

async fn decrypt_pre_key<S, R>(
    store: &S,
    address: &ProtocolAddress,
    bytes: &[u8],
    rng: &mut R,
) -> Result<Decrypted, SignalError>
where
    S: IdentityKeyStore + SessionStore + PreKeyStore + SignedPreKeyStore + ?Sized,
    R: CryptoRngCore + Send,
{
    let message = PreKeySignalMessage::decode(bytes)?;
    let remote = IdentityKey(message.identity_key);
    check_trust(store, address, &remote, Direction::Receiving).await?;
    let mut record: SessionRecord = store.load_session(address).await?.unwrap_or_default();
    let identity = store.identity_key_pair().await?;
    let registration_id = store.local_registration_id().await?;
    let (signed, one_time) = if record.has_state_with_base_key(&message.base_key) {
        (None, None)
    } else {
        let signed = store.load_signed_pre_key(message.signed_pre_key_id).await?;
        let one_time = match message.pre_key_id {
            Some(id) => store.load_pre_key(id).await?,
            None => None,
        };
        (signed, one_time)
    };
    let keys = ResponderKeys {
        identity: &identity,
        registration_id,
        signed_pre_key: signed.as_ref(),
        pre_key: one_time.as_ref(),
    };
    let (plaintext, consumed) = record.decrypt_pre_key_message(&message, keys, rng)?;
    let change = store.save_identity(address, &remote).await?;
    store.store_session(address, &record).await?;
    if let Some(id) = consumed {
        store.remove_pre_key(id).await?;
    }
    Ok(Decrypted {
        plaintext,
        identity: change,
        consumed_pre_key: consumed,
    })
}
