//! Plaintext → message content: strip the padding, decode the `Message` protobuf and unwrap the
//! wrappers WhatsApp puts around the real content (docs/PROTOCOL.md, Message stanzas).

use openwa_protocol::message::{PaddingError, unpad};
use openwa_protocol::proto::e2e;
use prost::Message as _;
use thiserror::Error;

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

/// How deep wrappers may nest before we stop unwrapping (a hostile sender could nest forever;
/// prost already bounds recursion, this bounds our own loop).
const MAX_WRAPPERS: usize = 8;

/// A decoded message with its wrappers removed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Content {
    /// The innermost message.
    pub message: e2e::Message,
    /// `deviceSentMessage.destinationJID`: the chat of a message one of our own devices sent.
    pub device_sent_to: Option<String>,
    /// Whether an `editedMessage` wrapper was removed.
    pub edited: bool,
    /// Whether a view-once wrapper was removed.
    pub view_once: bool,
    /// Whether an `ephemeralMessage` wrapper was removed.
    pub ephemeral: bool,
}

impl Content {
    /// The text of a text message (conversation or extended text), or a media caption.
    pub fn text(&self) -> Option<String> {
        let m = &self.message;
        m.conversation
            .clone()
            .or_else(|| m.extended_text_message.as_ref()?.text.clone())
            .or_else(|| m.image_message.as_ref()?.caption.clone())
            .or_else(|| m.video_message.as_ref()?.caption.clone())
            .or_else(|| m.document_message.as_ref()?.caption.clone())
    }

    /// A short label of what the message is (`text`, `image`, `reaction`…), `unknown` if none
    /// of the known parts is set.
    pub fn message_type(&self) -> &'static str {
        let m = &self.message;
        if m.conversation.is_some() || m.extended_text_message.is_some() {
            "text"
        } else if m.image_message.is_some() {
            "image"
        } else if m.video_message.is_some() {
            "video"
        } else if m.audio_message.is_some() {
            "audio"
        } else if m.document_message.is_some() {
            "document"
        } else if m.sticker_message.is_some() {
            "sticker"
        } else if m.contact_message.is_some() || m.contacts_array_message.is_some() {
            "contact"
        } else if m.location_message.is_some() {
            "location"
        } else if m.reaction_message.is_some() {
            "reaction"
        } else if m.protocol_message.is_some() {
            "protocol"
        } else if m.sender_key_distribution_message.is_some() {
            "sender_key_distribution"
        } else {
            "unknown"
        }
    }

    /// Whether this is a control message (`protocolMessage`: history-sync and app-state key
    /// notices, revokes, edits…) rather than chat content.
    pub fn is_control(&self) -> bool {
        self.message.protocol_message.is_some()
    }

    /// Whether the message carries nothing but a sender-key distribution (and context info).
    pub fn is_only_key_distribution(&self) -> bool {
        let mut rest = self.message.clone();
        rest.sender_key_distribution_message = None;
        rest.message_context_info = None;
        self.message.sender_key_distribution_message.is_some() && rest == e2e::Message::default()
    }
}

/// Unpads and decodes a `v="2"` plaintext, then unwraps it.
pub fn decode_padded(padded: &[u8]) -> Result<Content, ContentError> {
    let bytes = unpad(padded)?;
    let message = e2e::Message::decode(bytes)?;
    Ok(unwrap(message))
}

/// Removes `deviceSentMessage`, `ephemeralMessage`, `viewOnceMessage(V2/V2Extension)`,
/// `documentWithCaptionMessage` and `editedMessage` wrappers. A sender-key distribution on an
/// outer layer is kept on the result.
pub fn unwrap(message: e2e::Message) -> Content {
    let mut content = Content::default();
    let mut current = message;
    for _ in 0..MAX_WRAPPERS {
        let skdm = current.sender_key_distribution_message.clone();
        let inner = if let Some(dsm) = current.device_sent_message.take() {
            if content.device_sent_to.is_none() {
                content.device_sent_to = dsm.destination_jid;
            }
            dsm.message.map(|m| *m)
        } else if let Some(w) = current.ephemeral_message.take() {
            content.ephemeral = true;
            w.message.map(|m| *m)
        } else if let Some(w) = current
            .view_once_message
            .take()
            .or_else(|| current.view_once_message_v2.take())
            .or_else(|| current.view_once_message_v2_extension.take())
        {
            content.view_once = true;
            w.message.map(|m| *m)
        } else if let Some(w) = current.document_with_caption_message.take() {
            w.message.map(|m| *m)
        } else if let Some(w) = current.edited_message.take() {
            content.edited = true;
            w.message.map(|m| *m)
        } else {
            break;
        };
        let Some(mut next) = inner else {
            break;
        };
        if next.sender_key_distribution_message.is_none() {
            next.sender_key_distribution_message = skdm;
        }
        current = next;
    }
    content.message = current;
    content
}

