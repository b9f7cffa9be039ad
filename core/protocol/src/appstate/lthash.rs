//! The LT-hash ("lattice" hash) of a collection: a 128-byte state seen as 64 little-endian u16
//! lanes. Adding a value MAC expands it with `HKDF-SHA256(mac, no salt, "WhatsApp Patch
//! Integrity", 128)` and adds lane by lane with wraparound; removing subtracts the same. The
//! result depends only on the set of live value MACs, not on the order they came in.

use crate::crypto::kdf::hkdf_sha256;

/// Length of an LT-hash state.
pub const LEN: usize = 128;
const INFO: &[u8] = b"WhatsApp Patch Integrity";

/// A collection's running hash.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LtHash(pub [u8; LEN]);

impl Default for LtHash {
    fn default() -> Self {
        LtHash([0; LEN])
    }
}

impl std::fmt::Debug for LtHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let head: String = self.0[..8].iter().map(|b| format!("{b:02x}")).collect();
        write!(f, "LtHash({head}…)")
    }
}

impl LtHash {
    /// A state from stored bytes; `None` unless exactly 128 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        Some(LtHash(bytes.try_into().ok()?))
    }

    /// Adds one value MAC.
    pub fn add(&mut self, value_mac: &[u8]) {
        self.apply(value_mac, u16::wrapping_add);
    }

    /// Removes one value MAC added before.
    pub fn subtract(&mut self, value_mac: &[u8]) {
        self.apply(value_mac, u16::wrapping_sub);
    }

    fn apply(&mut self, value_mac: &[u8], op: fn(u16, u16) -> u16) {
        let expanded: [u8; LEN] = hkdf_sha256(value_mac, None, INFO);
        for (lane, other) in self.0.chunks_exact_mut(2).zip(expanded.chunks_exact(2)) {
            let a = u16::from_le_bytes([lane[0], lane[1]]);
            let b = u16::from_le_bytes([other[0], other[1]]);
            lane.copy_from_slice(&op(a, b).to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter_and_subtract_undoes_add() {
        let mut a = LtHash::default();
        a.add(b"one");
        a.add(b"two");
        let mut b = LtHash::default();
        b.add(b"two");
        b.add(b"one");
        assert_eq!(a, b);
        b.add(b"three");
        b.subtract(b"three");
        assert_eq!(a, b);
        a.subtract(b"one");
        a.subtract(b"two");
        assert_eq!(a, LtHash::default());
    }

    proptest::proptest! {
        #[test]
        fn subtracting_in_any_order_undoes_adding(
            macs in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 32), 1..8),
        ) {
            let mut h = LtHash::default();
            for mac in &macs {
                h.add(mac);
            }
            for mac in macs.iter().rev() {
                h.subtract(mac);
            }
            proptest::prop_assert_eq!(h, LtHash::default());
        }
    }

    #[test]
    fn matches_an_independent_computation() {
        // python3: lanes of HKDF(SHA256(), 128, None, b"WhatsApp Patch Integrity") of
        // b"\x01"*32 and b"\x02"*32 added as u16-LE with wraparound, then the first subtracted
        // from an empty state once more.
        let mut h = LtHash::default();
        h.add(&[1; 32]);
        h.add(&[2; 32]);
        assert_eq!(hex::encode(h.0), SUM);
        let mut neg = LtHash::default();
        neg.subtract(&[1; 32]);
        assert_eq!(hex::encode(neg.0), NEG);
    }

    const SUM: &str = "530d65c5e08d8d0a3accb9e7b460caecbd83baba3240092381e5c30f7184d83ab5005be5ffb6764e69de87199bb35696e25c322762752ee97a3eea10a2f6bee5975b981c2445d73080f6c9a0a3b74d506bada8b1448e1d300e636ecb4cc782deaf512e1c7d489d23904966e24f3f153d22693053f7780deb018d7158d0ab517e";
    const NEG: &str = "b8f8cf417fdf0af43c136dd4c3b5c769cae60bea61e48a14b93dfe1dffa4a253061469c6bb817914174cdfec2d8d3dcbe8b3ae934bc585c59e13c9cd7d711cc46c274fe115b396d8763ce1ea1d2b4e91dd09c90ce2d8710c672dece57f243b0b005678d50200a311132c15322919208a8580f14fa7a220e6cb4d7f60e64a7f8c";
}
