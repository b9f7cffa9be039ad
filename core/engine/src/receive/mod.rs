//! The receive pipeline for `<message>` stanzas (docs/PROTOCOL.md, Message stanzas): learn the PN↔LID mappings the
//! stanza reveals, decrypt every `<enc>` (`pkmsg`/`msg` first, so a sender-key distribution is
//! processed before the group's `skmsg`), unpad, decode and unwrap the content, then **persist
//! first** (message + Signal state + `MessageReceived` event in one transaction) and only then
//! answer with the delivery receipt. A redelivered message is answered again without a second
//! event; a message that does not decrypt gets a retry receipt (with our keys from the second
//! attempt on) and an ack; nothing here ends the connection or drops a session.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

mod content;
mod receipts;

use openwa_protocol::signal::{
    self, PreKeyStore as _, ProtocolAddress, SenderKeyName, SignalError,
};
use openwa_protocol::stanza::{EncKind, IncomingMessage, PreKey, RetryKeys, SignedPreKey};
use openwa_protocol::{Jid, Node};
use openwa_store::MessageRecord;
use prost::Message as _;

pub(crate) use content::Content;
pub(crate) use receipts::RetryCounter;

use crate::connection::router::{Feature, Handled, HandlerFuture, Replies, Route};
use crate::context::SessionContext;
use crate::error::Error;
use crate::event::{EventKind, Message, MessageStatus};
use crate::messaging::addressing::{alt_chat, chat_keys};
use crate::messaging::changes::{self, Change};
use crate::messaging::origin::Origin;
use crate::persist::{PendingEvent, store_incoming};
use crate::signal_store::SignalBatch;

/// Receive state of a session that outlives one connection.
#[derive(Debug, Default)]
pub(crate) struct ReceiveState {
    retries: RetryCounter,
}

/// What decrypting the `<enc>` children of one stanza gave.
struct Decryption {
    batch: SignalBatch,
    content: Option<Content>,
    /// A sender-key distribution was processed (the batch holds state worth keeping).
    distributed: bool,
    /// The first decryption or decoding failure.
    failure: Option<String>,
    /// An `<enc>` was a replay of something already decrypted.
    replayed: bool,
}

/// The receive pipeline as a feature: it handles every `<message>` stanza.
#[derive(Debug)]
pub(crate) struct Receive;

impl Feature for Receive {
    fn routes(&self) -> &'static [Route] {
        static ROUTES: &[Route] = &[Route::tag("message")];
        ROUTES
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a Arc<SessionContext>,
        node: &'a Node,
    ) -> HandlerFuture<'a, Handled> {
        Box::pin(async move { Handled::Deferred(on_message(ctx, node).await) })
    }
}

fn ready(replies: Vec<Node>) -> Replies {
    Box::pin(std::future::ready(replies))
}

