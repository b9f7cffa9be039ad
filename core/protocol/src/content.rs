//! Message content (the end-to-end `Message` protobuf): removing the wrappers WhatsApp puts
//! around the real content, classifying what is left ([`ContentKind`]), and building the
//! messages OpenWA sends (a text, the device-sent copy for the sender's own devices). Pure
//! functions; the padding around the plaintext is in [`crate::message`].

use std::fmt;

use prost::Message as _;
use thiserror::Error;

use crate::jid::Jid;
use crate::message::{PaddingError, unpad};
use crate::proto::e2e;
use crate::stanza::MessageType;

/// How deep wrappers may nest before unwrapping stops (a hostile sender could nest forever;
/// prost bounds its own recursion, this bounds the unwrapping loop).
pub const MAX_WRAPPERS: usize = 8;

/// Why a decrypted plaintext is not a usable message.
#[derive(Debug, Error)]
pub enum ContentError {
    /// The padding is malformed.
    #[error("bad padding: {0}")]
    Padding(#[from] PaddingError),
    /// The unpadded bytes are not a `Message` protobuf.
    #[error("not a Message protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
}

/// A message with its wrappers removed, and what the wrappers said.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Unwrapped {
    /// The innermost message.
    pub message: e2e::Message,
    /// `deviceSentMessage.destinationJID`: the chat of a message one of the sender's own
    /// devices sent (the outermost one, if several).
    pub device_sent_to: Option<String>,
    /// Whether an `editedMessage` wrapper was removed.
    pub edited: bool,
    /// Whether a view-once wrapper (`viewOnceMessage`, `V2`, `V2Extension`) was removed.
    pub view_once: bool,
    /// Whether an `ephemeralMessage` wrapper was removed.
    pub ephemeral: bool,
    /// The first part of the inner message this schema does not model, by WhatsApp's field
    /// name (`poll_creation_message`) or number (`field_120`); only [`decode_padded`], which
    /// sees the bytes, fills it.
    pub unmodelled: Option<String>,
}

impl Unwrapped {
    /// The kind of the inner message; an unknown one is named after [`Unwrapped::unmodelled`]
    /// when that is known.
    pub fn kind(&self) -> ContentKind {
        match ContentKind::of(&self.message) {
            ContentKind::Unknown(name) => {
                ContentKind::Unknown(self.unmodelled.clone().unwrap_or(name))
            }
            kind => kind,
        }
    }
}

/// Unpads and decodes a `v="2"` plaintext, then unwraps it.
pub fn decode_padded(padded: &[u8]) -> Result<Unwrapped, ContentError> {
    let bytes = unpad(padded)?;
    let message = e2e::Message::decode(bytes)?;
    let mut unwrapped = unwrap(message);
    unwrapped.unmodelled = unmodelled_part(bytes);
    Ok(unwrapped)
}

/// `Message` fields this schema decodes (content, control parts and wrappers).
const MODELLED: [u32; 25] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 26, 31, 35, 37, 40, 46, 49, 50, 53, 55, 58, 59, 60, 64,
];

/// WhatsApp's names for common `Message` fields this schema does not model.
const UNMODELLED_NAMES: [(u32, &str); 12] = [
    (14, "highly_structured_message"),
    (18, "live_location_message"),
    (25, "template_message"),
    (28, "group_invite_message"),
    (30, "product_message"),
    (36, "list_message"),
    (42, "buttons_message"),
    (45, "interactive_message"),
    (63, "pin_in_chat_message"),
    (66, "ptv_message"),
    (75, "event_message"),
    (83, "album_message"),
];

/// The first top-level field of a serialized `Message` (inside its wrappers, like [`unwrap`])
/// that the modelled schema lacks, by name when known. `None` if there is none or the bytes are
/// malformed.
pub fn unmodelled_part(bytes: &[u8]) -> Option<String> {
    let mut current = bytes;
    for _ in 0..=MAX_WRAPPERS {
        let fields = top_level_fields(current)?;
        // Wrappers hold the inner Message in field 2 (deviceSentMessage) or 1 (the others).
        let wrapper = fields.iter().find_map(|(number, value)| match number {
            31 => Some((*value, 2)),
            37 | 40 | 53 | 55 | 58 | 59 => Some((*value, 1)),
            _ => None,
        });
        if let Some((Some(wrapper), inner_field)) = wrapper {
            let inner = top_level_fields(wrapper)?
                .into_iter()
                .find_map(|(number, value)| (number == inner_field).then_some(value).flatten());
            if let Some(inner) = inner {
                current = inner;
                continue;
            }
        }
        let number = fields
            .iter()
            .map(|(number, _)| *number)
            .find(|number| !MODELLED.contains(number))?;
        let name = UNMODELLED_NAMES
            .iter()
            .find(|(n, _)| *n == number)
            .map_or_else(|| format!("field_{number}"), |(_, name)| (*name).to_owned());
        return Some(name);
    }
    None
}

