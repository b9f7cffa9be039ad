//! A device's long-term keys and, once paired, its identity on the account.

use openwa_protocol::crypto::KeyPair;
use rand_core::CryptoRngCore;

/// A signed prekey: the X25519 key and the identity key's signature over `0x05 ‖ public`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SignedPreKeyPair {
    /// The key id (24 bits on the wire).
    pub id: u32,
    /// The key pair.
    pub key: KeyPair,
    /// XEdDSA signature by the identity key.
    pub signature: [u8; 64],
}

impl std::fmt::Debug for SignedPreKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedPreKeyPair")
            .field("id", &self.id)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// What the device learned when the phone linked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PairedDevice {
    /// Our own device JID on the phone-number namespace.
    pub jid: openwa_protocol::Jid,
    /// Our own device JID on the LID namespace, if known.
    pub lid: Option<openwa_protocol::Jid>,
    /// Serialized ADVSignedDeviceIdentity (with device signature): sent in `<device-identity>`.
    pub account: Vec<u8>,
    /// The phone's account identity key (trusted identity of the primary device).
    pub account_signature_key: [u8; 32],
    /// The phone's platform.
    pub platform: Option<String>,
    /// Business name, for business accounts.
    pub business_name: Option<String>,
}

/// Everything a device needs to connect: keys from registration, then the pairing result.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    /// The Noise static key identifying the device to the server.
    pub noise_key: KeyPair,
    /// The Signal identity key.
    pub identity_key: KeyPair,
    /// The current signed prekey.
    pub signed_prekey: SignedPreKeyPair,
    /// Signal registration id.
    pub registration_id: u32,
    /// Secret shared with the phone through the QR code (or derived during code pairing).
    pub adv_secret: [u8; 32],
    /// Set once paired.
    pub paired: Option<PairedDevice>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("noise_key", &self.noise_key)
            .field("identity_key", &self.identity_key)
            .field("registration_id", &self.registration_id)
            .field("paired", &self.paired)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Fresh keys for a device that has never been paired.
    pub(crate) fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let identity_key = KeyPair::generate(rng);
        let prekey = KeyPair::generate(rng);
        let signature = identity_key.sign(&prekey.public_with_type(), rng);
        let mut adv_secret = [0u8; 32];
        rng.fill_bytes(&mut adv_secret);
        Credentials {
            noise_key: KeyPair::generate(rng),
            identity_key,
            signed_prekey: SignedPreKeyPair {
                id: 1,
                key: prekey,
                signature,
            },
            registration_id: openwa_protocol::message::generate_registration_id(rng),
            adv_secret,
            paired: None,
        }
    }

    /// Our keys as the Signal store adapter serves them.
    #[allow(dead_code)] // used through `SessionContext::signal_store`
    pub(crate) fn signal_keys(&self) -> crate::signal_store::LocalKeys {
        crate::signal_store::LocalKeys {
            identity: self.identity_key.clone(),
            registration_id: self.registration_id,
            signed_pre_key: openwa_protocol::signal::SignedPreKeyRecord {
                id: self.signed_prekey.id,
                key_pair: self.signed_prekey.key.clone(),
                signature: self.signed_prekey.signature,
                timestamp: 0,
            },
        }
    }

    /// The keys the registration ClientPayload announces.
    pub(crate) fn registration_keys(&self) -> openwa_protocol::payload::RegistrationKeys {
        openwa_protocol::payload::RegistrationKeys {
            registration_id: self.registration_id,
            identity_key: self.identity_key.public,
            signed_prekey_id: self.signed_prekey.id,
            signed_prekey: self.signed_prekey.key.public,
            signed_prekey_signature: self.signed_prekey.signature,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openwa_protocol::crypto::xeddsa;

    #[test]
    fn generated_signed_prekey_verifies() {
        let creds = Credentials::generate(&mut rand::rngs::OsRng);
        assert!(xeddsa::verify(
            &creds.identity_key.public,
            &creds.signed_prekey.key.public_with_type(),
            &creds.signed_prekey.signature
        ));
        assert!(creds.paired.is_none());
        assert_ne!(creds.noise_key.public, creds.identity_key.public);
        let debug = format!("{creds:?}");
        assert!(!debug.contains(&format!("{:?}", creds.adv_secret)));
    }
}
