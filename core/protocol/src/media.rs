//! Media encryption, decryption and verification (docs/PROTOCOL.md, Media).
//!
//! A 32-byte media key expands with HKDF into an IV, an AES-256-CBC key and a MAC key. The
//! uploaded blob is `AES-256-CBC(PKCS#7(file)) ‖ HMAC-SHA256(macKey, IV ‖ ciphertext)[..10]`.
//! [`MediaEncryptor`] and [`MediaDecryptor`] work chunk by chunk, so a large file never has to be
//! held twice; [`encrypt`] and [`decrypt`] are the whole-buffer forms built on them.

use aes::Aes256;
use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use cbc::cipher::consts::U16;
use cbc::cipher::inout::InOutBuf;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use thiserror::Error;

use crate::crypto::kdf::hkdf_sha256;

type HmacSha256 = Hmac<Sha256>;

/// AES block size.
const BLOCK: usize = 16;
/// Length of the truncated MAC appended to the ciphertext.
pub const MAC_LEN: usize = 10;
/// Length of the expanded key material.
pub const EXPANDED_KEY_LEN: usize = 112;

/// The kinds of media, each with its own key-derivation label and upload path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// Images (`imageMessage`).
    Image,
    /// Stickers: keys as images, uploaded as images.
    Sticker,
    /// Product catalog images: keys as images.
    Product,
    /// Videos (`videoMessage`).
    Video,
    /// GIFs (videos with `gifPlayback`).
    Gif,
    /// Round video notes (`ptvMessage`).
    Ptv,
    /// Audio files (`audioMessage`).
    Audio,
    /// Voice notes (audio with `PTT`).
    Ptt,
    /// Documents (`documentMessage`).
    Document,
    /// History sync blobs (`md-msg-hist`).
    History,
    /// App-state sync blobs (`md-app-state`).
    AppState,
    /// High-quality image thumbnails.
    ImageThumbnail,
    /// High-quality video thumbnails.
    VideoThumbnail,
    /// Document thumbnails.
    DocumentThumbnail,
    /// Link preview thumbnails.
    LinkThumbnail,
    /// Sticker packs.
    StickerPack,
    /// Payment background images.
    PaymentBackground,
}

impl MediaType {
    /// Every media type.
    pub const ALL: [MediaType; 17] = [
        MediaType::Image,
        MediaType::Sticker,
        MediaType::Product,
        MediaType::Video,
        MediaType::Gif,
        MediaType::Ptv,
        MediaType::Audio,
        MediaType::Ptt,
        MediaType::Document,
        MediaType::History,
        MediaType::AppState,
        MediaType::ImageThumbnail,
        MediaType::VideoThumbnail,
        MediaType::DocumentThumbnail,
        MediaType::LinkThumbnail,
        MediaType::StickerPack,
        MediaType::PaymentBackground,
    ];