/// A protobuf field: its number and, when length-delimited, its bytes.
type Field<'a> = (u32, Option<&'a [u8]>);

/// The top-level fields of a protobuf, in order; `None` if malformed.
fn top_level_fields(mut bytes: &[u8]) -> Option<Vec<Field<'_>>> {
    let mut fields = Vec::new();
    while !bytes.is_empty() {
        let key = varint(&mut bytes)?;
        let number = u32::try_from(key >> 3).ok()?;
        let value = match key & 7 {
            0 => {
                varint(&mut bytes)?;
                None
            }
            1 => {
                bytes = bytes.get(8..)?;
                None
            }
            2 => {
                let len = usize::try_from(varint(&mut bytes)?).ok()?;
                let (value, rest) = bytes.split_at_checked(len)?;
                bytes = rest;
                Some(value)
            }
            5 => {
                bytes = bytes.get(4..)?;
                None
            }
            _ => return None,
        };
        fields.push((number, value));
    }
    Some(fields)
}

fn varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Removes `deviceSentMessage`, `ephemeralMessage`, the view-once wrappers,
/// `documentWithCaptionMessage` and `editedMessage`, at most [`MAX_WRAPPERS`] deep. A sender-key
/// distribution or a message context (a poll's secret) on an outer layer is kept on the inner
/// message when it has none. A wrapper without a message
/// inside stops the unwrapping (the wrapper's flag is still set).
pub fn unwrap(message: e2e::Message) -> Unwrapped {
    let mut out = Unwrapped::default();
    let mut current = message;
    for _ in 0..MAX_WRAPPERS {
        let skdm = current.sender_key_distribution_message.clone();
        let context = current.message_context_info.clone();
        let inner = if let Some(sent) = current.device_sent_message.take() {
            if out.device_sent_to.is_none() {
                out.device_sent_to = sent.destination_jid;
            }
            sent.message
        } else if let Some(w) = current.ephemeral_message.take() {
            out.ephemeral = true;
            w.message
        } else if let Some(w) = current
            .view_once_message
            .take()
            .or_else(|| current.view_once_message_v2.take())
            .or_else(|| current.view_once_message_v2_extension.take())
        {
            out.view_once = true;
            w.message
        } else if let Some(w) = current.document_with_caption_message.take() {
            w.message
        } else if let Some(w) = current.edited_message.take() {
            out.edited = true;
            w.message
        } else {
            break;
        };
        let Some(mut next) = inner.map(|m| *m) else {
            break;
        };
        if next.sender_key_distribution_message.is_none() {
            next.sender_key_distribution_message = skdm;
        }
        if next.message_context_info.is_none() {
            next.message_context_info = context;
        }
        current = next;
    }
    if out.view_once {
        // Senders mark the media inside too, but not all of them: the wrapper is what counts.
        if let Some(image) = current.image_message.as_mut() {
            image.view_once = Some(true);
        }
        if let Some(video) = current.video_message.as_mut() {
            video.view_once = Some(true);
        }
    }
    out.message = current;
    out
}

/// `message` (an image or a video) as a view-once message: the media marked and wrapped in
/// `viewOnceMessageV2`, as WhatsApp sends it.
pub fn view_once(mut message: e2e::Message) -> e2e::Message {
    if let Some(image) = message.image_message.as_mut() {
        image.view_once = Some(true);
    }
    if let Some(video) = message.video_message.as_mut() {
        video.view_once = Some(true);
    }
    e2e::Message {
        view_once_message_v2: Some(Box::new(e2e::FutureProofMessage {
            message: Some(Box::new(message)),
        })),
        ..Default::default()
    }
}

