//! One record value: `SyncActionData` protobuf, AES-256-CBC (PKCS#7, random IV), then the value
//! MAC appended. The blob on the wire is `iv (16) ‖ ciphertext ‖ value MAC (32)`.

use prost::Message as _;

use super::AppStateError;
use super::keys::MutationKeys;
use super::mac::{MAC_LEN, same, value_mac};
use crate::proto::syncd::SyncActionData;
use crate::signal::ratchet::{aes_cbc_decrypt, aes_cbc_encrypt};

const IV_LEN: usize = 16;

/// Encrypts `data` under `keys` and appends its value MAC; answers the blob and the MAC.
pub fn seal(
    keys: &MutationKeys,
    key_id: &[u8],
    operation: u8,
    data: &SyncActionData,
    iv: [u8; IV_LEN],
) -> (Vec<u8>, [u8; MAC_LEN]) {
    let mut blob = iv.to_vec();
    blob.extend(aes_cbc_encrypt(
        &keys.value_encryption,
        &iv,
        &data.encode_to_vec(),
    ));
    let mac = value_mac(&keys.value_mac, operation, key_id, &blob);
    blob.extend_from_slice(&mac);
    (blob, mac)
}

/// The value MAC at the end of a blob, unchecked.
pub fn blob_mac(blob: &[u8]) -> Result<[u8; MAC_LEN], AppStateError> {
    let start = blob
        .len()
        .checked_sub(MAC_LEN)
        .ok_or(AppStateError::Malformed("value blob shorter than its MAC"))?;
    let mut mac = [0u8; MAC_LEN];
    mac.copy_from_slice(&blob[start..]);
    Ok(mac)
}

/// Checks a blob's value MAC, then decrypts and decodes it.
pub fn open(
    keys: &MutationKeys,
    key_id: &[u8],
    operation: u8,
    blob: &[u8],
) -> Result<(SyncActionData, [u8; MAC_LEN]), AppStateError> {
    let mac = blob_mac(blob)?;
    let content = &blob[..blob.len() - MAC_LEN];
    if content.len() < IV_LEN {
        return Err(AppStateError::Malformed("value blob shorter than its IV"));
    }
    if !same(
        &value_mac(&keys.value_mac, operation, key_id, content),
        &mac,
    ) {
        return Err(AppStateError::BadValueMac);
    }
    let (iv, ciphertext) = content.split_at(IV_LEN);
    let mut iv_bytes = [0u8; IV_LEN];
    iv_bytes.copy_from_slice(iv);
    let plain = aes_cbc_decrypt(&keys.value_encryption, &iv_bytes, ciphertext)
        .map_err(|_| AppStateError::Malformed("value does not decrypt"))?;
    let data = SyncActionData::decode(plain.as_slice())
        .map_err(|_| AppStateError::Malformed("value is not a SyncActionData"))?;
    Ok((data, mac))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> SyncActionData {
        SyncActionData {
            index: Some(br#"["pin_v1","1@s.whatsapp.net"]"#.to_vec()),
            version: Some(5),
            ..Default::default()
        }
    }

    #[test]
    fn a_sealed_value_opens_and_a_flipped_bit_does_not() {
        let keys = MutationKeys::expand(&[9; 32]);
        let (mut blob, mac) = seal(&keys, b"k", 0, &data(), [3; 16]);
        let (opened, opened_mac) = open(&keys, b"k", 0, &blob).unwrap();
        assert_eq!((opened, opened_mac), (data(), mac));
        assert_eq!(open(&keys, b"k", 1, &blob), Err(AppStateError::BadValueMac));
        assert_eq!(open(&keys, b"x", 0, &blob), Err(AppStateError::BadValueMac));
        blob[20] ^= 1;
        assert_eq!(open(&keys, b"k", 0, &blob), Err(AppStateError::BadValueMac));
        assert!(matches!(
            open(&keys, b"k", 0, &[0; 40]),
            Err(AppStateError::Malformed(_))
        ));
    }

    #[test]
    fn the_ciphertext_matches_an_independent_aes_cbc() {
        // python3 cryptography: AES-256-CBC, PKCS7, key = value-encryption key of [9; 32],
        // iv = [3; 16], plaintext = the SyncActionData bytes below.
        let keys = MutationKeys::expand(&[9; 32]);
        let (blob, _) = seal(&keys, b"k", 0, &data(), [3; 16]);
        assert_eq!(hex::encode(data().encode_to_vec()), PLAIN);
        assert_eq!(hex::encode(&blob[16..blob.len() - 32]), CIPHER);
    }

    const PLAIN: &str = "0a1d5b2270696e5f7631222c223140732e77686174736170702e6e6574225d2005";
    const CIPHER: &str = "481ac3ea65312ef3955c3ae0512504c2ad6ba125bd09a7b93518b7e7bf3e9d5980fbcb75ba9b335dc654edf7624e932e";
}
