//! Dictionary-version-3 token tables (protocol.md §4.3) with lookups in both directions.
//!
//! A token is a string that goes on the wire as one byte (`1..=235`) or as `DICTIONARY_n` plus an
//! index byte. String→token lookups use a static open-addressing table built once.

use std::sync::LazyLock;

use super::tokens::{DOUBLE_BYTE, SINGLE_BYTE};

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

/// Number of single-byte table entries (index 0 is unused), i.e. the first dictionary tag byte.
pub const SINGLE_BYTE_COUNT: usize = SINGLE_BYTE.len();

/// The string a token stands for; `None` for `Single(0)`, a byte past the table or a dictionary
/// number above 3.
pub fn get(token: Token) -> Option<&'static str> {
    match token {
        Token::Single(0) => None,
        Token::Single(byte) => SINGLE_BYTE.get(usize::from(byte)).copied(),
        Token::Double { dict, index } => DOUBLE_BYTE
            .get(usize::from(dict))
            .and_then(|table| table.get(usize::from(index)))
            .copied(),
    }
}

/// The token for a string, if the string is in the dictionaries. The empty string is no token.
pub fn index_of(text: &str) -> Option<Token> {
    LOOKUP.find(text)
}

/// Longest token in bytes: longer strings skip the lookup.
static MAX_TOKEN_LEN: LazyLock<usize> = LazyLock::new(|| {
    SINGLE_BYTE
        .iter()
        .chain(DOUBLE_BYTE.iter().flatten())
        .map(|t| t.len())
        .max()
        .unwrap_or(0)
});

/// Slots in the lookup table: a power of two about four times the number of tokens, so probe
/// runs stay short.
const SLOTS: usize = 4096;

/// Open-addressing hash table from token string to its encoded code. A slot holds 0 when empty,
/// else `code + 1` where code is `byte` for single-byte tokens and `(1 + dict) << 8 | index` for
/// double-byte ones.
struct Lookup {
    slots: Box<[u16; SLOTS]>,
}

static LOOKUP: LazyLock<Lookup> = LazyLock::new(Lookup::build);

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
    fn build() -> Lookup {
        let mut slots = Box::new([0u16; SLOTS]);
        let singles = SINGLE_BYTE
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, t)| (*t, i as u16));
        let doubles = DOUBLE_BYTE.iter().enumerate().flat_map(|(dict, table)| {
            table
                .iter()
                .enumerate()
                .map(move |(i, t)| (*t, (((dict as u16) + 1) << 8) | i as u16))
        });
        for (text, code) in singles.chain(doubles) {
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
        Lookup { slots }
    }

    fn find(&self, text: &str) -> Option<Token> {
        if text.is_empty() || text.len() > *MAX_TOKEN_LEN {
            return None;
        }
        let mut slot = hash(text.as_bytes()) % SLOTS;
        loop {
            let stored = *self.slots.get(slot)?;
            let code = stored.checked_sub(1)?;
            let token = decode_code(code);
            if get(token) == Some(text) {
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
        assert_eq!(SINGLE_BYTE[0], "");
        assert_eq!(DOUBLE_BYTE.len(), 4);
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
        for byte in 1..=235u8 {
            let text = get(Token::Single(byte)).unwrap();
            assert_eq!(index_of(text), Some(Token::Single(byte)));
        }
        for dict in 0..4u8 {
            for index in 0..=255u8 {
                let token = Token::Double { dict, index };
                assert_eq!(index_of(get(token).unwrap()), Some(token));
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
