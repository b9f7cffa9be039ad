//! HKDF-SHA256 and HMAC-SHA256 helpers.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// HKDF-SHA256 with an output length fixed at compile time. `salt = None` means a salt of 32
/// zero bytes (RFC 5869).
pub fn hkdf_sha256<const N: usize>(ikm: &[u8], salt: Option<&[u8]>, info: &[u8]) -> [u8; N] {
    const { assert!(N <= 255 * 32, "HKDF-SHA256 output is at most 8160 bytes") };
    let mut out = [0u8; N];
    let hk = Hkdf::<Sha256>::new(salt, ikm);
    // The only failure is an over-long output, which the const assertion rules out.
    let _ = hk.expand(info, &mut out);
    out
}

/// HKDF-SHA256 into a vector of `len` bytes; `None` if `len` exceeds 8160.
pub fn hkdf_sha256_vec(
    ikm: &[u8],
    salt: Option<&[u8]>,
    info: &[u8],
    len: usize,
) -> Option<Vec<u8>> {
    let mut out = vec![0u8; len];
    Hkdf::<Sha256>::new(salt, ikm).expand(info, &mut out).ok()?;
    Some(out)
}

/// HMAC-SHA256 over the concatenation of `parts`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = new_hmac(key);
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Constant-time check that `expected` is a prefix (truncated tag) of HMAC-SHA256(key, parts).
pub fn hmac_sha256_verify(key: &[u8], parts: &[&[u8]], expected: &[u8]) -> bool {
    let mut mac = new_hmac(key);
    for part in parts {
        mac.update(part);
    }
    if expected.is_empty() || expected.len() > 32 {
        return false;
    }
    mac.verify_truncated_left(expected).is_ok()
}

fn new_hmac(key: &[u8]) -> HmacSha256 {
    match <HmacSha256 as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

/// SHA-256 of the concatenation of `parts`.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    use sha2::Digest;
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5869_case_1() {
        let ikm = [0x0b; 22];
        let salt = hex::decode("000102030405060708090a0b0c").unwrap();
        let info = hex::decode("f0f1f2f3f4f5f6f7f8f9").unwrap();
        let okm: [u8; 42] = hkdf_sha256(&ikm, Some(&salt), &info);
        assert_eq!(
            hex::encode(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }

    #[test]
    fn hmac_rfc4231_case_2() {
        let tag = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex::encode(tag),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(hmac_sha256_verify(
            b"Jefe",
            &[b"what do ya want for nothing?"],
            &tag[..8]
        ));
        assert!(!hmac_sha256_verify(
            b"Jefe",
            &[b"what do ya want for nothing!"],
            &tag[..8]
        ));
        assert!(!hmac_sha256_verify(b"Jefe", &[b"x"], &[]));
    }
}
