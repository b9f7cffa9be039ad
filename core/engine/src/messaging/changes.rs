//! Edits and revokes: what a `protocolMessage` of type `MESSAGE_EDIT` or `REVOKE` changes in
//! the store, written as one unit with its `MessageEdited` / `MessageRevoked` event — whether
//! the change came from another device or from our own send. Poll votes, the other change a
//! message makes to an earlier one, go to `polls`.

use openwa_protocol::content::ContentKind;
use openwa_protocol::proto::e2e;
use openwa_store::{SessionTx, StoreError};
use prost::Message as _;

use crate::event::{Event, EventKind, MessageType};
use crate::persist::PendingEvent;

pub(crate) use openwa_protocol::actions::MessageChange as Change;

use super::origin::Origin;

/// The body of a store unit applying `change`: the stored target is updated when it is there
/// and the author may change it (an edit only by its author, a revoke by its author or, in a
/// group, anyone the server let through: admins); the event is logged unless the author may
/// not. Answers the event to publish.
pub(crate) async fn apply(
    tx: &mut SessionTx<'_>,
    origin: &Origin,
    change: &Change,
) -> Result<Option<Event>, StoreError> {
    if let Change::PollVote {
        target,
        poll_key,
        vote,
        voted_at_ms,
    } = change
    {
        return super::polls::apply_vote(tx, origin, target, poll_key, vote, *voted_at_ms).await;
    }
    let chats = &origin.chats;
    let target = change.target();
    let stored = tx.get_message_across(chats, target).await?;
    if let Some(stored) = &stored {
        let by_author = stored.sender == origin.sender
            || origin.sender_alt.as_deref() == Some(stored.sender.as_str());
        let allowed = by_author || (origin.group && matches!(change, Change::Revoke { .. }));
        if !allowed {
            tracing::info!(id = %target, sender = %origin.sender, "change by someone not its author ignored");
            return Ok(None);
        }
    }
    let chat = stored
        .as_ref()
        .map(|s| s.chat.clone())
        .or_else(|| chats.first().cloned())
        .unwrap_or_default();
    let kind = match change {
        Change::Edit { message, .. } => {
            let new = merged_edit(stored.as_ref().and_then(|s| s.payload.as_deref()), message);
            let described = crate::content::describe(&new, ContentKind::of(&new));
            tx.update_message_content(
                &chat,
                target,
                described.message_type.as_str(),
                described.text.as_deref(),
                Some(&new.encode_to_vec()),
            )
            .await?;
            EventKind::MessageEdited {
                chat,
                message_id: target.to_owned(),
                sender: origin.sender.clone(),
                text: described.text,
                content: described.content,
                timestamp: origin.timestamp,
            }
        }
        Change::PollVote { .. } => return Ok(None),
        Change::Revoke { .. } => {
            tx.update_message_content(&chat, target, MessageType::Revoked.as_str(), None, None)
                .await?;
            EventKind::MessageRevoked {
                chat,
                message_id: target.to_owned(),
                sender: origin.sender.clone(),
                timestamp: origin.timestamp,
            }
        }
    };
    let event = PendingEvent::new(kind).map_err(|e| StoreError::InvalidArgument(e.to_string()))?;
    Ok(Some(event.append(tx).await?))
}

/// The edited message: the new content, except that a new text for a stored media message
/// becomes its caption (the media stays).
fn merged_edit(stored: Option<&[u8]>, edit: &e2e::Message) -> e2e::Message {
    let Some(mut old) = stored.and_then(|b| e2e::Message::decode(b).ok()) else {
        return edit.clone();
    };
    if ContentKind::of(edit) != ContentKind::Text {
        return edit.clone();
    }
    let caption = openwa_protocol::content::text(edit);
    if let Some(m) = old.image_message.as_mut() {
        m.caption = caption;
    } else if let Some(m) = old.video_message.as_mut() {
        m.caption = caption;
    } else if let Some(m) = old.document_message.as_mut() {
        m.caption = caption;
    } else {
        return edit.clone();
    }
    old
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_edit_of_media_replaces_its_caption() {
        let image = e2e::Message {
            image_message: Some(Box::new(e2e::ImageMessage {
                caption: Some("old".into()),
                direct_path: Some("/v/x".into()),
                ..Default::default()
            })),
            ..Default::default()
        };
        let merged = merged_edit(
            Some(&image.encode_to_vec()),
            &openwa_protocol::content::text_message("new"),
        );
        let part = merged.image_message.unwrap();
        assert_eq!(
            (part.caption.as_deref(), part.direct_path.as_deref()),
            (Some("new"), Some("/v/x"))
        );
    }
}
