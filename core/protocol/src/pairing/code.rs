//! Pairing by phone-number code ("link code", docs/PROTOCOL.md, Pairing code), companion and phone sides.
//!
//! Flow: the companion shows an 8-character [`PairCode`] and sends its ephemeral public key
//! wrapped under a key derived from the code ([`CompanionCodePairing::start`]). The phone, given
//! the code by its user, unwraps it and answers with its own wrapped ephemeral and identity key
//! ([`PrimaryCodePairing::respond`]). The companion then sends an encrypted key bundle
//! ([`CompanionCodePairing::finish`]), which the phone decrypts ([`PrimaryCodePairing::finish`]).
//! Both end with the same adv secret, used for the HMAC of `<pair-success>` as with QR codes.

use aes::Aes256;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use ctr::cipher::{KeyIvInit, StreamCipher};
use rand_core::CryptoRngCore;
use sha2::Sha256;
use thiserror::Error;

use crate::crypto::KeyPair;
use crate::crypto::kdf::hkdf_sha256;

type Aes256Ctr = ctr::Ctr128BE<Aes256>;

/// The 32 characters of pairing codes (Crockford-like base32 without 0, I, O, U).
pub const PAIR_CODE_ALPHABET: &[u8; 32] = b"123456789ABCDEFGHJKLMNPQRSTVWXYZ";
/// Characters in a pairing code.
pub const PAIR_CODE_LEN: usize = 8;
/// PBKDF2-HMAC-SHA256 iterations for the code key (2 << 16).
pub const PBKDF2_ITERATIONS: u32 = 2 << 16;
/// Length of a wrapped ephemeral key: salt 32 ‖ iv 16 ‖ AES-256-CTR(key) 32.
pub const WRAPPED_EPHEMERAL_LEN: usize = 80;
/// HKDF info of the key-bundle encryption key.
pub const KEY_BUNDLE_INFO: &[u8] = b"link_code_pairing_key_bundle_encryption_key";
/// HKDF info of the adv secret.
pub const ADV_SECRET_INFO: &[u8] = b"adv_secret";
/// Length of the key-bundle plaintext: companion identity ‖ primary identity ‖ adv random.
pub const KEY_BUNDLE_PLAINTEXT_LEN: usize = 96;
/// Length of a wrapped key bundle: salt 32 ‖ nonce 12 ‖ ciphertext 96 ‖ GCM tag 16.
pub const WRAPPED_KEY_BUNDLE_LEN: usize = 32 + 12 + KEY_BUNDLE_PLAINTEXT_LEN + 16;

/// Why a pairing-code step failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodePairingError {
    /// The text is not an 8-character pairing code (optionally `XXXX-XXXX`).
    #[error("invalid pairing code: {0}")]
    InvalidCode(&'static str),
    /// A wrapped ephemeral key is not 80 bytes.
    #[error("wrapped ephemeral key is {0} bytes, expected 80")]
    WrappedEphemeralLength(usize),
    /// A wrapped key bundle is not 156 bytes.
    #[error("wrapped key bundle is {0} bytes, expected 156")]
    KeyBundleLength(usize),
    /// The key bundle does not authenticate: wrong code or tampered data.
    #[error("key bundle does not decrypt (wrong code or tampered)")]
    KeyBundleDecrypt,
    /// The key bundle names an identity key other than the one exchanged.
    #[error("key bundle {0} identity does not match")]
    IdentityMismatch(&'static str),
}

/// An 8-character pairing code, stored upper-case without the dash.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PairCode([u8; PAIR_CODE_LEN]);

impl std::fmt::Debug for PairCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PairCode").field(&self.as_str()).finish()
    }
}

impl PairCode {
    /// A fresh code from 5 random bytes.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut bytes = [0u8; 5];
        rng.fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// Encodes 40 bits as 8 base32 characters, most significant bits first.
    pub fn from_bytes(bytes: [u8; 5]) -> Self {
        let value = bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let mut chars = [0u8; PAIR_CODE_LEN];
        for (i, c) in chars.iter_mut().enumerate() {
            let shift = 35 - 5 * i;
            let index = ((value >> shift) & 31) as usize;
            *c = PAIR_CODE_ALPHABET.get(index).copied().unwrap_or(b'1');
        }
        PairCode(chars)
    }