/// Handles one `<message>` stanza up to queuing its writes; the answered future yields the
/// nodes to send back, in order, once they are durable. An empty answer means the message could
/// not be persisted: it is not acknowledged, so the server delivers it again.
pub(crate) async fn on_message(shared: &Arc<SessionContext>, node: &Node) -> Replies {
    let message = match IncomingMessage::from_node(node) {
        Ok(message) => message,
        Err(err) => {
            tracing::debug!(session = %shared.id, %err, "unparsable message stanza");
            return ready(receipts::message_ack(node, Some(487)).into_iter().collect());
        }
    };
    let sender = message
        .participant
        .clone()
        .unwrap_or_else(|| message.from.clone());
    let from_me = is_own_account(shared, &sender);
    learn_mappings(shared, &message).await;
    let chat = chat_of(&message, from_me);
    let decryption = decrypt(shared, &message, &sender).await;
    let change = decryption
        .content
        .as_ref()
        .filter(|_| message.category.as_deref() != Some("peer"))
        .and_then(|c| Change::of(&c.message));
    if let Some(change) = change {
        let replies = apply_change(shared, decryption.batch, &message, &sender, &chat, change);
        return ready(replies.await.into_iter().collect());
    }
    let history = decryption
        .content
        .as_ref()
        .filter(|_| crate::history::notice::from_our_phone(&sender, from_me))
        .and_then(|c| crate::history::notice::notification_of(&c.message))
        .cloned();
    if let Some(notification) = history {
        let receipt = receipts::delivery_receipt(&message, from_me);
        return crate::history::notice::accept(
            shared,
            decryption.batch,
            &message,
            &notification,
            receipt,
        );
    }
    let key_share = decryption
        .content
        .as_ref()
        .filter(|_| crate::history::notice::from_our_phone(&sender, from_me))
        .and_then(|c| crate::app_state::share_of(&c.message))
        .cloned();
    if let Some(share) = key_share {
        let receipt = receipts::delivery_receipt(&message, from_me);
        return crate::app_state::accept_keys(shared, decryption.batch, &message, &share, receipt);
    }
    let replies = match decryption.content {
        // Protocol messages (history-sync and app-state key notices, revokes, edits) and peer
        // messages are not chat messages: keep the Signal state, report nothing yet.
        Some(content) if content.is_control() || message.category.as_deref() == Some("peer") => {
            match decryption.batch.commit().await {
                Ok(()) => vec![receipts::delivery_receipt(&message, from_me)],
                Err(err) => {
                    tracing::warn!(session = %shared.id, %err, "signal state not persisted; not acked");
                    Vec::new()
                }
            }
        }
        Some(content) => {
            // Queued now, in stanza order; the receipt waits for the commit, the next stanza
            // does not.
            let stored = persist(
                shared,
                decryption.batch,
                &message,
                &sender,
                &chat,
                from_me,
                content,
            )
            .await;
            let (shared, receipt) = (
                Arc::clone(shared),
                receipts::delivery_receipt(&message, from_me),
            );
            let id = message.id.clone();
            return Box::pin(async move {
                let durable = match stored {
                    Ok(durable) => durable.await,
                    Err(err) => Err(err),
                };
                match durable {
                    Ok(()) => {
                        shared.feature::<ReceiveState>().retries.forget(&id);
                        vec![receipt]
                    }
                    Err(err) => {
                        tracing::warn!(session = %shared.id, %err, %id, "message not persisted; not acked");
                        Vec::new()
                    }
                }
            });
        }
        None => {
            let Decryption {
                batch,
                distributed,
                failure,
                replayed,
                ..
            } = decryption;
            // A redelivery of a stored message no longer decrypts (its keys were used when it
            // was stored, in the same commit): answer it as delivered again, with no new event.
            if failure.is_some() || replayed {
                match stored_before(shared, &message, &chat).await {
                    Ok(true) => return ready(vec![receipts::delivery_receipt(&message, from_me)]),
                    Ok(false) => {}
                    Err(err) => {
                        tracing::warn!(session = %shared.id, %err, "message lookup failed; not acked");
                        return ready(Vec::new());
                    }
                }
            }
            // The batch ends here either way: a retry receipt with our keys starts a batch of
            // its own (for the fresh prekey), which would wait forever behind this one.
            let kept = if distributed {
                batch.commit().await
            } else {
                drop(batch);
                Ok(())
            };
            if let Err(err) = kept {
                tracing::warn!(session = %shared.id, %err, "sender key not persisted; not acked");
                return ready(Vec::new());
            }
            match failure {
                Some(reason) => failed(shared, node, &message, &reason).await,
                None if distributed && !replayed => {
                    vec![receipts::delivery_receipt(&message, from_me)]
                }
                // Replays and content this engine does not handle (v3, msmsg, plaintext…).
                None => receipts::message_ack(node, None).into_iter().collect(),
            }
        }
    };
    ready(replies)
}

/// Whether the message is in the store already, under any form of its chat (a redelivery may
/// come addressed by the contact's other form, PN or LID).
async fn stored_before(
    shared: &SessionContext,
    message: &IncomingMessage,
    chat: &Jid,
) -> Result<bool, Error> {
    let chats = chat_keys(shared, chat).await;
    let found = shared
        .store()
        .get_message_across(&chats, &message.id)
        .await?;
    Ok(found.is_some())
}

