//! Taking one message to the server: encryption (pairwise for users, with sender keys for
//! groups), **persist, then send**, and the wait for the server's ack. Used by direct sends
//! (`send`) and by the send queue (`queue`).
//!
//! The outgoing message (status `pending`; its payload is the plaintext a retry receipt gets
//! re-encrypted) and the Signal changes of its encryption are written in one transaction before
//! the stanza leaves, so a crash never loses a ratchet step the peer may already have seen.

use std::sync::Arc;

use openwa_protocol::Jid;
use openwa_protocol::content::ContentKind;
use openwa_protocol::message::pad;
use openwa_protocol::proto::e2e;
use openwa_protocol::stanza::OutgoingMessage;
use openwa_store::{MessageRecord, SendKeyClaim, SessionTx, StoreError};
use prost::Message as _;
use tokio::sync::oneshot;

use super::ack::{PendingAcks, PendingSend, complete, set_status};
use super::devices::{device_lists, fan_out};
use super::encrypt::{Encrypted, encrypt_all, fetch_bundles, without_session};
use super::own::Own;
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::event::{EventKind, Message, MessageStatus};
use crate::signal_store::SignalBatch;

/// The copy of `message` for our own other devices: wrapped in a DeviceSentMessage naming the
/// chat.
pub(crate) fn device_sent(message: &e2e::Message, chat: &Jid) -> e2e::Message {
    openwa_protocol::content::device_sent(message, chat)
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
    fn own_devices_get_the_message_wrapped_with_the_chat() {
        let chat = Jid::pn("15550000002");
        let wrapped = device_sent(&openwa_protocol::content::text_message("hi"), &chat);
        let inner = wrapped.device_sent_message.unwrap();
        assert_eq!(
            inner.destination_jid.as_deref(),
            Some("15550000002@s.whatsapp.net")
        );
        assert_eq!(inner.message.unwrap().conversation.as_deref(), Some("hi"));
        assert!(wrapped.conversation.is_none());
    }
}
