//! Record indexes: a JSON array of strings naming what a record is about, e.g.
//! `["pin_v1","15551234567@s.whatsapp.net"]`. Its bytes are MACed, so a writer must produce
//! exactly the text it MACs; readers MAC the bytes they received.

use super::{AppStateError, Collection};

/// The well-known indexes OpenWA reads and writes; anything else is [`Index::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Index {
    /// `["mute", chat]` (regular_high).
    Mute(String),
    /// `["pin_v1", chat]` (regular_low).
    Pin(String),
    /// `["archive", chat]` (regular_low).
    Archive(String),
    /// `["markChatAsRead", chat]` (regular_low).
    MarkChatAsRead(String),
    /// `["deleteChat", chat, "1"]` (regular_high).
    DeleteChat(String),
    /// `["clearChat", chat, starred too "1"/"0", media "0"]` (regular_high).
    ClearChat {
        /// The chat.
        chat: String,
        /// Whether its starred messages go too (`"0"`: kept).
        starred: bool,
    },
    /// `["contact", jid]` (critical_unblock_low).
    Contact(String),
    /// `["setting_pushName"]` (critical_block).
    PushName,
    /// `["star", chat, message id, from me "1"/"0", participant or "0"]` (regular_high).
    Star(MessageRef),
    /// `["label_edit", label id]` (regular).
    LabelEdit(String),
    /// `["label_jid", label id, chat]` (regular).
    LabelChat {
        /// The label.
        label: String,
        /// The chat.
        chat: String,
    },
    /// `["label_message", label id, chat, message id, from me, participant]` (regular).
    LabelMessage {
        /// The label.
        label: String,
        /// The message.
        message: MessageRef,
    },
    /// Any other index, kept as its parts.
    Other(Vec<String>),
}

/// A message as indexes name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageRef {
    /// The chat JID.
    pub chat: String,
    /// The message id.
    pub id: String,
    /// Whether we sent it.
    pub from_me: bool,
    /// The sender in a group ("0" on the wire when none).
    pub participant: Option<String>,
}

impl MessageRef {
    fn parts(&self) -> [String; 4] {
        [
            self.chat.clone(),
            self.id.clone(),
            if self.from_me { "1" } else { "0" }.to_owned(),
            self.participant.clone().unwrap_or_else(|| "0".to_owned()),
        ]
    }

    fn parse(parts: &[String]) -> Option<MessageRef> {
        let [chat, id, from_me, participant] = parts else {
            return None;
        };
        Some(MessageRef {
            chat: chat.clone(),
            id: id.clone(),
            from_me: from_me == "1",
            participant: (participant != "0").then(|| participant.clone()),
        })
    }
}

impl Index {
    /// The index's parts, in wire order.
    pub fn parts(&self) -> Vec<String> {
        let one = |tag: &str, v: &str| vec![tag.to_owned(), v.to_owned()];
        match self {
            Index::Mute(chat) => one("mute", chat),
            Index::Pin(chat) => one("pin_v1", chat),
            Index::Archive(chat) => one("archive", chat),
            Index::MarkChatAsRead(chat) => one("markChatAsRead", chat),
            Index::DeleteChat(chat) => vec!["deleteChat".into(), chat.clone(), "1".into()],
            Index::ClearChat { chat, starred } => vec![
                "clearChat".into(),
                chat.clone(),
                if *starred { "1" } else { "0" }.into(),
                "0".into(),
            ],
            Index::Contact(jid) => one("contact", jid),
            Index::PushName => vec!["setting_pushName".to_owned()],
            Index::Star(m) => std::iter::once("star".to_owned())
                .chain(m.parts())
                .collect(),
            Index::LabelEdit(label) => one("label_edit", label),
            Index::LabelChat { label, chat } => {
                vec!["label_jid".into(), label.clone(), chat.clone()]
            }
            Index::LabelMessage { label, message } => ["label_message".to_owned(), label.clone()]
                .into_iter()
                .chain(message.parts())
                .collect(),
            Index::Other(parts) => parts.clone(),
        }
    }