/// Decrypts every `<enc>` in order with one batch.
async fn decrypt(shared: &SessionContext, message: &IncomingMessage, sender: &Jid) -> Decryption {
    let batch = shared.signal_store().begin().await;
    let address = ProtocolAddress::from_jid(sender);
    let mut out = Decryption {
        batch,
        content: None,
        distributed: false,
        failure: None,
        replayed: false,
    };
    for enc in &message.encs {
        if enc.version != 2 {
            continue;
        }
        let plaintext = match enc.kind {
            EncKind::Pkmsg | EncKind::Msg => {
                let kind = if enc.kind == EncKind::Pkmsg {
                    signal::MessageType::PreKey
                } else {
                    signal::MessageType::Whisper
                };
                signal::decrypt(
                    &out.batch,
                    &address,
                    kind,
                    &enc.ciphertext,
                    &mut rand::rngs::OsRng,
                )
                .await
                .map(|d| d.plaintext)
            }
            EncKind::Skmsg => {
                let name =
                    SenderKeyName::new(message.from.to_non_ad().to_string(), address.clone());
                signal::group::decrypt(&out.batch, &name, &enc.ciphertext).await
            }
            _ => continue,
        };
        let plaintext = match plaintext {
            Ok(plaintext) => plaintext,
            Err(SignalError::DuplicateMessage { .. }) => {
                out.replayed = true;
                continue;
            }
            Err(err) => {
                out.failure.get_or_insert_with(|| err.to_string());
                continue;
            }
        };
        let content = match content::decode_padded(&plaintext) {
            Ok(content) => content,
            Err(err) => {
                out.failure.get_or_insert_with(|| err.to_string());
                continue;
            }
        };
        if let Some(skdm) = &content.message.sender_key_distribution_message
            && let Some(bytes) = &skdm.axolotl_sender_key_distribution_message
        {
            let group = skdm
                .group_id
                .clone()
                .unwrap_or_else(|| message.from.to_non_ad().to_string());
            let name = SenderKeyName::new(group, address.clone());
            match signal::group::process_distribution(&out.batch, &name, bytes).await {
                Ok(()) => out.distributed = true,
                Err(err) => {
                    tracing::debug!(%err, "bad sender key distribution");
                }
            }
        }
        if !content.is_only_key_distribution() && out.content.is_none() {
            out.content = Some(content);
        }
    }
    if out.content.is_some() {
        // The content decrypted; an unrelated failing part does not make it a failure.
        out.failure = None;
    }
    out
}

/// Stores the message, the Signal changes and the event together, then publishes the event.
async fn persist(
    shared: &SessionContext,
    batch: SignalBatch,
    message: &IncomingMessage,
    sender: &Jid,
    chat: &Jid,
    from_me: bool,
    content: Content,
) -> Result<Durable, Error> {
    let sender_user = sender.to_non_ad();
    let described = crate::content::describe(&content.message, content.kind.clone());
    let event_message = Message {
        id: message.id.clone(),
        chat: chat.to_string(),
        sender: sender_user.to_string(),
        sender_alt: alternate_id(shared, message, &sender_user).await,
        from_me,
        timestamp: message.t,
        push_name: message.notify.clone(),
        content: described.content,
        text: described.text,
        message_type: described.message_type,
        quoted: described.quoted,
        mentions: described.mentions,
        forwarded: described.forwarded,
        forwarding_score: described.forwarding_score,
        status: MessageStatus::Delivered,
    };
    let record = MessageRecord {
        session_id: shared.id.clone(),
        chat: event_message.chat.clone(),
        id: message.id.clone(),
        sender: event_message.sender.clone(),
        from_me,
        timestamp: i64::try_from(message.t).unwrap_or(i64::MAX),
        msg_type: event_message.message_type.as_str().to_owned(),
        body: event_message.text.clone(),
        payload: Some(content.message.encode_to_vec()),
        status: openwa_store::MessageStatus::Delivered,
    };
    let push_name = event_message
        .push_name
        .clone()
        .filter(|name| !from_me && !name.is_empty());
    let kind = EventKind::MessageReceived {
        message: event_message,
    };
    crate::fault::point("receive_before_commit");
    let event = PendingEvent::new(kind)?;
    // Shared, not copied, each time the unit runs (it runs again if its group is retried).
    let record = Arc::new(record);
    let push_name = Arc::new(push_name);
    // A redelivered message (already stored) keeps its Signal writes and reports nothing.
    let stored = batch.commit_with(Some(shared.bus().publisher()), move |mut tx| {
        let (record, event, push_name) =
            (Arc::clone(&record), event.clone(), Arc::clone(&push_name));
        Box::pin(async move {
            let stored = store_incoming(&mut tx, &record, event).await?;
            if let (true, Some(name)) = (stored.0, push_name.as_deref()) {
                tx.put_push_name(&record.sender, name).await?;
            }
            Ok(stored)
        })
    });
    Ok(Box::pin(async move { stored.await.map(|_| ()) }))
}

