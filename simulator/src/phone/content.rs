//! Message content the phone understands: building `Message` protobufs for what it sends and
//! describing (after unwrapping) what it receives.

use openwa_protocol::proto::e2e;
use serde::{Deserialize, Serialize};

/// Media attached to a timeline entry: the message fields needed to fetch and decrypt it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    /// `image` or `document`.
    pub media_type: String,
    /// MIME type.
    pub mimetype: Option<String>,
    /// File name (documents).
    pub file_name: Option<String>,
    /// Plaintext length.
    pub file_length: Option<u64>,
    /// Hex SHA-256 of the plaintext.
    pub file_sha256: Option<String>,
    /// Hex SHA-256 of the encrypted blob.
    pub file_enc_sha256: Option<String>,
    /// Hex media key.
    pub media_key: Option<String>,
    /// Direct path on the media host.
    pub direct_path: Option<String>,
    /// Full URL.
    pub url: Option<String>,
}

/// A reaction: the message reacted to and the emoji (empty = reaction removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionRef {
    /// Id of the message reacted to.
    pub id: String,
    /// The emoji.
    pub emoji: String,
}

/// What a message says, as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// `text`, `image`, `document`, `reaction` or `unknown`.
    pub kind: &'static str,
    /// Text, caption or reaction emoji.
    pub text: Option<String>,
    /// Media fields.
    pub media: Option<MediaRef>,
    /// Reaction target.
    pub reaction: Option<ReactionRef>,
}

/// Removes wrappers (ephemeral, view-once, document-with-caption, edited, device-sent);
/// returns the inner message and, for a device-sent copy, its destination chat.
pub fn unwrap(mut message: e2e::Message) -> (e2e::Message, Option<String>) {
    let mut destination = None;
    for _ in 0..8 {
        if let Some(sent) = message.device_sent_message.take() {
            destination = destination.or(sent.destination_jid);
            match sent.message {
                Some(inner) => message = *inner,
                None => break,
            }
            continue;
        }
        let wrapped = message
            .ephemeral_message
            .take()
            .or_else(|| message.view_once_message.take())
            .or_else(|| message.view_once_message_v2.take())
            .or_else(|| message.view_once_message_v2_extension.take())
            .or_else(|| message.document_with_caption_message.take())
            .or_else(|| message.edited_message.take())
            .and_then(|w| w.message);
        match wrapped {
            Some(inner) => message = *inner,
            None => break,
        }
    }
    (message, destination)
}

fn hex_opt(bytes: Option<&Vec<u8>>) -> Option<String> {
    bytes.map(hex::encode)
}

/// Describes an (unwrapped) message; `None` when it carries no user content (a bare sender
/// key distribution, a protocol message).
pub fn describe(message: &e2e::Message) -> Option<Content> {
    let plain = |kind, text: Option<String>| Content {
        kind,
        text,
        media: None,
        reaction: None,
    };
    if let Some(text) = &message.conversation {
        return Some(plain("text", Some(text.clone())));
    }
    if let Some(extended) = &message.extended_text_message {
        return Some(plain("text", extended.text.clone()));
    }
    if let Some(image) = &message.image_message {
        return Some(Content {
            kind: "image",
            text: image.caption.clone(),
            media: Some(MediaRef {
                media_type: "image".into(),
                mimetype: image.mimetype.clone(),
                file_name: None,
                file_length: image.file_length,
                file_sha256: hex_opt(image.file_sha256.as_ref()),
                file_enc_sha256: hex_opt(image.file_enc_sha256.as_ref()),
                media_key: hex_opt(image.media_key.as_ref()),
                direct_path: image.direct_path.clone(),
                url: image.url.clone(),
            }),
            reaction: None,
        });
    }
    if let Some(document) = &message.document_message {
        return Some(Content {
            kind: "document",
            text: document.caption.clone(),
            media: Some(MediaRef {
                media_type: "document".into(),
                mimetype: document.mimetype.clone(),
                file_name: document.file_name.clone(),
                file_length: document.file_length,
                file_sha256: hex_opt(document.file_sha256.as_ref()),
                file_enc_sha256: hex_opt(document.file_enc_sha256.as_ref()),
                media_key: hex_opt(document.media_key.as_ref()),
                direct_path: document.direct_path.clone(),
                url: document.url.clone(),
            }),
            reaction: None,
        });
    }
    if let Some(reaction) = &message.reaction_message {
        return Some(Content {
            kind: "reaction",
            text: reaction.text.clone(),
            media: None,
            reaction: Some(ReactionRef {
                id: reaction
                    .key
                    .as_ref()
                    .and_then(|k| k.id.clone())
                    .unwrap_or_default(),
                emoji: reaction.text.clone().unwrap_or_default(),
            }),
        });
    }
    let only_keys = message.protocol_message.is_some()
        || message.message_context_info.is_some()
        || message.sender_key_distribution_message.is_some();
    if only_keys {
        return None;
    }
    Some(plain("unknown", None))
}

