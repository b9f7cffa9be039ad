//! Key derivation of the double ratchet and sender key chains (docs/PROTOCOL.md, Signal).

use aes::Aes256;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};

use super::error::SignalError;
use crate::crypto::KeyPair;
use crate::crypto::kdf::{hkdf_sha256, hmac_sha256};

/// A symmetric chain key and the index of the next message it yields.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ChainKey {
    pub key: [u8; 32],
    pub index: u32,
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainKey")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl ChainKey {
    pub fn new(key: [u8; 32]) -> Self {
        ChainKey { key, index: 0 }
    }

    /// The message key seed for message `index`: HMAC-SHA256(chainKey, 01).
    pub fn message_seed(&self) -> [u8; 32] {
        hmac_sha256(&self.key, &[&[0x01]])
    }

    /// The next chain key: HMAC-SHA256(chainKey, 02).
    pub fn next(&self) -> Result<ChainKey, SignalError> {
        Ok(ChainKey {
            key: hmac_sha256(&self.key, &[&[0x02]]),
            index: self
                .index
                .checked_add(1)
                .ok_or(SignalError::CounterOverflow)?,
        })
    }
}

/// The keys of one SignalMessage.
pub(crate) struct MessageKeys {
    pub cipher_key: [u8; 32],
    pub mac_key: [u8; 32],
    pub iv: [u8; 16],
}

impl MessageKeys {
    /// HKDF(seed, "WhisperMessageKeys", 80) → cipher key ‖ MAC key ‖ IV.
    pub fn derive(seed: &[u8; 32]) -> Self {
        let okm: [u8; 80] = hkdf_sha256(seed, None, b"WhisperMessageKeys");
        let mut keys = MessageKeys {
            cipher_key: [0; 32],
            mac_key: [0; 32],
            iv: [0; 16],
        };
        keys.cipher_key.copy_from_slice(&okm[..32]);
        keys.mac_key.copy_from_slice(&okm[32..64]);
        keys.iv.copy_from_slice(&okm[64..]);
        keys
    }
}

/// The keys of one sender key message: HKDF(seed, "WhisperGroup", 48) → IV(16) ‖ key(32).
pub(crate) fn sender_message_keys(seed: &[u8; 32]) -> ([u8; 16], [u8; 32]) {
    let okm: [u8; 48] = hkdf_sha256(seed, None, b"WhisperGroup");
    let mut iv = [0u8; 16];
    let mut key = [0u8; 32];
    iv.copy_from_slice(&okm[..16]);
    key.copy_from_slice(&okm[16..]);
    (iv, key)
}

/// One root-ratchet step: HKDF(salt = root, DH(ours, theirs), "WhisperRatchet", 64).
pub(crate) fn root_step(
    root_key: &[u8; 32],
    ours: &KeyPair,
    theirs: &[u8; 32],
) -> ([u8; 32], ChainKey) {
    let okm: [u8; 64] = hkdf_sha256(&ours.dh(theirs), Some(root_key), b"WhisperRatchet");
    split_root_chain(&okm)
}

/// Splits 64 bytes into a root key and a fresh chain key.
pub(crate) fn split_root_chain(okm: &[u8; 64]) -> ([u8; 32], ChainKey) {
    let mut root = [0u8; 32];
    let mut chain = [0u8; 32];
    root.copy_from_slice(&okm[..32]);
    chain.copy_from_slice(&okm[32..]);
    (root, ChainKey::new(chain))
}

/// AES-256-CBC with PKCS#7 padding.
pub(crate) fn aes_cbc_encrypt(key: &[u8; 32], iv: &[u8; 16], plaintext: &[u8]) -> Vec<u8> {
    cbc::Encryptor::<Aes256>::new(key.into(), iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plaintext)
}

/// AES-256-CBC decryption; bad length or padding is [`SignalError::BadCiphertext`].
pub(crate) fn aes_cbc_decrypt(
    key: &[u8; 32],
    iv: &[u8; 16],
    ciphertext: &[u8],
) -> Result<Vec<u8>, SignalError> {
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
        return Err(SignalError::BadCiphertext);
    }
    cbc::Decryptor::<Aes256>::new(key.into(), iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .map_err(|_| SignalError::BadCiphertext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbc_round_trip_and_rejects() {
        let key = [3u8; 32];
        let iv = [4u8; 16];
        for len in [0usize, 1, 15, 16, 17, 100] {
            let pt = vec![0xabu8; len];
            let ct = aes_cbc_encrypt(&key, &iv, &pt);
            assert_eq!(ct.len(), (len / 16 + 1) * 16);
            assert_eq!(aes_cbc_decrypt(&key, &iv, &ct).unwrap(), pt);
        }
        assert!(aes_cbc_decrypt(&key, &iv, &[]).is_err());
        assert!(aes_cbc_decrypt(&key, &iv, &[0; 15]).is_err());
        let ct = aes_cbc_encrypt(&key, &iv, b"x");
        assert!(aes_cbc_decrypt(&[4u8; 32], &iv, &ct).is_err());
    }

    #[test]
    fn chain_steps() {
        let chain = ChainKey::new([7; 32]);
        let next = chain.next().unwrap();
        assert_eq!(next.index, 1);
        assert_ne!(next.key, chain.key);
        assert_ne!(chain.message_seed(), next.message_seed());
        let last = ChainKey {
            key: [0; 32],
            index: u32::MAX,
        };
        assert!(matches!(last.next(), Err(SignalError::CounterOverflow)));
    }
}
