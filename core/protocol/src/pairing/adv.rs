//! ADV device identities: what the phone signs for a new companion and what the companion checks
//! and countersigns (docs/PROTOCOL.md, Pairing).
//!
//! Phone side: [`issue_device_identity`] builds the `<device-identity>` content of
//! `<pair-success>`; [`verify_companion_reply`] checks the companion's `<pair-device-sign>` reply.
//! Companion side: [`accept_pair_success`] checks the HMAC and account signature, countersigns,
//! and returns the reply bytes plus what must be stored.

use prost::Message;
use rand_core::CryptoRngCore;
use thiserror::Error;

use crate::crypto::KeyPair;
use crate::crypto::kdf::{hmac_sha256, hmac_sha256_verify};
use crate::crypto::xeddsa;
use crate::proto::adv::{
    AdvDeviceIdentity, AdvEncryptionType, AdvSignedDeviceIdentity, AdvSignedDeviceIdentityHmac,
};

/// Prefix of the message the account (phone) key signs for an end-to-end encrypted device.
pub const ACCOUNT_SIGNATURE_PREFIX: [u8; 2] = [6, 0];
/// Prefix of the message the account key signs for a hosted device.
pub const HOSTED_ACCOUNT_SIGNATURE_PREFIX: [u8; 2] = [6, 5];
/// Prefix of the message the companion signs with its identity key.
pub const DEVICE_SIGNATURE_PREFIX: [u8; 2] = [6, 1];
/// Prefix of the companion's signed message for a hosted device (whatsapp-rust).
pub const HOSTED_DEVICE_SIGNATURE_PREFIX: [u8; 2] = [6, 6];
/// Prefix of the HMAC input when the container's account type is hosted.
pub const HOSTED_HMAC_PREFIX: [u8; 2] = [6, 5];

/// Why an ADV structure was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AdvError {
    /// A protobuf layer could not be decoded.
    #[error("malformed {message}: {source}")]
    Malformed {
        /// Which message failed to decode.
        message: &'static str,
        /// The decoder's error.
        #[source]
        source: prost::DecodeError,
    },
    /// A field that must be present is absent.
    #[error("{message} lacks {field}")]
    MissingField {
        /// The message missing the field.
        message: &'static str,
        /// The absent field.
        field: &'static str,
    },
    /// A key or signature has the wrong length.
    #[error("{field} must be {expected} bytes, got {actual}")]
    BadLength {
        /// The offending field.
        field: &'static str,
        /// The required length.
        expected: usize,
        /// The length found.
        actual: usize,
    },
    /// The HMAC over the signed identity does not match the adv secret.
    #[error("device identity HMAC mismatch")]
    HmacMismatch,
    /// The account signature does not verify with the account signature key.
    #[error("account signature mismatch")]
    SignatureMismatch,
    /// The account signature key differs from the one the caller expected.
    #[error("account signature key is not the expected key")]
    UnexpectedAccountKey,
    /// The companion's device signature does not verify.
    #[error("device signature mismatch")]
    DeviceSignatureMismatch,
    /// The companion's reply does not carry the identity the phone issued.
    #[error("reply does not match the issued device identity")]
    ReplyMismatch,
}

impl AdvError {
    /// The iq error `(code, text)` a companion answers `<pair-success>` with (whatsmeow's values).
    pub fn iq_error(&self) -> (u16, &'static str) {
        match self {
            AdvError::HmacMismatch
            | AdvError::SignatureMismatch
            | AdvError::UnexpectedAccountKey
            | AdvError::DeviceSignatureMismatch => (401, "not-authorized"),
            _ => (500, "internal-error"),
        }
    }
}

fn is_hosted(kind: Option<i32>) -> bool {
    kind == Some(AdvEncryptionType::Hosted as i32)
}

fn decode<M: Message + Default>(message: &'static str, bytes: &[u8]) -> Result<M, AdvError> {
    M::decode(bytes).map_err(|source| AdvError::Malformed { message, source })
}

fn required<'a>(
    field: Option<&'a Vec<u8>>,
    message: &'static str,
    name: &'static str,
) -> Result<&'a [u8], AdvError> {
    field.map(Vec::as_slice).ok_or(AdvError::MissingField {
        message,
        field: name,
    })
}

