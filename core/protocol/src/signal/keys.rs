//! Identity keys, prekeys and prekey bundles (docs/PROTOCOL.md, Prekeys and Signal).

use prost::Message;
use rand_core::CryptoRngCore;

use super::error::SignalError;
use crate::crypto::keys::{with_type, without_type};
use crate::crypto::{KeyPair, xeddsa};
use crate::proto::signal_records as rec;

/// A peer's long-term identity public key (raw 32-byte Montgomery form).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdentityKey(pub [u8; 32]);

impl IdentityKey {
    /// The key with Signal's 0x05 type prefix, as it appears inside Signal messages.
    pub fn serialize(&self) -> [u8; 33] {
        with_type(&self.0)
    }

    /// Parses a 33-byte 0x05-typed key or a raw 32-byte key.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        without_type(bytes).map(IdentityKey)
    }

    /// Verifies an XEdDSA signature made with this identity.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        xeddsa::verify_slice(&self.0, message, signature)
    }
}

impl std::fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdentityKey(")?;
        for b in self.0.iter().take(6) {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

impl From<&KeyPair> for IdentityKey {
    fn from(pair: &KeyPair) -> Self {
        IdentityKey(pair.public)
    }
}

/// A random registration id in 1..=16380 (libsignal's range).
pub fn generate_registration_id(rng: &mut impl CryptoRngCore) -> u32 {
    (rng.next_u32() % 16380) + 1
}

/// A one-time prekey we issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreKeyRecord {
    /// Prekey id (24 bits on the WhatsApp wire).
    pub id: u32,
    /// The key pair.
    pub key_pair: KeyPair,
}

impl PreKeyRecord {
    /// A fresh random prekey.
    pub fn generate(id: u32, rng: &mut impl CryptoRngCore) -> Self {
        PreKeyRecord {
            id,
            key_pair: KeyPair::generate(rng),
        }
    }

    /// `count` fresh prekeys with consecutive ids from `start`, wrapping within 24 bits and
    /// skipping id 0.
    pub fn generate_batch(start: u32, count: u32, rng: &mut impl CryptoRngCore) -> Vec<Self> {
        (0..count)
            .map(|i| {
                let id = (start.wrapping_add(i).wrapping_sub(1) % 0xFF_FFFF) + 1;
                PreKeyRecord::generate(id, rng)
            })
            .collect()
    }

    /// Storage bytes.
    pub fn serialize(&self) -> Vec<u8> {
        rec::PreKeyRecord {
            id: Some(self.id),
            private_key: Some(self.key_pair.private.to_vec()),
        }
        .encode_to_vec()
    }

    /// Parses storage bytes.
    pub fn deserialize(bytes: &[u8]) -> Result<Self, SignalError> {
        let proto = rec::PreKeyRecord::decode(bytes)?;
        Ok(PreKeyRecord {
            id: proto.id.ok_or(SignalError::InvalidRecord("prekey id"))?,
            key_pair: key_pair_from(proto.private_key.as_deref())?,
        })
    }
}

/// A signed prekey we issued: its public key is signed by our identity key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPreKeyRecord {
    /// Signed prekey id (24 bits on the WhatsApp wire).
    pub id: u32,
    /// The key pair.
    pub key_pair: KeyPair,
    /// XEdDSA signature by the identity key over `05 ‖ public`.
    pub signature: [u8; 64],
    /// Creation time (seconds since the epoch), supplied by the caller.
    pub timestamp: u64,
}