    /// The HKDF info string: `WhatsApp <Label> Keys`.
    pub fn hkdf_info(self) -> &'static str {
        match self {
            MediaType::Image | MediaType::Sticker | MediaType::Product => "WhatsApp Image Keys",
            MediaType::Video | MediaType::Gif | MediaType::Ptv => "WhatsApp Video Keys",
            MediaType::Audio | MediaType::Ptt => "WhatsApp Audio Keys",
            MediaType::Document => "WhatsApp Document Keys",
            MediaType::History => "WhatsApp History Keys",
            MediaType::AppState => "WhatsApp App State Keys",
            MediaType::ImageThumbnail => "WhatsApp Image Thumbnail Keys",
            MediaType::VideoThumbnail => "WhatsApp Video Thumbnail Keys",
            MediaType::DocumentThumbnail => "WhatsApp Document Thumbnail Keys",
            MediaType::LinkThumbnail => "WhatsApp Link Thumbnail Keys",
            MediaType::StickerPack => "WhatsApp Sticker Pack Keys",
            MediaType::PaymentBackground => "WhatsApp Payment Background Keys",
        }
    }

    /// The mms type: the path segment of `/mms/<type>/<token>` uploads and the `mms-type`
    /// download parameter (whatsmeow's names; Baileys uploads stickers and link thumbnails under
    /// `image` and history under `md-app-state`, so a server must accept those too).
    pub fn mms_type(self) -> &'static str {
        match self {
            MediaType::Image | MediaType::Sticker | MediaType::Product => "image",
            MediaType::Video | MediaType::Gif | MediaType::Ptv => "video",
            MediaType::Audio | MediaType::Ptt => "audio",
            MediaType::Document => "document",
            MediaType::History => "md-msg-hist",
            MediaType::AppState => "md-app-state",
            MediaType::ImageThumbnail => "thumbnail-image",
            MediaType::VideoThumbnail => "thumbnail-video",
            MediaType::DocumentThumbnail => "thumbnail-document",
            MediaType::LinkThumbnail => "thumbnail-link",
            MediaType::StickerPack => "sticker-pack",
            MediaType::PaymentBackground => "payment-bg-image",
        }
    }

    /// The upload path prefix, `/mms/<mms type>`.
    pub fn upload_path(self) -> String {
        format!("/mms/{}", self.mms_type())
    }

    /// The canonical media type for an mms type (the first type using that name).
    pub fn from_mms_type(mms_type: &str) -> Option<MediaType> {
        MediaType::ALL
            .into_iter()
            .find(|t| t.mms_type() == mms_type)
    }
}

/// The four keys expanded from a media key.
#[derive(Clone, PartialEq, Eq)]
pub struct MediaKeys {
    /// AES-CBC initialization vector.
    pub iv: [u8; 16],
    /// AES-256 key.
    pub cipher_key: [u8; 32],
    /// HMAC-SHA256 key.
    pub mac_key: [u8; 32],
    /// Reference key (unused by message media).
    pub ref_key: [u8; 32],
}

impl std::fmt::Debug for MediaKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaKeys").finish_non_exhaustive()
    }
}

impl MediaKeys {
    /// `HKDF-SHA256(media key, no salt, type info, 112)` split 16/32/32/32.
    pub fn derive(media_key: &[u8; 32], media_type: MediaType) -> Self {
        let okm: [u8; EXPANDED_KEY_LEN] =
            hkdf_sha256(media_key, None, media_type.hkdf_info().as_bytes());
        let mut keys = MediaKeys {
            iv: [0; 16],
            cipher_key: [0; 32],
            mac_key: [0; 32],
            ref_key: [0; 32],
        };
        let (iv, rest) = okm.split_at(16);
        let (cipher_key, rest) = rest.split_at(32);
        let (mac_key, ref_key) = rest.split_at(32);
        keys.iv.copy_from_slice(iv);
        keys.cipher_key.copy_from_slice(cipher_key);
        keys.mac_key.copy_from_slice(mac_key);
        keys.ref_key.copy_from_slice(ref_key);
        keys
    }

    fn new_mac(&self) -> HmacSha256 {
        let mut mac = match <HmacSha256 as Mac>::new_from_slice(&self.mac_key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        };
        mac.update(&self.iv);
        mac
    }
}

/// Why media could not be decrypted or verified.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MediaError {
    /// More bytes than the configured maximum.
    #[error("media exceeds the maximum of {max} bytes")]
    TooLarge {
        /// The maximum plaintext size.
        max: u64,
    },
    /// The blob is not `16·k + 10` bytes with k ≥ 1.
    #[error("encrypted media has an impossible length of {0} bytes")]
    BadLength(u64),
    /// SHA-256 of the blob differs from `fileEncSha256`.
    #[error("encrypted file hash mismatch")]
    EncSha256Mismatch,
    /// The 10-byte HMAC does not match.
    #[error("media MAC mismatch")]
    MacMismatch,
    /// The decrypted data does not end in valid PKCS#7 padding.
    #[error("bad padding in decrypted media")]
    BadPadding,
    /// SHA-256 of the plaintext differs from `fileSha256`.
    #[error("file hash mismatch")]
    Sha256Mismatch,
    /// A hash taken from a message is not 32 bytes.
    #[error("{field} is {actual} bytes, expected 32")]
    DigestLength {
        /// Which hash.
        field: &'static str,
        /// Its length.
        actual: usize,
    },
}