/// What an (unwrapped) message is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ContentKind {
    /// `conversation` or `extendedTextMessage`.
    Text,
    /// `imageMessage`.
    Image,
    /// `videoMessage`.
    Video,
    /// `audioMessage` (voice notes included).
    Audio,
    /// `documentMessage`.
    Document,
    /// `stickerMessage`.
    Sticker,
    /// `locationMessage`.
    Location,
    /// `contactMessage` or `contactsArrayMessage`: one or more contact cards.
    Contact,
    /// `reactionMessage` (an empty emoji removes the reaction).
    Reaction,
    /// `pollCreationMessage` (versions 1-3): a poll.
    Poll,
    /// `pollUpdateMessage`: a vote on a poll (encrypted with the poll's secret).
    PollVote,
    /// `protocolMessage`: a control message (revoke, edit, history sync, app-state key share…),
    /// not chat content.
    Protocol,
    /// Nothing but a `senderKeyDistributionMessage` (and context info).
    SenderKeyDistribution,
    /// None of the above: the name of the part that is set — a field this schema does not
    /// model (`poll_creation_message`, see [`Unwrapped::kind`]), `message_context_info` — or
    /// empty when nothing is known.
    Unknown(String),
}

impl ContentKind {
    /// The kind of `message` (already unwrapped). Content wins over control parts: a text that
    /// also carries a sender-key distribution is [`ContentKind::Text`].
    pub fn of(message: &e2e::Message) -> ContentKind {
        let m = message;
        if m.conversation.is_some() || m.extended_text_message.is_some() {
            ContentKind::Text
        } else if m.image_message.is_some() {
            ContentKind::Image
        } else if m.video_message.is_some() {
            ContentKind::Video
        } else if m.audio_message.is_some() {
            ContentKind::Audio
        } else if m.document_message.is_some() {
            ContentKind::Document
        } else if m.sticker_message.is_some() {
            ContentKind::Sticker
        } else if m.contact_message.is_some() || m.contacts_array_message.is_some() {
            ContentKind::Contact
        } else if m.location_message.is_some() {
            ContentKind::Location
        } else if m.reaction_message.is_some() {
            ContentKind::Reaction
        } else if crate::poll::creation(m).is_some() {
            ContentKind::Poll
        } else if m.poll_update_message.is_some() {
            ContentKind::PollVote
        } else if m.protocol_message.is_some() {
            ContentKind::Protocol
        } else if m.sender_key_distribution_message.is_some() {
            ContentKind::SenderKeyDistribution
        } else {
            ContentKind::Unknown(first_other_part(m).to_owned())
        }
    }

    /// A short lowercase label: `text`, `image`, …, `sender_key_distribution`, `unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ContentKind::Text => "text",
            ContentKind::Image => "image",
            ContentKind::Video => "video",
            ContentKind::Audio => "audio",
            ContentKind::Document => "document",
            ContentKind::Sticker => "sticker",
            ContentKind::Location => "location",
            ContentKind::Contact => "contact",
            ContentKind::Reaction => "reaction",
            ContentKind::Poll => "poll",
            ContentKind::PollVote => "poll_vote",
            ContentKind::Protocol => "protocol",
            ContentKind::SenderKeyDistribution => "sender_key_distribution",
            ContentKind::Unknown(_) => "unknown",
        }
    }

    /// Whether the message carries media (a blob on the media host).
    pub fn is_media(&self) -> bool {
        matches!(
            self,
            ContentKind::Image
                | ContentKind::Video
                | ContentKind::Audio
                | ContentKind::Document
                | ContentKind::Sticker
        )
    }

    /// The stanza `type` a message of this kind is sent with: `media`, `reaction`, `poll` or
    /// `text`.
    pub fn stanza_type(&self) -> MessageType {
        match self {
            kind if kind.is_media() => MessageType::Media,
            ContentKind::Reaction => MessageType::Reaction,
            ContentKind::Poll | ContentKind::PollVote => MessageType::Poll,
            _ => MessageType::Text,
        }
    }
}

/// The `mediatype` attribute of the `<enc>` nodes carrying `message`: `image`, `video`, `gif`,
/// `audio`, `ptt`, `document` or `sticker`; `None` for anything without media.
pub fn enc_mediatype(message: &e2e::Message) -> Option<&'static str> {
    if message.image_message.is_some() {
        Some("image")
    } else if let Some(video) = &message.video_message {
        Some(if video.gif_playback == Some(true) {
            "gif"
        } else {
            "video"
        })
    } else if let Some(audio) = &message.audio_message {
        Some(if audio.ptt == Some(true) {
            "ptt"
        } else {
            "audio"
        })
    } else if message.document_message.is_some() {
        Some("document")
    } else if message.sticker_message.is_some() {
        Some("sticker")
    } else {
        None
    }
}

