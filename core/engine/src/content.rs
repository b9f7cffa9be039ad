//! The API's typed view of a message's content, made in one place from the `Message` protobuf:
//! for received messages, for messages we send and for stored history alike, so the same
//! message reads the same everywhere.

use openwa_protocol::actions::context_info;
use openwa_protocol::content::{self as protocol, ContentKind};
use openwa_protocol::proto::e2e;
use prost::Message as _;

use crate::event::{ContactCard, Location, MessageContent, MessageType, QuotedMessage};

/// What a message is, as the API reports it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Described {
    /// Its type.
    pub message_type: MessageType,
    /// Its text or caption.
    pub text: Option<String>,
    /// Its typed content.
    pub content: MessageContent,
    /// The message it replies to.
    pub quoted: Option<QuotedMessage>,
    /// The users it mentions.
    pub mentions: Vec<String>,
    /// Whether it was forwarded.
    pub forwarded: bool,
    /// Its forwarding score.
    pub forwarding_score: u32,
}

/// Describes an unwrapped message whose kind was classified as `kind`.
pub(crate) fn describe(message: &e2e::Message, kind: ContentKind) -> Described {
    let message_type = MessageType::of_content(kind);
    let text = protocol::text(message);
    let content = typed(message, &message_type, text.as_deref());
    with_context(message, message_type, text, content)
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
    let text = body.map(str::to_owned);
    match payload.and_then(|bytes| e2e::Message::decode(bytes).ok()) {
        Some(message) => {
            let content = typed(&message, &message_type, body);
            with_context(&message, message_type, text, content)
        }
        None => Described {
            content: MessageContent::of(&message_type, body),
            message_type,
            text,
            quoted: None,
            mentions: Vec::new(),
            forwarded: false,
            forwarding_score: 0,
        },
    }
}

fn with_context(
    message: &e2e::Message,
    message_type: MessageType,
    text: Option<String>,
    content: MessageContent,
) -> Described {
    let context = context_info(message);
    let quoted = context.and_then(quoted_of);
    let mentions = context.map(|c| c.mentioned_jid.clone()).unwrap_or_default();
    Described {
        message_type,
        text,
        content,
        quoted,
        mentions,
        forwarded: context.and_then(|c| c.is_forwarded).unwrap_or(false),
        forwarding_score: context.and_then(|c| c.forwarding_score).unwrap_or(0),
    }
}

/// The typed content of `message`, which is of `message_type` and whose text or caption is
/// `text`.
fn typed(message: &e2e::Message, message_type: &MessageType, text: Option<&str>) -> MessageContent {
    match message_type {
        MessageType::Location => match &message.location_message {
            Some(l) => MessageContent::Location(Location {
                latitude: l.degrees_latitude.unwrap_or_default(),
                longitude: l.degrees_longitude.unwrap_or_default(),
                name: l.name.clone(),
                address: l.address.clone(),
                url: l.url.clone(),
                comment: l.comment.clone(),
                accuracy_m: l.accuracy_in_meters,
                live: l.is_live.unwrap_or(false),
            }),
            None => MessageContent::of(message_type, text),
        },
        MessageType::Contact => {
            let card = |c: &e2e::ContactMessage| ContactCard {
                display_name: c.display_name.clone().unwrap_or_default(),
                vcard: c.vcard.clone().unwrap_or_default(),
            };
            let contacts = match (&message.contact_message, &message.contacts_array_message) {
                (Some(one), _) => vec![card(one)],
                (None, Some(many)) => many.contacts.iter().map(card).collect(),
                (None, None) => Vec::new(),
            };
            MessageContent::Contacts { contacts }
        }
        MessageType::Reaction => match &message.reaction_message {
            Some(r) => MessageContent::Reaction {
                message_id: r
                    .key
                    .as_ref()
                    .and_then(|k| k.id.clone())
                    .unwrap_or_default(),
                emoji: r.text.clone().unwrap_or_default(),
            },
            None => MessageContent::of(message_type, text),
        },
        MessageType::Poll => match openwa_protocol::poll::creation(message) {
            Some(poll) => MessageContent::Poll {
                name: poll.name.clone().unwrap_or_default(),
                options: openwa_protocol::poll::option_names(poll),
                selectable_count: poll.selectable_options_count.unwrap_or_default(),
            },
            None => MessageContent::of(message_type, text),
        },
        _ => crate::media::content::media_content(message)
            .unwrap_or_else(|| MessageContent::of(message_type, text)),
    }
}

fn quoted_of(context: &e2e::ContextInfo) -> Option<QuotedMessage> {
    let id = context.stanza_id.clone()?;
    let quoted = context.quoted_message.as_deref();
    Some(QuotedMessage {
        id,
        sender: context.participant.clone(),
        text: quoted.and_then(protocol::text),
        message_type: quoted
            .map(|q| MessageType::of_content(ContentKind::of(q)))
            .unwrap_or_default(),
    })
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
