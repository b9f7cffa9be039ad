//! `send_text` / `send_content`: device lists, sessions, encryption (pairwise for users, with
//! sender keys for groups), **persist, then send**, server ack.
//!
//! The outgoing message (status `pending`; its payload is the plaintext a retry receipt gets
//! re-encrypted) and the Signal changes of its encryption are written in one transaction before
//! the stanza leaves, so a crash never loses a ratchet step the peer may already have seen. A
//! session that is not connected fails at once with `not_connected` (nothing is queued); once
//! the stanza was handed to the connection, the call returns when the server's ack arrives, or
//! with `timeout` / `not_connected` after the request timeout or a dropped connection (the
//! message then stays `pending`: the server may have it, and a later receipt still moves it
//! forward).

use std::sync::Arc;

use openwa_protocol::Jid;
use openwa_protocol::content::ContentKind;
use openwa_protocol::message::{generate_message_id, pad};
use openwa_protocol::proto::e2e;
use openwa_protocol::stanza::OutgoingMessage;
use openwa_store::{MessageRecord, SendKeyClaim, SessionTx, StoreError};
use prost::Message as _;
use tokio::sync::oneshot;

use super::ack::{PendingAcks, PendingSend, complete, set_status};
use super::devices::{device_lists, fan_out};
use super::encrypt::{Encrypted, encrypt_all, fetch_bundles, without_session};
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::event::{ConnectionState, EventKind, Message, MessageStatus};
use crate::signal_store::SignalBatch;

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