    /// The well-known index these parts name, else [`Index::Other`].
    pub fn from_parts(parts: Vec<String>) -> Index {
        let known = match parts.as_slice() {
            [tag, chat] if tag == "mute" => Some(Index::Mute(chat.clone())),
            [tag, chat] if tag == "pin_v1" => Some(Index::Pin(chat.clone())),
            [tag, chat] if tag == "archive" => Some(Index::Archive(chat.clone())),
            [tag, chat] if tag == "markChatAsRead" => Some(Index::MarkChatAsRead(chat.clone())),
            [tag, chat, ..] if tag == "deleteChat" => Some(Index::DeleteChat(chat.clone())),
            [tag, chat, starred, ..] if tag == "clearChat" => Some(Index::ClearChat {
                chat: chat.clone(),
                starred: starred == "1",
            }),
            [tag, jid] if tag == "contact" => Some(Index::Contact(jid.clone())),
            [tag] if tag == "setting_pushName" => Some(Index::PushName),
            [tag, rest @ ..] if tag == "star" => MessageRef::parse(rest).map(Index::Star),
            [tag, label] if tag == "label_edit" => Some(Index::LabelEdit(label.clone())),
            [tag, label, chat] if tag == "label_jid" => Some(Index::LabelChat {
                label: label.clone(),
                chat: chat.clone(),
            }),
            [tag, label, rest @ ..] if tag == "label_message" => {
                MessageRef::parse(rest).map(|message| Index::LabelMessage {
                    label: label.clone(),
                    message,
                })
            }
            _ => None,
        };
        known.unwrap_or(Index::Other(parts))
    }

    /// The collection a well-known index lives in.
    pub fn collection(&self) -> Option<Collection> {
        Some(match self {
            Index::Mute(_) | Index::DeleteChat(_) | Index::ClearChat { .. } | Index::Star(_) => {
                Collection::RegularHigh
            }
            Index::Pin(_) | Index::Archive(_) | Index::MarkChatAsRead(_) => Collection::RegularLow,
            Index::Contact(_) => Collection::CriticalUnblockLow,
            Index::PushName => Collection::CriticalBlock,
            Index::LabelEdit(_) | Index::LabelChat { .. } | Index::LabelMessage { .. } => {
                Collection::Regular
            }
            Index::Other(_) => return None,
        })
    }

    /// The action version WhatsApp clients write for this index (`SyncActionData.version`).
    pub fn action_version(&self) -> i32 {
        match self {
            Index::Mute(_) | Index::Contact(_) | Index::Star(_) => 2,
            Index::Pin(_) => 5,
            Index::DeleteChat(_) | Index::ClearChat { .. } => 6,
            Index::PushName => 1,
            _ => 3,
        }
    }

    /// The JSON bytes of the index.
    pub fn to_json(&self) -> Vec<u8> {
        encode_json(&self.parts())
    }
}

/// A JSON array of strings as JavaScript's `JSON.stringify` writes it (no spaces; `"`, `\` and
/// control characters escaped; everything else as UTF-8).
pub fn encode_json(parts: &[String]) -> Vec<u8> {
    let mut out = String::from("[");
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in part.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push(']');
    out.into_bytes()
}

/// Parses a JSON array of strings (any whitespace, any escapes).
pub fn decode_json(bytes: &[u8]) -> Result<Vec<String>, AppStateError> {
    const BAD: AppStateError = AppStateError::Malformed("index is not a JSON array of strings");
    let text = std::str::from_utf8(bytes).map_err(|_| BAD)?;
    let mut chars = text.trim().chars().peekable();
    let skip_ws = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
        while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            chars.next();
        }
    };
    if chars.next() != Some('[') {
        return Err(BAD);
    }
    let mut parts = Vec::new();
    skip_ws(&mut chars);
    if chars.peek() == Some(&']') {
        chars.next();
        return if chars.next().is_none() {
            Ok(parts)
        } else {
            Err(BAD)
        };
    }
    loop {
        skip_ws(&mut chars);
        if chars.next() != Some('"') {
            return Err(BAD);
        }
        parts.push(json_string(&mut chars).ok_or(BAD)?);
        skip_ws(&mut chars);
        match chars.next() {
            Some(',') => continue,
            Some(']') if chars.next().is_none() => return Ok(parts),
            _ => return Err(BAD),
        }
    }
}

