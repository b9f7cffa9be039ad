//! Token tables (docs/PROTOCOL.md, Binary nodes) of the two dictionary versions in use, with lookups in both
//! directions.
//!
//! A token is a string that goes on the wire as one byte (`1..=235`) or as `DICTIONARY_n` plus an
//! index byte. Which string a byte stands for depends on the [`Dictionary`] the connection
//! announced in its intro header (`WA 06 03` = version 3, `WA 06 02` = version 2). String→token
//! lookups use a static open-addressing table per version, built once.

use std::sync::LazyLock;

use super::{tokens, tokens_v2};

/// Where a token string lives in the dictionaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Token {
    /// A single-byte token: the tag byte itself (`1..=235`).
    Single(u8),
    /// A double-byte token: dictionary `dict` (`0..=3`, tag `236 + dict`) and the index byte.
    Double {
        /// Which of the four double-byte dictionaries.
        dict: u8,
        /// Index inside that dictionary.
        index: u8,
    },
}

/// A dictionary version: which token tables a connection's nodes are written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dictionary {
    /// Version 2, still used by older clients (Baileys 6 sends the intro `WA 06 02`).
    V2,
    /// Version 3, the current one (intro `WA 06 03`) and the default everywhere.
    #[default]
    V3,
}

impl Dictionary {
    /// The dictionary announced by an intro header's version byte (the last of `WA 06 0n`).
    pub fn from_version(byte: u8) -> Option<Dictionary> {
        match byte {
            2 => Some(Dictionary::V2),
            3 => Some(Dictionary::V3),
            _ => None,
        }
    }

    /// The intro header's version byte for this dictionary.
    pub fn version(self) -> u8 {
        match self {
            Dictionary::V2 => 2,
            Dictionary::V3 => 3,
        }
    }

    /// The string a token stands for; `None` for `Single(0)`, a byte past the table or a
    /// dictionary number above 3.
    pub fn get(self, token: Token) -> Option<&'static str> {
        let (single, double) = self.tables();
        match token {
            Token::Single(0) => None,
            Token::Single(byte) => single.get(usize::from(byte)).copied(),
            Token::Double { dict, index } => double
                .get(usize::from(dict))
                .and_then(|table| table.get(usize::from(index)))
                .copied(),
        }
    }

    /// The token for a string, if the string is in this version's dictionaries. The empty string
    /// is no token.
    pub fn index_of(self, text: &str) -> Option<Token> {
        match self {
            Dictionary::V2 => LOOKUP_V2.find(self, text),
            Dictionary::V3 => LOOKUP_V3.find(self, text),
        }
    }

    /// The single- and double-byte token tables of this version.
    pub(crate) fn tables(self) -> (&'static SingleTable, &'static DoubleTable) {
        match self {
            Dictionary::V2 => (&tokens_v2::SINGLE_BYTE, &tokens_v2::DOUBLE_BYTE),
            Dictionary::V3 => (&tokens::SINGLE_BYTE, &tokens::DOUBLE_BYTE),
        }
    }
}