impl fmt::Display for ContentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name of a part of `m` that is set and has no kind of its own.
fn first_other_part(m: &e2e::Message) -> &'static str {
    if m.message_context_info.is_some() {
        "message_context_info"
    } else {
        ""
    }
}

/// The text of a text message (conversation or extended text), or a media caption (image,
/// video, document).
pub fn text(message: &e2e::Message) -> Option<String> {
    let m = message;
    m.conversation
        .clone()
        .or_else(|| m.extended_text_message.as_ref()?.text.clone())
        .or_else(|| m.image_message.as_ref()?.caption.clone())
        .or_else(|| m.video_message.as_ref()?.caption.clone())
        .or_else(|| m.document_message.as_ref()?.caption.clone())
}

/// Whether `message` carries nothing but a sender-key distribution (and context info).
pub fn is_only_key_distribution(message: &e2e::Message) -> bool {
    let mut rest = message.clone();
    rest.sender_key_distribution_message = None;
    rest.message_context_info = None;
    message.sender_key_distribution_message.is_some() && rest == e2e::Message::default()
}

/// A plain text message (`conversation`).
pub fn text_message(text: &str) -> e2e::Message {
    e2e::Message {
        conversation: Some(text.to_owned()),
        ..e2e::Message::default()
    }
}

/// A contact-card message from `(display name, vCard)` pairs: one card as a
/// `contactMessage`, several as a `contactsArrayMessage` named "N contacts".
pub fn contacts_message(cards: &[(String, String)]) -> e2e::Message {
    let card = |(name, vcard): &(String, String)| e2e::ContactMessage {
        display_name: Some(name.clone()),
        vcard: Some(vcard.clone()),
        context_info: None,
    };
    match cards {
        [one] => e2e::Message {
            contact_message: Some(Box::new(card(one))),
            ..e2e::Message::default()
        },
        many => e2e::Message {
            contacts_array_message: Some(Box::new(e2e::ContactsArrayMessage {
                display_name: Some(format!("{} contacts", many.len())),
                contacts: many.iter().map(card).collect(),
                context_info: None,
            })),
            ..e2e::Message::default()
        },
    }
}

