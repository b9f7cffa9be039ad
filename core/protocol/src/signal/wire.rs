//! Signal wire messages, byte-compatible with libsignal (docs/PROTOCOL.md, Signal).
//!
//! Each is `0x33 ‖ protobuf`, followed by an 8-byte MAC (SignalMessage) or a 64-byte XEdDSA
//! signature (SenderKeyMessage). Decoders keep the exact received bytes, because MACs and
//! signatures cover them as sent.

use prost::Message;
use rand_core::CryptoRngCore;

use super::error::SignalError;
use super::{MESSAGE_VERSION, VERSION_BYTE};
use crate::crypto::kdf::{hmac_sha256, hmac_sha256_verify};
use crate::crypto::keys::{with_type, without_type};
use crate::crypto::xeddsa;
use crate::proto::signal as pb;

/// Length of the truncated SignalMessage MAC.
pub const MAC_LEN: usize = 8;
/// Length of a SenderKeyMessage signature.
pub const SIGNATURE_LEN: usize = 64;

/// The `type` attribute of an `<enc>` node carrying a 1:1 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// `pkmsg`: a PreKeySignalMessage (session not yet acknowledged by the peer).
    PreKey,
    /// `msg`: a SignalMessage.
    Whisper,
}

impl MessageType {
    /// The `<enc type>` value.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::PreKey => "pkmsg",
            MessageType::Whisper => "msg",
        }
    }

    /// Parses an `<enc type>` value (`pkmsg` or `msg`).
    pub fn from_enc_type(value: &str) -> Option<Self> {
        match value {
            "pkmsg" => Some(MessageType::PreKey),
            "msg" => Some(MessageType::Whisper),
            _ => None,
        }
    }
}

fn split_version(bytes: &[u8]) -> Result<&[u8], SignalError> {
    let (&version, rest) = bytes.split_first().ok_or(SignalError::Truncated)?;
    if version >> 4 != MESSAGE_VERSION {
        return Err(SignalError::UnsupportedVersion(version));
    }
    Ok(rest)
}

/// Splits `version ‖ body ‖ tail` (a MAC or signature of `tail_len` bytes) and returns the body.
fn split_body(bytes: &[u8], tail_len: usize) -> Result<&[u8], SignalError> {
    let rest = split_version(bytes)?;
    let body_len = rest
        .len()
        .checked_sub(tail_len)
        .ok_or(SignalError::Truncated)?;
    rest.get(..body_len).ok_or(SignalError::Truncated)
}

fn key_field(value: Option<&[u8]>, name: &'static str) -> Result<[u8; 32], SignalError> {
    let bytes = value.ok_or(SignalError::MissingField(name))?;
    without_type(bytes).ok_or(SignalError::InvalidKey(name))
}

/// A SignalMessage (`msg`): one double-ratchet message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalMessage {
    /// The sender's current ratchet public key (raw).
    pub ratchet_key: [u8; 32],
    /// Index of this message in the sender's chain.
    pub counter: u32,
    /// Length hint of the sender's previous chain.
    pub previous_counter: u32,
    /// AES-256-CBC ciphertext.
    pub ciphertext: Vec<u8>,
    serialized: Vec<u8>,
}

impl SignalMessage {
    /// Builds and MACs a message. `mac_key` is the message's MAC key; the MAC covers
    /// `sender_identity(33) ‖ receiver_identity(33) ‖ 0x33 ‖ protobuf`.
    pub(crate) fn new(
        mac_key: &[u8; 32],
        sender_identity: &[u8; 32],
        receiver_identity: &[u8; 32],
        ratchet_key: [u8; 32],
        counter: u32,
        previous_counter: u32,
        ciphertext: Vec<u8>,
    ) -> Self {
        let proto = pb::SignalMessage {
            ratchet_key: Some(with_type(&ratchet_key).to_vec()),
            counter: Some(counter),
            previous_counter: Some(previous_counter),
            ciphertext: Some(ciphertext.clone()),
        };
        let mut serialized = Vec::with_capacity(proto.encoded_len() + 1 + MAC_LEN);
        serialized.push(VERSION_BYTE);
        serialized.extend_from_slice(&proto.encode_to_vec());
        let mac = hmac_sha256(
            mac_key,
            &[
                &with_type(sender_identity),
                &with_type(receiver_identity),
                &serialized,
            ],
        );
        serialized.extend_from_slice(&mac[..MAC_LEN]);
        SignalMessage {
            ratchet_key,
            counter,
            previous_counter,
            ciphertext,
            serialized,
        }
    }