/// Hashes and length describing encrypted media (the message fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaInfo {
    /// SHA-256 of the plaintext (`fileSha256`).
    pub file_sha256: [u8; 32],
    /// SHA-256 of the uploaded blob (`fileEncSha256`).
    pub file_enc_sha256: [u8; 32],
    /// Plaintext length (`fileLength`).
    pub file_length: u64,
    /// The truncated MAC at the end of the blob.
    pub mac: [u8; MAC_LEN],
}

impl MediaInfo {
    /// The upload token: base64url of `fileEncSha256` (see [`upload_token`]).
    pub fn upload_token(&self, padded: bool) -> String {
        upload_token(&self.file_enc_sha256, padded)
    }
}

/// base64url of `fileEncSha256`: whatsmeow keeps the `=` padding, Baileys strips it.
pub fn upload_token(file_enc_sha256: &[u8; 32], padded: bool) -> String {
    if padded {
        URL_SAFE.encode(file_enc_sha256)
    } else {
        URL_SAFE_NO_PAD.encode(file_enc_sha256)
    }
}

/// The hashes a download is checked against; `None` skips that check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpectedDigests {
    /// Expected `fileSha256`.
    pub file_sha256: Option<[u8; 32]>,
    /// Expected `fileEncSha256`.
    pub file_enc_sha256: Option<[u8; 32]>,
}

impl ExpectedDigests {
    /// From the (unchecked-length) message fields.
    pub fn from_fields(
        file_sha256: Option<&[u8]>,
        file_enc_sha256: Option<&[u8]>,
    ) -> Result<Self, MediaError> {
        let convert = |bytes: Option<&[u8]>, field| {
            bytes
                .map(|b| {
                    b.try_into().map_err(|_| MediaError::DigestLength {
                        field,
                        actual: b.len(),
                    })
                })
                .transpose()
        };
        Ok(ExpectedDigests {
            file_sha256: convert(file_sha256, "fileSha256")?,
            file_enc_sha256: convert(file_enc_sha256, "fileEncSha256")?,
        })
    }
}

fn encrypt_blocks(cbc: &mut cbc::Encryptor<Aes256>, data: &mut [u8]) {
    let (blocks, _tail) = InOutBuf::from(data).into_chunks::<U16>();
    cbc.encrypt_blocks_inout_mut(blocks);
}

fn decrypt_blocks(cbc: &mut cbc::Decryptor<Aes256>, data: &mut [u8]) {
    let (blocks, _tail) = InOutBuf::from(data).into_chunks::<U16>();
    cbc.decrypt_blocks_inout_mut(blocks);
}

/// Incremental media encryption: feed the file with [`update`](Self::update), collect the
/// blob from the output buffers, then [`finish`](Self::finish).
#[derive(Clone)]
pub struct MediaEncryptor {
    cbc: cbc::Encryptor<Aes256>,
    mac: HmacSha256,
    plain_hash: Sha256,
    enc_hash: Sha256,
    pending: Vec<u8>,
    length: u64,
}

impl std::fmt::Debug for MediaEncryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaEncryptor")
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

impl MediaEncryptor {
    /// An encryptor for `media_key` and `media_type`.
    pub fn new(media_key: &[u8; 32], media_type: MediaType) -> Self {
        Self::with_keys(&MediaKeys::derive(media_key, media_type))
    }

    /// An encryptor for already expanded keys.
    pub fn with_keys(keys: &MediaKeys) -> Self {
        MediaEncryptor {
            cbc: cbc::Encryptor::<Aes256>::new(&keys.cipher_key.into(), &keys.iv.into()),
            mac: keys.new_mac(),
            plain_hash: Sha256::new(),
            enc_hash: Sha256::new(),
            pending: Vec::with_capacity(BLOCK),
            length: 0,
        }
    }