    /// Parses `XXXXXXXX` or `XXXX-XXXX` (case-insensitive) over [`PAIR_CODE_ALPHABET`].
    pub fn parse(input: &str) -> Result<Self, CodePairingError> {
        let code = Self::normalize(input)?;
        if !code.0.iter().all(|c| PAIR_CODE_ALPHABET.contains(c)) {
            return Err(CodePairingError::InvalidCode(
                "character outside the alphabet",
            ));
        }
        Ok(code)
    }

    /// Accepts any 8 ASCII letters or digits (optionally with the dash), upper-cased: Baileys
    /// lets applications choose their own code, not restricted to the alphabet.
    pub fn custom(input: &str) -> Result<Self, CodePairingError> {
        Self::normalize(input)
    }

    fn normalize(input: &str) -> Result<Self, CodePairingError> {
        let bytes = input.trim().as_bytes();
        let compact: Vec<u8> = match bytes {
            [a @ .., b'-', b, c, d, e] if a.len() == 4 => {
                a.iter().chain([b, c, d, e]).copied().collect()
            }
            other => other.to_vec(),
        };
        let chars: [u8; PAIR_CODE_LEN] = compact
            .try_into()
            .map_err(|_| CodePairingError::InvalidCode("expected 8 characters"))?;
        if !chars.iter().all(u8::is_ascii_alphanumeric) {
            return Err(CodePairingError::InvalidCode("expected letters and digits"));
        }
        Ok(PairCode(chars.map(|c| c.to_ascii_uppercase())))
    }

    /// The 8 characters without the dash (the PBKDF2 password).
    pub fn as_str(&self) -> &str {
        // Constructors only store ASCII alphanumerics.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The display form `XXXX-XXXX`.
    pub fn formatted(&self) -> String {
        let (head, tail) = self.as_str().split_at(4);
        format!("{head}-{tail}")
    }

    /// The code key for `salt`: PBKDF2-HMAC-SHA256(code, salt, 131072 iterations, 32 bytes).
    pub fn derive_key(&self, salt: &[u8; 32]) -> [u8; 32] {
        let mut key = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(&self.0, salt, PBKDF2_ITERATIONS, &mut key);
        key
    }
}

impl std::fmt::Display for PairCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.formatted())
    }
}

impl std::str::FromStr for PairCode {
    type Err = CodePairingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PairCode::parse(s)
    }
}

/// Wraps an ephemeral public key under the code: `salt ‖ iv ‖ AES-256-CTR(codeKey, iv, key)`.
pub fn wrap_ephemeral(
    code: &PairCode,
    public: &[u8; 32],
    rng: &mut impl CryptoRngCore,
) -> [u8; WRAPPED_EPHEMERAL_LEN] {
    let mut salt = [0u8; 32];
    let mut iv = [0u8; 16];
    rng.fill_bytes(&mut salt);
    rng.fill_bytes(&mut iv);
    wrap_ephemeral_with(code, public, &salt, &iv)
}

/// [`wrap_ephemeral`] with the salt and IV given.
pub fn wrap_ephemeral_with(
    code: &PairCode,
    public: &[u8; 32],
    salt: &[u8; 32],
    iv: &[u8; 16],
) -> [u8; WRAPPED_EPHEMERAL_LEN] {
    let mut key = *public;
    Aes256Ctr::new(&code.derive_key(salt).into(), iv.into()).apply_keystream(&mut key);
    let mut out = [0u8; WRAPPED_EPHEMERAL_LEN];
    out[..32].copy_from_slice(salt);
    out[32..48].copy_from_slice(iv);
    out[48..].copy_from_slice(&key);
    out
}

/// Unwraps an 80-byte wrapped ephemeral key. CTR has no integrity: a wrong code yields a wrong
/// key, detected later when the key bundle fails to decrypt.
pub fn unwrap_ephemeral(code: &PairCode, wrapped: &[u8]) -> Result<[u8; 32], CodePairingError> {
    let wrapped: &[u8; WRAPPED_EPHEMERAL_LEN] = wrapped
        .try_into()
        .map_err(|_| CodePairingError::WrappedEphemeralLength(wrapped.len()))?;
    let (salt, rest) = wrapped.split_at(32);
    let (iv, encrypted) = rest.split_at(16);
    let (salt, iv, encrypted): (&[u8; 32], &[u8; 16], &[u8; 32]) =
        match (salt.try_into(), iv.try_into(), encrypted.try_into()) {
            (Ok(s), Ok(i), Ok(e)) => (s, i, e),
            _ => {
                return Err(CodePairingError::WrappedEphemeralLength(
                    WRAPPED_EPHEMERAL_LEN,
                ));
            }
        };
    let mut key = *encrypted;
    Aes256Ctr::new(&code.derive_key(salt).into(), iv.into()).apply_keystream(&mut key);
    Ok(key)
}