    /// Parses `0x33 ‖ protobuf ‖ MAC(8)`.
    pub fn decode(bytes: &[u8]) -> Result<Self, SignalError> {
        let body = split_body(bytes, MAC_LEN)?;
        let proto = pb::SignalMessage::decode(body)?;
        Ok(SignalMessage {
            ratchet_key: key_field(proto.ratchet_key.as_deref(), "ratchet_key")?,
            counter: proto.counter.ok_or(SignalError::MissingField("counter"))?,
            previous_counter: proto.previous_counter.unwrap_or(0),
            ciphertext: proto
                .ciphertext
                .ok_or(SignalError::MissingField("ciphertext"))?,
            serialized: bytes.to_vec(),
        })
    }

    /// Checks the MAC with the message's MAC key and both identities.
    pub(crate) fn verify_mac(
        &self,
        mac_key: &[u8; 32],
        sender_identity: &[u8; 32],
        receiver_identity: &[u8; 32],
    ) -> bool {
        let Some((body, mac)) = self
            .serialized
            .split_at_checked(self.serialized.len().saturating_sub(MAC_LEN))
        else {
            return false;
        };
        hmac_sha256_verify(
            mac_key,
            &[
                &with_type(sender_identity),
                &with_type(receiver_identity),
                body,
            ],
            mac,
        )
    }

    /// The exact wire bytes.
    pub fn serialized(&self) -> &[u8] {
        &self.serialized
    }
}

/// A PreKeySignalMessage (`pkmsg`): a SignalMessage plus what the responder needs for X3DH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreKeySignalMessage {
    /// The sender's registration id.
    pub registration_id: u32,
    /// The one-time prekey the sender used, if any.
    pub pre_key_id: Option<u32>,
    /// The signed prekey the sender used.
    pub signed_pre_key_id: u32,
    /// The sender's X3DH base (ephemeral) key.
    pub base_key: [u8; 32],
    /// The sender's identity key.
    pub identity_key: [u8; 32],
    /// The enclosed first message(s) of the session.
    pub message: SignalMessage,
    serialized: Vec<u8>,
}

impl PreKeySignalMessage {
    pub(crate) fn new(
        registration_id: u32,
        pre_key_id: Option<u32>,
        signed_pre_key_id: u32,
        base_key: [u8; 32],
        identity_key: [u8; 32],
        message: SignalMessage,
    ) -> Self {
        let proto = pb::PreKeySignalMessage {
            pre_key_id,
            base_key: Some(with_type(&base_key).to_vec()),
            identity_key: Some(with_type(&identity_key).to_vec()),
            message: Some(message.serialized.clone()),
            registration_id: Some(registration_id),
            signed_pre_key_id: Some(signed_pre_key_id),
        };
        let mut serialized = Vec::with_capacity(proto.encoded_len() + 1);
        serialized.push(VERSION_BYTE);
        serialized.extend_from_slice(&proto.encode_to_vec());
        PreKeySignalMessage {
            registration_id,
            pre_key_id,
            signed_pre_key_id,
            base_key,
            identity_key,
            message,
            serialized,
        }
    }

    /// Parses `0x33 ‖ protobuf` (the inner SignalMessage is parsed too).
    pub fn decode(bytes: &[u8]) -> Result<Self, SignalError> {
        let body = split_version(bytes)?;
        let proto = pb::PreKeySignalMessage::decode(body)?;
        let inner = proto
            .message
            .as_deref()
            .ok_or(SignalError::MissingField("message"))?;
        Ok(PreKeySignalMessage {
            registration_id: proto.registration_id.unwrap_or(0),
            pre_key_id: proto.pre_key_id,
            signed_pre_key_id: proto
                .signed_pre_key_id
                .ok_or(SignalError::MissingField("signed_pre_key_id"))?,
            base_key: key_field(proto.base_key.as_deref(), "base_key")?,
            identity_key: key_field(proto.identity_key.as_deref(), "identity_key")?,
            message: SignalMessage::decode(inner)?,
            serialized: bytes.to_vec(),
        })
    }