    /// Encrypts the next piece of the file, appending whole ciphertext blocks to `out`.
    pub fn update(&mut self, plaintext: &[u8], out: &mut Vec<u8>) {
        self.plain_hash.update(plaintext);
        self.length = self.length.saturating_add(plaintext.len() as u64);
        let available = self.pending.len() + plaintext.len();
        let ready = available / BLOCK * BLOCK;
        if ready == 0 {
            self.pending.extend_from_slice(plaintext);
            return;
        }
        let from_input = ready - self.pending.len();
        let (now, later) = plaintext.split_at(from_input);
        let start = out.len();
        out.reserve(ready);
        out.append(&mut self.pending);
        out.extend_from_slice(now);
        self.pending.extend_from_slice(later);
        let fresh = out.get_mut(start..).unwrap_or_default();
        encrypt_blocks(&mut self.cbc, fresh);
        self.mac.update(fresh);
        self.enc_hash.update(fresh);
    }

    /// Pads and encrypts the rest, appends the last block(s) and the MAC to `out`, and returns
    /// the message fields.
    pub fn finish(mut self, out: &mut Vec<u8>) -> MediaInfo {
        let pad = BLOCK - self.pending.len();
        let start = out.len();
        out.append(&mut self.pending);
        out.resize(start + BLOCK, pad as u8);
        let fresh = out.get_mut(start..).unwrap_or_default();
        encrypt_blocks(&mut self.cbc, fresh);
        self.mac.update(fresh);
        self.enc_hash.update(fresh);
        let full_mac = self.mac.finalize().into_bytes();
        let mut mac = [0u8; MAC_LEN];
        mac.copy_from_slice(full_mac.get(..MAC_LEN).unwrap_or_default());
        out.extend_from_slice(&mac);
        self.enc_hash.update(mac);
        MediaInfo {
            file_sha256: self.plain_hash.finalize().into(),
            file_enc_sha256: self.enc_hash.finalize().into(),
            file_length: self.length,
            mac,
        }
    }
}

/// Encrypted media: the blob to upload and its message fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedMedia {
    /// `ciphertext ‖ mac`.
    pub blob: Vec<u8>,
    /// Hashes and length for the message.
    pub info: MediaInfo,
}

/// Encrypts a whole file.
pub fn encrypt(media_key: &[u8; 32], media_type: MediaType, plaintext: &[u8]) -> EncryptedMedia {
    let mut encryptor = MediaEncryptor::new(media_key, media_type);
    let mut blob = Vec::with_capacity(plaintext.len() / BLOCK * BLOCK + BLOCK + MAC_LEN);
    encryptor.update(plaintext, &mut blob);
    let info = encryptor.finish(&mut blob);
    EncryptedMedia { blob, info }
}

/// Bytes the decryptor holds back: the last ciphertext block (padding) and the MAC.
const HOLD_BACK: usize = BLOCK + MAC_LEN;

/// Incremental media decryption and verification.
///
/// **Output of [`update`](Self::update) is unauthenticated** until [`finish`](Self::finish)
/// returns `Ok`: on an error, discard everything produced so far.
#[derive(Clone)]
pub struct MediaDecryptor {
    cbc: cbc::Decryptor<Aes256>,
    mac: HmacSha256,
    plain_hash: Sha256,
    enc_hash: Sha256,
    held: Vec<u8>,
    received: u64,
    max_plaintext: u64,
    expected: ExpectedDigests,
    length: u64,
}

impl std::fmt::Debug for MediaDecryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaDecryptor")
            .field("received", &self.received)
            .field("max_plaintext", &self.max_plaintext)
            .finish_non_exhaustive()
    }
}

/// The largest blob that can hold at most `max_plaintext` bytes.
fn max_blob_len(max_plaintext: u64) -> u64 {
    (max_plaintext / BLOCK as u64)
        .saturating_add(1)
        .saturating_mul(BLOCK as u64)
        .saturating_add(MAC_LEN as u64)
}