/// The key bundle the companion sends in `companion_finish`.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyBundle {
    /// The companion's Signal identity public key.
    pub companion_identity: [u8; 32],
    /// The phone's identity public key, as the companion received it.
    pub primary_identity: [u8; 32],
    /// 32 random bytes mixed into the adv secret.
    pub adv_random: [u8; 32],
}

impl std::fmt::Debug for KeyBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyBundle").finish_non_exhaustive()
    }
}

/// Encrypts a key bundle: `salt ‖ nonce ‖ AES-256-GCM(HKDF(shared, salt, info), nonce, bundle)`.
pub fn encrypt_key_bundle(
    ephemeral_shared: &[u8; 32],
    bundle: &KeyBundle,
    rng: &mut impl CryptoRngCore,
) -> Vec<u8> {
    let mut salt = [0u8; 32];
    let mut nonce = [0u8; 12];
    rng.fill_bytes(&mut salt);
    rng.fill_bytes(&mut nonce);
    let key: [u8; 32] = hkdf_sha256(ephemeral_shared, Some(&salt), KEY_BUNDLE_INFO);
    let plaintext = [
        &bundle.companion_identity[..],
        &bundle.primary_identity,
        &bundle.adv_random,
    ]
    .concat();
    let cipher = Aes256Gcm::new(&key.into());
    // Encryption of 96 bytes cannot exceed AES-GCM's length limit.
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(&nonce), plaintext.as_slice())
        .unwrap_or_default();
    [&salt[..], &nonce, &ciphertext].concat()
}

/// Decrypts a wrapped key bundle (phone side).
pub fn decrypt_key_bundle(
    ephemeral_shared: &[u8; 32],
    wrapped: &[u8],
) -> Result<KeyBundle, CodePairingError> {
    if wrapped.len() != WRAPPED_KEY_BUNDLE_LEN {
        return Err(CodePairingError::KeyBundleLength(wrapped.len()));
    }
    let (salt, rest) = wrapped.split_at(32);
    let (nonce, ciphertext) = rest.split_at(12);
    let key: [u8; 32] = hkdf_sha256(ephemeral_shared, Some(salt), KEY_BUNDLE_INFO);
    let plaintext = Aes256Gcm::new(&key.into())
        .decrypt(Nonce::from_slice(nonce), ciphertext)
        .map_err(|_| CodePairingError::KeyBundleDecrypt)?;
    let field = |range: std::ops::Range<usize>| -> Result<[u8; 32], CodePairingError> {
        plaintext
            .get(range)
            .and_then(|s| s.try_into().ok())
            .ok_or(CodePairingError::KeyBundleLength(wrapped.len()))
    };
    Ok(KeyBundle {
        companion_identity: field(0..32)?,
        primary_identity: field(32..64)?,
        adv_random: field(64..96)?,
    })
}

/// The adv secret: HKDF-SHA256(ephemeral shared ‖ identity shared ‖ adv random, no salt,
/// "adv_secret", 32).
pub fn derive_adv_secret(
    ephemeral_shared: &[u8; 32],
    identity_shared: &[u8; 32],
    adv_random: &[u8; 32],
) -> [u8; 32] {
    let input = [&ephemeral_shared[..], identity_shared, adv_random].concat();
    hkdf_sha256(&input, None, ADV_SECRET_INFO)
}

/// Companion-side state between `companion_hello` and `companion_finish`.
#[derive(Debug, Clone)]
pub struct CompanionCodePairing {
    code: PairCode,
    ephemeral: KeyPair,
}

/// What the companion sends in `companion_finish` and keeps.
#[derive(Clone, PartialEq, Eq)]
pub struct CompanionFinish {
    /// `link_code_pairing_wrapped_key_bundle` content.
    pub wrapped_key_bundle: Vec<u8>,
    /// The new adv secret, replacing the one from the QR code.
    pub adv_secret: [u8; 32],
}

