//! Double-ratchet session states and the per-address session record (docs/PROTOCOL.md, Signal).
//!
//! [`SessionRecord`] holds the current state and up to [`MAX_ARCHIVED_STATES`] archived ones.
//! Its operations work on a copy of the state they touch and write it back only on success,
//! so a rejected message (bad MAC, duplicate, too far ahead, garbage) changes nothing.

use std::collections::VecDeque;

use prost::Message;
use rand_core::CryptoRngCore;

use super::error::SignalError;
use super::keys::{IdentityKey, PreKeyRecord, SignedPreKeyRecord, key_pair_from};
use super::ratchet::{ChainKey, MessageKeys, aes_cbc_decrypt, aes_cbc_encrypt, root_step};
use super::wire::{MessageType, PreKeySignalMessage, SignalMessage};
use super::x3dh;
use super::{
    MAX_ARCHIVED_STATES, MAX_FORWARD_JUMP, MAX_RECEIVER_CHAINS, MAX_SKIPPED_KEYS, MESSAGE_VERSION,
};
use crate::crypto::KeyPair;
use crate::proto::signal_records as rec;

/// What an initiator keeps sending in PreKeySignalMessages until the responder replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PendingPreKey {
    pub pre_key_id: Option<u32>,
    pub signed_pre_key_id: u32,
    pub base_key: [u8; 32],
}

/// A receiving chain: the peer's ratchet key, our chain key for it and skipped message keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReceiverChain {
    pub ratchet_key: [u8; 32],
    pub chain_key: ChainKey,
    /// `(counter, message key seed)`, oldest first.
    pub skipped: VecDeque<(u32, [u8; 32])>,
}

/// One double-ratchet session with a peer device.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionState {
    pub(crate) local_identity: IdentityKey,
    pub(crate) remote_identity: IdentityKey,
    pub(crate) root_key: [u8; 32],
    pub(crate) previous_counter: u32,
    pub(crate) sender_ratchet: KeyPair,
    pub(crate) sender_chain: ChainKey,
    /// Oldest first; at most [`MAX_RECEIVER_CHAINS`].
    pub(crate) receiver_chains: Vec<ReceiverChain>,
    pub(crate) pending_pre_key: Option<PendingPreKey>,
    pub(crate) remote_registration_id: u32,
    pub(crate) local_registration_id: u32,
    /// The initiator's X3DH base key; identifies the session.
    pub(crate) base_key: [u8; 32],
}

impl std::fmt::Debug for SessionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionState")
            .field("remote_identity", &self.remote_identity)
            .field("sender_index", &self.sender_chain.index)
            .field("receiver_chains", &self.receiver_chains.len())
            .field("pending_pre_key", &self.pending_pre_key.is_some())
            .finish_non_exhaustive()
    }
}

impl SessionState {
    /// The peer's identity key.
    pub fn remote_identity(&self) -> IdentityKey {
        self.remote_identity
    }

    /// The peer's registration id.
    pub fn remote_registration_id(&self) -> u32 {
        self.remote_registration_id
    }

    /// Number of skipped message keys kept (bounded by [`MAX_SKIPPED_KEYS`]).
    pub fn skipped_key_count(&self) -> usize {
        self.receiver_chains.iter().map(|c| c.skipped.len()).sum()
    }

    /// Whether we still send PreKeySignalMessages (the peer has not replied yet).
    pub fn has_pending_pre_key(&self) -> bool {
        self.pending_pre_key.is_some()
    }

    fn encrypt(&mut self, plaintext: &[u8]) -> Result<(MessageType, Vec<u8>), SignalError> {
        let next_chain = self.sender_chain.next()?;
        let keys = MessageKeys::derive(&self.sender_chain.message_seed());
        let ciphertext = aes_cbc_encrypt(&keys.cipher_key, &keys.iv, plaintext);
        let message = SignalMessage::new(
            &keys.mac_key,
            &self.local_identity.0,
            &self.remote_identity.0,
            self.sender_ratchet.public,
            self.sender_chain.index,
            self.previous_counter,
            ciphertext,
        );
        self.sender_chain = next_chain;
        Ok(match &self.pending_pre_key {
            Some(pending) => {
                let pkmsg = PreKeySignalMessage::new(
                    self.local_registration_id,
                    pending.pre_key_id,
                    pending.signed_pre_key_id,
                    pending.base_key,
                    self.local_identity.0,
                    message,
                );
                (MessageType::PreKey, pkmsg.serialized().to_vec())
            }
            None => (MessageType::Whisper, message.serialized().to_vec()),
        })
    }