    /// The exact wire bytes.
    pub fn serialized(&self) -> &[u8] {
        &self.serialized
    }
}

/// A SenderKeyMessage (`skmsg`): one group message, signed by the sender's signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderKeyMessage {
    /// The sender key state id.
    pub key_id: u32,
    /// The chain iteration of this message.
    pub iteration: u32,
    /// AES-256-CBC ciphertext.
    pub ciphertext: Vec<u8>,
    serialized: Vec<u8>,
}

impl SenderKeyMessage {
    pub(crate) fn new(
        key_id: u32,
        iteration: u32,
        ciphertext: Vec<u8>,
        signing_private: &[u8; 32],
        rng: &mut impl CryptoRngCore,
    ) -> Self {
        let proto = pb::SenderKeyMessage {
            id: Some(key_id),
            iteration: Some(iteration),
            ciphertext: Some(ciphertext.clone()),
        };
        let mut serialized = Vec::with_capacity(proto.encoded_len() + 1 + SIGNATURE_LEN);
        serialized.push(VERSION_BYTE);
        serialized.extend_from_slice(&proto.encode_to_vec());
        let mut random = [0u8; 64];
        rng.fill_bytes(&mut random);
        let signature = xeddsa::sign(signing_private, &serialized, &random);
        serialized.extend_from_slice(&signature);
        SenderKeyMessage {
            key_id,
            iteration,
            ciphertext,
            serialized,
        }
    }

    /// Parses `0x33 ‖ protobuf ‖ signature(64)` (the signature is checked separately).
    pub fn decode(bytes: &[u8]) -> Result<Self, SignalError> {
        let body = split_body(bytes, SIGNATURE_LEN)?;
        let proto = pb::SenderKeyMessage::decode(body)?;
        Ok(SenderKeyMessage {
            key_id: proto.id.ok_or(SignalError::MissingField("id"))?,
            iteration: proto
                .iteration
                .ok_or(SignalError::MissingField("iteration"))?,
            ciphertext: proto
                .ciphertext
                .ok_or(SignalError::MissingField("ciphertext"))?,
            serialized: bytes.to_vec(),
        })
    }

    /// Whether the signature verifies against the sender's signing key.
    pub fn verify_signature(&self, signing_public: &[u8; 32]) -> bool {
        match self
            .serialized
            .split_at_checked(self.serialized.len().saturating_sub(SIGNATURE_LEN))
        {
            Some((body, signature)) => xeddsa::verify_slice(signing_public, body, signature),
            None => false,
        }
    }

    /// The exact wire bytes.
    pub fn serialized(&self) -> &[u8] {
        &self.serialized
    }
}

/// A SenderKeyDistributionMessage: hands a sender key state to a group member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderKeyDistributionMessage {
    /// The sender key state id.
    pub key_id: u32,
    /// The chain iteration `chain_key` belongs to.
    pub iteration: u32,
    /// The chain key at `iteration`.
    pub chain_key: [u8; 32],
    /// The sender's signing public key (raw).
    pub signing_key: [u8; 32],
    serialized: Vec<u8>,
}

impl SenderKeyDistributionMessage {
    /// Builds `0x33 ‖ protobuf`.
    pub fn new(key_id: u32, iteration: u32, chain_key: [u8; 32], signing_key: [u8; 32]) -> Self {
        let proto = pb::SenderKeyDistributionMessage {
            id: Some(key_id),
            iteration: Some(iteration),
            chain_key: Some(chain_key.to_vec()),
            signing_key: Some(with_type(&signing_key).to_vec()),
        };
        let mut serialized = Vec::with_capacity(proto.encoded_len() + 1);
        serialized.push(VERSION_BYTE);
        serialized.extend_from_slice(&proto.encode_to_vec());
        SenderKeyDistributionMessage {
            key_id,
            iteration,
            chain_key,
            signing_key,
            serialized,
        }
    }