#[cfg(test)]
mod tests {
    use super::*;
    use openwa_protocol::message::pad_with;
    use std::num::NonZeroU8;

    fn text(t: &str) -> e2e::Message {
        e2e::Message {
            conversation: Some(t.into()),
            ..Default::default()
        }
    }

    fn wrap(inner: e2e::Message) -> Option<Box<e2e::FutureProofMessage>> {
        Some(Box::new(e2e::FutureProofMessage {
            message: Some(Box::new(inner)),
        }))
    }

    #[test]
    fn plain_text_decodes() {
        let n = NonZeroU8::new(7).unwrap();
        let content = decode_padded(&pad_with(&text("hi").encode_to_vec(), n)).unwrap();
        assert_eq!(content.text().as_deref(), Some("hi"));
        assert_eq!(content.message_type(), "text");
        assert!(!content.edited && !content.view_once && content.device_sent_to.is_none());
    }

    #[test]
    fn nested_wrappers_unwrap() {
        let view_once = e2e::Message {
            view_once_message_v2: wrap(e2e::Message {
                image_message: Some(Box::new(e2e::ImageMessage {
                    caption: Some("look".into()),
                    ..Default::default()
                })),
                ..Default::default()
            }),
            ..Default::default()
        };
        let ephemeral = e2e::Message {
            ephemeral_message: wrap(view_once),
            ..Default::default()
        };
        let dsm = e2e::Message {
            device_sent_message: Some(Box::new(e2e::DeviceSentMessage {
                destination_jid: Some("15550000002@s.whatsapp.net".into()),
                message: Some(Box::new(ephemeral)),
                phash: None,
            })),
            ..Default::default()
        };
        let content = unwrap(dsm);
        assert_eq!(
            content.device_sent_to.as_deref(),
            Some("15550000002@s.whatsapp.net")
        );
        assert!(content.ephemeral && content.view_once && !content.edited);
        assert_eq!(content.message_type(), "image");
        assert_eq!(content.text().as_deref(), Some("look"));
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
        assert_eq!(content.text().as_deref(), Some("fixed"));

        let doc = e2e::Message {
            document_with_caption_message: wrap(e2e::Message {
                document_message: Some(Box::new(e2e::DocumentMessage {
                    caption: Some("the file".into()),
                    ..Default::default()
                })),
                ..Default::default()
            }),
            ..Default::default()
        };
        let content = unwrap(doc);
        assert_eq!(content.message_type(), "document");
        assert_eq!(content.text().as_deref(), Some("the file"));
    }

    #[test]
    fn wrapper_without_inner_message_stops() {
        let empty = e2e::Message {
            ephemeral_message: Some(Box::new(e2e::FutureProofMessage { message: None })),
            ..Default::default()
        };
        let content = unwrap(empty);
        assert!(content.ephemeral);
        assert_eq!(content.message_type(), "unknown");
        assert_eq!(content.text(), None);
    }

    #[test]
    fn key_distribution_only() {
        let skdm = e2e::Message {
            sender_key_distribution_message: Some(e2e::SenderKeyDistributionMessage {
                group_id: Some("1@g.us".into()),
                axolotl_sender_key_distribution_message: Some(vec![1, 2]),
            }),
            ..Default::default()
        };
        let content = unwrap(skdm.clone());
        assert!(content.is_only_key_distribution());
        assert!(!content.is_control());
        let control = e2e::Message {
            protocol_message: Some(Box::default()),
            ..Default::default()
        };
        assert!(unwrap(control).is_control());
        let mut with_text = skdm;
        with_text.conversation = Some("x".into());
        assert!(!unwrap(with_text).is_only_key_distribution());
    }

    #[test]
    fn padding_and_protobuf_errors() {
        assert!(matches!(decode_padded(&[]), Err(ContentError::Padding(_))));
        // Last byte claims more padding than there is.
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
