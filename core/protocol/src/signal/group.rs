//! Group (sender key) helpers over a store: create, rotate and process distribution messages,
//! encrypt and decrypt `skmsg`. Records change only when an operation succeeds.

use rand_core::CryptoRngCore;

use super::address::SenderKeyName;
use super::error::SignalError;
use super::sender_keys::SenderKeyRecord;
use super::store::SenderKeyStore;
use super::wire::SenderKeyDistributionMessage;

/// Our distribution message for `name` (our address in a group), creating our sender key on
/// first use.
pub async fn create_distribution<S, R>(
    store: &S,
    name: &SenderKeyName,
    rng: &mut R,
) -> Result<SenderKeyDistributionMessage, SignalError>
where
    S: SenderKeyStore + ?Sized,
    R: CryptoRngCore + Send,
{
    let mut record = store.load_sender_key(name).await?.unwrap_or_default();
    if record.is_empty() {
        record.create_own_state(rng);
        store.store_sender_key(name, &record).await?;
    }
    record.distribution_message()
}

/// Replaces our sender key for `name` with a fresh one (e.g. after a member left) and returns
/// the distribution message every remaining member needs.
pub async fn rotate<S, R>(
    store: &S,
    name: &SenderKeyName,
    rng: &mut R,
) -> Result<SenderKeyDistributionMessage, SignalError>
where
    S: SenderKeyStore + ?Sized,
    R: CryptoRngCore + Send,
{
    let mut record = SenderKeyRecord::new();
    record.create_own_state(rng);
    store.store_sender_key(name, &record).await?;
    record.distribution_message()
}

/// Stores the sender key a member distributed (`bytes` = `0x33 ‖ protobuf`).
pub async fn process_distribution<S>(
    store: &S,
    name: &SenderKeyName,
    bytes: &[u8],
) -> Result<(), SignalError>
where
    S: SenderKeyStore + ?Sized,
{
    let message = SenderKeyDistributionMessage::decode(bytes)?;
    let mut record = store.load_sender_key(name).await?.unwrap_or_default();
    record.process_distribution(&message);
    store.store_sender_key(name, &record).await?;
    Ok(())
}

/// Encrypts a group message with our sender key for `name`.
pub async fn encrypt<S, R>(
    store: &S,
    name: &SenderKeyName,
    plaintext: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, SignalError>
where
    S: SenderKeyStore + ?Sized,
    R: CryptoRngCore + Send,
{
    let mut record = store
        .load_sender_key(name)
        .await?
        .ok_or_else(|| SignalError::NoSenderKey(name.clone()))?;
    let bytes = record.encrypt(plaintext, rng)?;
    store.store_sender_key(name, &record).await?;
    Ok(bytes)
}

/// Decrypts a group message from the sender `name` names.
pub async fn decrypt<S>(
    store: &S,
    name: &SenderKeyName,
    bytes: &[u8],
) -> Result<Vec<u8>, SignalError>
where
    S: SenderKeyStore + ?Sized,
{
    let mut record = store
        .load_sender_key(name)
        .await?
        .ok_or_else(|| SignalError::NoSenderKey(name.clone()))?;
    let plaintext = record.decrypt(bytes)?;
    store.store_sender_key(name, &record).await?;
    Ok(plaintext)
}
