//! Signal work of a send: which devices lack a session, one bundle-fetch IQ for all of them,
//! and per-device encryption inside one [`SignalBatch`] (committed by the caller together with
//! the outgoing message).

use std::collections::HashMap;

use openwa_protocol::Jid;
use openwa_protocol::signal::{
    IdentityKey, MessageType as SignalType, PreKeyBundle, ProtocolAddress, encrypt, has_session,
    process_bundle,
};
use openwa_protocol::stanza::{
    DeviceEnc, Enc, EncKind, FetchPreKeys, IqSpec, KeyRequest, PreKey, RetryRequest, SignedPreKey,
};

use super::devices::Target;
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::signal_store::{SignalBatch, SignalStore};

/// A Signal bundle from the wire parts the server (bundle fetch) or a retry receipt (`<keys>`)
/// carries.
pub(crate) fn bundle_from_wire(
    registration_id: u32,
    device: u16,
    identity: &[u8; 32],
    signed: &SignedPreKey,
    prekey: Option<&PreKey>,
) -> PreKeyBundle {
    PreKeyBundle {
        registration_id,
        device_id: u32::from(device),
        identity_key: IdentityKey(*identity),
        signed_pre_key_id: signed.id,
        signed_pre_key: signed.public,
        signed_pre_key_signature: signed.signature,
        pre_key: prekey.map(|k| (k.id, k.public)),
    }
}

/// A Signal batch ready to encrypt for `device` after its retry receipt: a new session from the
/// keys the receipt carries, else (when we hold no session with it) from a fetched bundle. `own`:
/// the device is one of our account's.
pub(crate) async fn retry_batch(
    shared: &SessionContext,
    retry: &RetryRequest,
    device: &Jid,
    own: bool,
) -> Result<(SignalBatch, ProtocolAddress), Error> {
    let signal = shared.signal_store();
    let address = ProtocolAddress::from_jid(device);
    let bundle = match &retry.keys {
        Some(keys) => Some(bundle_from_wire(
            retry.registration_id,
            device.device,
            &keys.identity,
            &keys.signed,
            keys.prekey.as_ref(),
        )),
        None => {
            let target = Target {
                jid: device.clone(),
                own,
            };
            let missing = without_session(&signal, std::slice::from_ref(&target)).await?;
            fetch_bundles(shared, &missing).await?.remove(device)
        }
    };
    let batch = signal.begin().await;
    if let Some(bundle) = bundle {
        process_bundle(&batch, &address, &bundle, &mut rand::rngs::OsRng).await?;
    }
    Ok((batch, address))
}

/// The `<enc type>` of a Signal message type.
pub(crate) fn enc_kind(kind: SignalType) -> EncKind {
    match kind {
        SignalType::PreKey => EncKind::Pkmsg,
        SignalType::Whisper => EncKind::Msg,
    }
}

/// The devices of `targets` without a Signal session.
pub(crate) async fn without_session(
    signal: &SignalStore,
    targets: &[Target],
) -> Result<Vec<Jid>, Error> {
    let batch = signal.begin().await;
    let mut missing = Vec::new();
    for target in targets {
        if !has_session(&batch, &ProtocolAddress::from_jid(&target.jid)).await? {
            missing.push(target.jid.clone());
        }
    }
    Ok(missing)
}

/// Fetches the bundles of `devices` in one IQ. Devices the server has no bundle for are left
/// out (logged).
pub(crate) async fn fetch_bundles(
    shared: &SessionContext,
    devices: &[Jid],
) -> Result<HashMap<Jid, PreKeyBundle>, Error> {
    let mut bundles = HashMap::new();
    if devices.is_empty() {
        return Ok(bundles);
    }
    let request = FetchPreKeys {
        users: devices.iter().cloned().map(KeyRequest::new).collect(),
    };
    let answer = shared.iq(request.request()).await?;
    let users = FetchPreKeys::parse_response(&answer)
        .map_err(|e| Error::new(ErrorCode::Protocol, e.to_string()))?;
    for user in users {
        match user.bundle {
            Ok(b) => {
                let bundle = bundle_from_wire(
                    b.registration_id,
                    user.jid.device,
                    &b.identity,
                    &b.signed,
                    b.prekey.as_ref(),
                );
                bundles.insert(user.jid, bundle);
            }
            Err(err) => {
                tracing::warn!(session = %shared.id, device = %user.jid, %err, "no bundle");
            }
        }
    }
    Ok(bundles)
}

/// The payloads of one message.
#[derive(Debug, Default)]
pub(crate) struct Encrypted {
    /// One `<to>` per device that could be encrypted for.
    pub participants: Vec<DeviceEnc>,
    /// Whether any is a `pkmsg` (then `<device-identity>` must go along).
    pub any_pkmsg: bool,
}

/// Encrypts for each target inside `batch`: sessions are first built from `bundles`, then
/// `for_peer` (padded) goes to the recipient's devices and `for_own` to ours. A device that
/// fails (no session and no bundle, bad bundle signature) is skipped and logged.
pub(crate) async fn encrypt_all(
    batch: &SignalBatch,
    targets: &[Target],
    bundles: &HashMap<Jid, PreKeyBundle>,
    for_peer: &[u8],
    for_own: &[u8],
) -> Encrypted {
    let mut out = Encrypted::default();
    for target in targets {
        let address = ProtocolAddress::from_jid(&target.jid);
        // A concurrent send may have built the session since the bundle was fetched.
        let fresh = has_session(batch, &address).await.unwrap_or(false);
        if !fresh
            && let Some(bundle) = bundles.get(&target.jid)
            && let Err(err) = process_bundle(batch, &address, bundle, &mut rand::rngs::OsRng).await
        {
            tracing::warn!(device = %target.jid, %err, "bundle refused");
            continue;
        }
        let plaintext = if target.own { for_own } else { for_peer };
        match encrypt(batch, &address, plaintext).await {
            Ok((kind, ciphertext)) => {
                out.any_pkmsg |= kind == SignalType::PreKey;
                out.participants.push(DeviceEnc {
                    jid: target.jid.clone(),
                    enc: Enc::new(enc_kind(kind), ciphertext),
                });
            }
            Err(err) => tracing::warn!(device = %target.jid, %err, "not encrypted for device"),
        }
    }
    out
}