/// The copy of `message` for the sender's own other devices: wrapped in a `deviceSentMessage`
/// naming the chat it went to.
pub fn device_sent(message: &e2e::Message, chat: &Jid) -> e2e::Message {
    e2e::Message {
        device_sent_message: Some(Box::new(e2e::DeviceSentMessage {
            destination_jid: Some(chat.to_string()),
            message: Some(Box::new(message.clone())),
            phash: None,
        })),
        // The message secret (polls) travels on the outer layer too, as WhatsApp's apps put it.
        message_context_info: message.message_context_info.clone(),
        ..e2e::Message::default()
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU8;

    use super::*;
    use crate::message::pad_with;

    fn wrap(inner: e2e::Message) -> Option<Box<e2e::FutureProofMessage>> {
        Some(Box::new(e2e::FutureProofMessage {
            message: Some(Box::new(inner)),
        }))
    }

    fn skdm() -> e2e::Message {
        e2e::Message {
            sender_key_distribution_message: Some(e2e::SenderKeyDistributionMessage {
                group_id: Some("1@g.us".into()),
                axolotl_sender_key_distribution_message: Some(vec![1, 2]),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn plain_text_decodes() {
        let padded = pad_with(&text_message("hi").encode_to_vec(), NonZeroU8::MIN);
        let Ok(content) = decode_padded(&padded) else {
            panic!("a padded text decodes");
        };
        assert_eq!(text(&content.message).as_deref(), Some("hi"));
        assert_eq!(ContentKind::of(&content.message), ContentKind::Text);
        assert!(!content.edited && !content.view_once && !content.ephemeral);
        assert_eq!(content.device_sent_to, None);
    }

    #[test]
    fn nested_wrappers_unwrap_and_keep_the_outer_destination() {
        let image = e2e::Message {
            image_message: Some(Box::new(e2e::ImageMessage {
                caption: Some("look".into()),
                ..Default::default()
            })),
            ..Default::default()
        };
        let view_once = e2e::Message {
            view_once_message_v2: wrap(image),
            ..Default::default()
        };
        let ephemeral = e2e::Message {
            ephemeral_message: wrap(view_once),
            ..Default::default()
        };
        let chat = Jid::pn("15550000002");
        let inner_copy = device_sent(&ephemeral, &Jid::pn("15550000009"));
        let content = unwrap(device_sent(&inner_copy, &chat));
        assert_eq!(content.device_sent_to, Some(chat.to_string()));
        assert!(content.ephemeral && content.view_once && !content.edited);
        // The wrapper marks the media inside, whatever the sender set there.
        assert_eq!(
            content
                .message
                .image_message
                .as_ref()
                .and_then(|i| i.view_once),
            Some(true)
        );
        let sent = unwrap(super::view_once(e2e::Message {
            video_message: Some(Box::default()),
            ..Default::default()
        }));
        assert!(sent.view_once);
        assert_eq!(
            sent.message.video_message.and_then(|v| v.view_once),
            Some(true)
        );
        let kind = ContentKind::of(&content.message);
        assert_eq!(
            (kind.as_str(), kind.stanza_type()),
            ("image", MessageType::Media)
        );
        assert_eq!(text(&content.message).as_deref(), Some("look"));
    }

    #[test]
    fn edited_and_document_with_caption() {
        let edited = e2e::Message {
            edited_message: wrap(e2e::Message {
                extended_text_message: Some(Box::new(e2e::ExtendedTextMessage {
                    text: Some("fixed".into()),
                    ..Default::default()
                })),
                ..Default::default()
            }),
            ..Default::default()
        };
        let content = unwrap(edited);
        assert!(content.edited);
        assert_eq!(text(&content.message).as_deref(), Some("fixed"));

        let document = e2e::Message {
            document_with_caption_message: wrap(e2e::Message {
                document_message: Some(Box::new(e2e::DocumentMessage {
                    caption: Some("the file".into()),
                    ..Default::default()
                })),
                ..Default::default()
            }),
            ..Default::default()
        };
        let content = unwrap(document);
        assert_eq!(ContentKind::of(&content.message), ContentKind::Document);
        assert_eq!(text(&content.message).as_deref(), Some("the file"));
    }

    #[test]
    fn an_empty_wrapper_stops_and_a_runaway_nesting_is_bounded() {
        let empty = e2e::Message {
            ephemeral_message: Some(Box::new(e2e::FutureProofMessage { message: None })),
            ..Default::default()
        };
        let content = unwrap(empty);
        assert!(content.ephemeral);
        assert_eq!(
            ContentKind::of(&content.message),
            ContentKind::Unknown(String::new())
        );
        assert_eq!(text(&content.message), None);

        let mut deep = text_message("deep");
        for _ in 0..MAX_WRAPPERS + 2 {
            deep = e2e::Message {
                ephemeral_message: wrap(deep),
                ..Default::default()
            };
        }
        let content = unwrap(deep);
        assert!(content.message.ephemeral_message.is_some(), "stopped early");
    }

    #[test]
    fn an_outer_key_distribution_is_kept_on_the_inner_message() {
        let mut outer = skdm();
        outer.ephemeral_message = wrap(text_message("x"));
        let content = unwrap(outer);
        assert!(content.message.sender_key_distribution_message.is_some());
        assert_eq!(ContentKind::of(&content.message), ContentKind::Text);
        assert!(!is_only_key_distribution(&content.message));
    }

    #[test]
    fn control_and_key_distribution_kinds() {
        assert!(is_only_key_distribution(&skdm()));
        assert_eq!(ContentKind::of(&skdm()), ContentKind::SenderKeyDistribution);
        let control = e2e::Message {
            protocol_message: Some(Box::default()),
            ..Default::default()
        };
        assert_eq!(ContentKind::of(&control), ContentKind::Protocol);
        let context_only = e2e::Message {
            message_context_info: Some(Default::default()),
            ..Default::default()
        };
        let kind = ContentKind::of(&context_only);
        assert_eq!(kind, ContentKind::Unknown("message_context_info".into()));
        assert_eq!(kind.to_string(), "unknown");
    }

    #[test]
    fn every_user_visible_part_has_a_kind_in_priority_order() {
        // Every part at once; clearing the winner each round walks the priority order.
        let mut m = e2e::Message {
            conversation: Some("t".into()),
            image_message: Some(Box::default()),
            video_message: Some(Box::default()),
            audio_message: Some(Box::default()),
            document_message: Some(Box::default()),
            sticker_message: Some(Box::default()),
            contact_message: Some(Box::default()),
            contacts_array_message: Some(Box::default()),
            location_message: Some(Box::default()),
            reaction_message: Some(Default::default()),
            poll_creation_message: Some(Box::default()),
            poll_update_message: Some(Default::default()),
            protocol_message: Some(Box::default()),
            ..skdm()
        };
        let mut seen = Vec::new();
        loop {
            let kind = ContentKind::of(&m);
            seen.push(kind.as_str());
            match kind {
                ContentKind::Text => m.conversation = None,
                ContentKind::Image => m.image_message = None,
                ContentKind::Video => m.video_message = None,
                ContentKind::Audio => m.audio_message = None,
                ContentKind::Document => m.document_message = None,
                ContentKind::Sticker => m.sticker_message = None,
                ContentKind::Contact if m.contact_message.is_some() => m.contact_message = None,
                ContentKind::Contact => m.contacts_array_message = None,
                ContentKind::Location => m.location_message = None,
                ContentKind::Reaction => m.reaction_message = None,
                ContentKind::Poll => m.poll_creation_message = None,
                ContentKind::PollVote => m.poll_update_message = None,
                ContentKind::Protocol => m.protocol_message = None,
                ContentKind::SenderKeyDistribution => m.sender_key_distribution_message = None,
                ContentKind::Unknown(_) => break,
            }
        }
        let order = [
            "text",
            "image",
            "video",
            "audio",
            "document",
            "sticker",
            "contact",
            "contact",
            "location",
            "reaction",
            "poll",
            "poll_vote",
            "protocol",
            "sender_key_distribution",
            "unknown",
        ];
        assert_eq!(seen, order);
        assert_eq!(ContentKind::Reaction.stanza_type(), MessageType::Reaction);
        assert_eq!(ContentKind::Location.stanza_type(), MessageType::Text);
        assert_eq!(ContentKind::Sticker.stanza_type(), MessageType::Media);
        assert!(!ContentKind::Contact.is_media());
    }

    #[test]
    fn parts_the_schema_does_not_model_are_named() {
        // Field 63 (a pin) with an empty body, then messageContextInfo (35), inside an
        // ephemeral wrapper (40 → 1).
        let inner = [0xfa, 0x03, 0x00, 0x9a, 0x02, 0x00];
        let mut future_proof = vec![0x0a, inner.len() as u8];
        future_proof.extend_from_slice(&inner);
        let mut message = vec![0xc2, 0x02, future_proof.len() as u8];
        message.extend_from_slice(&future_proof);
        let Ok(decoded) = decode_padded(&pad_with(&message, NonZeroU8::MIN)) else {
            panic!("unknown fields are skipped, not refused");
        };
        assert!(decoded.ephemeral);
        assert_eq!(decoded.unmodelled.as_deref(), Some("pin_in_chat_message"));
        assert_eq!(
            decoded.kind(),
            ContentKind::Unknown("pin_in_chat_message".into())
        );
        assert_eq!(
            unmodelled_part(&[0xc0, 0x07, 0x01]).as_deref(),
            Some("field_120")
        );
        assert_eq!(unmodelled_part(&text_message("hi").encode_to_vec()), None);
        assert_eq!(unmodelled_part(&[0xff]), None, "malformed");
        let text = decode_padded(&pad_with(
            &text_message("hi").encode_to_vec(),
            NonZeroU8::MIN,
        ));
        assert_eq!(text.map(|t| t.kind()).ok(), Some(ContentKind::Text));
    }

    #[test]
    fn padding_and_protobuf_errors() {
        assert!(matches!(decode_padded(&[]), Err(ContentError::Padding(_))));
        // The last byte claims more padding than there is.
        assert!(matches!(
            decode_padded(&[1, 2, 9]),
            Err(ContentError::Padding(_))
        ));
        // Valid padding around bytes that are no protobuf (field 0 is invalid).
        assert!(matches!(
            decode_padded(&[0x00, 0x01, 0x01]),
            Err(ContentError::Protobuf(_))
        ));
    }
}
