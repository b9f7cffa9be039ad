//! What a message says about other messages: the reply and mention context of its content part,
//! and the changes (edits, revokes) a protocol message makes to an earlier message; with the
//! builders of edits and revokes. Pure functions on the `Message` protobuf, shared by the
//! engine and the simulator's phones.

use crate::proto::e2e;

/// The context info (reply, mentions, forwarding) of a message's content part.
pub fn context_info(m: &e2e::Message) -> Option<&e2e::ContextInfo> {
    None.or(m
        .extended_text_message
        .as_ref()
        .and_then(|p| p.context_info.as_deref()))
        .or(m
            .image_message
            .as_ref()
            .and_then(|p| p.context_info.as_deref()))
        .or(m
            .video_message
            .as_ref()
            .and_then(|p| p.context_info.as_deref()))
        .or(m
            .audio_message
            .as_ref()
            .and_then(|p| p.context_info.as_deref()))
        .or(m
            .document_message
            .as_ref()
            .and_then(|p| p.context_info.as_deref()))
        .or(m
            .sticker_message
            .as_ref()
            .and_then(|p| p.context_info.as_deref()))
        .or(m
            .location_message
            .as_ref()
            .and_then(|p| p.context_info.as_deref()))
        .or(m
            .contact_message
            .as_ref()
            .and_then(|p| p.context_info.as_deref()))
        .or(m
            .contacts_array_message
            .as_ref()
            .and_then(|p| p.context_info.as_deref()))
        .or(crate::poll::creation(m).and_then(|p| p.context_info.as_deref()))
}

/// The mutable context info of a message's content part (created when missing); `None` for
/// content that carries none (reactions, protocol messages). A plain `conversation` text
/// becomes an extended text first, since only that carries context.
pub fn context_info_mut(m: &mut e2e::Message) -> Option<&mut e2e::ContextInfo> {
    if let Some(text) = m.conversation.take() {
        m.extended_text_message = Some(Box::new(e2e::ExtendedTextMessage {
            text: Some(text),
            ..Default::default()
        }));
    }
    let slot = if let Some(p) = m.extended_text_message.as_mut() {
        &mut p.context_info
    } else if let Some(p) = m.image_message.as_mut() {
        &mut p.context_info
    } else if let Some(p) = m.video_message.as_mut() {
        &mut p.context_info
    } else if let Some(p) = m.audio_message.as_mut() {
        &mut p.context_info
    } else if let Some(p) = m.document_message.as_mut() {
        &mut p.context_info
    } else if let Some(p) = m.sticker_message.as_mut() {
        &mut p.context_info
    } else if let Some(p) = m.location_message.as_mut() {
        &mut p.context_info
    } else if let Some(p) = m.contact_message.as_mut() {
        &mut p.context_info
    } else if let Some(p) = m.contacts_array_message.as_mut() {
        &mut p.context_info
    } else if let Some(p) = m.poll_creation_message.as_mut() {
        &mut p.context_info
    } else if let Some(p) = m.poll_creation_message_v2.as_mut() {
        &mut p.context_info
    } else if let Some(p) = m.poll_creation_message_v3.as_mut() {
        &mut p.context_info
    } else {
        return None;
    };
    Some(slot.get_or_insert_with(Default::default))
}

/// A change a protocol message makes to an earlier message.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageChange {
    /// The message `target` now says `message`.
    Edit {
        /// The edited message's id.
        target: String,
        /// Its new content.
        message: Box<e2e::Message>,
    },
    /// The message `target` was deleted for everyone.
    Revoke {
        /// The revoked message's id.
        target: String,
    },
    /// A vote on the poll `target` (sealed; see [`crate::poll`]).
    PollVote {
        /// The poll's id.
        target: String,
        /// The poll's key as the voter addressed it.
        poll_key: e2e::MessageKey,
        /// The sealed vote.
        vote: e2e::PollEncValue,
        /// When the voter voted (their clock), milliseconds; orders a voter's votes.
        voted_at_ms: i64,
    },
}