impl MediaDecryptor {
    /// A decryptor for `media_key`/`media_type` that refuses files over `max_plaintext` bytes
    /// and checks the given digests.
    pub fn new(
        media_key: &[u8; 32],
        media_type: MediaType,
        expected: ExpectedDigests,
        max_plaintext: u64,
    ) -> Self {
        Self::with_keys(
            &MediaKeys::derive(media_key, media_type),
            expected,
            max_plaintext,
        )
    }

    /// A decryptor for already expanded keys.
    pub fn with_keys(keys: &MediaKeys, expected: ExpectedDigests, max_plaintext: u64) -> Self {
        MediaDecryptor {
            cbc: cbc::Decryptor::<Aes256>::new(&keys.cipher_key.into(), &keys.iv.into()),
            mac: keys.new_mac(),
            plain_hash: Sha256::new(),
            enc_hash: Sha256::new(),
            held: Vec::with_capacity(HOLD_BACK + BLOCK),
            received: 0,
            max_plaintext,
            expected,
            length: 0,
        }
    }

    /// Decrypts the next piece of the blob, appending (unauthenticated) plaintext to `out`. The
    /// last block and the MAC are held back until [`finish`](Self::finish).
    pub fn update(&mut self, blob: &[u8], out: &mut Vec<u8>) -> Result<(), MediaError> {
        self.received = self.received.saturating_add(blob.len() as u64);
        if self.received > max_blob_len(self.max_plaintext) {
            return Err(MediaError::TooLarge {
                max: self.max_plaintext,
            });
        }
        self.enc_hash.update(blob);
        let available = self.held.len() + blob.len();
        let ready = available.saturating_sub(HOLD_BACK) / BLOCK * BLOCK;
        if ready == 0 {
            self.held.extend_from_slice(blob);
            return Ok(());
        }
        let from_held = ready.min(self.held.len());
        let from_input = ready - from_held;
        let (now, later) = blob.split_at(from_input);
        let start = out.len();
        out.reserve(ready);
        out.extend(self.held.drain(..from_held));
        out.extend_from_slice(now);
        self.held.extend_from_slice(later);
        let fresh = out.get_mut(start..).unwrap_or_default();
        self.mac.update(fresh);
        decrypt_blocks(&mut self.cbc, fresh);
        self.plain_hash.update(&*fresh);
        self.length = self.length.saturating_add(fresh.len() as u64);
        Ok(())
    }

    /// Checks, in order, the blob hash, the MAC, the padding and the plaintext hash; appends the
    /// last plaintext bytes to `out` and returns the media's fields.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<MediaInfo, MediaError> {
        let (last_block, mac) = self
            .held
            .split_at_checked(BLOCK)
            .filter(|(_, mac)| mac.len() == MAC_LEN)
            .ok_or(MediaError::BadLength(self.received))?;
        let file_enc_sha256: [u8; 32] = self.enc_hash.finalize().into();
        if self
            .expected
            .file_enc_sha256
            .is_some_and(|e| !bool::from(e.ct_eq(&file_enc_sha256)))
        {
            return Err(MediaError::EncSha256Mismatch);
        }
        self.mac.update(last_block);
        let full_mac = self.mac.finalize().into_bytes();
        let expected_mac = full_mac.get(..MAC_LEN).unwrap_or_default();
        if !bool::from(expected_mac.ct_eq(mac)) {
            return Err(MediaError::MacMismatch);
        }
        let mut block = [0u8; BLOCK];
        block.copy_from_slice(last_block);
        decrypt_blocks(&mut self.cbc, &mut block);
        let pad = usize::from(block[BLOCK - 1]);
        let content = BLOCK
            .checked_sub(pad)
            .filter(|_| pad >= 1)
            .and_then(|n| block.split_at_checked(n))
            .filter(|(_, padding)| padding.iter().all(|&b| usize::from(b) == pad))
            .map(|(content, _)| content)
            .ok_or(MediaError::BadPadding)?;
        self.plain_hash.update(content);
        let file_sha256: [u8; 32] = self.plain_hash.finalize().into();
        if self
            .expected
            .file_sha256
            .is_some_and(|e| !bool::from(e.ct_eq(&file_sha256)))
        {
            return Err(MediaError::Sha256Mismatch);
        }
        out.extend_from_slice(content);
        let mut mac_out = [0u8; MAC_LEN];
        mac_out.copy_from_slice(mac);
        Ok(MediaInfo {
            file_sha256,
            file_enc_sha256,
            file_length: self.length + content.len() as u64,
            mac: mac_out,
        })
    }
}