impl std::fmt::Debug for CompanionFinish {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompanionFinish")
            .field("wrapped_key_bundle_len", &self.wrapped_key_bundle.len())
            .finish_non_exhaustive()
    }
}

impl CompanionCodePairing {
    /// Picks a random code and ephemeral key; returns the state and the 80-byte
    /// `link_code_pairing_wrapped_companion_ephemeral_pub`.
    pub fn start(rng: &mut impl CryptoRngCore) -> (Self, [u8; WRAPPED_EPHEMERAL_LEN]) {
        let code = PairCode::generate(rng);
        Self::with_code(code, rng)
    }

    /// [`CompanionCodePairing::start`] with a caller-chosen code.
    pub fn with_code(
        code: PairCode,
        rng: &mut impl CryptoRngCore,
    ) -> (Self, [u8; WRAPPED_EPHEMERAL_LEN]) {
        let ephemeral = KeyPair::generate(rng);
        let wrapped = wrap_ephemeral(&code, &ephemeral.public, rng);
        (CompanionCodePairing { code, ephemeral }, wrapped)
    }

    /// The code to show to the user.
    pub fn code(&self) -> &PairCode {
        &self.code
    }

    /// The companion's ephemeral public key (the value wrapped in `companion_hello`).
    pub fn ephemeral_public(&self) -> &[u8; 32] {
        &self.ephemeral.public
    }

    /// Handles the phone's `primary_hello`: unwraps its ephemeral key, encrypts the key bundle
    /// and derives the adv secret.
    pub fn finish(
        &self,
        wrapped_primary_ephemeral: &[u8],
        primary_identity: &[u8; 32],
        companion_identity: &KeyPair,
        rng: &mut impl CryptoRngCore,
    ) -> Result<CompanionFinish, CodePairingError> {
        let primary_ephemeral = unwrap_ephemeral(&self.code, wrapped_primary_ephemeral)?;
        let ephemeral_shared = self.ephemeral.dh(&primary_ephemeral);
        let mut adv_random = [0u8; 32];
        rng.fill_bytes(&mut adv_random);
        let bundle = KeyBundle {
            companion_identity: companion_identity.public,
            primary_identity: *primary_identity,
            adv_random,
        };
        let wrapped_key_bundle = encrypt_key_bundle(&ephemeral_shared, &bundle, rng);
        let identity_shared = companion_identity.dh(primary_identity);
        Ok(CompanionFinish {
            wrapped_key_bundle,
            adv_secret: derive_adv_secret(&ephemeral_shared, &identity_shared, &adv_random),
        })
    }
}

/// Phone-side state between `primary_hello` and `companion_finish`.
#[derive(Debug, Clone)]
pub struct PrimaryCodePairing {
    ephemeral: KeyPair,
    companion_ephemeral: [u8; 32],
}

impl PrimaryCodePairing {
    /// Handles `companion_hello` with the code the user typed: unwraps the companion's ephemeral
    /// key and returns the state plus `link_code_pairing_wrapped_primary_ephemeral_pub`.
    pub fn respond(
        code: &PairCode,
        wrapped_companion_ephemeral: &[u8],
        rng: &mut impl CryptoRngCore,
    ) -> Result<(Self, [u8; WRAPPED_EPHEMERAL_LEN]), CodePairingError> {
        let companion_ephemeral = unwrap_ephemeral(code, wrapped_companion_ephemeral)?;
        let ephemeral = KeyPair::generate(rng);
        let wrapped = wrap_ephemeral(code, &ephemeral.public, rng);
        Ok((
            PrimaryCodePairing {
                ephemeral,
                companion_ephemeral,
            },
            wrapped,
        ))
    }

