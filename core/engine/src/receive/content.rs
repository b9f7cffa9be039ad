//! Plaintext → message content: strip the padding, decode the `Message` protobuf and unwrap the
//! wrappers WhatsApp puts around the real content (docs/PROTOCOL.md, Message stanzas).

use openwa_protocol::content::{self as protocol, ContentKind, Unwrapped};
use openwa_protocol::proto::e2e;

pub(super) use openwa_protocol::content::ContentError;

/// A decoded message with its wrappers removed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Content {
    /// The innermost message.
    pub message: e2e::Message,
    /// What it is, classified once when it was decoded (an unknown part by its field name).
    pub kind: ContentKind,
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
    /// Whether this is a control message (`protocolMessage`: history-sync and app-state key
    /// notices, revokes, edits…) rather than chat content.
    pub(crate) fn is_control(&self) -> bool {
        self.message.protocol_message.is_some()
    }

    /// Whether the message carries nothing but a sender-key distribution (and context info).
    pub(crate) fn is_only_key_distribution(&self) -> bool {
        protocol::is_only_key_distribution(&self.message)
    }
}

impl From<Unwrapped> for Content {
    fn from(unwrapped: Unwrapped) -> Self {
        Content {
            kind: unwrapped.kind(),
            message: unwrapped.message,
            device_sent_to: unwrapped.device_sent_to,
            edited: unwrapped.edited,
            view_once: unwrapped.view_once,
            ephemeral: unwrapped.ephemeral,
        }
    }
}

/// Unpads and decodes a `v="2"` plaintext, then removes the wrappers
/// (see [`openwa_protocol::content::unwrap`]).
pub(super) fn decode_padded(padded: &[u8]) -> Result<Content, ContentError> {
    protocol::decode_padded(padded).map(Content::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openwa_protocol::message::pad_with;
    use prost::Message as _;
    use std::num::NonZeroU8;

    // Unwrapping and classifying are tested in openwa-protocol; these check the engine's view.
    #[test]
    fn the_engine_view_keeps_every_flag_and_label() {
        let edited = e2e::Message {
            edited_message: Some(Box::new(e2e::FutureProofMessage {
                message: Some(Box::new(e2e::Message {
                    conversation: Some("fixed".into()),
                    ..Default::default()
                })),
            })),
            ..Default::default()
        };
        let ephemeral = e2e::Message {
            ephemeral_message: Some(Box::new(e2e::FutureProofMessage {
                message: Some(Box::new(edited)),
            })),
            ..Default::default()
        };
        let chat = openwa_protocol::Jid::pn("15550000002");
        let wrapped = openwa_protocol::content::device_sent(&ephemeral, &chat);
        let n = NonZeroU8::new(3).unwrap();
        let content = decode_padded(&pad_with(&wrapped.encode_to_vec(), n)).unwrap();
        assert_eq!(content.device_sent_to, Some(chat.to_string()));
        assert!(content.edited && content.ephemeral && !content.view_once);
        assert_eq!(content.kind, ContentKind::Text);
        assert_eq!(protocol::text(&content.message).as_deref(), Some("fixed"));
        assert!(!content.is_control() && !content.is_only_key_distribution());
        assert!(matches!(decode_padded(&[]), Err(ContentError::Padding(_))));
        // A part this schema does not model keeps its name (field 63: a pin).
        let mut pin = e2e::Message::default().encode_to_vec();
        pin.extend_from_slice(&[0xfa, 0x03, 0x00]);
        let content = decode_padded(&pad_with(&pin, n)).unwrap();
        assert_eq!(
            crate::event::MessageType::of_content(content.kind),
            crate::event::MessageType::Unknown("pin_in_chat_message".into())
        );
    }
}