/// A plain text message.
pub fn text(text: &str) -> e2e::Message {
    e2e::Message {
        conversation: Some(text.to_owned()),
        ..Default::default()
    }
}

/// A reaction to message `id` in `chat` (sent by `from_me` or by `participant`).
pub fn reaction(
    chat: &str,
    id: &str,
    from_me: bool,
    participant: Option<String>,
    emoji: &str,
    now_ms: i64,
) -> e2e::Message {
    e2e::Message {
        reaction_message: Some(e2e::ReactionMessage {
            key: Some(e2e::MessageKey {
                remote_jid: Some(chat.to_owned()),
                from_me: Some(from_me),
                id: Some(id.to_owned()),
                participant,
            }),
            text: Some(emoji.to_owned()),
            grouping_key: None,
            sender_timestamp_ms: Some(now_ms),
        }),
        ..Default::default()
    }
}

/// An image or document message from uploaded media fields, with an optional caption.
pub fn media(media: &MediaRef, caption: Option<String>, media_key_timestamp: i64) -> e2e::Message {
    let bytes = |hex_text: &Option<String>| hex_text.as_ref().and_then(|h| hex::decode(h).ok());
    if media.media_type == "document" {
        return e2e::Message {
            document_message: Some(Box::new(e2e::DocumentMessage {
                url: media.url.clone(),
                mimetype: media.mimetype.clone(),
                title: media.file_name.clone(),
                file_sha256: bytes(&media.file_sha256),
                file_length: media.file_length,
                media_key: bytes(&media.media_key),
                file_name: media.file_name.clone(),
                file_enc_sha256: bytes(&media.file_enc_sha256),
                direct_path: media.direct_path.clone(),
                media_key_timestamp: Some(media_key_timestamp),
                caption,
                ..Default::default()
            })),
            ..Default::default()
        };
    }
    e2e::Message {
        image_message: Some(Box::new(e2e::ImageMessage {
            url: media.url.clone(),
            mimetype: media.mimetype.clone(),
            caption,
            file_sha256: bytes(&media.file_sha256),
            file_length: media.file_length,
            media_key: bytes(&media.media_key),
            file_enc_sha256: bytes(&media.file_enc_sha256),
            direct_path: media.direct_path.clone(),
            media_key_timestamp: Some(media_key_timestamp),
            ..Default::default()
        })),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrappers_are_removed_and_the_destination_kept() {
        let inner = text("hello");
        let wrapped = e2e::Message {
            device_sent_message: Some(Box::new(e2e::DeviceSentMessage {
                destination_jid: Some("1555@s.whatsapp.net".into()),
                message: Some(Box::new(e2e::Message {
                    ephemeral_message: Some(Box::new(e2e::FutureProofMessage {
                        message: Some(Box::new(inner.clone())),
                    })),
                    ..Default::default()
                })),
                phash: None,
            })),
            ..Default::default()
        };
        let (message, destination) = unwrap(wrapped);
        assert_eq!(message, inner);
        assert_eq!(destination.as_deref(), Some("1555@s.whatsapp.net"));
        let content = describe(&message).unwrap();
        assert_eq!(
            (content.kind, content.text.as_deref()),
            ("text", Some("hello"))
        );
    }

    #[test]
    fn key_only_messages_have_no_content() {
        let skdm = e2e::Message {
            sender_key_distribution_message: Some(e2e::SenderKeyDistributionMessage {
                group_id: Some("1@g.us".into()),
                axolotl_sender_key_distribution_message: Some(vec![1]),
            }),
            ..Default::default()
        };
        assert_eq!(describe(&skdm), None);
        let reacted = reaction("1@g.us", "ID", false, None, "👍", 5);
        let content = describe(&reacted).unwrap();
        assert_eq!(content.kind, "reaction");
        assert_eq!(content.reaction.unwrap().id, "ID");
    }
}