/// Decrypts and verifies a whole blob; files over `max_plaintext` bytes are refused before any
/// work.
pub fn decrypt(
    media_key: &[u8; 32],
    media_type: MediaType,
    blob: &[u8],
    expected: ExpectedDigests,
    max_plaintext: u64,
) -> Result<Vec<u8>, MediaError> {
    let mut decryptor = MediaDecryptor::new(media_key, media_type, expected, max_plaintext);
    let mut plaintext = Vec::with_capacity(blob.len().saturating_sub(MAC_LEN));
    decryptor.update(blob, &mut plaintext)?;
    decryptor.finish(&mut plaintext)?;
    Ok(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use proptest::prelude::*;

    fn vector_key() -> [u8; 32] {
        std::array::from_fn(|i| i as u8)
    }

    #[test]
    fn protocol_md_key_vector() {
        let keys = MediaKeys::derive(&vector_key(), MediaType::Image);
        assert_eq!(hex::encode(keys.iv), "aa6a127218397cbd2383e4ccf7176a79");
        assert_eq!(
            hex::encode(keys.cipher_key),
            "008c9aea9b7c5d81eb56b3f530f87d42dcc92d27b11ad6b5bd66f0560d0d8c46"
        );
        assert_eq!(
            hex::encode(keys.mac_key),
            "91d09ffec108833c1699574c52657923fb6e3e161d9698bc6b3a05fbc508a515"
        );
        assert_eq!(
            hex::encode(keys.ref_key),
            "4d4981725e9eb39838fcff2130508f1360cbb319f99cef163d57ab7c050a667e"
        );
        // Sticker shares the image label; other labels give other keys.
        assert_eq!(MediaKeys::derive(&vector_key(), MediaType::Sticker), keys);
        assert_ne!(MediaKeys::derive(&vector_key(), MediaType::Video), keys);
    }

    #[test]
    fn protocol_md_hello_vector() {
        let encrypted = encrypt(&vector_key(), MediaType::Image, b"hello");
        assert_eq!(
            hex::encode(&encrypted.blob),
            "d6dae84a388d36554b4babc2ea10204a9971f756a2561f9b8f20"
        );
        let info = encrypted.info;
        assert_eq!(
            STANDARD.encode(info.file_sha256),
            "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="
        );
        assert_eq!(
            STANDARD.encode(info.file_enc_sha256),
            "dVMJ7QPDvHITbRV5mU2zBy/4u8sGrbNlpAzQrAu9Nb0="
        );
        assert_eq!(info.file_length, 5);
        assert_eq!(hex::encode(info.mac), "9971f756a2561f9b8f20");
        assert_eq!(
            info.upload_token(true),
            "dVMJ7QPDvHITbRV5mU2zBy_4u8sGrbNlpAzQrAu9Nb0="
        );
        assert_eq!(
            info.upload_token(false),
            "dVMJ7QPDvHITbRV5mU2zBy_4u8sGrbNlpAzQrAu9Nb0"
        );

        let expected = ExpectedDigests {
            file_sha256: Some(info.file_sha256),
            file_enc_sha256: Some(info.file_enc_sha256),
        };
        let plain = decrypt(
            &vector_key(),
            MediaType::Image,
            &encrypted.blob,
            expected,
            5,
        )
        .unwrap();
        assert_eq!(plain, b"hello");
    }

    #[test]
    fn labels_and_paths() {
        assert_eq!(MediaType::Document.hkdf_info(), "WhatsApp Document Keys");
        assert_eq!(MediaType::History.hkdf_info(), "WhatsApp History Keys");
        assert_eq!(MediaType::AppState.hkdf_info(), "WhatsApp App State Keys");
        assert_eq!(MediaType::Ptt.hkdf_info(), "WhatsApp Audio Keys");
        assert_eq!(MediaType::Gif.hkdf_info(), "WhatsApp Video Keys");
        assert_eq!(
            MediaType::LinkThumbnail.hkdf_info(),
            "WhatsApp Link Thumbnail Keys"
        );
        assert_eq!(MediaType::History.upload_path(), "/mms/md-msg-hist");
        assert_eq!(MediaType::Sticker.upload_path(), "/mms/image");
        assert_eq!(
            MediaType::from_mms_type("md-app-state"),
            Some(MediaType::AppState)
        );
        assert_eq!(MediaType::from_mms_type("image"), Some(MediaType::Image));
        assert_eq!(MediaType::from_mms_type("nope"), None);
        for t in MediaType::ALL {
            let info = t.hkdf_info();
            assert!(
                info.starts_with("WhatsApp ") && info.ends_with(" Keys"),
                "{t:?}"
            );
            assert!(MediaType::from_mms_type(t.mms_type()).is_some());
        }
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + 7) as u8).collect()
    }

    fn expected_of(e: &EncryptedMedia) -> ExpectedDigests {
        ExpectedDigests {
            file_sha256: Some(e.info.file_sha256),
            file_enc_sha256: Some(e.info.file_enc_sha256),
        }
    }

    #[test]
    fn block_boundaries() {
        let key = [9u8; 32];
        for len in [0, 1, 15, 16, 17, 31, 32, 33, 1000] {
            let plain = sample(len);
            let e = encrypt(&key, MediaType::Document, &plain);
            assert_eq!(e.blob.len(), (len / 16 + 1) * 16 + 10, "len {len}");
            assert_eq!(e.info.file_length, len as u64);
            let back = decrypt(
                &key,
                MediaType::Document,
                &e.blob,
                expected_of(&e),
                len as u64,
            );
            assert_eq!(back.as_deref(), Ok(&plain[..]), "len {len}");
        }
    }

    #[test]
    fn tampering_is_detected_in_order() {
        let key = [3u8; 32];
        let e = encrypt(&key, MediaType::Video, &sample(100));
        let exp = expected_of(&e);
        let run = |blob: &[u8], exp| decrypt(&key, MediaType::Video, blob, exp, 1 << 20);

        // Any modified byte changes the blob hash first.
        let mut bad = e.blob.clone();
        bad[20] ^= 1;
        assert_eq!(run(&bad, exp), Err(MediaError::EncSha256Mismatch));
        // Without the blob hash, the MAC catches it.
        let no_enc = ExpectedDigests {
            file_enc_sha256: None,
            ..exp
        };
        assert_eq!(run(&bad, no_enc), Err(MediaError::MacMismatch));
        let mut bad_mac = e.blob.clone();
        let last = bad_mac.len() - 1;
        bad_mac[last] ^= 0x80;
        assert_eq!(run(&bad_mac, no_enc), Err(MediaError::MacMismatch));
        // Wrong media type: different keys, MAC mismatch.
        assert_eq!(
            decrypt(&key, MediaType::Image, &e.blob, no_enc, 1 << 20),
            Err(MediaError::MacMismatch)
        );
        // Right blob, wrong plaintext hash.
        let wrong_plain = ExpectedDigests {
            file_sha256: Some([0; 32]),
            ..exp
        };
        assert_eq!(run(&e.blob, wrong_plain), Err(MediaError::Sha256Mismatch));
        // Truncations.
        assert_eq!(
            run(&e.blob[..e.blob.len() - 1], ExpectedDigests::default()),
            Err(MediaError::BadLength(121))
        );
        assert_eq!(
            run(&[], ExpectedDigests::default()),
            Err(MediaError::BadLength(0))
        );
        assert_eq!(
            run(&e.blob[..25], ExpectedDigests::default()),
            Err(MediaError::BadLength(25))
        );
        assert_eq!(run(&e.blob, ExpectedDigests::default()), Ok(sample(100)));
    }

    #[test]
    fn bad_padding_with_valid_mac() {
        // Encrypt a full block with no padding, then MAC it properly: decrypts to bad padding.
        let keys = MediaKeys::derive(&[5; 32], MediaType::Audio);
        let mut ct = vec![0x20u8; 16];
        let mut cbc = cbc::Encryptor::<Aes256>::new(&keys.cipher_key.into(), &keys.iv.into());
        encrypt_blocks(&mut cbc, &mut ct);
        let mut mac = keys.new_mac();
        mac.update(&ct);
        let tag = mac.finalize().into_bytes();
        ct.extend_from_slice(&tag[..10]);
        assert_eq!(
            decrypt(
                &[5; 32],
                MediaType::Audio,
                &ct,
                ExpectedDigests::default(),
                100
            ),
            Err(MediaError::BadPadding)
        );
    }

    #[test]
    fn oversize_is_refused() {
        let key = [1u8; 32];
        let e = encrypt(&key, MediaType::Image, &sample(64));
        assert_eq!(
            decrypt(&key, MediaType::Image, &e.blob, expected_of(&e), 63),
            Err(MediaError::TooLarge { max: 63 })
        );
        // 64 bytes of plaintext need an 80+10 byte blob: the limit 64 allows exactly that.
        assert!(decrypt(&key, MediaType::Image, &e.blob, expected_of(&e), 64).is_ok());
        // The streaming decryptor stops as soon as the limit is crossed.
        let mut d = MediaDecryptor::new(&key, MediaType::Image, ExpectedDigests::default(), 16);
        let mut out = Vec::new();
        assert!(d.update(&e.blob[..40], &mut out).is_ok());
        assert_eq!(
            d.update(&e.blob[40..], &mut out),
            Err(MediaError::TooLarge { max: 16 })
        );
    }

    #[test]
    fn digests_from_fields() {
        assert_eq!(
            ExpectedDigests::from_fields(Some(&[1; 32]), None),
            Ok(ExpectedDigests {
                file_sha256: Some([1; 32]),
                file_enc_sha256: None
            })
        );
        assert_eq!(
            ExpectedDigests::from_fields(None, Some(&[1; 31])),
            Err(MediaError::DigestLength {
                field: "fileEncSha256",
                actual: 31
            })
        );
    }

    proptest! {
        #[test]
        fn streaming_matches_whole_buffer(
            plain in proptest::collection::vec(any::<u8>(), 0..600),
            cuts in proptest::collection::vec(0usize..700, 0..8),
            key in any::<[u8; 32]>(),
        ) {
            let whole = encrypt(&key, MediaType::Image, &plain);

            let mut cuts_in: Vec<usize> = cuts.iter().map(|c| c % (plain.len() + 1)).collect();
            cuts_in.sort_unstable();
            let mut enc = MediaEncryptor::new(&key, MediaType::Image);
            let mut blob = Vec::new();
            let mut from = 0;
            for cut in cuts_in.into_iter().chain([plain.len()]) {
                enc.update(&plain[from..cut], &mut blob);
                from = cut;
            }
            let info = enc.finish(&mut blob);
            prop_assert_eq!(&blob, &whole.blob);
            prop_assert_eq!(info, whole.info);

            let mut cuts_out: Vec<usize> = cuts.iter().map(|c| c % (blob.len() + 1)).collect();
            cuts_out.sort_unstable();
            let mut dec = MediaDecryptor::new(&key, MediaType::Image, expected_of(&whole), plain.len() as u64);
            let mut back = Vec::new();
            let mut from = 0;
            for cut in cuts_out.into_iter().chain([blob.len()]) {
                dec.update(&blob[from..cut], &mut back).unwrap();
                from = cut;
            }
            prop_assert_eq!(dec.finish(&mut back), Ok(whole.info));
            prop_assert_eq!(back, plain);
        }

        #[test]
        fn arbitrary_blobs_never_panic(blob in proptest::collection::vec(any::<u8>(), 0..200)) {
            let r = decrypt(&[7; 32], MediaType::Image, &blob, ExpectedDigests::default(), 1000);
            // A random blob essentially never carries a valid MAC.
            prop_assert!(r.is_err());
        }
    }
}