/// An edit or a revoke: the stored message changes, with its event, in the commit of the
/// Signal state; the delivery receipt once that is durable.
async fn apply_change(
    shared: &SessionContext,
    batch: SignalBatch,
    message: &IncomingMessage,
    sender: &Jid,
    chat: &Jid,
    change: Change,
) -> Option<Node> {
    let sender_user = sender.to_non_ad();
    let origin = Origin {
        chats: chat_keys(shared, chat).await,
        sender_alt: alternate_id(shared, message, &sender_user).await,
        sender: sender_user.to_string(),
        group: chat.is_group(),
        timestamp: message.t,
    };
    let (origin, change) = (Arc::new(origin), Arc::new(change));
    let stored = batch
        .commit_with(Some(shared.bus().publisher()), move |mut tx| {
            let (origin, change) = (Arc::clone(&origin), Arc::clone(&change));
            Box::pin(async move {
                let event = changes::apply(&mut tx, &origin, &change).await?;
                Ok(((), event))
            })
        })
        .await;
    match stored {
        Ok(()) => Some(receipts::delivery_receipt(
            message,
            is_own_account(shared, sender),
        )),
        Err(err) => {
            tracing::warn!(session = %shared.id, %err, "message change not persisted; not acked");
            None
        }
    }
}

/// A queued store write: resolves once durable.
type Durable = Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'static>>;

/// The answer to a message that did not decrypt: a retry receipt while attempts remain, and an
/// ack.
async fn failed(
    shared: &SessionContext,
    node: &Node,
    message: &IncomingMessage,
    reason: &str,
) -> Vec<Node> {
    tracing::info!(session = %shared.id, id = %message.id, from = %message.from, %reason, "message did not decrypt");
    let mut out = Vec::new();
    if let Some(count) = shared.feature::<ReceiveState>().retries.next(&message.id) {
        let keys = if count >= receipts::KEYS_FROM_RETRY {
            match retry_keys(shared).await {
                Ok(keys) => Some(keys),
                Err(err) => {
                    tracing::warn!(session = %shared.id, %err, "no keys for the retry receipt");
                    None
                }
            }
        } else {
            None
        };
        let registration_id = shared.with_credentials(|c| c.registration_id);
        out.push(receipts::retry_receipt(
            message,
            count,
            registration_id,
            keys,
        ));
    }
    out.extend(receipts::message_ack(node, None));
    out
}

/// Our keys for a retry receipt: identity, a fresh one-time prekey, the signed prekey and
/// our device identity.
async fn retry_keys(shared: &SessionContext) -> Result<RetryKeys, Error> {
    let prekey = crate::prekeys::fresh_prekeys(shared, 1)
        .await?
        .into_iter()
        .next();
    // Make sure the key is readable through the adapter before handing it out.
    if let Some(record) = &prekey {
        let batch = shared.signal_store().begin().await;
        if batch
            .load_pre_key(record.id)
            .await
            .map_err(|e| Error::internal(e.to_string()))?
            .is_none()
        {
            return Err(Error::internal("fresh prekey not stored"));
        }
    }
    Ok(shared.with_credentials(|c| RetryKeys {
        identity: c.identity_key.public,
        prekey: prekey.map(|r| PreKey {
            id: r.id,
            public: r.key_pair.public,
        }),
        signed: SignedPreKey {
            id: c.signed_prekey.id,
            public: c.signed_prekey.key.public,
            signature: c.signed_prekey.signature,
        },
        device_identity: c.paired.as_ref().map(|p| p.account.clone()),
    }))
}