/// Single-byte tokens by tag byte (entry 0 unused).
pub(crate) type SingleTable = [&'static str; SINGLE_BYTE_COUNT];
/// Double-byte tokens: four dictionaries of 256.
pub(crate) type DoubleTable = [[&'static str; 256]; 4];

/// Number of single-byte table entries (index 0 is unused), i.e. the first dictionary tag byte.
pub const SINGLE_BYTE_COUNT: usize = tokens::SINGLE_BYTE.len();

/// The string a dictionary-version-3 token stands for (see [`Dictionary::get`]).
pub fn get(token: Token) -> Option<&'static str> {
    Dictionary::V3.get(token)
}

/// The dictionary-version-3 token for a string (see [`Dictionary::index_of`]).
pub fn index_of(text: &str) -> Option<Token> {
    Dictionary::V3.index_of(text)
}

/// Slots in the lookup table: a power of two about four times the number of tokens, so probe
/// runs stay short.
const SLOTS: usize = 4096;

/// Open-addressing hash table from token string to its encoded code. A slot holds 0 when empty,
/// else `code + 1` where code is `byte` for single-byte tokens and `(1 + dict) << 8 | index` for
/// double-byte ones.
struct Lookup {
    slots: Box<[u16; SLOTS]>,
    /// Longest token in bytes: longer strings skip the lookup.
    max_len: usize,
}

static LOOKUP_V2: LazyLock<Lookup> = LazyLock::new(|| Lookup::build(Dictionary::V2));
static LOOKUP_V3: LazyLock<Lookup> = LazyLock::new(|| Lookup::build(Dictionary::V3));

/// FNV-1a over the bytes: cheap, and good enough for ~1,260 fixed keys.
fn hash(bytes: &[u8]) -> usize {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    // Fold the high bits in; u32 always fits in usize on supported targets.
    (h ^ (h >> 15)) as usize
}

fn decode_code(code: u16) -> Token {
    let [hi, lo] = code.to_be_bytes();
    match hi {
        0 => Token::Single(lo),
        dict_plus_one => Token::Double {
            dict: dict_plus_one - 1,
            index: lo,
        },
    }
}

impl Lookup {
    fn build(dictionary: Dictionary) -> Lookup {
        let (single, double) = dictionary.tables();
        let mut slots = Box::new([0u16; SLOTS]);
        let singles = single
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, t)| (*t, i as u16));
        let doubles = double.iter().enumerate().flat_map(|(dict, table)| {
            table
                .iter()
                .enumerate()
                .map(move |(i, t)| (*t, (((dict as u16) + 1) << 8) | i as u16))
        });
        let mut max_len = 0;
        for (text, code) in singles.chain(doubles) {
            max_len = max_len.max(text.len());
            let mut slot = hash(text.as_bytes()) % SLOTS;
            // The table is never full (SLOTS > token count), so this finds a free slot.
            for _ in 0..SLOTS {
                match slots.get_mut(slot) {
                    Some(entry @ 0) => {
                        *entry = code + 1;
                        break;
                    }
                    _ => slot = (slot + 1) % SLOTS,
                }
            }
        }
        Lookup { slots, max_len }
    }

    fn find(&self, dictionary: Dictionary, text: &str) -> Option<Token> {
        if text.is_empty() || text.len() > self.max_len {
            return None;
        }
        let mut slot = hash(text.as_bytes()) % SLOTS;
        loop {
            let stored = *self.slots.get(slot)?;
            let code = stored.checked_sub(1)?;
            let token = decode_code(code);
            if dictionary.get(token) == Some(text) {
                return Some(token);
            }
            slot = (slot + 1) % SLOTS;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_sizes() {
        assert_eq!(SINGLE_BYTE_COUNT, 236);
        assert_eq!(tokens::SINGLE_BYTE[0], "");
        assert_eq!(tokens_v2::SINGLE_BYTE.len(), SINGLE_BYTE_COUNT);
        assert_eq!(tokens_v2::SINGLE_BYTE[0], "");
    }

    #[test]
    fn versions_from_the_intro_byte() {
        assert_eq!(Dictionary::from_version(2), Some(Dictionary::V2));
        assert_eq!(Dictionary::from_version(3), Some(Dictionary::V3));
        assert_eq!(Dictionary::from_version(1), None);
        assert_eq!(Dictionary::from_version(4), None);
        for dictionary in [Dictionary::V2, Dictionary::V3] {
            assert_eq!(
                Dictionary::from_version(dictionary.version()),
                Some(dictionary)
            );
        }
        assert_eq!(Dictionary::default(), Dictionary::V3);
    }

    /// Indices of version 2 as Baileys 6.17.16 numbers them: the common stanza words sit at
    /// other bytes than in version 3.
    #[test]
    fn known_indices_of_version_2() {
        let v2 = Dictionary::V2;
        for (text, byte) in [
            ("xmlstreamstart", 1),
            ("s.whatsapp.net", 3),
            ("type", 4),
            ("iq", 30),
        ] {
            assert_eq!(v2.index_of(text), Some(Token::Single(byte)), "{text}");
            assert_eq!(v2.get(Token::Single(byte)), Some(text));
        }
        assert_ne!(v2.index_of("iq"), index_of("iq"));
    }

    #[test]
    fn known_indices_from_protocol_md() {
        let singles = [
            ("s.whatsapp.net", 3),
            ("type", 4),
            ("participant", 5),
            ("from", 6),
            ("receipt", 7),
            ("id", 8),
            ("notification", 9),
            ("jid", 12),
            ("user", 14),
            ("to", 17),
            ("message", 19),
            ("result", 20),
            ("class", 21),
            ("xmlns", 22),
            ("iq", 25),
            ("t", 26),
            ("ack", 27),
            ("g.us", 28),
            ("enc", 29),
            ("get", 41),
            ("read", 42),
            ("0", 45),
            ("skmsg", 50),
            ("text", 56),
            ("count", 65),
            ("2", 69),
            ("success", 76),
            ("msg", 77),
            ("v", 81),
            ("pkmsg", 83),
            ("1", 85),
            ("ping", 86),
            ("w:p", 87),
            ("set", 90),
            ("participants", 107),
            ("query", 109),
            ("list", 113),
            ("lid", 118),
            ("usync", 121),
            ("identity", 156),
            ("stream:error", 157),
            ("key", 158),
            ("encrypt", 203),
            ("interactive", 229),
            ("device-identity", 230),
        ];
        for (text, byte) in singles {
            assert_eq!(index_of(text), Some(Token::Single(byte)), "{text}");
            assert_eq!(get(Token::Single(byte)), Some(text));
        }
        let doubles = [
            ("reason", 0, 46),
            ("skey", 0, 45),
            ("passive", 0, 24),
            ("active", 0, 1),
            ("w:g2", 1, 51),
            ("request", 1, 199),
            ("pair-device", 1, 238),
            ("ref", 1, 80),
        ];
        for (text, dict, index) in doubles {
            let token = Token::Double { dict, index };
            assert_eq!(index_of(text), Some(token), "{text}");
            assert_eq!(get(token), Some(text));
        }
    }

    #[test]
    fn every_token_round_trips() {
        for dictionary in [Dictionary::V2, Dictionary::V3] {
            for byte in 1..=235u8 {
                let text = dictionary.get(Token::Single(byte)).unwrap();
                assert_eq!(dictionary.index_of(text), Some(Token::Single(byte)));
            }
            for dict in 0..4u8 {
                for index in 0..=255u8 {
                    let token = Token::Double { dict, index };
                    assert_eq!(
                        dictionary.index_of(dictionary.get(token).unwrap()),
                        Some(token)
                    );
                }
            }
        }
    }

    #[test]
    fn non_tokens() {
        assert_eq!(index_of(""), None);
        assert_eq!(index_of("definitely-not-a-token"), None);
        assert_eq!(index_of("Type"), None);
        assert_eq!(get(Token::Single(0)), None);
        assert_eq!(get(Token::Single(236)), None);
        assert_eq!(get(Token::Double { dict: 4, index: 0 }), None);
        assert_eq!(index_of(&"x".repeat(1000)), None);
    }
}
