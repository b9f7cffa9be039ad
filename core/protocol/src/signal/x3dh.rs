//! X3DH session setup, initiator and responder sides (docs/PROTOCOL.md, Signal).

use std::collections::VecDeque;

use rand_core::CryptoRngCore;

use super::error::SignalError;
use super::keys::{IdentityKey, PreKeyBundle, PreKeyRecord, SignedPreKeyRecord};
use super::ratchet::{ChainKey, root_step, split_root_chain};
use super::session::{PendingPreKey, ReceiverChain, SessionState};
use super::wire::PreKeySignalMessage;
use crate::crypto::KeyPair;
use crate::crypto::kdf::hkdf_sha256;

/// `HKDF(salt = 0^32, FF^32 ‖ dh…, "WhisperText", 64)` → root key, chain key.
fn derive_initial(agreements: &[[u8; 32]]) -> ([u8; 32], ChainKey) {
    let mut master = Vec::with_capacity(32 * (agreements.len() + 1));
    master.extend_from_slice(&[0xFF; 32]);
    for agreement in agreements {
        master.extend_from_slice(agreement);
    }
    let okm: [u8; 64] = hkdf_sha256(&master, None, b"WhisperText");
    split_root_chain(&okm)
}

/// Alice's side: a new session state from Bob's bundle. Verifies the signed prekey signature.
pub(crate) fn initiator_state(
    identity: &KeyPair,
    registration_id: u32,
    bundle: &PreKeyBundle,
    rng: &mut impl CryptoRngCore,
) -> Result<SessionState, SignalError> {
    if !bundle.verify_signature() {
        return Err(SignalError::InvalidSignature("signed prekey"));
    }
    let base = KeyPair::generate(rng);
    let mut agreements = vec![
        identity.dh(&bundle.signed_pre_key),
        base.dh(&bundle.identity_key.0),
        base.dh(&bundle.signed_pre_key),
    ];
    if let Some((_, one_time)) = &bundle.pre_key {
        agreements.push(base.dh(one_time));
    }
    let (root, chain) = derive_initial(&agreements);
    let sending_ratchet = KeyPair::generate(rng);
    let (root, sending_chain) = root_step(&root, &sending_ratchet, &bundle.signed_pre_key);
    Ok(SessionState {
        local_identity: IdentityKey::from(identity),
        remote_identity: bundle.identity_key,
        root_key: root,
        previous_counter: 0,
        sender_ratchet: sending_ratchet,
        sender_chain: sending_chain,
        receiver_chains: vec![ReceiverChain {
            ratchet_key: bundle.signed_pre_key,
            chain_key: chain,
            skipped: VecDeque::new(),
        }],
        pending_pre_key: Some(PendingPreKey {
            pre_key_id: bundle.pre_key.map(|(id, _)| id),
            signed_pre_key_id: bundle.signed_pre_key_id,
            base_key: base.public,
        }),
        remote_registration_id: bundle.registration_id,
        local_registration_id: registration_id,
        base_key: base.public,
    })
}

/// Bob's side: a new session state from Alice's PreKeySignalMessage and our prekeys. The
/// enclosed message is not decrypted here.
pub(crate) fn responder_state(
    identity: &KeyPair,
    registration_id: u32,
    signed_pre_key: &SignedPreKeyRecord,
    one_time: Option<&PreKeyRecord>,
    message: &PreKeySignalMessage,
) -> SessionState {
    let spk = &signed_pre_key.key_pair;
    let mut agreements = vec![
        spk.dh(&message.identity_key),
        identity.dh(&message.base_key),
        spk.dh(&message.base_key),
    ];
    if let Some(one_time) = one_time {
        agreements.push(one_time.key_pair.dh(&message.base_key));
    }
    let (root, chain) = derive_initial(&agreements);
    SessionState {
        local_identity: IdentityKey::from(identity),
        remote_identity: IdentityKey(message.identity_key),
        root_key: root,
        previous_counter: 0,
        sender_ratchet: spk.clone(),
        sender_chain: chain,
        receiver_chains: Vec::new(),
        pending_pre_key: None,
        remote_registration_id: message.registration_id,
        local_registration_id: registration_id,
        base_key: message.base_key,
    }
}