/// The copy of `message` for our own other devices: wrapped in a DeviceSentMessage naming the
/// chat.
pub(crate) fn device_sent(message: &e2e::Message, chat: &Jid) -> e2e::Message {
    openwa_protocol::content::device_sent(message, chat)
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

/// Binds idempotency `key` to the message of `record`, in the unit that stores it; a key bound
/// to another message is a conflict (the caller answers that message).
pub(crate) async fn claim_key(
    tx: &mut SessionTx<'_>,
    key: &str,
    record: &MessageRecord,
) -> Result<(), StoreError> {
    let claim = tx.claim_send_key(key, &record.chat, &record.id).await?;
    if let SendKeyClaim::Existing { message_id, .. } = claim
        && message_id != record.id
    {
        return Err(StoreError::Conflict(format!(
            "idempotency key {key:?} is taken"
        )));
    }
    Ok(())
}

/// What a group send records besides the message: the devices that now hold our sender key
/// (all earlier holders forgotten when the key is fresh).
struct KeyHolders {
    group: String,
    fresh_key: bool,
    devices: Vec<String>,
}

/// Encrypts `proto` for every device of the 1:1 `chat` and ours (inside a batch the caller
/// commits).
async fn encrypt_direct(
    shared: &SessionContext,
    own: &Own,
    chat: &Jid,
    proto: &e2e::Message,
    plaintext: &[u8],
) -> Result<(SignalBatch, Encrypted), Error> {
    let own_user = own.user_for(chat);
    let lists = device_lists(shared, &[chat.clone(), own_user.clone()]).await?;
    let recipient_devices = lists.get(&chat.to_string()).cloned().unwrap_or_default();
    if recipient_devices.is_empty() {
        return Err(Error::new(
            ErrorCode::NotFound,
            format!("{chat} has no devices (not on WhatsApp?)"),
        ));
    }
    let own_devices = lists
        .get(&own_user.to_string())
        .cloned()
        .unwrap_or_default();
    let targets = fan_out(
        chat,
        &recipient_devices,
        &own_user,
        &own_devices,
        own.device.device,
    );

    let signal = shared.signal_store();
    let missing = without_session(&signal, &targets).await?;
    let bundles = fetch_bundles(shared, &missing).await?;

    let for_peer = pad(plaintext, &mut rand::rngs::OsRng);
    let for_own = pad(
        &device_sent(proto, chat).encode_to_vec(),
        &mut rand::rngs::OsRng,
    );
    let batch = signal.begin().await;
    let encrypted = encrypt_all(&batch, &targets, &bundles, &for_peer, &for_own).await;
    if !encrypted
        .participants
        .iter()
        .any(|p| p.jid.user == chat.user && p.jid.server == chat.server)
        && targets.iter().any(|t| !t.own)
    {
        return Err(Error::new(
            ErrorCode::Crypto,
            format!("no device of {chat} could be encrypted for"),
        ));
    }
    Ok((batch, encrypted))
}

/// A message about to be sent: its id, its time when it was stored before (a queued send;
/// `None`: now), its idempotency key when one is to be claimed with it, and whether the send
/// queue sends it (a send that never left then stays `pending`, to be sent again).
#[derive(Default)]
pub(crate) struct Outgoing {
    pub id: String,
    pub timestamp: Option<u64>,
    pub key: Option<String>,
    pub queued: bool,
}

/// The server's answer to a sent message, once its ack arrives.
pub(crate) type AckAnswer = oneshot::Receiver<Result<Message, Error>>;

/// Sends `proto` to `chat` (see [`transmit`]) and awaits the ack.
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

/// The message as the API reports it and as the store keeps it, before it is sent.
pub(crate) fn outgoing_message(
    shared: &SessionContext,
    own: &Own,
    own_user: &Jid,
    chat: &Jid,
    outgoing: &Outgoing,
    proto: &e2e::Message,
) -> (Message, MessageRecord) {
    let plaintext = proto.encode_to_vec();
    let unwrapped = openwa_protocol::content::unwrap(proto.clone());
    let kind = unwrapped.kind();
    let timestamp = outgoing.timestamp.unwrap_or_else(super::now_secs);
    let described = crate::content::describe(&unwrapped.message, kind);
    let message = Message {
        id: outgoing.id.clone(),
        chat: chat.to_string(),
        sender: own_user.to_string(),
        sender_alt: own.alt_of(own_user).map(|j| j.to_string()),
        from_me: true,
        timestamp,
        push_name: None,
        message_type: described.message_type,
        content: described.content,
        text: described.text,
        quoted: described.quoted,
        mentions: described.mentions,
        forwarded: described.forwarded,
        forwarding_score: described.forwarding_score,
        status: MessageStatus::Pending,
    };
    let record = MessageRecord {
        session_id: shared.id.clone(),
        chat: message.chat.clone(),
        id: outgoing.id.clone(),
        sender: message.sender.clone(),
        from_me: true,
        timestamp: i64::try_from(timestamp).unwrap_or(i64::MAX),
        msg_type: message.message_type.as_str().to_owned(),
        body: message.text.clone(),
        payload: Some(plaintext),
        status: openwa_store::MessageStatus::Pending,
    };
    (message, record)
}

/// Encrypts `proto` for `chat` (a user: pairwise for every device of it and ours; a group:
/// with our sender key, see `group_send`), persists (the message unless stored already, its
/// key, the Signal state), hands the stanza to the connection; returns where the ack's outcome
/// arrives.
pub(crate) async fn transmit(
    shared: &Arc<SessionContext>,
    own: &Own,
    chat: &Jid,
    outgoing: Outgoing,
    proto: &e2e::Message,
) -> Result<AckAnswer, Error> {
    let prepared = prepare(shared, own, chat, outgoing, proto).await?;
    dispatch(shared, prepared).await
}

/// A message encrypted, with its store unit queued but maybe not durable yet.
pub(crate) struct Prepared {
    /// Resolves once the message, its key and the Signal state are durable.
    committed: std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Error>> + Send>>,
    stanza: openwa_protocol::Node,
    message: Message,
    queued: bool,
}

/// Encrypts `proto` for `chat` and queues its store unit (see [`transmit`]) without waiting
/// for it: the next message of the session can be encrypted on top of this one's Signal state
/// at once, and units commit in the order they were queued.
pub(crate) async fn prepare(
    shared: &Arc<SessionContext>,
    own: &Own,
    chat: &Jid,
    outgoing: Outgoing,
    proto: &e2e::Message,
) -> Result<Prepared, Error> {
    let plaintext = proto.encode_to_vec();
    let unwrapped = openwa_protocol::content::unwrap(proto.clone());
    let kind = unwrapped.kind();
    let id = outgoing.id.clone();
    let mut stanza = OutgoingMessage::new(id.clone(), chat.clone(), kind.stanza_type());
    stanza.edit = openwa_protocol::actions::edit_attribute(proto).map(str::to_owned);
    stanza
        .extra
        .extend(openwa_protocol::poll::stanza_meta(&kind));
    let (batch, own_user, holders) = if chat.is_group() {
        let payload = super::group_send::encrypt_for_group(shared, own, chat, &plaintext).await?;
        let devices = payload
            .distributed
            .participants
            .iter()
            .map(|p| p.jid.to_string())
            .collect();
        stanza.device_identity = payload.distributed.any_pkmsg.then(|| own.account.clone());
        stanza.participants = payload.distributed.participants;
        stanza.direct = vec![payload.skmsg];
        stanza.addressing_mode = Some(payload.me.mode);
        let holders = KeyHolders {
            group: chat.to_string(),
            fresh_key: payload.fresh_key,
            devices,
        };
        (payload.batch, payload.me.user, Some(holders))
    } else {
        let (batch, encrypted) = encrypt_direct(shared, own, chat, proto, &plaintext).await?;
        stanza.participants = encrypted.participants;
        stanza.device_identity = encrypted.any_pkmsg.then(|| own.account.clone());
        (batch, own.user_for(chat), None)
    };
    // Nothing to show a peer who cannot decrypt a reaction or an edit ("waiting for this
    // message"), and the content's media type, on the encs that carry the content: in groups
    // the skmsg (the key distributions go as they are).
    let hide =
        matches!(kind, ContentKind::Reaction | ContentKind::PollVote) || stanza.edit.is_some();
    let mediatype = openwa_protocol::content::enc_mediatype(&unwrapped.message);
    let encs: Vec<&mut openwa_protocol::stanza::Enc> = if chat.is_group() {
        stanza.direct.iter_mut().collect()
    } else {
        stanza.participants.iter_mut().map(|p| &mut p.enc).collect()
    };
    for enc in encs {
        if hide {
            enc.decrypt_fail = Some("hide".into());
        }
        enc.mediatype = mediatype.map(str::to_owned);
    }
    let (message, record) = outgoing_message(shared, own, &own_user, chat, &outgoing, proto);
    // Shared, not copied, each time the unit runs (it runs again if its group is retried).
    let record = Arc::new(record);
    let holders = Arc::new(holders);
    let key = outgoing.key.clone();
    // The message (its payload is what a retry re-encrypts), its idempotency key, the Signal
    // state and (groups) who holds our sender key now, durable before sending.
    let committed = batch.commit_with(None, move |mut tx| {
        let (record, key, holders) = (Arc::clone(&record), key.clone(), Arc::clone(&holders));
        Box::pin(async move {
            if let Some(holders) = holders.as_ref() {
                if holders.fresh_key {
                    tx.clear_sender_key_holders(&holders.group).await?;
                }
                tx.add_sender_key_holders(&holders.group, &holders.devices)
                    .await?;
            }
            if let Some(key) = &key {
                claim_key(&mut tx, key, &record).await?;
            }
            crate::persist::store_message(&mut tx, &record).await?;
            Ok(((), None))
        })
    });
    Ok(Prepared {
        committed: Box::pin(committed),
        stanza: stanza.to_node(),
        message,
        queued: outgoing.queued,
    })
}

/// Waits until `prepared` is durable, then hands it to the connection: persist, then send.
/// Returns where the ack's outcome arrives.
pub(crate) async fn dispatch(
    shared: &Arc<SessionContext>,
    prepared: Prepared,
) -> Result<AckAnswer, Error> {
    let Prepared {
        committed,
        stanza,
        message,
        queued,
    } = prepared;
    committed.await?;
    let id = message.id.clone();
    let (reply, answer) = oneshot::channel();
    let acks = shared.feature::<PendingAcks>();
    acks.insert(PendingSend {
        message: message.clone(),
        reply,
        queued,
    });
    if shared.send_node(stanza).await.is_err() {
        acks.take(&id);
        if queued {
            // It never left: the queue sends it on the next connection.
            return Err(Error::new(ErrorCode::NotConnected, "the connection closed"));
        }
        // It never left: the message failed.
        let failed = EventKind::MessageStatus {
            chat: message.chat.clone(),
            message_id: id.clone(),
            status: MessageStatus::Failed,
        };
        set_status(
            shared,
            &message.chat,
            &id,
            MessageStatus::Failed,
            failed,
            false,
        )
        .await;
        return Err(Error::new(ErrorCode::NotConnected, "the connection closed"));
    }
    Ok(answer)
}

/// Waits for the ack of sent message `id`: its outcome, or `timeout` after the request timeout
/// (the message stays `pending`), or `not_connected` when the connection closed first.
pub(crate) async fn await_ack(
    shared: &SessionContext,
    id: &str,
    mut answer: AckAnswer,
) -> Result<Message, Error> {
    let closed = |_| Error::new(ErrorCode::NotConnected, "the connection closed");
    match tokio::time::timeout(shared.options.request_timeout(), &mut answer).await {
        Ok(outcome) => outcome.map_err(closed)?,
        Err(_) => {
            // No ack in time: unless the ack is being handled right now, the send ends here.
            if let Some(send) = shared.feature::<PendingAcks>().take(id) {
                let timeout = Error::new(ErrorCode::Timeout, format!("no ack for message {id}"));
                complete(shared, send, Err(timeout)).await.await;
            }
            answer.await.map_err(closed)?
        }
    }
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

    #[test]
    fn own_devices_get_the_message_wrapped_with_the_chat() {
        let chat = Jid::pn("15550000002");
        let wrapped = device_sent(&text_message("hi"), &chat);
        let inner = wrapped.device_sent_message.unwrap();
        assert_eq!(
            inner.destination_jid.as_deref(),
            Some("15550000002@s.whatsapp.net")
        );
        assert_eq!(inner.message.unwrap().conversation.as_deref(), Some("hi"));
        assert!(wrapped.conversation.is_none());
    }
}
