//! The sealed payloads of media re-upload requests (docs/PROTOCOL.md, Media): AES-256-GCM with
//! a key derived from the media key, the message id as associated data.
//!
//! The request carries `ServerErrorReceipt { stanzaId = 1 }`; the answer
//! `MediaRetryNotification { stanzaId = 1, directPath = 2, result = 3 }` with result
//! 0 general error, 1 success, 2 not found, 3 decryption error.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use thiserror::Error;

use crate::crypto::kdf::hkdf_sha256;

/// The HKDF info of the sealing key.
pub const RETRY_INFO: &str = "WhatsApp Media Retry Notification";

/// `ServerErrorReceipt` (waMmsRetry): the request's sealed payload.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ServerErrorReceipt {
    /// The message id.
    #[prost(string, optional, tag = "1")]
    pub stanza_id: Option<String>,
}

/// `MediaRetryNotification` (waMmsRetry): the answer's sealed payload.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MediaRetryResult {
    /// The message id.
    #[prost(string, optional, tag = "1")]
    pub stanza_id: Option<String>,
    /// The new direct path of the re-uploaded blob.
    #[prost(string, optional, tag = "2")]
    pub direct_path: Option<String>,
    /// [`RESULT_SUCCESS`] and friends.
    #[prost(int32, optional, tag = "3")]
    pub result: Option<i32>,
}

/// `result`: re-uploaded.
pub const RESULT_SUCCESS: i32 = 1;
/// `result`: the phone does not have the media.
pub const RESULT_NOT_FOUND: i32 = 2;

/// A sealed payload could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RetrySealError {
    /// The nonce is not 12 bytes.
    #[error("the nonce is {0} bytes, expected 12")]
    NonceLength(usize),
    /// Wrong key, wrong message id, or tampered ciphertext.
    #[error("the sealed payload does not authenticate")]
    Authentication,
}

/// The sealing key of a media key.
pub fn retry_key(media_key: &[u8; 32]) -> [u8; 32] {
    hkdf_sha256(media_key, None, RETRY_INFO.as_bytes())
}

fn cipher(media_key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new(&retry_key(media_key).into())
}

/// Seals `plaintext` for message `message_id` with nonce `iv`.
pub fn seal(media_key: &[u8; 32], message_id: &str, iv: &[u8; 12], plaintext: &[u8]) -> Vec<u8> {
    let payload = Payload {
        msg: plaintext,
        aad: message_id.as_bytes(),
    };
    // AES-GCM encryption fails only for inputs over 64 GiB.
    cipher(media_key)
        .encrypt(Nonce::from_slice(iv), payload)
        .unwrap_or_default()
}

/// Opens a payload sealed by [`seal`].
pub fn open(
    media_key: &[u8; 32],
    message_id: &str,
    iv: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, RetrySealError> {
    if iv.len() != 12 {
        return Err(RetrySealError::NonceLength(iv.len()));
    }
    let payload = Payload {
        msg: ciphertext,
        aad: message_id.as_bytes(),
    };
    cipher(media_key)
        .decrypt(Nonce::from_slice(iv), payload)
        .map_err(|_| RetrySealError::Authentication)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;

    #[test]
    fn sealed_payloads_open_only_with_the_same_key_and_id() {
        let key = [7u8; 32];
        let iv = [1u8; 12];
        let request = ServerErrorReceipt {
            stanza_id: Some("3EB0".into()),
        }
        .encode_to_vec();
        let sealed = seal(&key, "3EB0", &iv, &request);
        assert_eq!(sealed.len(), request.len() + 16);
        let opened = open(&key, "3EB0", &iv, &sealed).unwrap();
        assert_eq!(
            ServerErrorReceipt::decode(opened.as_slice())
                .unwrap()
                .stanza_id
                .as_deref(),
            Some("3EB0")
        );
        assert_eq!(
            open(&key, "OTHER", &iv, &sealed),
            Err(RetrySealError::Authentication)
        );
        assert_eq!(
            open(&[8; 32], "3EB0", &iv, &sealed),
            Err(RetrySealError::Authentication)
        );
        assert_eq!(
            open(&key, "3EB0", &iv[..11], &sealed),
            Err(RetrySealError::NonceLength(11))
        );
        // The key is HKDF(media key, info) and differs from the media keys' expansion.
        assert_ne!(retry_key(&key), retry_key(&[8; 32]));
    }
}