    /// Handles `companion_finish`: decrypts the key bundle, checks that it names the companion
    /// identity from the stanza and the phone's own identity, and returns the adv secret.
    pub fn finish(
        &self,
        wrapped_key_bundle: &[u8],
        companion_identity: &[u8; 32],
        primary_identity: &KeyPair,
    ) -> Result<[u8; 32], CodePairingError> {
        let ephemeral_shared = self.ephemeral.dh(&self.companion_ephemeral);
        let bundle = decrypt_key_bundle(&ephemeral_shared, wrapped_key_bundle)?;
        if &bundle.companion_identity != companion_identity {
            return Err(CodePairingError::IdentityMismatch("companion"));
        }
        if bundle.primary_identity != primary_identity.public {
            return Err(CodePairingError::IdentityMismatch("primary"));
        }
        let identity_shared = primary_identity.dh(companion_identity);
        Ok(derive_adv_secret(
            &ephemeral_shared,
            &identity_shared,
            &bundle.adv_random,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn code_encoding() {
        assert_eq!(PairCode::from_bytes([0; 5]).as_str(), "11111111");
        assert_eq!(PairCode::from_bytes([0xff; 5]).as_str(), "ZZZZZZZZ");
        // 0x0123456789 in 5-bit groups: 00000 00100 10001 10100 01010 11001 11100 01001 (W = 28, A = 9).
        let code = PairCode::from_bytes([0x01, 0x23, 0x45, 0x67, 0x89]);
        assert_eq!(code.as_str(), "15JMBSWA");
        assert_eq!(code.formatted(), "15JM-BSWA");
        assert_eq!(code.to_string(), "15JM-BSWA");
        assert_eq!(PairCode::parse("15jm-bswa"), Ok(code.clone()));
        assert_eq!(PairCode::parse(" 15JMBSWA "), Ok(code.clone()));
        assert_eq!("15JM-BSWA".parse::<PairCode>(), Ok(code));
    }

    #[test]
    fn bad_codes() {
        for bad in [
            "",
            "1234567",
            "123456789",
            "1234-56789",
            "12345-678",
            "ABCD_EFGH",
            "ABCDEFG0",
            "ABCD-EFGI",
            "ÄBCDEFGH",
        ] {
            assert!(
                matches!(PairCode::parse(bad), Err(CodePairingError::InvalidCode(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            PairCode::custom("abcd-efg0").map(|c| c.as_str().to_owned()),
            Ok("ABCDEFG0".into())
        );
        assert!(PairCode::custom("ABC!EFGH").is_err());
    }

    /// PBKDF2 and the CTR wrap agree with Python's hashlib/cryptography (computed independently).
    #[test]
    fn code_key_and_wrap_vector() {
        let code = PairCode::parse("15JM-BSWA").unwrap();
        let salt = [0x11; 32];
        assert_eq!(
            hex::encode(code.derive_key(&salt)),
            "2a448da0bfe9471f05f4cc1435de32a8a40f047278233b0f8f083a091e31953f"
        );
        let wrapped = wrap_ephemeral_with(&code, &[0x22; 32], &salt, &[0x33; 16]);
        assert_eq!(&wrapped[..32], &salt);
        assert_eq!(&wrapped[32..48], &[0x33; 16]);
        assert_eq!(
            hex::encode(&wrapped[48..]),
            "49db0523621ad699c44477931baf5f55194d67133f549c4dbf9aa6b805c65ee9"
        );
        assert_eq!(unwrap_ephemeral(&code, &wrapped), Ok([0x22; 32]));
    }

    #[test]
    fn whole_exchange_companion_and_phone() {
        let mut rng = StdRng::seed_from_u64(42);
        let companion_identity = KeyPair::generate(&mut rng);
        let primary_identity = KeyPair::generate(&mut rng);

        let (companion, hello) = CompanionCodePairing::start(&mut rng);
        assert_eq!(hello.len(), WRAPPED_EPHEMERAL_LEN);
        // The user types the displayed code on the phone.
        let typed = PairCode::parse(&companion.code().formatted()).unwrap();
        let (phone, primary_hello) = PrimaryCodePairing::respond(&typed, &hello, &mut rng).unwrap();
        assert_eq!(phone.companion_ephemeral, companion.ephemeral.public);

        let finish = companion
            .finish(
                &primary_hello,
                &primary_identity.public,
                &companion_identity,
                &mut rng,
            )
            .unwrap();
        assert_eq!(finish.wrapped_key_bundle.len(), WRAPPED_KEY_BUNDLE_LEN);
        let phone_secret = phone
            .finish(
                &finish.wrapped_key_bundle,
                &companion_identity.public,
                &primary_identity,
            )
            .unwrap();
        assert_eq!(phone_secret, finish.adv_secret);

        // The phone rejects a bundle naming other identities.
        let other = KeyPair::generate(&mut rng);
        assert_eq!(
            phone.finish(&finish.wrapped_key_bundle, &other.public, &primary_identity),
            Err(CodePairingError::IdentityMismatch("companion"))
        );
        assert_eq!(
            phone.finish(
                &finish.wrapped_key_bundle,
                &companion_identity.public,
                &other
            ),
            Err(CodePairingError::IdentityMismatch("primary"))
        );
        // Tampered or truncated bundles.
        let mut tampered = finish.wrapped_key_bundle.clone();
        tampered[60] ^= 1;
        assert_eq!(
            phone.finish(&tampered, &companion_identity.public, &primary_identity),
            Err(CodePairingError::KeyBundleDecrypt)
        );
        assert_eq!(
            phone.finish(
                &finish.wrapped_key_bundle[..155],
                &companion_identity.public,
                &primary_identity
            ),
            Err(CodePairingError::KeyBundleLength(155))
        );
    }

    #[test]
    fn wrong_code_fails_at_the_key_bundle() {
        let mut rng = StdRng::seed_from_u64(43);
        let companion_identity = KeyPair::generate(&mut rng);
        let primary_identity = KeyPair::generate(&mut rng);
        let code = PairCode::from_bytes([1, 2, 3, 4, 5]);
        let (companion, hello) = CompanionCodePairing::with_code(code, &mut rng);
        let wrong = PairCode::from_bytes([1, 2, 3, 4, 6]);
        let (phone, primary_hello) = PrimaryCodePairing::respond(&wrong, &hello, &mut rng).unwrap();
        assert_ne!(phone.companion_ephemeral, companion.ephemeral.public);
        let finish = companion
            .finish(
                &primary_hello,
                &primary_identity.public,
                &companion_identity,
                &mut rng,
            )
            .unwrap();
        assert_eq!(
            phone.finish(
                &finish.wrapped_key_bundle,
                &companion_identity.public,
                &primary_identity
            ),
            Err(CodePairingError::KeyBundleDecrypt)
        );
    }

    #[test]
    fn truncated_wrapped_ephemeral() {
        let mut rng = StdRng::seed_from_u64(44);
        let code = PairCode::generate(&mut rng);
        let (companion, hello) = CompanionCodePairing::with_code(code.clone(), &mut rng);
        assert_eq!(
            PrimaryCodePairing::respond(&code, &hello[..79], &mut rng).map(|_| ()),
            Err(CodePairingError::WrappedEphemeralLength(79))
        );
        assert_eq!(
            unwrap_ephemeral(&code, &[]),
            Err(CodePairingError::WrappedEphemeralLength(0))
        );
        let identity = KeyPair::generate(&mut rng);
        assert_eq!(
            companion
                .finish(&[0; 81], &[1; 32], &identity, &mut rng)
                .map(|_| ()),
            Err(CodePairingError::WrappedEphemeralLength(81))
        );
    }

    #[test]
    fn key_bundle_round_trip() {
        let mut rng = StdRng::seed_from_u64(45);
        let bundle = KeyBundle {
            companion_identity: [1; 32],
            primary_identity: [2; 32],
            adv_random: [3; 32],
        };
        let wrapped = encrypt_key_bundle(&[9; 32], &bundle, &mut rng);
        assert_eq!(decrypt_key_bundle(&[9; 32], &wrapped), Ok(bundle));
        assert_eq!(
            decrypt_key_bundle(&[8; 32], &wrapped),
            Err(CodePairingError::KeyBundleDecrypt)
        );
    }

    proptest! {
        #[test]
        fn code_format_round_trip(bytes in any::<[u8; 5]>()) {
            let code = PairCode::from_bytes(bytes);
            prop_assert!(code.as_str().bytes().all(|c| PAIR_CODE_ALPHABET.contains(&c)));
            prop_assert_eq!(code.formatted().len(), 9);
            prop_assert_eq!(PairCode::parse(&code.formatted()), Ok(code.clone()));
            prop_assert_eq!(PairCode::parse(code.as_str()), Ok(code.clone()));
            prop_assert_eq!(PairCode::parse(&code.as_str().to_lowercase()), Ok(code));
        }

        #[test]
        fn distinct_bytes_distinct_codes(a in any::<[u8; 5]>(), b in any::<[u8; 5]>()) {
            prop_assume!(a != b);
            prop_assert_ne!(PairCode::from_bytes(a), PairCode::from_bytes(b));
        }

        #[test]
        fn parse_never_panics(input in ".{0,20}") {
            let _ = PairCode::parse(&input);
            let _ = PairCode::custom(&input);
        }
    }
}
