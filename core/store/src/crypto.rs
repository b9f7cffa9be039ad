//! Encryption at rest: AES-256-GCM with a random 96-bit nonce per value and associated data that
//! binds each ciphertext to its table, session and key, so values cannot be swapped between rows.
//!
//! Stored format: `0x01 || nonce (12 bytes) || ciphertext || tag (16 bytes)`.

use std::fmt;
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use rand_core::{OsRng, RngCore};

use crate::StoreError;

/// Format version byte in front of every encrypted value.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Domain separation prefix of the associated data.
const AAD_DOMAIN: &[u8] = b"openwa-store/v1";

/// A 256-bit key for encryption at rest. Its `Debug` output never shows the key.
#[derive(Clone)]
pub struct StoreKey([u8; 32]);

impl StoreKey {
    /// Wraps 32 raw key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        StoreKey(bytes)
    }

    /// Parses 64 hex digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, StoreError> {
        let bytes = hex::decode(text.trim())
            .map_err(|e| StoreError::Config(format!("encryption key is not hex: {e}")))?;
        let key: [u8; 32] = bytes.try_into().map_err(|v: Vec<u8>| {
            StoreError::Config(format!("encryption key must be 32 bytes, got {}", v.len()))
        })?;
        Ok(StoreKey(key))
    }

    /// A fresh random key from the operating system's RNG.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        StoreKey(key)
    }

    /// The key as 64 lowercase hex digits (what a key file holds).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Reads the key file at `path`, or creates it with a fresh key and 0600 permissions if it
    /// does not exist yet.
    pub fn load_or_create_file(path: &Path) -> Result<Self, StoreError> {
        let io_err = |source| StoreError::KeyFile {
            path: path.to_owned(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => return StoreKey::from_hex(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(e)),
        }
        // Like the SQLite file, a key file may live in a directory that does not exist yet.
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io_err)?;
        }
        let key = StoreKey::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(path) {
            Ok(mut file) => {
                file.write_all(format!("{}\n", key.to_hex()).as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(io_err)?;
                Ok(key)
            }
            // Another process created it between our read and our create: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(path).map_err(io_err)?;
                StoreKey::from_hex(&text)
            }
            Err(e) => Err(io_err(e)),
        }
    }
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreKey(<redacted>)")
    }
}

/// Encrypts and decrypts stored secrets under one [`StoreKey`].
#[derive(Clone)]
pub(crate) struct Cipher {
    aead: Aes256Gcm,
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cipher(<redacted>)")
    }
}

/// Where a value lives: the associated data every ciphertext is bound to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot<'a> {
    pub table: &'static str,
    pub session: &'a str,
    pub key: &'a str,
}

impl Slot<'_> {
    fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(
            AAD_DOMAIN.len() + 12 + self.table.len() + self.session.len() + self.key.len(),
        );
        aad.extend_from_slice(AAD_DOMAIN);
        for part in [
            self.table.as_bytes(),
            self.session.as_bytes(),
            self.key.as_bytes(),
        ] {
            // Length prefixes keep ("ab","c") and ("a","bc") apart.
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            aad.extend_from_slice(&len.to_be_bytes());
            aad.extend_from_slice(part);
        }
        aad
    }
}

impl Cipher {
    pub(crate) fn new(key: &StoreKey) -> Self {
        Cipher {
            aead: Aes256Gcm::new(&key.0.into()),
        }
    }

