//! A fast seeded generator of the same canonical nodes as the proptest strategies in the parent
//! module, for tests that need thousands of nodes (proptest's value trees are slow to build in
//! debug builds). Same rules per [`Profile`]; no shrinking.

use openwa_protocol::binary::Dictionary;
use openwa_protocol::{AttrValue, CompactString, Content, Jid, Node};
use rand::seq::SliceRandom;
use rand::{Rng, RngCore};

use super::{PROTOTYPE_NAMES, Profile, all_tokens};

/// SplitMix64: a tiny seeded RNG, much faster than `StdRng` in unoptimized test builds.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl RngCore for SplitMix64 {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// Generates nodes with one RNG and the token list of one dictionary version loaded once (string
/// content is canonical for that version only).
pub struct NodeGen<R: Rng> {
    rng: R,
    profile: Profile,
    tokens: Vec<&'static str>,
}

const NIBBLE: &[u8] = b"0123456789.-";
const HEX: &[u8] = b"0123456789ABCDEF";
const LOWER_HEX: &[u8] = b"0123456789abcdef";
/// Text that is neither token nor packable, with multi-byte and non-BMP characters.
const TEXT: &[char] = &[
    'a', 'b', 'z', 'Q', ' ', '-', '.', ':', '_', '/', '"', '\\', 'é', 'ß', 'Ж', '中', '😀',
    '\u{FFFD}', '0', '7',
];

impl<R: Rng> NodeGen<R> {
    /// A generator for `profile` with dictionary-version-3 tokens.
    pub fn new(rng: R, profile: Profile) -> Self {
        Self::with_dictionary(rng, profile, Dictionary::V3)
    }

    /// A generator for `profile` whose tokens come from `dictionary`.
    pub fn with_dictionary(rng: R, profile: Profile, dictionary: Dictionary) -> Self {
        NodeGen {
            rng,
            profile,
            tokens: all_tokens(dictionary),
        }
    }

    fn string_of(&mut self, alphabet: &[u8], min: usize, max: usize) -> String {
        let len = self.rng.gen_range(min..=max);
        (0..len)
            .map(|_| char::from(*alphabet.choose(&mut self.rng).unwrap_or(&b'0')))
            .collect()
    }

    fn token(&mut self) -> String {
        self.tokens
            .choose(&mut self.rng)
            .copied()
            .unwrap_or("")
            .to_owned()
    }

    fn text(&mut self, min: usize, max: usize) -> String {
        let len = self.rng.gen_range(min..=max);
        (0..len)
            .map(|_| *TEXT.choose(&mut self.rng).unwrap_or(&'a'))
            .collect()
    }

    /// Any string (attribute keys and values, tags before the non-empty rule).
    pub fn string(&mut self) -> String {
        loop {
            let s = match self.rng.gen_range(0..13) {
                0..=2 => self.token(),
                3 | 4 => self.string_of(NIBBLE, 1, 130),
                5 | 6 => self.string_of(HEX, 1, 130),
                7 => self.string_of(LOWER_HEX, 1, 12),
                8..=10 => self.text(0, 24),
                11 => "x".repeat(self.rng.gen_range(250..300)), // BINARY_20 strings
                _ => String::new(),
            };
            let baileys_encodes = self.profile == Profile::BaileysEncodes;
            if !baileys_encodes || (!s.contains('@') && !PROTOTYPE_NAMES.contains(&s.as_str())) {
                return s;
            }
        }
    }

    fn tag(&mut self) -> String {
        loop {
            let s = self.string();
            if self.profile == Profile::Ours || !s.is_empty() {
                return s;
            }
        }
    }

    fn content_string(&mut self) -> String {
        match self.rng.gen_range(0..8) {
            0..=2 => self.token(),
            3 | 4 => self.string_of(NIBBLE, 1, 127),
            5 | 6 => self.string_of(HEX, 1, 127),
            _ if self.profile == Profile::BaileysEncodes => self.token(),
            _ => String::new(),
        }
    }

    fn jid_user(&mut self) -> String {
        match self.rng.gen_range(0..5) {
            0..=2 => {
                let digits = self.string_of(b"0123456789", 0, 19);
                format!("{}{digits}", self.rng.gen_range(1..=9))
            }
            3 if self.profile == Profile::BaileysEncodes => {
                self.string_of(b"abcXYZ0123456789.-", 1, 12)
            }
            3 => self.text(1, 12),
            _ => loop {
                let token = self.token();
                if self.profile != Profile::BaileysEncodes || !token.contains([':', '_', '@']) {
                    break token;
                }
            },
        }
    }

