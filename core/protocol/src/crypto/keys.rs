//! Curve25519 key pairs as WhatsApp and Signal use them (docs/PROTOCOL.md, Signal).

use rand_core::CryptoRngCore;
use x25519_dalek::{PublicKey, StaticSecret};

use super::xeddsa;

/// The type byte Signal prefixes to serialized Curve25519 public keys.
pub const DJB_TYPE: u8 = 0x05;

/// An X25519 key pair. The private key is stored clamped.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// Clamped private scalar bytes.
    pub private: [u8; 32],
    /// Montgomery-form public key.
    pub public: [u8; 32],
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("public", &hex_prefix(&self.public))
            .finish_non_exhaustive()
    }
}

fn hex_prefix(bytes: &[u8; 32]) -> String {
    bytes
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        + "…"
}

/// Clamps a Curve25519 private key (`k[0] &= 248; k[31] &= 127; k[31] |= 64`).
pub fn clamp(mut key: [u8; 32]) -> [u8; 32] {
    key[0] &= 248;
    key[31] &= 127;
    key[31] |= 64;
    key
}

impl KeyPair {
    /// A fresh random key pair.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut private = [0u8; 32];
        rng.fill_bytes(&mut private);
        Self::from_private(private)
    }

    /// The key pair for a private key (clamped first).
    pub fn from_private(private: [u8; 32]) -> Self {
        let private = clamp(private);
        let public = PublicKey::from(&StaticSecret::from(private)).to_bytes();
        KeyPair { private, public }
    }

    /// X25519 shared secret with a peer's public key.
    pub fn dh(&self, their_public: &[u8; 32]) -> [u8; 32] {
        StaticSecret::from(self.private)
            .diffie_hellman(&PublicKey::from(*their_public))
            .to_bytes()
    }

    /// XEdDSA signature of `message` (docs/PROTOCOL.md, Signal).
    pub fn sign(&self, message: &[u8], rng: &mut impl CryptoRngCore) -> [u8; 64] {
        let mut random = [0u8; 64];
        rng.fill_bytes(&mut random);
        xeddsa::sign(&self.private, message, &random)
    }

    /// The public key with Signal's `0x05` type prefix (33 bytes).
    pub fn public_with_type(&self) -> [u8; 33] {
        with_type(&self.public)
    }
}

/// A raw public key with Signal's `0x05` type prefix.
pub fn with_type(public: &[u8; 32]) -> [u8; 33] {
    let mut out = [0u8; 33];
    out[0] = DJB_TYPE;
    out[1..].copy_from_slice(public);
    out
}

/// Strips the `0x05` prefix from a 33-byte key, or accepts a raw 32-byte key.
pub fn without_type(key: &[u8]) -> Option<[u8; 32]> {
    match key {
        [DJB_TYPE, rest @ ..] if rest.len() == 32 => rest.try_into().ok(),
        raw if raw.len() == 32 => raw.try_into().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_md_public_keys() {
        // docs/PROTOCOL.md, Noise handshake, test vector: private keys of repeated bytes.
        let client_eph = KeyPair::from_private([0x11; 32]);
        assert_eq!(
            hex::encode(client_eph.public),
            "7b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f13"
        );
        let server_static = KeyPair::from_private([0x44; 32]);
        assert_eq!(
            hex::encode(server_static.public),
            "ff2ee45601ec1b67310c7790404585ae697331eee1c1f8cf2419731c1fff3e6b"
        );
    }

    #[test]
    fn dh_agrees() {
        let a = KeyPair::from_private([1; 32]);
        let b = KeyPair::from_private([2; 32]);
        assert_eq!(a.dh(&b.public), b.dh(&a.public));
    }

    #[test]
    fn type_prefix() {
        let key = [7u8; 32];
        assert_eq!(without_type(&with_type(&key)), Some(key));
        assert_eq!(without_type(&key), Some(key));
        assert_eq!(without_type(&[5u8; 31]), None);
        assert_eq!(without_type(&[6u8; 33]), None);
    }
}
