//! `send_text` / `send_content`: what a send checks (the chat, the content's context, the
//! idempotency key) and which way it goes: direct — taken to the server at once (`transmit`)
//! and answered with the server's ack; a session that is not connected fails at once with
//! `not_connected` (nothing is queued), a lost connection or no ack in time ends it with
//! `not_connected` / `timeout` (the message stays `pending`: the server may have it, and a later
//! receipt still moves it forward) — or queued (`queue`), answered once durably queued.

use std::sync::Arc;

use openwa_protocol::Jid;
use openwa_protocol::message::generate_message_id;
use openwa_protocol::proto::e2e;
use openwa_store::MessageRecord;
use prost::Message as _;

use super::transmit::{Outgoing, await_ack, transmit};
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::event::{ConnectionState, Message};

pub(crate) use super::own::Own;

/// A chat JID to send to from user input: a PN or LID user (or a phone number), or a group;
/// channels and status are not supported yet.
pub(crate) fn send_chat(chat: &str) -> Result<Jid, Error> {
    let jid = crate::ids::parse_chat_id(chat)?;
    if jid.is_pn() || jid.is_lid() || jid.is_group() {
        Ok(jid.to_non_ad())
    } else {
        Err(Error::new(
            ErrorCode::Unsupported,
            format!("sending to {jid} is not supported yet (users and groups only)"),
        ))
    }
}

/// The `Message` protobuf of a text.
pub(crate) fn text_message(text: &str) -> e2e::Message {
    openwa_protocol::content::text_message(text)
}

/// Longest idempotency key, in bytes.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 256;

/// Options of a send.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SendOptions {
    /// Makes the send idempotent: a later send with the same key within 24 hours (in this
    /// session, also after a restart or a crash) returns the message the first one stored and
    /// creates no second message; if that message never got the server's ack, it is sent again
    /// under the same id, which recipients treat as the same message. After 24 hours the key is
    /// free again. 1-256 bytes.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub idempotency_key: Option<String>,
    /// Makes the message a reply to this earlier message of the chat (its id; `not_found` when
    /// the chat has no such stored message). Not for reactions, edits or revokes.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub quoted: Option<String>,
    /// Users the message mentions (phone numbers or JIDs). WhatsApp highlights a mention when
    /// the text also contains `@<number>`; the text is sent as given.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub mentions: Vec<String>,
    /// Queues the send instead of waiting for the server: the call returns once the message is
    /// durably stored (status `pending`), also while the session is not connected. The
    /// session's send queue then sends it, in the order of queuing and paced like every send
    /// (see [`crate::SendPacing`]), once connected, again after a reconnect or a restart until
    /// the server acknowledged it. Its outcome arrives as events: `MessageSent`, or
    /// `MessageStatus` with status `failed`. With an idempotency key, a repeated send returns
    /// the first message, queued or not, and queues nothing.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub queued: bool,
}

/// Sends `text` to the 1:1 chat `chat`; returns the message with status `sent`.
pub(crate) async fn send_text(
    shared: &Arc<SessionContext>,
    chat: &str,
    text: &str,
    options: SendOptions,
) -> Result<Message, Error> {
    if text.is_empty() {
        return Err(Error::invalid_argument("the text is empty"));
    }
    send_content(shared, chat, text_message(text), options).await
}