    fn device_u8(&mut self) -> u16 {
        if self.rng.gen_bool(0.4) {
            0
        } else {
            self.rng.gen_range(1..=255)
        }
    }

    /// A JID in a form the wire keeps exactly (see the parent module's `any_jid`).
    pub fn jid(&mut self) -> Jid {
        let kinds = match self.profile {
            Profile::Ours => 6,
            Profile::BaileysDecodes => 5,
            Profile::BaileysEncodes => 3,
        };
        let user = self.jid_user();
        match self.rng.gen_range(0..kinds) {
            0 => {
                let agent = match self.rng.gen_range(0..8) {
                    0 => self.rng.gen_range(2..=127),
                    1 => self.rng.gen_range(130..=255),
                    _ => 0,
                };
                Jid {
                    agent,
                    ..Jid::with_device(user, "s.whatsapp.net", self.device_u8())
                }
            }
            1 => {
                let server = *["lid", "hosted", "hosted.lid"]
                    .choose(&mut self.rng)
                    .unwrap_or(&"lid");
                Jid::with_device(user, server, self.device_u8())
            }
            2 => {
                let servers = [
                    "s.whatsapp.net",
                    "lid",
                    "g.us",
                    "broadcast",
                    "newsletter",
                    "c.us",
                    "bot",
                    "call",
                ];
                let server = *servers.choose(&mut self.rng).unwrap_or(&"g.us");
                let user = if self.rng.gen_bool(0.2) {
                    String::new()
                } else {
                    user
                };
                Jid::new(user, server)
            }
            3 => Jid::with_device(user, "msgr", self.rng.r#gen()),
            4 => Jid {
                integrator: self.rng.r#gen(),
                ..Jid::with_device(user, "interop", self.rng.r#gen())
            },
            _ => {
                let server = self.string_of(b"abcxyz.", 0, 10);
                Jid {
                    integrator: self.rng.r#gen(),
                    ..Jid::with_device(user, server, self.rng.r#gen())
                }
            }
        }
    }

    fn attrs(&mut self) -> Vec<(CompactString, AttrValue)> {
        let count = self.rng.gen_range(0..6);
        let mut attrs: Vec<(CompactString, AttrValue)> = Vec::with_capacity(count);
        for _ in 0..count {
            let key = CompactString::from(self.string());
            let value = if self.rng.gen_bool(0.4) {
                AttrValue::Jid(self.jid())
            } else {
                AttrValue::from(self.string())
            };
            if self.profile == Profile::Ours || attrs.iter().all(|(k, _)| *k != key) {
                attrs.push((key, value));
            }
        }
        attrs
    }

    fn leaf_content(&mut self) -> Content {
        match self.rng.gen_range(0..9) {
            0..=2 => Content::None,
            3..=5 => {
                let len = match self.rng.gen_range(0..10) {
                    0 => self.rng.gen_range(256..600), // BINARY_20
                    _ => self.rng.gen_range(0..64),
                };
                let mut bytes = vec![0u8; len];
                self.rng.fill_bytes(&mut bytes);
                Content::Bytes(bytes)
            }
            6 | 7 => Content::Str(self.content_string().into()),
            _ => Content::Nodes(Vec::new()),
        }
    }

    /// A node tree up to `depth` levels; now and then a list of 256+ small children (LIST_16).
    pub fn node(&mut self, depth: usize) -> Node {
        let tag = self.tag();
        let attrs = self.attrs();
        let content = if depth <= 1 || self.rng.gen_bool(0.4) {
            self.leaf_content()
        } else if self.rng.gen_bool(0.005) {
            let count = self.rng.gen_range(256..300);
            Content::Nodes(
                (0..count)
                    .map(|_| {
                        let tag = self.tag();
                        match self.rng.gen_bool(0.5) {
                            true => Node::new(tag),
                            false => Node::new(tag).text(self.content_string()),
                        }
                    })
                    .collect(),
            )
        } else {
            let count = self.rng.gen_range(0..5);
            Content::Nodes((0..count).map(|_| self.node(depth - 1)).collect())
        };
        Node {
            tag: tag.into(),
            attrs,
            content,
        }
    }
}