fn fixed<const N: usize>(bytes: &[u8], field: &'static str) -> Result<[u8; N], AdvError> {
    bytes.try_into().map_err(|_| AdvError::BadLength {
        field,
        expected: N,
        actual: bytes.len(),
    })
}

/// The message the account key signs: `06 00 ‖ details ‖ companion identity` (`06 05` hosted).
pub fn account_signature_message(
    details: &[u8],
    companion_identity: &[u8; 32],
    hosted: bool,
) -> Vec<u8> {
    let prefix = if hosted {
        HOSTED_ACCOUNT_SIGNATURE_PREFIX
    } else {
        ACCOUNT_SIGNATURE_PREFIX
    };
    [&prefix[..], details, companion_identity].concat()
}

/// The message the companion signs:
/// `06 01 ‖ details ‖ companion identity ‖ account signature key` (`06 06` hosted).
pub fn device_signature_message(
    details: &[u8],
    companion_identity: &[u8; 32],
    account_key: &[u8; 32],
    hosted: bool,
) -> Vec<u8> {
    let prefix = if hosted {
        HOSTED_DEVICE_SIGNATURE_PREFIX
    } else {
        DEVICE_SIGNATURE_PREFIX
    };
    [&prefix[..], details, companion_identity, account_key].concat()
}

/// HMAC-SHA256 of a serialized ADVSignedDeviceIdentity under the adv secret (`06 05` prefix when
/// the container's account type is hosted).
pub fn identity_hmac(adv_secret: &[u8; 32], signed_identity: &[u8], hosted: bool) -> [u8; 32] {
    if hosted {
        hmac_sha256(adv_secret, &[&HOSTED_HMAC_PREFIX, signed_identity])
    } else {
        hmac_sha256(adv_secret, &[signed_identity])
    }
}

/// Serializes a signed identity, with or without its `accountSignatureKey`. The companion's
/// pairing reply omits the key; `<device-identity>` nodes of pkmsg messages include it.
pub fn encode_signed_identity(
    identity: &AdvSignedDeviceIdentity,
    include_account_key: bool,
) -> Vec<u8> {
    if include_account_key {
        identity.encode_to_vec()
    } else {
        AdvSignedDeviceIdentity {
            account_signature_key: None,
            ..identity.clone()
        }
        .encode_to_vec()
    }
}

/// A device identity as issued by the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedDeviceIdentity {
    /// Content of `<pair-success><device-identity>`: a serialized ADVSignedDeviceIdentityHMAC.
    pub container: Vec<u8>,
    /// The signed identity inside the container (account key and account signature set).
    pub signed: AdvSignedDeviceIdentity,
}

/// Phone side: signs `details` for the companion whose identity key is `companion_identity`,
/// and wraps it with the HMAC under the adv secret from the QR code or pairing code.
///
/// The account signature prefix follows `details.device_type`; the HMAC prefix follows
/// `details.account_type` (also copied into the container).
pub fn issue_device_identity(
    details: &AdvDeviceIdentity,
    account: &KeyPair,
    companion_identity: &[u8; 32],
    adv_secret: &[u8; 32],
    rng: &mut impl CryptoRngCore,
) -> IssuedDeviceIdentity {
    let details_bytes = details.encode_to_vec();
    let message = account_signature_message(
        &details_bytes,
        companion_identity,
        is_hosted(details.device_type),
    );
    let signed = AdvSignedDeviceIdentity {
        details: Some(details_bytes),
        account_signature_key: Some(account.public.to_vec()),
        account_signature: Some(account.sign(&message, rng).to_vec()),
        device_signature: None,
    };
    let signed_bytes = signed.encode_to_vec();
    let account_hosted = is_hosted(details.account_type);
    let container = AdvSignedDeviceIdentityHmac {
        hmac: Some(identity_hmac(adv_secret, &signed_bytes, account_hosted).to_vec()),
        details: Some(signed_bytes),
        account_type: Some(
            details
                .account_type
                .unwrap_or(AdvEncryptionType::E2ee as i32),
        ),
    };
    IssuedDeviceIdentity {
        container: container.encode_to_vec(),
        signed,
    }
}

