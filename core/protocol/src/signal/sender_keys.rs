//! Sender keys for group messages (docs/PROTOCOL.md, Signal).
//!
//! A [`SenderKeyRecord`] holds the states of one sender in one group (newest first, at most
//! [`MAX_SENDER_KEY_STATES`]). Our own record has the private signing key; records learned
//! from distribution messages only the public one.

use std::collections::VecDeque;

use prost::Message;
use rand_core::CryptoRngCore;

use super::error::SignalError;
use super::ratchet::{ChainKey, aes_cbc_decrypt, aes_cbc_encrypt, sender_message_keys};
use super::session::{bytes32, chain_from_proto, skipped_from_proto, skipped_to_proto};
use super::wire::{SenderKeyDistributionMessage, SenderKeyMessage};
use super::{MAX_SENDER_KEY_JUMP, MAX_SENDER_KEY_STATES, MAX_SENDER_SKIPPED_KEYS};
use crate::crypto::KeyPair;
use crate::proto::signal_records as rec;

/// One sender key chain with its signing key.
#[derive(Clone, PartialEq, Eq)]
pub struct SenderKeyState {
    key_id: u32,
    chain: ChainKey,
    signing_public: [u8; 32],
    signing_private: Option<[u8; 32]>,
    /// `(iteration, seed)`, oldest first.
    skipped: VecDeque<(u32, [u8; 32])>,
}

impl std::fmt::Debug for SenderKeyState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SenderKeyState")
            .field("key_id", &self.key_id)
            .field("iteration", &self.chain.index)
            .field("skipped", &self.skipped.len())
            .field("ours", &self.signing_private.is_some())
            .finish_non_exhaustive()
    }
}

impl SenderKeyState {
    /// The key id.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The iteration of the next message on this chain.
    pub fn iteration(&self) -> u32 {
        self.chain.index
    }

    /// Number of skipped message keys kept (bounded by [`MAX_SENDER_SKIPPED_KEYS`]).
    pub fn skipped_key_count(&self) -> usize {
        self.skipped.len()
    }

    fn take_seed(&mut self, iteration: u32) -> Result<[u8; 32], SignalError> {
        let current = self.chain.index;
        if iteration < current {
            let position = self
                .skipped
                .iter()
                .position(|(i, _)| *i == iteration)
                .ok_or(SignalError::DuplicateMessage { counter: iteration })?;
            return self
                .skipped
                .remove(position)
                .map(|(_, seed)| seed)
                .ok_or(SignalError::DuplicateMessage { counter: iteration });
        }
        let jump = iteration - current;
        if jump > MAX_SENDER_KEY_JUMP {
            return Err(SignalError::TooFarInFuture {
                jump,
                limit: MAX_SENDER_KEY_JUMP,
            });
        }
        let mut chain = self.chain.clone();
        while chain.index < iteration {
            self.skipped.push_back((chain.index, chain.message_seed()));
            if self.skipped.len() > MAX_SENDER_SKIPPED_KEYS {
                self.skipped.pop_front();
            }
            chain = chain.next()?;
        }
        let seed = chain.message_seed();
        self.chain = chain.next()?;
        Ok(seed)
    }

    fn to_proto(&self) -> rec::SenderKeyState {
        rec::SenderKeyState {
            key_id: Some(self.key_id),
            chain_key: Some(rec::ChainKey {
                key: Some(self.chain.key.to_vec()),
                index: Some(self.chain.index),
            }),
            signing_public: Some(self.signing_public.to_vec()),
            signing_private: self.signing_private.map(|k| k.to_vec()),
            skipped: skipped_to_proto(&self.skipped),
        }
    }

    fn from_proto(proto: rec::SenderKeyState) -> Result<Self, SignalError> {
        if proto.skipped.len() > MAX_SENDER_SKIPPED_KEYS {
            return Err(SignalError::InvalidRecord("too many sender skipped keys"));
        }
        Ok(SenderKeyState {
            key_id: proto
                .key_id
                .ok_or(SignalError::InvalidRecord("sender key id"))?,
            chain: chain_from_proto(proto.chain_key)?,
            signing_public: bytes32(proto.signing_public.as_deref(), "signing key")?,
            signing_private: proto
                .signing_private
                .map(|k| bytes32(Some(&k), "signing private key"))
                .transpose()?,
            skipped: skipped_from_proto(proto.skipped)?,
        })
    }
}

/// All sender key states of one sender in one group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderKeyRecord {
    /// Newest first.
    states: VecDeque<SenderKeyState>,
}

impl SenderKeyRecord {
    /// An empty record.
    pub fn new() -> Self {
        SenderKeyRecord::default()
    }

    /// Whether the record has no state.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// The newest state.
    pub fn current_state(&self) -> Option<&SenderKeyState> {
        self.states.front()
    }