    /// Decrypts in place. Callers run this on a copy and keep it only on success.
    fn decrypt(
        &mut self,
        message: &SignalMessage,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Vec<u8>, SignalError> {
        let chain = match self
            .receiver_chains
            .iter()
            .position(|c| c.ratchet_key == message.ratchet_key)
        {
            Some(chain) => chain,
            None => self.ratchet_step(&message.ratchet_key, rng)?,
        };
        let seed = self.take_message_seed(chain, message.counter)?;
        let keys = MessageKeys::derive(&seed);
        if !message.verify_mac(
            &keys.mac_key,
            &self.remote_identity.0,
            &self.local_identity.0,
        ) {
            return Err(SignalError::BadMac);
        }
        let plaintext = aes_cbc_decrypt(&keys.cipher_key, &keys.iv, &message.ciphertext)?;
        self.pending_pre_key = None;
        Ok(plaintext)
    }

    /// A DH ratchet step for a new peer ratchet key; returns the new receiving chain's index.
    fn ratchet_step(
        &mut self,
        their_ratchet: &[u8; 32],
        rng: &mut impl CryptoRngCore,
    ) -> Result<usize, SignalError> {
        let (root, receiving) = root_step(&self.root_key, &self.sender_ratchet, their_ratchet);
        let ours = KeyPair::generate(rng);
        let (root, sending) = root_step(&root, &ours, their_ratchet);
        self.receiver_chains.push(ReceiverChain {
            ratchet_key: *their_ratchet,
            chain_key: receiving,
            skipped: VecDeque::new(),
        });
        if self.receiver_chains.len() > MAX_RECEIVER_CHAINS {
            self.receiver_chains.remove(0);
        }
        self.previous_counter = self.sender_chain.index.saturating_sub(1);
        self.root_key = root;
        self.sender_ratchet = ours;
        self.sender_chain = sending;
        Ok(self.receiver_chains.len().saturating_sub(1))
    }

    fn take_message_seed(&mut self, chain: usize, counter: u32) -> Result<[u8; 32], SignalError> {
        let receiver = self
            .receiver_chains
            .get_mut(chain)
            .ok_or(SignalError::NoMatchingState)?;
        let current = receiver.chain_key.index;
        if counter < current {
            let position = receiver
                .skipped
                .iter()
                .position(|(index, _)| *index == counter)
                .ok_or(SignalError::DuplicateMessage { counter })?;
            return receiver
                .skipped
                .remove(position)
                .map(|(_, seed)| seed)
                .ok_or(SignalError::DuplicateMessage { counter });
        }
        let jump = counter - current;
        if jump > MAX_FORWARD_JUMP {
            return Err(SignalError::TooFarInFuture {
                jump,
                limit: MAX_FORWARD_JUMP,
            });
        }
        let mut chain_key = receiver.chain_key.clone();
        while chain_key.index < counter {
            receiver
                .skipped
                .push_back((chain_key.index, chain_key.message_seed()));
            chain_key = chain_key.next()?;
        }
        let seed = chain_key.message_seed();
        receiver.chain_key = chain_key.next()?;
        self.bound_skipped_keys();
        Ok(seed)
    }

    /// Drops the oldest skipped keys (oldest chains first) beyond [`MAX_SKIPPED_KEYS`].
    fn bound_skipped_keys(&mut self) {
        let mut total: usize = self.receiver_chains.iter().map(|c| c.skipped.len()).sum();
        for chain in &mut self.receiver_chains {
            while total > MAX_SKIPPED_KEYS && chain.skipped.pop_front().is_some() {
                total -= 1;
            }
        }
    }

    fn to_proto(&self) -> rec::SessionState {
        let chain = |c: &ChainKey| rec::ChainKey {
            key: Some(c.key.to_vec()),
            index: Some(c.index),
        };
        rec::SessionState {
            version: Some(u32::from(MESSAGE_VERSION)),
            local_identity: Some(self.local_identity.0.to_vec()),
            remote_identity: Some(self.remote_identity.0.to_vec()),
            root_key: Some(self.root_key.to_vec()),
            previous_counter: Some(self.previous_counter),
            sender_ratchet_private: Some(self.sender_ratchet.private.to_vec()),
            sender_chain: Some(chain(&self.sender_chain)),
            receiver_chains: self
                .receiver_chains
                .iter()
                .map(|r| rec::ReceiverChain {
                    ratchet_key: Some(r.ratchet_key.to_vec()),
                    chain_key: Some(chain(&r.chain_key)),
                    skipped: skipped_to_proto(&r.skipped),
                })
                .collect(),
            pending_pre_key: self.pending_pre_key.as_ref().map(|p| rec::PendingPreKey {
                pre_key_id: p.pre_key_id,
                signed_pre_key_id: Some(p.signed_pre_key_id),
                base_key: Some(p.base_key.to_vec()),
            }),
            remote_registration_id: Some(self.remote_registration_id),
            local_registration_id: Some(self.local_registration_id),
            base_key: Some(self.base_key.to_vec()),
        }
    }

    fn from_proto(proto: rec::SessionState) -> Result<Self, SignalError> {
        if proto.version != Some(u32::from(MESSAGE_VERSION)) {
            return Err(SignalError::InvalidRecord("session version"));
        }
        if proto.receiver_chains.len() > MAX_RECEIVER_CHAINS {
            return Err(SignalError::InvalidRecord("too many receiver chains"));
        }
        let mut receiver_chains = Vec::with_capacity(proto.receiver_chains.len());
        let mut total_skipped = 0usize;
        for chain in proto.receiver_chains {
            let skipped = skipped_from_proto(chain.skipped)?;
            total_skipped += skipped.len();
            receiver_chains.push(ReceiverChain {
                ratchet_key: bytes32(chain.ratchet_key.as_deref(), "ratchet key")?,
                chain_key: chain_from_proto(chain.chain_key)?,
                skipped,
            });
        }
        if total_skipped > MAX_SKIPPED_KEYS {
            return Err(SignalError::InvalidRecord("too many skipped keys"));
        }
        let pending_pre_key = match proto.pending_pre_key {
            Some(p) => Some(PendingPreKey {
                pre_key_id: p.pre_key_id,
                signed_pre_key_id: p
                    .signed_pre_key_id
                    .ok_or(SignalError::InvalidRecord("pending signed prekey id"))?,
                base_key: bytes32(p.base_key.as_deref(), "pending base key")?,
            }),
            None => None,
        };
        Ok(SessionState {
            local_identity: IdentityKey(bytes32(proto.local_identity.as_deref(), "identity")?),
            remote_identity: IdentityKey(bytes32(proto.remote_identity.as_deref(), "identity")?),
            root_key: bytes32(proto.root_key.as_deref(), "root key")?,
            previous_counter: proto.previous_counter.unwrap_or(0),
            sender_ratchet: key_pair_from(proto.sender_ratchet_private.as_deref())?,
            sender_chain: chain_from_proto(proto.sender_chain)?,
            receiver_chains,
            pending_pre_key,
            remote_registration_id: proto.remote_registration_id.unwrap_or(0),
            local_registration_id: proto.local_registration_id.unwrap_or(0),
            base_key: bytes32(proto.base_key.as_deref(), "base key")?,
        })
    }
}

pub(crate) fn bytes32(value: Option<&[u8]>, what: &'static str) -> Result<[u8; 32], SignalError> {
    value
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .ok_or(SignalError::InvalidRecord(what))
}

pub(crate) fn chain_from_proto(chain: Option<rec::ChainKey>) -> Result<ChainKey, SignalError> {
    let chain = chain.ok_or(SignalError::InvalidRecord("chain key"))?;
    Ok(ChainKey {
        key: bytes32(chain.key.as_deref(), "chain key")?,
        index: chain.index.unwrap_or(0),
    })
}

pub(crate) fn skipped_to_proto(skipped: &VecDeque<(u32, [u8; 32])>) -> Vec<rec::SkippedKey> {
    skipped
        .iter()
        .map(|(index, seed)| rec::SkippedKey {
            index: Some(*index),
            seed: Some(seed.to_vec()),
        })
        .collect()
}

pub(crate) fn skipped_from_proto(
    skipped: Vec<rec::SkippedKey>,
) -> Result<VecDeque<(u32, [u8; 32])>, SignalError> {
    if skipped.len() > MAX_SKIPPED_KEYS {
        return Err(SignalError::InvalidRecord("too many skipped keys"));
    }
    skipped
        .into_iter()
        .map(|k| {
            Ok((
                k.index
                    .ok_or(SignalError::InvalidRecord("skipped key index"))?,
                bytes32(k.seed.as_deref(), "skipped key seed")?,
            ))
        })
        .collect()
}

/// All session states with one peer device: the current one and archived ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionRecord {
    current: Option<SessionState>,
    /// Newest first; at most [`MAX_ARCHIVED_STATES`].
    previous: VecDeque<SessionState>,
}

