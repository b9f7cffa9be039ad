//! XEdDSA signatures with Curve25519 keys, as Signal computes them (docs/PROTOCOL.md, Signal).

use curve25519_dalek::constants::ED25519_BASEPOINT_TABLE;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::montgomery::MontgomeryPoint;
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

/// Signs `message` with a (clamped) Curve25519 private key. `random` must be 64 fresh random
/// bytes; the signature carries the Edwards sign bit in bit 7 of byte 63.
pub fn sign(private: &[u8; 32], message: &[u8], random: &[u8; 64]) -> [u8; 64] {
    let a = Scalar::from_bytes_mod_order(*private);
    let public_ed = (&a * ED25519_BASEPOINT_TABLE).compress();
    let sign_bit = public_ed.as_bytes()[31] & 0x80;

    let mut prefix = [0xFFu8; 32];
    prefix[0] = 0xFE;
    let r = Scalar::from_hash(
        Sha512::new()
            .chain_update(prefix)
            .chain_update(private)
            .chain_update(message)
            .chain_update(random),
    );
    let cap_r = (&r * ED25519_BASEPOINT_TABLE).compress();
    let h = Scalar::from_hash(
        Sha512::new()
            .chain_update(cap_r.as_bytes())
            .chain_update(public_ed.as_bytes())
            .chain_update(message),
    );
    let s = h * a + r;

    let mut signature = [0u8; 64];
    signature[..32].copy_from_slice(cap_r.as_bytes());
    signature[32..].copy_from_slice(s.as_bytes());
    signature[63] &= 0x7F;
    signature[63] |= sign_bit;
    signature
}

/// Verifies an XEdDSA signature against a Montgomery-form public key.
pub fn verify(public: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let sign = (signature[63] & 0x80) >> 7;
    let Some(public_ed) = MontgomeryPoint(*public).to_edwards(sign) else {
        return false;
    };
    let mut cap_r = [0u8; 32];
    cap_r.copy_from_slice(&signature[..32]);
    let mut s = [0u8; 32];
    s.copy_from_slice(&signature[32..]);
    s[31] &= 0x7F;
    if s[31] & 0xE0 != 0 {
        return false;
    }
    let h = Scalar::from_hash(
        Sha512::new()
            .chain_update(cap_r)
            .chain_update(public_ed.compress().as_bytes())
            .chain_update(message),
    );
    let check = EdwardsPoint::vartime_double_scalar_mul_basepoint(
        &h,
        &-public_ed,
        &Scalar::from_bytes_mod_order(s),
    )
    .compress();
    bool::from(check.as_bytes().ct_eq(&cap_r))
}

/// [`verify`] for signatures of unchecked length: anything but 64 bytes fails.
pub fn verify_slice(public: &[u8; 32], message: &[u8], signature: &[u8]) -> bool {
    match <&[u8; 64]>::try_from(signature) {
        Ok(sig) => verify(public, message, sig),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::KeyPair;

    #[test]
    fn sign_then_verify() {
        let pair = KeyPair::from_private([0x42; 32]);
        let sig = sign(&pair.private, b"hello", &[9; 64]);
        assert!(verify(&pair.public, b"hello", &sig));
        assert!(!verify(&pair.public, b"hellp", &sig));
        let other = KeyPair::from_private([0x43; 32]);
        assert!(!verify(&other.public, b"hello", &sig));
        let mut bad = sig;
        bad[10] ^= 1;
        assert!(!verify(&pair.public, b"hello", &bad));
        assert!(!verify_slice(&pair.public, b"hello", &sig[..63]));
    }

    #[test]
    fn many_keys_both_sign_bits() {
        let mut seen = [false; 2];
        for i in 0..64u8 {
            let pair = KeyPair::from_private([i.wrapping_mul(37).wrapping_add(1); 32]);
            let sig = sign(&pair.private, &[i], &[i; 64]);
            seen[usize::from(sig[63] >> 7)] = true;
            assert!(verify(&pair.public, &[i], &sig), "key {i}");
        }
        assert!(seen[0] && seen[1]);
    }

    /// A signature made by libsignal (Signal's reference test vector in its Rust crate's
    /// curve25519 tests): 0x05-prefixed identity key, signed 0x05-prefixed key.
    #[test]
    fn libsignal_vector() {
        let public =
            hex::decode("ab7e717d4a163b7d9a1d8071dfe9dcf8cdcd1cea3339b6356be84d887e322c64")
                .unwrap();
        let message =
            hex::decode("05edce9d9c415ca78cb7252e72c2c4a554d3eb29485a0e1d503118d1a82d99fb4a")
                .unwrap();
        let signature = hex::decode(
            "5de88ca9a89b4a115da79109c67c9c7464a3e4180274f1cb8c63c2984e286dfbede82deb9dcd9fae0bfbb821569b3d9001bd8130cd11d486cef047bd60b86e88",
        )
        .unwrap();
        let public: [u8; 32] = public.try_into().unwrap();
        assert!(verify_slice(&public, &message, &signature));
    }
}