/// What a companion keeps after accepting `<pair-success>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedPairing {
    /// The whole signed identity (account key, account signature, device signature): store it as
    /// the "account" and send it in `<device-identity>` of pkmsg messages.
    pub account: AdvSignedDeviceIdentity,
    /// The decoded details the phone asserted.
    pub details: AdvDeviceIdentity,
    /// `details.key_index`, for the reply's `key-index` attribute.
    pub key_index: u32,
    /// The phone's account identity key: the trusted Signal identity of the primary device.
    pub account_signature_key: [u8; 32],
    /// Content of `<pair-device-sign><device-identity>`: the signed identity re-serialized without
    /// `accountSignatureKey`.
    pub reply: Vec<u8>,
}

/// Companion side: verifies the `<device-identity>` content of `<pair-success>` and countersigns.
///
/// Steps (docs/PROTOCOL.md, Pairing): constant-time HMAC check with the adv secret; decode; account
/// signature check against the key carried in the message (and, if `expected_account_key` is
/// given, that the key is that one); device signature with the companion identity key.
pub fn accept_pair_success(
    container: &[u8],
    adv_secret: &[u8; 32],
    companion_identity: &KeyPair,
    expected_account_key: Option<&[u8; 32]>,
    rng: &mut impl CryptoRngCore,
) -> Result<AcceptedPairing, AdvError> {
    const CONTAINER: &str = "ADVSignedDeviceIdentityHMAC";
    const SIGNED: &str = "ADVSignedDeviceIdentity";
    let container: AdvSignedDeviceIdentityHmac = decode(CONTAINER, container)?;
    let signed_bytes = required(container.details.as_ref(), CONTAINER, "details")?;
    let hmac = required(container.hmac.as_ref(), CONTAINER, "hmac")?;
    let hmac_input: &[&[u8]] = if is_hosted(container.account_type) {
        &[&HOSTED_HMAC_PREFIX, signed_bytes]
    } else {
        &[signed_bytes]
    };
    if hmac.len() != 32 || !hmac_sha256_verify(adv_secret, hmac_input, hmac) {
        return Err(AdvError::HmacMismatch);
    }

    let mut signed: AdvSignedDeviceIdentity = decode(SIGNED, signed_bytes)?;
    let details_bytes = required(signed.details.as_ref(), SIGNED, "details")?;
    let details: AdvDeviceIdentity = decode("ADVDeviceIdentity", details_bytes)?;
    let account_key: [u8; 32] = fixed(
        required(
            signed.account_signature_key.as_ref(),
            SIGNED,
            "accountSignatureKey",
        )?,
        "accountSignatureKey",
    )?;
    let account_signature: [u8; 64] = fixed(
        required(
            signed.account_signature.as_ref(),
            SIGNED,
            "accountSignature",
        )?,
        "accountSignature",
    )?;
    let hosted = is_hosted(details.device_type);
    let message = account_signature_message(details_bytes, &companion_identity.public, hosted);
    if !xeddsa::verify(&account_key, &message, &account_signature) {
        return Err(AdvError::SignatureMismatch);
    }
    if expected_account_key.is_some_and(|expected| expected != &account_key) {
        return Err(AdvError::UnexpectedAccountKey);
    }

    let to_sign = device_signature_message(
        details_bytes,
        &companion_identity.public,
        &account_key,
        hosted,
    );
    signed.device_signature = Some(companion_identity.sign(&to_sign, rng).to_vec());
    let reply = encode_signed_identity(&signed, false);
    Ok(AcceptedPairing {
        account: signed,
        key_index: details.key_index.unwrap_or(0),
        details,
        account_signature_key: account_key,
        reply,
    })
}

/// A companion's reply as checked by the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCompanion {
    /// The complete signed identity (account key restored, device signature verified).
    pub account: AdvSignedDeviceIdentity,
    /// The details the phone issued.
    pub details: AdvDeviceIdentity,
}