impl SessionRecord {
    /// An empty record (no session yet).
    pub fn new() -> Self {
        SessionRecord::default()
    }

    /// The current state, if any.
    pub fn current_state(&self) -> Option<&SessionState> {
        self.current.as_ref()
    }

    /// Number of archived states.
    pub fn archived_count(&self) -> usize {
        self.previous.len()
    }

    /// Makes `state` current and archives the previous current state.
    pub fn promote_state(&mut self, state: SessionState) {
        if let Some(old) = self.current.replace(state) {
            self.previous.push_front(old);
            self.previous.truncate(MAX_ARCHIVED_STATES);
        }
    }

    /// Archives the current state (the next message needs a new session).
    pub fn archive_current_state(&mut self) {
        if let Some(old) = self.current.take() {
            self.previous.push_front(old);
            self.previous.truncate(MAX_ARCHIVED_STATES);
        }
    }

    /// Whether any state (current or archived) was set up with this X3DH base key.
    pub fn has_state_with_base_key(&self, base_key: &[u8; 32]) -> bool {
        self.states().any(|s| &s.base_key == base_key)
    }

    fn states(&self) -> impl Iterator<Item = &SessionState> {
        self.current.iter().chain(self.previous.iter())
    }

    fn slot_with_base_key(&self, base_key: &[u8; 32]) -> Option<Slot> {
        if self
            .current
            .as_ref()
            .is_some_and(|s| &s.base_key == base_key)
        {
            return Some(Slot::Current);
        }
        self.previous
            .iter()
            .position(|s| &s.base_key == base_key)
            .map(Slot::Previous)
    }

