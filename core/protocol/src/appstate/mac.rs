//! The four MACs of app-state sync.
//!
//! - index MAC: `HMAC-SHA256(index key, index JSON bytes)`;
//! - value MAC: the first 32 bytes of `HMAC-SHA512(value-MAC key, (operation + 1) ‖ key id ‖
//!   iv ‖ ciphertext ‖ u64-BE(len(key id) + 1))`;
//! - snapshot MAC: `HMAC-SHA256(snapshot-MAC key, LT-hash ‖ u64-BE(version) ‖ name)`;
//! - patch MAC: `HMAC-SHA256(patch-MAC key, snapshot MAC ‖ every value MAC ‖ u64-BE(version) ‖
//!   name)`.

use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

use super::Collection;
use super::lthash::LtHash;
use crate::crypto::kdf::hmac_sha256;

/// Length of every MAC this module produces.
pub const MAC_LEN: usize = 32;

/// The MAC identifying an index (what the record is about) without revealing it.
pub fn index_mac(index_key: &[u8; 32], index_json: &[u8]) -> [u8; MAC_LEN] {
    hmac_sha256(index_key, &[index_json])
}

/// The MAC of one encrypted value (`content` is iv ‖ ciphertext); `operation` is the
/// `SyncdMutation` operation number (SET 0, REMOVE 1).
pub fn value_mac(
    value_mac_key: &[u8; 32],
    operation: u8,
    key_id: &[u8],
    content: &[u8],
) -> [u8; MAC_LEN] {
    let mut mac = match <Hmac<Sha512> as Mac>::new_from_slice(value_mac_key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(&[operation.wrapping_add(1)]);
    mac.update(key_id);
    mac.update(content);
    mac.update(&(key_id.len() as u64 + 1).to_be_bytes());
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; MAC_LEN];
    out.copy_from_slice(&full[..MAC_LEN]);
    out
}

/// The MAC binding a collection's LT-hash to its version and name.
pub fn snapshot_mac(
    snapshot_mac_key: &[u8; 32],
    hash: &LtHash,
    version: u64,
    collection: Collection,
) -> [u8; MAC_LEN] {
    hmac_sha256(
        snapshot_mac_key,
        &[
            &hash.0,
            &version.to_be_bytes(),
            collection.name().as_bytes(),
        ],
    )
}

/// The MAC of a patch: its snapshot MAC, then its mutations' value MACs in order.
pub fn patch_mac<'a>(
    patch_mac_key: &[u8; 32],
    snapshot_mac: &[u8],
    value_macs: impl IntoIterator<Item = &'a [u8]>,
    version: u64,
    collection: Collection,
) -> [u8; MAC_LEN] {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(patch_mac_key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(snapshot_mac);
    for value_mac in value_macs {
        mac.update(value_mac);
    }
    mac.update(&version.to_be_bytes());
    mac.update(collection.name().as_bytes());
    mac.finalize().into_bytes().into()
}

/// Constant-time equality of a computed MAC and a received one.
pub fn same(computed: &[u8], received: &[u8]) -> bool {
    computed.len() == received.len() && bool::from(computed.ct_eq(received))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from python3's hmac/hashlib, keys 32 bytes of 0x11/0x22/0x33/0x44.
    #[test]
    fn macs_match_an_independent_computation() {
        assert_eq!(
            hex::encode(index_mac(&[0x11; 32], br#"["mute","1@s.whatsapp.net"]"#)),
            INDEX
        );
        assert_eq!(
            hex::encode(value_mac(&[0x22; 32], 0, b"key1", b"iv-and-ciphertext")),
            VALUE
        );
        let mut hash = LtHash::default();
        hash.0[0] = 7;
        let snap = snapshot_mac(&[0x33; 32], &hash, 5, Collection::RegularHigh);
        assert_eq!(hex::encode(snap), SNAPSHOT);
        let patch = patch_mac(
            &[0x44; 32],
            &snap,
            [&[0xaa; 32][..], &[0xbb; 32][..]],
            5,
            Collection::RegularHigh,
        );
        assert_eq!(hex::encode(patch), PATCH);
    }

    const INDEX: &str = "8e858b8a0709649638e491a41db553e63d6980ebf38b2210ea318366c99f77ef";
    const VALUE: &str = "38c26317deda2fc665e3d0c5f9c9e2ee8405425203a544c2b0938cd07beca7d4";
    const SNAPSHOT: &str = "26eac0adb6c2211c9d66c20ef5e562c1f330c451e9af53387066097df7db9c50";
    const PATCH: &str = "e25f178caa1ce64fc45b6741bbae4e136115ac6aa5c8341ee21cf94511e5e075";
}