    /// Encrypts `plaintext` for `slot` under a fresh random nonce.
    pub(crate) fn seal(&self, slot: Slot<'_>, plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let aad = slot.aad();
        let ciphertext = self
            .aead
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| StoreError::InvalidArgument("value too large to encrypt".to_owned()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// Decrypts a value stored at `slot`; any tampering or a value moved from another slot is a
    /// [`StoreError::Corrupt`].
    pub(crate) fn open(&self, slot: Slot<'_>, stored: &[u8]) -> Result<Vec<u8>, StoreError> {
        let (version, rest) = stored
            .split_first()
            .ok_or_else(|| StoreError::corrupt(slot.table, "empty encrypted value"))?;
        if *version != VERSION {
            return Err(StoreError::corrupt(
                slot.table,
                format!("unknown encryption format version {version}"),
            ));
        }
        let (nonce, ciphertext) = rest
            .split_first_chunk::<NONCE_LEN>()
            .filter(|(_, ct)| ct.len() >= TAG_LEN)
            .ok_or_else(|| StoreError::corrupt(slot.table, "encrypted value too short"))?;
        let aad = slot.aad();
        self.aead
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| {
                StoreError::corrupt(
                    slot.table,
                    format!(
                        "value for session {:?} key {:?} fails authentication",
                        slot.session, slot.key
                    ),
                )
            })
    }

    /// Like [`Cipher::open`] for a fixed-size secret such as a private key.
    pub(crate) fn open_array<const N: usize>(
        &self,
        slot: Slot<'_>,
        stored: &[u8],
    ) -> Result<[u8; N], StoreError> {
        let plain = self.open(slot, stored)?;
        <[u8; N]>::try_from(plain.as_slice()).map_err(|_| {
            StoreError::corrupt(
                slot.table,
                format!("expected {N} bytes, got {}", plain.len()),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot<'a>(session: &'a str, key: &'a str) -> Slot<'a> {
        Slot {
            table: "t",
            session,
            key,
        }
    }

    #[test]
    fn round_trip_and_binding() {
        let cipher = Cipher::new(&StoreKey::from_bytes([7; 32]));
        let sealed = cipher.seal(slot("s1", "k"), b"secret").unwrap();
        assert_eq!(sealed.len(), 1 + 12 + 6 + 16);
        assert_eq!(cipher.open(slot("s1", "k"), &sealed).unwrap(), b"secret");
        assert!(cipher.open(slot("s2", "k"), &sealed).is_err());
        assert!(cipher.open(slot("s1", "k2"), &sealed).is_err());
        // Length-prefixed parts: moving a byte between session and key changes the AAD.
        let a = cipher.seal(slot("ab", "c"), b"x").unwrap();
        assert!(cipher.open(slot("a", "bc"), &a).is_err());
    }

    #[test]
    fn nonces_differ() {
        let cipher = Cipher::new(&StoreKey::from_bytes([1; 32]));
        let a = cipher.seal(slot("s", "k"), b"same").unwrap();
        let b = cipher.seal(slot("s", "k"), b"same").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn tampering_and_truncation_are_corrupt() {
        let cipher = Cipher::new(&StoreKey::from_bytes([2; 32]));
        let sealed = cipher.seal(slot("s", "k"), b"secret").unwrap();
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(matches!(
                cipher.open(slot("s", "k"), &bad),
                Err(StoreError::Corrupt { .. })
            ));
        }
        for len in 0..sealed.len() {
            assert!(cipher.open(slot("s", "k"), &sealed[..len]).is_err());
        }
        let other = Cipher::new(&StoreKey::from_bytes([3; 32]));
        assert!(other.open(slot("s", "k"), &sealed).is_err());
    }

    #[test]
    fn key_parsing() {
        let key = StoreKey::generate();
        let again = StoreKey::from_hex(&format!(" {}\n", key.to_hex())).unwrap();
        assert_eq!(key.0, again.0);
        assert!(matches!(
            StoreKey::from_hex("abcd"),
            Err(StoreError::Config(_))
        ));
        assert!(matches!(
            StoreKey::from_hex("zz"),
            Err(StoreError::Config(_))
        ));
        assert_eq!(format!("{key:?}"), "StoreKey(<redacted>)");
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_created_0600_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("openwa-keyfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.key");
        let _ = std::fs::remove_file(&path);
        let first = StoreKey::load_or_create_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let second = StoreKey::load_or_create_file(&path).unwrap();
        assert_eq!(first.0, second.0);
        std::fs::write(&path, "not a key").unwrap();
        assert!(matches!(
            StoreKey::load_or_create_file(&path),
            Err(StoreError::Config(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