/// Whether `jid` is a device of our own account (PN or LID).
fn is_own_account(shared: &SessionContext, jid: &Jid) -> bool {
    shared.with_credentials(|c| {
        c.paired.as_ref().is_some_and(|p| {
            (p.jid.user == jid.user && p.jid.server == jid.server)
                || p.lid
                    .as_ref()
                    .is_some_and(|l| l.user == jid.user && l.server == jid.server)
        })
    })
}

/// The chat a message belongs to: the group, the recipient of our own device's message, or the
/// other person.
fn chat_of(message: &IncomingMessage, from_me: bool) -> Jid {
    if message.from.is_group() || message.from.is_broadcast() {
        return message.from.to_non_ad();
    }
    match (&message.recipient, from_me) {
        (Some(recipient), true) => recipient.to_non_ad(),
        _ => message.from.to_non_ad(),
    }
}

/// The PN/LID pairs a stanza reveals (docs/PROTOCOL.md, Message stanzas).
fn revealed_mappings(message: &IncomingMessage) -> Vec<(String, String)> {
    let pairs = [
        (Some(&message.from), message.sender_lid.as_ref()),
        (Some(&message.from), message.sender_pn.as_ref()),
        (
            message.participant.as_ref(),
            message.participant_lid.as_ref(),
        ),
        (
            message.participant.as_ref(),
            message.participant_pn.as_ref(),
        ),
        (
            message.recipient.as_ref(),
            message.peer_recipient_pn.as_ref(),
        ),
    ];
    pairs
        .into_iter()
        .filter_map(|(a, b)| {
            let (a, b) = (a?, b?);
            if a.is_pn() && b.is_lid() {
                Some((a.user.to_string(), b.user.to_string()))
            } else if a.is_lid() && b.is_pn() {
                Some((b.user.to_string(), a.user.to_string()))
            } else {
                None
            }
        })
        .collect()
}

async fn learn_mappings(shared: &SessionContext, message: &IncomingMessage) {
    let signal = shared.signal_store();
    for (pn, lid) in revealed_mappings(message) {
        if let Err(err) = signal.learn_mapping(&pn, &lid).await {
            tracing::warn!(session = %shared.id, %err, "PN/LID mapping not stored");
        }
    }
}

/// The sender's other id: the LID of a phone-number sender or the reverse, from the stanza or
/// the stored mappings.
async fn alternate_id(
    shared: &SessionContext,
    message: &IncomingMessage,
    sender: &Jid,
) -> Option<String> {
    let from_stanza = if sender.is_pn() {
        message
            .sender_lid
            .as_ref()
            .or(message.participant_lid.as_ref())
    } else {
        message
            .sender_pn
            .as_ref()
            .or(message.participant_pn.as_ref())
    };
    if let Some(alt) = from_stanza {
        return Some(alt.to_non_ad().to_string());
    }
    Some(alt_chat(shared, &sender.to_non_ad()).await?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use openwa_protocol::stanza::MessageType;

    #[test]
    fn mappings_come_from_every_alternate_attribute() {
        let mut dm = IncomingMessage::new(
            "a",
            "15550000002:1@s.whatsapp.net".parse().unwrap(),
            1,
            MessageType::from("text"),
        );
        dm.sender_lid = Some("200000000000002:1@lid".parse().unwrap());
        assert_eq!(
            revealed_mappings(&dm),
            vec![("15550000002".to_owned(), "200000000000002".to_owned())]
        );

        let mut group = IncomingMessage::new(
            "b",
            "120363000000000001@g.us".parse().unwrap(),
            1,
            MessageType::from("text"),
        );
        group.participant = Some("200000000000002:1@lid".parse().unwrap());
        group.participant_pn = Some("15550000002:1@s.whatsapp.net".parse().unwrap());
        assert_eq!(
            revealed_mappings(&group),
            vec![("15550000002".to_owned(), "200000000000002".to_owned())]
        );
        assert_eq!(
            chat_of(&group, false).to_string(),
            "120363000000000001@g.us"
        );

        let mut own = dm.clone();
        own.recipient = Some("15550000009@s.whatsapp.net".parse().unwrap());
        assert_eq!(
            chat_of(&own, true).to_string(),
            "15550000009@s.whatsapp.net"
        );
        assert_eq!(
            chat_of(&own, false).to_string(),
            "15550000002@s.whatsapp.net"
        );
    }
}
