//! A sync key's derived keys: `HKDF-SHA256(key data, no salt, "WhatsApp Mutation Keys", 160)`
//! cut into five 32-byte keys.

use crate::crypto::kdf::hkdf_sha256;

const INFO: &[u8] = b"WhatsApp Mutation Keys";

/// The five keys one app-state sync key expands to.
#[derive(Clone, PartialEq, Eq)]
pub struct MutationKeys {
    /// HMAC-SHA256 key of index MACs.
    pub index: [u8; 32],
    /// AES-256-CBC key of record values.
    pub value_encryption: [u8; 32],
    /// HMAC-SHA512 key of value MACs.
    pub value_mac: [u8; 32],
    /// HMAC-SHA256 key of snapshot MACs.
    pub snapshot_mac: [u8; 32],
    /// HMAC-SHA256 key of patch MACs.
    pub patch_mac: [u8; 32],
}

impl std::fmt::Debug for MutationKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MutationKeys").finish_non_exhaustive()
    }
}

impl MutationKeys {
    /// Expands a sync key's data (any length; WhatsApp's are 32 bytes).
    pub fn expand(key_data: &[u8]) -> Self {
        let okm: [u8; 160] = hkdf_sha256(key_data, None, INFO);
        let part = |i: usize| {
            let mut key = [0u8; 32];
            key.copy_from_slice(&okm[i * 32..(i + 1) * 32]);
            key
        };
        MutationKeys {
            index: part(0),
            value_encryption: part(1),
            value_mac: part(2),
            snapshot_mac: part(3),
            patch_mac: part(4),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_matches_an_independent_hkdf() {
        // python3: HKDF(SHA256(), 160, salt=None, info=b"WhatsApp Mutation Keys").derive(bytes(range(32)))
        let keys = MutationKeys::expand(&(0u8..32).collect::<Vec<_>>());
        assert_eq!(hex::encode(keys.index), INDEX);
        assert_eq!(hex::encode(keys.patch_mac), PATCH_MAC);
    }

    const INDEX: &str = "61387bcf643616a68bd611a45516b3980418323087d78bf08c615645549434b4";
    const PATCH_MAC: &str = "693845bdd996652aca9ca0b96d0f081abf29943303c5eb19bdb84f38b24c32ab";
}