    /// Starts a new session as the initiator from the peer's bundle (X3DH, after verifying
    /// the signed prekey signature); the previous current state is archived.
    pub fn initiate(
        &mut self,
        identity: &KeyPair,
        registration_id: u32,
        bundle: &super::PreKeyBundle,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(), SignalError> {
        let state = x3dh::initiator_state(identity, registration_id, bundle, rng)?;
        self.promote_state(state);
        Ok(())
    }

    /// Encrypts with the current state: a `pkmsg` until the peer has replied, then `msg`.
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<(MessageType, Vec<u8>), SignalError> {
        let state = self.current.as_mut().ok_or(SignalError::NoCurrentState)?;
        state.encrypt(plaintext)
    }

    /// Decrypts a SignalMessage with the current state, then with archived states (an
    /// archived state that decrypts becomes current again). Returns the plaintext and the
    /// sender's identity.
    pub fn decrypt(
        &mut self,
        message: &SignalMessage,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(Vec<u8>, IdentityKey), SignalError> {
        let mut first_error = None;
        if let Some(current) = &self.current {
            let mut attempt = current.clone();
            match attempt.decrypt(message, rng) {
                Ok(plaintext) => {
                    let identity = attempt.remote_identity;
                    self.current = Some(attempt);
                    return Ok((plaintext, identity));
                }
                Err(e @ SignalError::DuplicateMessage { .. }) => return Err(e),
                Err(e) => first_error = Some(e),
            }
        }
        for index in 0..self.previous.len() {
            let Some(state) = self.previous.get(index) else {
                break;
            };
            let mut attempt = state.clone();
            match attempt.decrypt(message, rng) {
                Ok(plaintext) => {
                    let identity = attempt.remote_identity;
                    self.previous.remove(index);
                    self.promote_state(attempt);
                    return Ok((plaintext, identity));
                }
                Err(e @ SignalError::DuplicateMessage { .. }) => return Err(e),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or(SignalError::NoMatchingState))
    }

    /// Decrypts a PreKeySignalMessage as the responder. If a state with its base key exists,
    /// it is used (the initiator re-sent before seeing our reply); otherwise X3DH runs with our
    /// keys, a new state becomes current and the old current one is archived. Returns the
    /// plaintext and the one-time prekey id that was consumed (to be removed from the store).
    pub fn decrypt_pre_key_message(
        &mut self,
        message: &PreKeySignalMessage,
        ours: ResponderKeys<'_>,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(Vec<u8>, Option<u32>), SignalError> {
        if let Some(slot) = self.slot_with_base_key(&message.base_key) {
            let state = match slot {
                Slot::Current => self.current.as_ref(),
                Slot::Previous(index) => self.previous.get(index),
            }
            .ok_or(SignalError::NoMatchingState)?;
            let mut attempt = state.clone();
            let plaintext = attempt.decrypt(&message.message, rng)?;
            match slot {
                Slot::Current => self.current = Some(attempt),
                Slot::Previous(index) => {
                    self.previous.remove(index);
                    self.promote_state(attempt);
                }
            }
            return Ok((plaintext, None));
        }
        let signed = ours
            .signed_pre_key
            .filter(|k| k.id == message.signed_pre_key_id)
            .ok_or(SignalError::UnknownSignedPreKey(message.signed_pre_key_id))?;
        let one_time = match message.pre_key_id {
            Some(id) => Some(
                ours.pre_key
                    .filter(|k| k.id == id)
                    .ok_or(SignalError::UnknownPreKey(id))?,
            ),
            None => None,
        };
        let mut state = x3dh::responder_state(
            ours.identity,
            ours.registration_id,
            signed,
            one_time,
            message,
        );
        let plaintext = state.decrypt(&message.message, rng)?;
        self.promote_state(state);
        Ok((plaintext, message.pre_key_id))
    }

    /// Storage bytes.
    pub fn serialize(&self) -> Vec<u8> {
        rec::SessionRecord {
            current: self.current.as_ref().map(SessionState::to_proto),
            previous: self.previous.iter().map(SessionState::to_proto).collect(),
        }
        .encode_to_vec()
    }

    /// Parses storage bytes, enforcing every bound.
    pub fn deserialize(bytes: &[u8]) -> Result<Self, SignalError> {
        let proto = rec::SessionRecord::decode(bytes)?;
        if proto.previous.len() > MAX_ARCHIVED_STATES {
            return Err(SignalError::InvalidRecord("too many archived states"));
        }
        Ok(SessionRecord {
            current: proto.current.map(SessionState::from_proto).transpose()?,
            previous: proto
                .previous
                .into_iter()
                .map(SessionState::from_proto)
                .collect::<Result<_, _>>()?,
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    Current,
    Previous(usize),
}

/// Our keys a responder needs for a PreKeySignalMessage.
#[derive(Debug, Clone, Copy)]
pub struct ResponderKeys<'a> {
    /// Our identity key pair.
    pub identity: &'a KeyPair,
    /// Our registration id.
    pub registration_id: u32,
    /// The signed prekey the message names (if we have it).
    pub signed_pre_key: Option<&'a SignedPreKeyRecord>,
    /// The one-time prekey the message names (if any and if we have it).
    pub pre_key: Option<&'a PreKeyRecord>,
}