/// Sends the message `proto` (any content: the stanza type, the stored type and the API's
/// typed content all follow from it) to `chat`; returns the message with status `sent`.
/// Callers validate the content; this checks the chat, the idempotency key and the connection.
pub(crate) async fn send_content(
    shared: &Arc<SessionContext>,
    chat: &str,
    proto: e2e::Message,
    options: SendOptions,
) -> Result<Message, Error> {
    let chat = send_chat(chat)?;
    let key = options.idempotency_key;
    if let Some(key) = &key {
        if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN {
            return Err(Error::invalid_argument(format!(
                "an idempotency key is 1-{MAX_IDEMPOTENCY_KEY_LEN} bytes"
            )));
        }
        if let Some(earlier) = earlier_send(shared, key).await? {
            if options.queued || earlier.status != openwa_store::MessageStatus::Pending {
                return Ok(super::history::to_message(earlier));
            }
            // Stored, but the server never acknowledged it: send it again, same id.
            let own = Own::of(shared)?;
            ensure_connected(shared)?;
            let chat: Jid = earlier.chat.parse().map_err(|_| {
                Error::internal(format!("stored chat {:?} is not a JID", earlier.chat))
            })?;
            let proto = e2e::Message::decode(earlier.payload.as_deref().unwrap_or_default())
                .map_err(|e| Error::internal(format!("stored message does not decode: {e}")))?;
            let again = Outgoing {
                id: earlier.id,
                key: Some(key.clone()),
                ..Outgoing::default()
            };
            return send_message(shared, &own, &chat, again, &proto).await;
        }
    }
    let mut proto = proto;
    if options.quoted.is_some() || !options.mentions.is_empty() {
        let quoted = match &options.quoted {
            Some(id) => Some(
                super::history::lookup_record(shared, &chat, id)
                    .await?
                    .ok_or_else(|| {
                        Error::new(
                            ErrorCode::NotFound,
                            format!("no message {id} in {chat} to reply to"),
                        )
                    })?,
            ),
            None => None,
        };
        let mentions = options
            .mentions
            .iter()
            .map(|m| crate::ids::parse_user_id(m))
            .collect::<Result<Vec<_>, _>>()?;
        super::compose::add_context(&mut proto, &chat, quoted.as_ref(), &mentions)?;
    }
    let own = Own::of(shared)?;
    if !options.queued {
        ensure_connected(shared)?;
    }
    let id = generate_message_id(
        super::now_secs(),
        Some(own.device.user.as_str()),
        &mut rand::rngs::OsRng,
    );
    let outgoing = Outgoing {
        id,
        key: key.clone(),
        ..Outgoing::default()
    };
    let sent = if options.queued {
        super::queue::enqueue(shared, &own, &chat, outgoing, &proto).await
    } else {
        send_message(shared, &own, &chat, outgoing, &proto).await
    };
    match (sent, key.as_deref()) {
        // Another send with the same key stored its message first: that one is the answer.
        (Err(err), Some(key)) if err.code == ErrorCode::AlreadyExists => {
            match earlier_send(shared, key).await? {
                Some(earlier) => Ok(super::history::to_message(earlier)),
                None => Err(err),
            }
        }
        (sent, _) => sent,
    }
}

pub(crate) fn ensure_connected(shared: &SessionContext) -> Result<(), Error> {
    if shared.state() == ConnectionState::Connected {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::NotConnected,
            "the session is not connected",
        ))
    }
}

/// The message an earlier send with idempotency `key` stored, if any.
pub(crate) async fn earlier_send(
    shared: &SessionContext,
    key: &str,
) -> Result<Option<MessageRecord>, Error> {
    let store = shared.store();
    let Some((chat, id)) = store.send_key(key).await? else {
        return Ok(None);
    };
    Ok(store.get_message(&chat, &id).await?)
}

/// Sends `proto` to `chat` (see [`super::transmit`]) and awaits the ack.
async fn send_message(
    shared: &Arc<SessionContext>,
    own: &Own,
    chat: &Jid,
    outgoing: Outgoing,
    proto: &e2e::Message,
) -> Result<Message, Error> {
    if let Err(wait) = shared
        .feature::<super::pacing::Pacer>()
        .wait_turn(shared)
        .await
    {
        return Err(super::pacing::over_cap(wait));
    }
    let id = outgoing.id.clone();
    let answer = transmit(shared, own, chat, outgoing, proto).await?;
    await_ack(shared, &id, answer).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_and_group_chats_are_supported() {
        assert_eq!(
            send_chat("+1 555 000 0002").unwrap().to_string(),
            "15550000002@s.whatsapp.net"
        );
        assert_eq!(send_chat("987654@lid").unwrap().to_string(), "987654@lid");
        assert_eq!(
            send_chat("120363000000000001@g.us").unwrap().to_string(),
            "120363000000000001@g.us"
        );
        assert_eq!(
            send_chat("123@newsletter").unwrap_err().code,
            ErrorCode::Unsupported
        );
        assert_eq!(
            send_chat("not a chat").unwrap_err().code,
            ErrorCode::InvalidArgument
        );
    }
}