impl MessageChange {
    /// The change an unwrapped message carries, if it is an edit, a revoke or a poll vote.
    pub fn of(message: &e2e::Message) -> Option<MessageChange> {
        if let Some(update) = message.poll_update_message.as_ref() {
            let poll_key = update.poll_creation_message_key.clone()?;
            return Some(MessageChange::PollVote {
                target: poll_key.id.clone()?,
                poll_key,
                vote: update.vote.clone()?,
                voted_at_ms: update.sender_timestamp_ms.unwrap_or_default(),
            });
        }
        let p = message.protocol_message.as_deref()?;
        let target = p.key.as_ref()?.id.clone()?;
        match e2e::protocol_message::Type::try_from(p.r#type?).ok()? {
            e2e::protocol_message::Type::Revoke => Some(MessageChange::Revoke { target }),
            e2e::protocol_message::Type::MessageEdit => Some(MessageChange::Edit {
                target,
                message: Box::new(p.edited_message.as_deref()?.clone()),
            }),
            _ => None,
        }
    }

    /// The id of the message it changes.
    pub fn target(&self) -> &str {
        match self {
            MessageChange::Edit { target, .. }
            | MessageChange::Revoke { target }
            | MessageChange::PollVote { target, .. } => target,
        }
    }
}

/// An edit of the sender's message `target`: its new content, sent inside an `editedMessage`
/// wrapper (stanza `edit="1"`).
pub fn edit_message(target: e2e::MessageKey, new: e2e::Message, now_ms: i64) -> e2e::Message {
    let protocol_message = e2e::ProtocolMessage {
        key: Some(target),
        r#type: Some(e2e::protocol_message::Type::MessageEdit as i32),
        edited_message: Some(Box::new(new)),
        timestamp_ms: Some(now_ms),
        ..Default::default()
    };
    e2e::Message {
        edited_message: Some(Box::new(e2e::FutureProofMessage {
            message: Some(Box::new(e2e::Message {
                protocol_message: Some(Box::new(protocol_message)),
                ..Default::default()
            })),
        })),
        ..Default::default()
    }
}

/// A revoke (delete for everyone) of `target` (stanza `edit="7"`).
pub fn revoke_message(target: e2e::MessageKey) -> e2e::Message {
    e2e::Message {
        protocol_message: Some(Box::new(e2e::ProtocolMessage {
            key: Some(target),
            r#type: Some(e2e::protocol_message::Type::Revoke as i32),
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// The stanza's `edit` attribute for `message`: `1` for an edit, `7` for a revoke or a removed
/// reaction.
pub fn edit_attribute(message: &e2e::Message) -> Option<&'static str> {
    if message.edited_message.is_some() {
        return Some("1");
    }
    if let Some(p) = &message.protocol_message
        && p.r#type == Some(e2e::protocol_message::Type::Revoke as i32)
    {
        return Some("7");
    }
    match &message.reaction_message {
        Some(r) if r.text.as_deref().unwrap_or_default().is_empty() => Some("7"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{text_message, unwrap};

    fn key() -> e2e::MessageKey {
        e2e::MessageKey {
            id: Some("3EB0AA".into()),
            ..Default::default()
        }
    }

    #[test]
    fn edits_and_revokes_are_recognised_after_unwrapping() {
        let edit = edit_message(key(), text_message("fixed"), 1);
        assert_eq!(edit_attribute(&edit), Some("1"));
        let Some(MessageChange::Edit { target, message }) =
            MessageChange::of(&unwrap(edit).message)
        else {
            panic!("not an edit");
        };
        assert_eq!(
            (target.as_str(), message.conversation.as_deref()),
            ("3EB0AA", Some("fixed"))
        );
        let revoke = revoke_message(key());
        assert_eq!(edit_attribute(&revoke), Some("7"));
        assert_eq!(
            MessageChange::of(&revoke).map(|c| c.target().to_owned()),
            Some("3EB0AA".into())
        );
        assert_eq!(MessageChange::of(&text_message("x")), None);
        assert_eq!(edit_attribute(&text_message("x")), None);
    }

    #[test]
    fn context_goes_on_the_content_part() {
        let mut text = text_message("hi");
        assert!(context_info(&text).is_none());
        context_info_mut(&mut text).unwrap().stanza_id = Some("Q".into());
        assert!(text.conversation.is_none());
        assert_eq!(context_info(&text).unwrap().stanza_id.as_deref(), Some("Q"));
        let mut revoke = revoke_message(key());
        assert!(context_info_mut(&mut revoke).is_none());
    }
}
