//! Sends that act on an earlier message of the chat — react, edit, revoke — and, for edits and
//! revokes we make, the same store change and event a change from another device gives.

use std::sync::Arc;

use openwa_protocol::Jid;
use openwa_store::MessageRecord;

use super::changes::{self, Change};
use super::compose;
use super::origin::Origin;
use super::send::{Own, SendOptions, send_content};
use super::target::{no_context, now_ms, target};
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::event::{Message, MessageType};
use crate::persist::write_unit;

/// Reacts to message `message_id` of `chat` with `emoji` (empty: removes our reaction).
pub(crate) async fn react(
    shared: &Arc<SessionContext>,
    chat: &str,
    message_id: &str,
    emoji: &str,
    options: SendOptions,
) -> Result<Message, Error> {
    if emoji.chars().count() > 16 {
        return Err(Error::invalid_argument("a reaction is one emoji"));
    }
    no_context(&options)?;
    let (jid, target) = target(shared, chat, message_id).await?;
    let proto = compose::reaction(compose::key_of(&target, &jid), emoji, now_ms());
    send_content(shared, chat, proto, options).await
}

/// Replaces the text (or caption) of our message `message_id` of `chat` with `text`.
pub(crate) async fn edit(
    shared: &Arc<SessionContext>,
    chat: &str,
    message_id: &str,
    text: &str,
    options: SendOptions,
) -> Result<Message, Error> {
    if text.is_empty() {
        return Err(Error::invalid_argument("the new text is empty"));
    }
    no_context(&options)?;
    let (jid, target) = target(shared, chat, message_id).await?;
    if !target.from_me {
        return Err(Error::invalid_argument(
            "only our own messages can be edited",
        ));
    }
    let editable = matches!(
        MessageType::from_name(&target.msg_type),
        MessageType::Text | MessageType::Image | MessageType::Video | MessageType::Document
    );
    if !editable {
        return Err(Error::invalid_argument(format!(
            "a {} message cannot be edited (texts and media captions can)",
            target.msg_type
        )));
    }
    let proto = compose::edit(compose::key_of(&target, &jid), text, now_ms());
    let sent = send_content(shared, chat, proto, options).await?;
    let change = Change::Edit {
        target: target.id.clone(),
        message: Box::new(openwa_protocol::content::text_message(text)),
    };
    apply_own(shared, &jid, &target, change, &sent).await?;
    Ok(sent)
}

/// Deletes our message `message_id` of `chat` for everyone.
pub(crate) async fn revoke(
    shared: &Arc<SessionContext>,
    chat: &str,
    message_id: &str,
    options: SendOptions,
) -> Result<Message, Error> {
    no_context(&options)?;
    let (jid, target) = target(shared, chat, message_id).await?;
    if !target.from_me {
        return Err(Error::new(
            ErrorCode::Unsupported,
            "revoking someone else's message (as a group admin) is not supported yet",
        ));
    }
    let proto = compose::revoke(compose::key_of(&target, &jid));
    let sent = send_content(shared, chat, proto, options).await?;
    let change = Change::Revoke {
        target: target.id.clone(),
    };
    apply_own(shared, &jid, &target, change, &sent).await?;
    Ok(sent)
}

/// Forwards the stored message `message_id` of `from_chat` to `chat`: the same content (media
/// is not uploaded again), marked forwarded, with its forwarding score one higher and no reply
/// context of its own.
pub(crate) async fn forward(
    shared: &Arc<SessionContext>,
    chat: &str,
    from_chat: &str,
    message_id: &str,
    options: SendOptions,
) -> Result<Message, Error> {
    no_context(&options)?;
    let (_, source) = target(shared, from_chat, message_id).await?;
    let proto = compose::forwarded(&source).ok_or_else(|| {
        Error::invalid_argument(format!(
            "a {} message cannot be forwarded (texts, media, locations and contact cards can)",
            source.msg_type
        ))
    })?;
    send_content(shared, chat, proto, options).await
}

/// Stores our own edit or revoke of `target` once the server took it, with its event.
async fn apply_own(
    shared: &SessionContext,
    chat: &Jid,
    target: &MessageRecord,
    change: Change,
    sent: &Message,
) -> Result<(), Error> {
    let own = Own::of(shared)?;
    let origin = Arc::new(Origin {
        chats: vec![target.chat.clone(), chat.to_string()],
        sender: target.sender.clone(),
        sender_alt: own.alt_of(&own.user_for(chat)).map(|j| j.to_string()),
        group: chat.is_group(),
        timestamp: sent.timestamp,
    });
    let change = Arc::new(change);
    write_unit(
        shared.store(),
        Some(shared.bus().publisher()),
        move |mut tx| {
            let (origin, change) = (Arc::clone(&origin), Arc::clone(&change));
            Box::pin(async move {
                let event = changes::apply(&mut tx, &origin, &change).await?;
                Ok(((), event))
            })
        },
    )
    .await
}