impl SignedPreKeyRecord {
    /// A fresh signed prekey, signed by `identity`.
    pub fn generate(
        id: u32,
        identity: &KeyPair,
        timestamp: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Self {
        let key_pair = KeyPair::generate(rng);
        let signature = identity.sign(&key_pair.public_with_type(), rng);
        SignedPreKeyRecord {
            id,
            key_pair,
            signature,
            timestamp,
        }
    }

    /// Storage bytes.
    pub fn serialize(&self) -> Vec<u8> {
        rec::SignedPreKeyRecord {
            id: Some(self.id),
            private_key: Some(self.key_pair.private.to_vec()),
            signature: Some(self.signature.to_vec()),
            timestamp: Some(self.timestamp),
        }
        .encode_to_vec()
    }

    /// Parses storage bytes.
    pub fn deserialize(bytes: &[u8]) -> Result<Self, SignalError> {
        let proto = rec::SignedPreKeyRecord::decode(bytes)?;
        Ok(SignedPreKeyRecord {
            id: proto
                .id
                .ok_or(SignalError::InvalidRecord("signed prekey id"))?,
            key_pair: key_pair_from(proto.private_key.as_deref())?,
            signature: proto
                .signature
                .as_deref()
                .and_then(|s| <[u8; 64]>::try_from(s).ok())
                .ok_or(SignalError::InvalidRecord("signed prekey signature"))?,
            timestamp: proto.timestamp.unwrap_or(0),
        })
    }
}

pub(crate) fn key_pair_from(private: Option<&[u8]>) -> Result<KeyPair, SignalError> {
    private
        .and_then(|p| <[u8; 32]>::try_from(p).ok())
        .map(KeyPair::from_private)
        .ok_or(SignalError::InvalidRecord("private key"))
}

/// What a peer publishes so others can start a session with it (docs/PROTOCOL.md, Prekeys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreKeyBundle {
    /// The peer's registration id.
    pub registration_id: u32,
    /// The peer's device id.
    pub device_id: u32,
    /// The peer's identity key.
    pub identity_key: IdentityKey,
    /// Signed prekey id.
    pub signed_pre_key_id: u32,
    /// Signed prekey public key (raw 32 bytes).
    pub signed_pre_key: [u8; 32],
    /// Identity signature over `05 ‖ signed_pre_key`.
    pub signed_pre_key_signature: [u8; 64],
    /// One-time prekey (id, raw public key), when the server had one left.
    pub pre_key: Option<(u32, [u8; 32])>,
}

impl PreKeyBundle {
    /// Our own bundle, as we would upload it.
    pub fn new(
        registration_id: u32,
        device_id: u32,
        identity: &KeyPair,
        signed_pre_key: &SignedPreKeyRecord,
        pre_key: Option<&PreKeyRecord>,
    ) -> Self {
        PreKeyBundle {
            registration_id,
            device_id,
            identity_key: IdentityKey::from(identity),
            signed_pre_key_id: signed_pre_key.id,
            signed_pre_key: signed_pre_key.key_pair.public,
            signed_pre_key_signature: signed_pre_key.signature,
            pre_key: pre_key.map(|p| (p.id, p.key_pair.public)),
        }
    }

    /// Whether the signed prekey signature verifies against the identity key.
    pub fn verify_signature(&self) -> bool {
        self.identity_key.verify(
            &with_type(&self.signed_pre_key),
            &self.signed_pre_key_signature,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn records_round_trip_and_bundle_signature() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let identity = KeyPair::generate(&mut rng);
        let spk = SignedPreKeyRecord::generate(7, &identity, 1_700_000_000, &mut rng);
        assert_eq!(
            SignedPreKeyRecord::deserialize(&spk.serialize()).unwrap(),
            spk
        );
        let pk = PreKeyRecord::generate(9, &mut rng);
        assert_eq!(PreKeyRecord::deserialize(&pk.serialize()).unwrap(), pk);
        let mut bundle = PreKeyBundle::new(5, 1, &identity, &spk, Some(&pk));
        assert!(bundle.verify_signature());
        bundle.signed_pre_key_signature[3] ^= 1;
        assert!(!bundle.verify_signature());
        assert!(PreKeyRecord::deserialize(&[0x12, 0x01, 0x00]).is_err());
    }

    #[test]
    fn prekey_batch_ids_wrap_and_skip_zero() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let ids: Vec<u32> = PreKeyRecord::generate_batch(0xFF_FFFE, 3, &mut rng)
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(ids, vec![0xFF_FFFE, 0xFF_FFFF, 1]);
        for _ in 0..100 {
            let id = generate_registration_id(&mut rng);
            assert!((1..=16380).contains(&id));
        }
    }
}
