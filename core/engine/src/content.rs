//! The API's typed view of a message's content, made in one place from the `Message` protobuf:
//! for received messages, for messages we send and for stored history alike, so the same
//! message reads the same everywhere.

use openwa_protocol::content::{self as protocol, ContentKind};
use openwa_protocol::proto::e2e;
use prost::Message as _;

use crate::event::{MessageContent, MessageType};

/// What a message is, as the API reports it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Described {
    /// Its type.
    pub message_type: MessageType,
    /// Its text or caption.
    pub text: Option<String>,
    /// Its typed content.
    pub content: MessageContent,
}

/// Describes an unwrapped message whose kind was classified as `kind`.
pub(crate) fn describe(message: &e2e::Message, kind: ContentKind) -> Described {
    let message_type = MessageType::of_content(kind);
    let text = protocol::text(message);
    let content = typed(message, &message_type, text.as_deref());
    Described {
        message_type,
        text,
        content,
    }
}

/// Describes a stored message: its protobuf `payload` when there is one (the type stays the
/// stored one: a part the schema does not model is not in the re-encoded payload), else the
/// stored type and text alone (rows written before payloads were kept).
pub(crate) fn describe_stored(
    payload: Option<&[u8]>,
    msg_type: &str,
    body: Option<&str>,
) -> Described {
    let message_type = MessageType::from_name(msg_type);
    let decoded = payload.and_then(|bytes| e2e::Message::decode(bytes).ok());
    let content = match &decoded {
        Some(message) => typed(message, &message_type, body),
        None => MessageContent::of(&message_type, body),
    };
    Described {
        message_type,
        text: body.map(str::to_owned),
        content,
    }
}

/// The typed content of `message`, which is of `message_type` and whose text or caption is
/// `text`.
fn typed(message: &e2e::Message, message_type: &MessageType, text: Option<&str>) -> MessageContent {
    crate::media::content::media_content(message)
        .unwrap_or_else(|| MessageContent::of(message_type, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_reads_the_same_live_and_stored() {
        let message = protocol::text_message("hi");
        let live = describe(&message, ContentKind::of(&message));
        let stored = describe_stored(Some(&message.encode_to_vec()), "text", Some("hi"));
        assert_eq!(live, stored);
        assert_eq!(live.content, MessageContent::Text { text: "hi".into() });
    }

    #[test]
    fn a_stored_row_without_payload_keeps_its_type_and_text() {
        let stored = describe_stored(None, "poll_creation_message", None);
        assert_eq!(
            stored.message_type,
            MessageType::Unknown("poll_creation_message".into())
        );
        assert_eq!(
            stored.content,
            MessageContent::Other {
                message_type: MessageType::Unknown("poll_creation_message".into())
            }
        );
    }
}