/// The rest of a JSON string after its opening quote.
fn json_string(chars: &mut impl Iterator<Item = char>) -> Option<String> {
    let mut out = String::new();
    loop {
        match chars.next()? {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                '/' => out.push('/'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let high = hex4(chars)?;
                    let code = if (0xd800..0xdc00).contains(&high) {
                        if chars.next()? != '\\' || chars.next()? != 'u' {
                            return None;
                        }
                        let low = hex4(chars)?;
                        if !(0xdc00..0xe000).contains(&low) {
                            return None;
                        }
                        0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)
                    } else {
                        high
                    };
                    out.push(char::from_u32(code)?);
                }
                _ => return None,
            },
            c if (c as u32) < 0x20 => return None,
            c => out.push(c),
        }
    }
}

fn hex4(chars: &mut impl Iterator<Item = char>) -> Option<u32> {
    (0..4).try_fold(0u32, |acc, _| Some(acc * 16 + chars.next()?.to_digit(16)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_indexes_round_trip() {
        let star = MessageRef {
            chat: "120363@g.us".into(),
            id: "3EB0".into(),
            from_me: false,
            participant: Some("1@s.whatsapp.net".into()),
        };
        for index in [
            Index::Mute("1@s.whatsapp.net".into()),
            Index::Pin("1@s.whatsapp.net".into()),
            Index::Archive("1@s.whatsapp.net".into()),
            Index::MarkChatAsRead("1@s.whatsapp.net".into()),
            Index::DeleteChat("1@s.whatsapp.net".into()),
            Index::ClearChat {
                chat: "1@s.whatsapp.net".into(),
                starred: true,
            },
            Index::Contact("1@s.whatsapp.net".into()),
            Index::PushName,
            Index::Star(star.clone()),
            Index::LabelEdit("4".into()),
            Index::LabelChat {
                label: "4".into(),
                chat: "1@s.whatsapp.net".into(),
            },
            Index::LabelMessage {
                label: "4".into(),
                message: star,
            },
            Index::Other(vec!["x\"\\\n\u{1}é".into(), "".into()]),
        ] {
            let json = index.to_json();
            assert_eq!(Index::from_parts(decode_json(&json).unwrap()), index);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_strings_round_trip_through_the_json(parts in proptest::collection::vec(".*", 0..6)) {
            proptest::prop_assert_eq!(decode_json(&encode_json(&parts)).unwrap(), parts);
        }

        #[test]
        fn any_bytes_parse_or_are_refused(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = decode_json(&bytes);
        }
    }

    #[test]
    fn json_is_javascripts_and_any_spelling_parses() {
        assert_eq!(
            Index::Star(MessageRef {
                chat: "1@s.whatsapp.net".into(),
                id: "ID".into(),
                from_me: true,
                participant: None,
            })
            .to_json(),
            br#"["star","1@s.whatsapp.net","ID","1","0"]"#
        );
        assert_eq!(encode_json(&["a\u{1f}\"".into()]), br#"["a\u001f\""]"#);
        assert_eq!(
            decode_json(br#" [ "a\u00e9\ud83d\ude00" , "\/" ] "#).unwrap(),
            vec!["aé😀".to_owned(), "/".to_owned()]
        );
        assert_eq!(decode_json(b"[]").unwrap(), Vec::<String>::new());
        for bad in [
            &b""[..],
            b"[",
            b"[1]",
            b"[\"a\"",
            b"[\"a\",]",
            b"[\"\\ud800\"]",
            b"[] x",
        ] {
            assert!(
                decode_json(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