/// Phone side: checks the companion's `<pair-device-sign><device-identity>` content against the
/// identity the phone issued: same details and account signature, and a device signature that
/// verifies with the companion's identity key.
pub fn verify_companion_reply(
    reply: &[u8],
    issued: &AdvSignedDeviceIdentity,
    companion_identity: &[u8; 32],
) -> Result<VerifiedCompanion, AdvError> {
    const SIGNED: &str = "ADVSignedDeviceIdentity";
    let replied: AdvSignedDeviceIdentity = decode(SIGNED, reply)?;
    if replied.details != issued.details || replied.account_signature != issued.account_signature {
        return Err(AdvError::ReplyMismatch);
    }
    if replied
        .account_signature_key
        .as_ref()
        .is_some_and(|key| Some(key) != issued.account_signature_key.as_ref())
    {
        return Err(AdvError::ReplyMismatch);
    }
    let details_bytes = required(issued.details.as_ref(), SIGNED, "details")?;
    let details: AdvDeviceIdentity = decode("ADVDeviceIdentity", details_bytes)?;
    let account_key: [u8; 32] = fixed(
        required(
            issued.account_signature_key.as_ref(),
            SIGNED,
            "accountSignatureKey",
        )?,
        "accountSignatureKey",
    )?;
    let device_signature: [u8; 64] = fixed(
        required(replied.device_signature.as_ref(), SIGNED, "deviceSignature")?,
        "deviceSignature",
    )?;
    // Hosted devices sign with `06 06` in whatsapp-rust but `06 01` in Baileys: accept both.
    let hosted = is_hosted(details.device_type);
    let verifies = |hosted_prefix: bool| {
        let message = device_signature_message(
            details_bytes,
            companion_identity,
            &account_key,
            hosted_prefix,
        );
        xeddsa::verify(companion_identity, &message, &device_signature)
    };
    if !(verifies(hosted) || (hosted && verifies(false))) {
        return Err(AdvError::DeviceSignatureMismatch);
    }
    Ok(VerifiedCompanion {
        account: AdvSignedDeviceIdentity {
            account_signature_key: issued.account_signature_key.clone(),
            ..replied
        },
        details,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    struct Setup {
        rng: StdRng,
        account: KeyPair,
        companion: KeyPair,
        adv_secret: [u8; 32],
        details: AdvDeviceIdentity,
    }

    fn setup(hosted: bool) -> Setup {
        let mut rng = StdRng::seed_from_u64(7);
        let kind = if hosted {
            AdvEncryptionType::Hosted
        } else {
            AdvEncryptionType::E2ee
        } as i32;
        Setup {
            account: KeyPair::generate(&mut rng),
            companion: KeyPair::generate(&mut rng),
            adv_secret: [0x5a; 32],
            details: AdvDeviceIdentity {
                raw_id: Some(123_456),
                timestamp: Some(1_764_000_000),
                key_index: Some(3),
                account_type: Some(kind),
                device_type: Some(kind),
            },
            rng,
        }
    }

    fn issue(s: &mut Setup) -> IssuedDeviceIdentity {
        issue_device_identity(
            &s.details,
            &s.account,
            &s.companion.public,
            &s.adv_secret,
            &mut s.rng,
        )
    }

    fn full_exchange(hosted: bool) {
        let mut s = setup(hosted);
        let issued = issue(&mut s);
        let accepted = accept_pair_success(
            &issued.container,
            &s.adv_secret,
            &s.companion,
            Some(&s.account.public),
            &mut s.rng,
        )
        .unwrap();
        assert_eq!(accepted.key_index, 3);
        assert_eq!(accepted.details, s.details);
        assert_eq!(accepted.account_signature_key, s.account.public);
        assert_eq!(
            accepted.account.account_signature_key.as_deref(),
            Some(&s.account.public[..])
        );
        // The reply omits the account key but keeps everything else.
        let reply = AdvSignedDeviceIdentity::decode(accepted.reply.as_slice()).unwrap();
        assert_eq!(reply.account_signature_key, None);
        assert_eq!(reply.details, issued.signed.details);
        assert_eq!(reply.account_signature, issued.signed.account_signature);
        assert_eq!(reply.device_signature.as_ref().map(Vec::len), Some(64));

        let verified =
            verify_companion_reply(&accepted.reply, &issued.signed, &s.companion.public).unwrap();
        assert_eq!(verified.account, accepted.account);
        assert_eq!(verified.details, s.details);
    }

    #[test]
    fn e2ee_exchange_both_sides() {
        full_exchange(false);
    }

    #[test]
    fn hosted_exchange_both_sides() {
        full_exchange(true);
    }

    #[test]
    fn container_layout_and_prefixes() {
        let mut s = setup(false);
        let issued = issue(&mut s);
        let container = AdvSignedDeviceIdentityHmac::decode(issued.container.as_slice()).unwrap();
        let signed_bytes = container.details.unwrap();
        assert_eq!(signed_bytes, issued.signed.encode_to_vec());
        assert_eq!(container.account_type, Some(0));
        assert_eq!(
            container.hmac.unwrap(),
            hmac_sha256(&s.adv_secret, &[&signed_bytes]).to_vec()
        );
        let details = issued.signed.details.clone().unwrap();
        let mut message = vec![6, 0];
        message.extend_from_slice(&details);
        message.extend_from_slice(&s.companion.public);
        let signature: [u8; 64] = issued
            .signed
            .account_signature
            .clone()
            .unwrap()
            .try_into()
            .unwrap();
        assert!(xeddsa::verify(&s.account.public, &message, &signature));

        let mut h = setup(true);
        let issued = issue(&mut h);
        let container = AdvSignedDeviceIdentityHmac::decode(issued.container.as_slice()).unwrap();
        let signed_bytes = container.details.unwrap();
        assert_eq!(container.account_type, Some(1));
        assert_eq!(
            container.hmac.unwrap(),
            hmac_sha256(&h.adv_secret, &[&[6, 5], &signed_bytes]).to_vec()
        );
    }

    #[test]
    fn wrong_adv_secret_is_hmac_mismatch() {
        let mut s = setup(false);
        let issued = issue(&mut s);
        let err = accept_pair_success(&issued.container, &[0; 32], &s.companion, None, &mut s.rng)
            .unwrap_err();
        assert_eq!(err, AdvError::HmacMismatch);
        assert_eq!(err.iq_error(), (401, "not-authorized"));
    }

    #[test]
    fn tampered_hmac_or_details_is_hmac_mismatch() {
        let mut s = setup(false);
        let issued = issue(&mut s);
        let container = AdvSignedDeviceIdentityHmac::decode(issued.container.as_slice()).unwrap();
        let mut bad_hmac = container.clone();
        if let Some(h) = bad_hmac.hmac.as_mut() {
            h[0] ^= 1;
        }
        let mut short_hmac = container.clone();
        if let Some(h) = short_hmac.hmac.as_mut() {
            h.truncate(16);
        }
        let mut bad_details = container.clone();
        if let Some(d) = bad_details.details.as_mut() {
            d.push(0);
        }
        // A hosted flag flipped on the container changes the HMAC input.
        let mut flipped = container;
        flipped.account_type = Some(1);
        for tampered in [bad_hmac, short_hmac, bad_details, flipped] {
            let err = accept_pair_success(
                &tampered.encode_to_vec(),
                &s.adv_secret,
                &s.companion,
                None,
                &mut s.rng,
            )
            .unwrap_err();
            assert_eq!(err, AdvError::HmacMismatch);
        }
    }

    /// Re-wraps a modified signed identity with a valid HMAC, as a hostile server could.
    fn rewrap(s: &Setup, signed: &AdvSignedDeviceIdentity) -> Vec<u8> {
        let bytes = signed.encode_to_vec();
        AdvSignedDeviceIdentityHmac {
            hmac: Some(identity_hmac(&s.adv_secret, &bytes, false).to_vec()),
            details: Some(bytes),
            account_type: Some(0),
        }
        .encode_to_vec()
    }

    #[test]
    fn bad_account_signature_is_signature_mismatch() {
        let mut s = setup(false);
        let issued = issue(&mut s);
        let mut signed = issued.signed.clone();
        if let Some(sig) = signed.account_signature.as_mut() {
            sig[5] ^= 0x10;
        }
        let err = accept_pair_success(
            &rewrap(&s, &signed),
            &s.adv_secret,
            &s.companion,
            None,
            &mut s.rng,
        )
        .unwrap_err();
        assert_eq!(err, AdvError::SignatureMismatch);

        // Signed for another companion.
        let other = KeyPair::generate(&mut s.rng);
        let err = accept_pair_success(&issued.container, &s.adv_secret, &other, None, &mut s.rng)
            .unwrap_err();
        assert_eq!(err, AdvError::SignatureMismatch);

        // Details changed after signing.
        let mut signed = issued.signed.clone();
        let mut details = s.details;
        details.key_index = Some(9);
        signed.details = Some(details.encode_to_vec());
        let err = accept_pair_success(
            &rewrap(&s, &signed),
            &s.adv_secret,
            &s.companion,
            None,
            &mut s.rng,
        )
        .unwrap_err();
        assert_eq!(err, AdvError::SignatureMismatch);
    }

    #[test]
    fn unexpected_account_key() {
        let mut s = setup(false);
        let issued = issue(&mut s);
        let err = accept_pair_success(
            &issued.container,
            &s.adv_secret,
            &s.companion,
            Some(&[1; 32]),
            &mut s.rng,
        )
        .unwrap_err();
        assert_eq!(err, AdvError::UnexpectedAccountKey);
    }

    #[test]
    fn missing_and_malformed_fields() {
        let mut s = setup(false);
        let issued = issue(&mut s);
        let err = accept_pair_success(&[0xff, 0xff], &s.adv_secret, &s.companion, None, &mut s.rng)
            .unwrap_err();
        assert!(matches!(
            err,
            AdvError::Malformed {
                message: "ADVSignedDeviceIdentityHMAC",
                ..
            }
        ));
        assert_eq!(err.iq_error(), (500, "internal-error"));

        let no_hmac = AdvSignedDeviceIdentityHmac {
            details: Some(vec![]),
            ..Default::default()
        };
        let err = accept_pair_success(
            &no_hmac.encode_to_vec(),
            &s.adv_secret,
            &s.companion,
            None,
            &mut s.rng,
        )
        .unwrap_err();
        assert_eq!(
            err,
            AdvError::MissingField {
                message: "ADVSignedDeviceIdentityHMAC",
                field: "hmac"
            }
        );

        let mut short_key = issued.signed.clone();
        short_key.account_signature_key = Some(vec![1; 31]);
        let err = accept_pair_success(
            &rewrap(&s, &short_key),
            &s.adv_secret,
            &s.companion,
            None,
            &mut s.rng,
        )
        .unwrap_err();
        assert_eq!(
            err,
            AdvError::BadLength {
                field: "accountSignatureKey",
                expected: 32,
                actual: 31
            }
        );

        let mut no_sig = issued.signed.clone();
        no_sig.account_signature = None;
        let err = accept_pair_success(
            &rewrap(&s, &no_sig),
            &s.adv_secret,
            &s.companion,
            None,
            &mut s.rng,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            AdvError::MissingField {
                field: "accountSignature",
                ..
            }
        ));

        let mut bad_details = issued.signed.clone();
        bad_details.details = Some(vec![0x08]);
        let err = accept_pair_success(
            &rewrap(&s, &bad_details),
            &s.adv_secret,
            &s.companion,
            None,
            &mut s.rng,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            AdvError::Malformed {
                message: "ADVDeviceIdentity",
                ..
            }
        ));

        // The HMAC'd payload is not an ADVSignedDeviceIdentity at all.
        let garbage = [0x0a, 0x05, 1];
        let container = AdvSignedDeviceIdentityHmac {
            hmac: Some(identity_hmac(&s.adv_secret, &garbage, false).to_vec()),
            details: Some(garbage.to_vec()),
            account_type: None,
        };
        let err = accept_pair_success(
            &container.encode_to_vec(),
            &s.adv_secret,
            &s.companion,
            None,
            &mut s.rng,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            AdvError::Malformed {
                message: "ADVSignedDeviceIdentity",
                ..
            }
        ));
    }

    #[test]
    fn phone_rejects_bad_replies() {
        let mut s = setup(false);
        let issued = issue(&mut s);
        let accepted = accept_pair_success(
            &issued.container,
            &s.adv_secret,
            &s.companion,
            None,
            &mut s.rng,
        )
        .unwrap();
        let reply = AdvSignedDeviceIdentity::decode(accepted.reply.as_slice()).unwrap();

        let mut bad_sig = reply.clone();
        if let Some(sig) = bad_sig.device_signature.as_mut() {
            sig[0] ^= 1;
        }
        assert_eq!(
            verify_companion_reply(
                &bad_sig.encode_to_vec(),
                &issued.signed,
                &s.companion.public
            ),
            Err(AdvError::DeviceSignatureMismatch)
        );
        let other = KeyPair::generate(&mut s.rng);
        assert_eq!(
            verify_companion_reply(&accepted.reply, &issued.signed, &other.public),
            Err(AdvError::DeviceSignatureMismatch)
        );
        let mut other_details = reply.clone();
        other_details.details = Some(vec![]);
        assert_eq!(
            verify_companion_reply(
                &other_details.encode_to_vec(),
                &issued.signed,
                &s.companion.public
            ),
            Err(AdvError::ReplyMismatch)
        );
        let mut other_key = reply.clone();
        other_key.account_signature_key = Some(vec![9; 32]);
        assert_eq!(
            verify_companion_reply(
                &other_key.encode_to_vec(),
                &issued.signed,
                &s.companion.public
            ),
            Err(AdvError::ReplyMismatch)
        );
        // Including the right key is tolerated.
        let with_key = encode_signed_identity(&accepted.account, true);
        assert!(verify_companion_reply(&with_key, &issued.signed, &s.companion.public).is_ok());
        let mut unsigned = reply;
        unsigned.device_signature = None;
        assert!(matches!(
            verify_companion_reply(
                &unsigned.encode_to_vec(),
                &issued.signed,
                &s.companion.public
            ),
            Err(AdvError::MissingField {
                field: "deviceSignature",
                ..
            })
        ));
        assert!(matches!(
            verify_companion_reply(&[0xff], &issued.signed, &s.companion.public),
            Err(AdvError::Malformed { .. })
        ));
    }

    #[test]
    fn device_signature_prefix() {
        let mut s = setup(false);
        let issued = issue(&mut s);
        let accepted = accept_pair_success(
            &issued.container,
            &s.adv_secret,
            &s.companion,
            None,
            &mut s.rng,
        )
        .unwrap();
        let details = issued.signed.details.clone().unwrap();
        let mut message = vec![6, 1];
        message.extend_from_slice(&details);
        message.extend_from_slice(&s.companion.public);
        message.extend_from_slice(&s.account.public);
        let sig: [u8; 64] = accepted
            .account
            .device_signature
            .clone()
            .unwrap()
            .try_into()
            .unwrap();
        assert!(xeddsa::verify(&s.companion.public, &message, &sig));
    }

    #[test]
    fn hosted_reply_signed_like_baileys_is_accepted() {
        // Baileys signs hosted devices with `06 01`; whatsapp-rust with `06 06`. Both verify.
        let mut h = setup(true);
        let issued = issue(&mut h);
        let details = issued.signed.details.clone().unwrap();
        let message =
            device_signature_message(&details, &h.companion.public, &h.account.public, false);
        let reply = AdvSignedDeviceIdentity {
            account_signature_key: None,
            device_signature: Some(h.companion.sign(&message, &mut h.rng).to_vec()),
            ..issued.signed.clone()
        };
        assert!(
            verify_companion_reply(&reply.encode_to_vec(), &issued.signed, &h.companion.public)
                .is_ok()
        );
        // For an E2EE device only `06 01` is valid.
        let mut e = setup(false);
        let issued = issue(&mut e);
        let details = issued.signed.details.clone().unwrap();
        let message =
            device_signature_message(&details, &e.companion.public, &e.account.public, true);
        let reply = AdvSignedDeviceIdentity {
            account_signature_key: None,
            device_signature: Some(e.companion.sign(&message, &mut e.rng).to_vec()),
            ..issued.signed.clone()
        };
        assert_eq!(
            verify_companion_reply(&reply.encode_to_vec(), &issued.signed, &e.companion.public),
            Err(AdvError::DeviceSignatureMismatch)
        );
    }
}