    /// Parses `0x33 ‖ protobuf`.
    pub fn decode(bytes: &[u8]) -> Result<Self, SignalError> {
        let body = split_version(bytes)?;
        let proto = pb::SenderKeyDistributionMessage::decode(body)?;
        Ok(SenderKeyDistributionMessage {
            key_id: proto.id.ok_or(SignalError::MissingField("id"))?,
            iteration: proto
                .iteration
                .ok_or(SignalError::MissingField("iteration"))?,
            chain_key: proto
                .chain_key
                .as_deref()
                .ok_or(SignalError::MissingField("chain_key"))
                .and_then(|k| {
                    <[u8; 32]>::try_from(k).map_err(|_| SignalError::InvalidKey("chain_key"))
                })?,
            signing_key: key_field(proto.signing_key.as_deref(), "signing_key")?,
            serialized: bytes.to_vec(),
        })
    }

    /// The exact wire bytes.
    pub fn serialized(&self) -> &[u8] {
        &self.serialized
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn signal_message_layout_and_mac() {
        let mac_key = [1u8; 32];
        let msg = SignalMessage::new(&mac_key, &[2; 32], &[3; 32], [4; 32], 5, 6, vec![7; 16]);
        let bytes = msg.serialized();
        assert_eq!(bytes[0], 0x33);
        // protobuf: field 1 (33 bytes, starting with 0x05), then counter 5, previous 6.
        assert_eq!(&bytes[1..4], &[0x0a, 33, 0x05]);
        assert_eq!(&bytes[36..40], &[0x10, 5, 0x18, 6]);
        assert_eq!(bytes.len(), 1 + 35 + 4 + 18 + 8);
        let expected = hmac_sha256(
            &mac_key,
            &[
                &with_type(&[2; 32]),
                &with_type(&[3; 32]),
                &bytes[..bytes.len() - 8],
            ],
        );
        assert_eq!(&bytes[bytes.len() - 8..], &expected[..8]);
        let parsed = SignalMessage::decode(bytes).unwrap();
        assert_eq!(parsed, msg);
        assert!(parsed.verify_mac(&mac_key, &[2; 32], &[3; 32]));
        assert!(!parsed.verify_mac(&mac_key, &[3; 32], &[2; 32]));
    }

    #[test]
    fn decoders_reject_bad_input() {
        assert!(matches!(
            SignalMessage::decode(&[]),
            Err(SignalError::Truncated)
        ));
        assert!(matches!(
            SignalMessage::decode(&[0x33, 1, 2]),
            Err(SignalError::Truncated)
        ));
        assert!(matches!(
            SignalMessage::decode(&[0x23, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(SignalError::UnsupportedVersion(0x23))
        ));
        assert!(matches!(
            SignalMessage::decode(&[0x33, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(SignalError::MissingField("ratchet_key"))
        ));
        assert!(matches!(
            SenderKeyMessage::decode(&[0x33; 64]),
            Err(SignalError::Truncated)
        ));
        assert!(PreKeySignalMessage::decode(&[0x33, 0xff]).is_err());
        assert!(SenderKeyDistributionMessage::decode(&[0x33]).is_err());
    }

    #[test]
    fn sender_key_messages_round_trip() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let signing = crate::crypto::KeyPair::generate(&mut rng);
        let msg = SenderKeyMessage::new(77, 3, vec![9; 32], &signing.private, &mut rng);
        let parsed = SenderKeyMessage::decode(msg.serialized()).unwrap();
        assert_eq!(parsed, msg);
        assert!(parsed.verify_signature(&signing.public));
        let mut tampered = msg.serialized().to_vec();
        let inside_ciphertext = tampered.len() - SIGNATURE_LEN - 3;
        tampered[inside_ciphertext] ^= 1;
        let tampered = SenderKeyMessage::decode(&tampered).unwrap();
        assert!(!tampered.verify_signature(&signing.public));

        let skdm = SenderKeyDistributionMessage::new(77, 9, [1; 32], signing.public);
        assert_eq!(skdm.serialized()[0], 0x33);
        assert_eq!(
            SenderKeyDistributionMessage::decode(skdm.serialized()).unwrap(),
            skdm
        );
    }
}