    /// Replaces every state with a fresh one of ours (random 31-bit key id, random chain key,
    /// new signing key pair). Used to create our sender key and to rotate it.
    pub fn create_own_state(&mut self, rng: &mut impl CryptoRngCore) {
        let mut chain = [0u8; 32];
        rng.fill_bytes(&mut chain);
        let signing = KeyPair::generate(rng);
        self.states.clear();
        self.states.push_front(SenderKeyState {
            key_id: rng.next_u32() & 0x7FFF_FFFF,
            chain: ChainKey::new(chain),
            signing_public: signing.public,
            signing_private: Some(signing.private),
            skipped: VecDeque::new(),
        });
    }

    /// The distribution message for the newest state (its current chain key and iteration).
    pub fn distribution_message(&self) -> Result<SenderKeyDistributionMessage, SignalError> {
        let state = self.states.front().ok_or(SignalError::NoCurrentState)?;
        Ok(SenderKeyDistributionMessage::new(
            state.key_id,
            state.chain.index,
            state.chain.key,
            state.signing_public,
        ))
    }

    /// Adds the state a distribution message describes. A message for a key id we already
    /// have with the same signing key is ignored (it must not rewind the chain); one with a
    /// different signing key replaces that state.
    pub fn process_distribution(&mut self, message: &SenderKeyDistributionMessage) {
        if let Some(position) = self.states.iter().position(|s| s.key_id == message.key_id) {
            if self
                .states
                .get(position)
                .is_some_and(|s| s.signing_public == message.signing_key)
            {
                return;
            }
            self.states.remove(position);
        }
        self.states.push_front(SenderKeyState {
            key_id: message.key_id,
            chain: ChainKey {
                key: message.chain_key,
                index: message.iteration,
            },
            signing_public: message.signing_key,
            signing_private: None,
            skipped: VecDeque::new(),
        });
        self.states.truncate(MAX_SENDER_KEY_STATES);
    }

    /// Encrypts a group message with our newest state (`0x33 ‖ protobuf ‖ signature`).
    pub fn encrypt(
        &mut self,
        plaintext: &[u8],
        rng: &mut impl CryptoRngCore,
    ) -> Result<Vec<u8>, SignalError> {
        let state = self.states.front_mut().ok_or(SignalError::NoCurrentState)?;
        let signing_private = state.signing_private.ok_or(SignalError::NotOurSenderKey)?;
        let next = state.chain.next()?;
        let (iv, key) = sender_message_keys(&state.chain.message_seed());
        let ciphertext = aes_cbc_encrypt(&key, &iv, plaintext);
        let message = SenderKeyMessage::new(
            state.key_id,
            state.chain.index,
            ciphertext,
            &signing_private,
            rng,
        );
        state.chain = next;
        Ok(message.serialized().to_vec())
    }

    /// Decrypts a group message: finds the state by key id, checks the signature, derives the
    /// key for its iteration (storing skipped keys) and decrypts. Unchanged on any error.
    pub fn decrypt(&mut self, bytes: &[u8]) -> Result<Vec<u8>, SignalError> {
        let message = SenderKeyMessage::decode(bytes)?;
        let position = self
            .states
            .iter()
            .position(|s| s.key_id == message.key_id)
            .ok_or(SignalError::UnknownSenderKeyId(message.key_id))?;
        let state = self
            .states
            .get(position)
            .ok_or(SignalError::UnknownSenderKeyId(message.key_id))?;
        if !message.verify_signature(&state.signing_public) {
            return Err(SignalError::InvalidSignature("sender key message"));
        }
        let mut attempt = state.clone();
        let seed = attempt.take_seed(message.iteration)?;
        let (iv, key) = sender_message_keys(&seed);
        let plaintext = aes_cbc_decrypt(&key, &iv, &message.ciphertext)?;
        if let Some(slot) = self.states.get_mut(position) {
            *slot = attempt;
        }
        Ok(plaintext)
    }

    /// Storage bytes.
    pub fn serialize(&self) -> Vec<u8> {
        rec::SenderKeyRecord {
            states: self.states.iter().map(SenderKeyState::to_proto).collect(),
        }
        .encode_to_vec()
    }

    /// Parses storage bytes, enforcing every bound.
    pub fn deserialize(bytes: &[u8]) -> Result<Self, SignalError> {
        let proto = rec::SenderKeyRecord::decode(bytes)?;
        if proto.states.len() > MAX_SENDER_KEY_STATES {
            return Err(SignalError::InvalidRecord("too many sender key states"));
        }
        Ok(SenderKeyRecord {
            states: proto
                .states
                .into_iter()
                .map(SenderKeyState::from_proto)
                .collect::<Result<_, _>>()?,
        })
    }
}
