//! `<receipt>`s from peers (already acked by the driver): a `Receipt` event, status updates
//! of our sent messages that never go backwards (each step a `MessageStatus` event), and
//! retry receipts answered by re-encrypting the stored outgoing message for the asking device.

use std::sync::Arc;

use openwa_protocol::Jid;
use openwa_protocol::proto::e2e;
use openwa_protocol::signal::encrypt;
use openwa_protocol::stanza::{Enc, OutgoingMessage, Receipt, ReceiptType};
use prost::Message as _;

use super::ack::queue_receipt;
use super::addressing::{alt_chat, chat_keys};
use super::encrypt::{enc_kind, retry_batch};
use super::own::Own;
use super::transmit::device_sent;
use crate::connection::command::Command;
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::event::{EventKind, MessageStatus, ReceiptKind};

/// Retry receipts with a higher `count` are not answered (clients give up after 5).
const MAX_RETRY_COUNT: u32 = 5;

/// The status a receipt moves our sent messages to. Receipts from our own other devices
/// (`read-self`, `sender`, their delivery) and retries change no status.
pub(crate) fn status_for(kind: &ReceiptType, from_own_account: bool) -> Option<MessageStatus> {
    if from_own_account {
        return None;
    }
    match kind {
        ReceiptType::Delivery | ReceiptType::Inactive => Some(MessageStatus::Delivered),
        ReceiptType::Read => Some(MessageStatus::Read),
        ReceiptType::Played => Some(MessageStatus::Played),
        _ => None,
    }
}

/// The chat a receipt is about: the `recipient` for receipts from our own devices about a
/// message to someone else, else the sender's user (or the group).
pub(crate) fn receipt_chat(receipt: &Receipt) -> Jid {
    match &receipt.recipient {
        Some(recipient) => recipient.to_non_ad(),
        None => receipt.peer.jid().to_non_ad(),
    }
}

fn is_own(own: Option<&Own>, jid: &Jid) -> bool {
    own.is_some_and(|own| {
        jid.user == own.device.user || own.lid.as_ref().is_some_and(|lid| lid.user == jid.user)
    })
}

/// Handles one receipt stanza.
pub(crate) async fn on_receipt(shared: &Arc<SessionContext>, node: &openwa_protocol::Node) {
    let receipt = match Receipt::from_node(node) {
        Ok(receipt) => receipt,
        Err(err) => {
            tracing::debug!(session = %shared.id, %err, "unparsable receipt");
            return;
        }
    };
    let chat = receipt_chat(&receipt);
    let from = receipt.peer.jid().clone();
    let sender = receipt.participant.clone().unwrap_or_else(|| from.clone());
    let ids: Vec<String> = receipt.ids().map(str::to_owned).collect();
    let event = EventKind::Receipt {
        chat: chat.to_string(),
        sender: sender.to_string(),
        message_ids: ids.clone(),
        receipt: ReceiptKind::from_attr(node.attr_str("type").as_deref()),
        timestamp: receipt.t.unwrap_or(0),
    };
    let own = Own::of(shared).ok();
    if receipt.kind == ReceiptType::Retry {
        let logged = queue_receipt(shared, event, Vec::new(), None);
        let shared = shared.clone();
        shared.clone().spawn(async move {
            logged.await;
            if let Err(err) = answer_retry(&shared, &receipt, &chat).await {
                tracing::warn!(session = %shared.id, %err, "retry receipt not answered");
            }
        });
        return;
    }
    let status = status_for(&receipt.kind, is_own(own.as_ref(), &sender));
    let mut messages = Vec::new();
    if let Some(status) = status {
        let keys = chat_keys(shared, &chat).await;
        for id in ids {
            let chats = keys
                .iter()
                .map(|key| {
                    let event = EventKind::MessageStatus {
                        chat: key.clone(),
                        message_id: id.clone(),
                        status,
                    };
                    (key.clone(), event)
                })
                .collect();
            messages.push((id, chats));
        }
    }
    // The receipt's event and status changes are one unit, queued in stanza order; the driver
    // goes on without waiting for the commit (the receipt was acked before it was handled, so
    // nothing waits on its persistence).
    shared.spawn(queue_receipt(shared, event, messages, status));
}

/// The plaintext of a message this account sent: the stored message's payload.
async fn outgoing(shared: &SessionContext, chat: &Jid, id: &str) -> Result<Option<Vec<u8>>, Error> {
    Ok(shared
        .store()
        .get_message(&chat.to_string(), id)
        .await?
        .filter(|message| message.from_me)
        .and_then(|message| message.payload))
}

/// Re-encrypts the stored outgoing message for the device that asked and sends it alone
/// (`<enc count>`), building a new session from the receipt's keys when it carries them.
async fn answer_retry(shared: &SessionContext, receipt: &Receipt, chat: &Jid) -> Result<(), Error> {
    let Some(retry) = &receipt.retry else {
        return Ok(());
    };
    if retry.count > MAX_RETRY_COUNT {
        tracing::info!(session = %shared.id, id = %retry.id, "retry limit reached");
        return Ok(());
    }
    if chat.is_group() {
        return super::group_retry::answer(shared, receipt, retry, chat).await;
    }
    let mut plaintext = outgoing(shared, chat, &receipt.id).await?;
    let mut chat = chat.clone();
    if plaintext.is_none()
        && let Some(alt) = alt_chat(shared, &chat).await
    {
        plaintext = outgoing(shared, &alt, &receipt.id).await?;
        chat = alt;
    }
    let Some(plaintext) = plaintext else {
        tracing::info!(session = %shared.id, id = %receipt.id, "retry for an unknown message");
        return Ok(());
    };
    let own = Own::of(shared)?;
    let device = receipt
        .participant
        .clone()
        .unwrap_or_else(|| receipt.peer.jid().clone());
    let to_own = is_own(Some(&own), &device);
    let proto = e2e::Message::decode(plaintext.as_slice())
        .map_err(|e| Error::new(ErrorCode::Store, format!("stored message: {e}")))?;
    let payload = if to_own {
        device_sent(&proto, &chat).encode_to_vec()
    } else {
        plaintext
    };
    let padded = openwa_protocol::message::pad(&payload, &mut rand::rngs::OsRng);

    let (batch, address) = retry_batch(shared, retry, &device, to_own).await?;
    let (kind, ciphertext) = encrypt(&batch, &address, &padded).await?;
    batch.commit().await?;

    let mut enc = Enc::new(enc_kind(kind), ciphertext);
    enc.count = Some(retry.count);
    enc.mediatype = openwa_protocol::content::enc_mediatype(&proto).map(str::to_owned);
    let content = openwa_protocol::content::ContentKind::of(&proto);
    let mut stanza = OutgoingMessage::new(retry.id.clone(), device, content.stanza_type());
    stanza
        .extra
        .extend(openwa_protocol::poll::stanza_meta(&content));
    stanza.direct = vec![enc];
    stanza.t = retry.t;
    if to_own {
        stanza.recipient = Some(chat);
    }
    if kind == openwa_protocol::signal::MessageType::PreKey {
        stanza.device_identity = Some(own.account);
    }
    shared
        .commands()?
        .send(Command::SendNode(stanza.to_node()))
        .await
        .map_err(|_| Error::new(ErrorCode::NotConnected, "the connection closed"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use openwa_protocol::stanza::Peer;

    #[test]
    fn receipts_from_peers_move_statuses() {
        assert_eq!(
            status_for(&ReceiptType::Delivery, false),
            Some(MessageStatus::Delivered)
        );
        assert_eq!(
            status_for(&ReceiptType::Inactive, false),
            Some(MessageStatus::Delivered)
        );
        assert_eq!(
            status_for(&ReceiptType::Read, false),
            Some(MessageStatus::Read)
        );
        assert_eq!(
            status_for(&ReceiptType::Played, false),
            Some(MessageStatus::Played)
        );
        for kind in [
            ReceiptType::ReadSelf,
            ReceiptType::PlayedSelf,
            ReceiptType::Sender,
            ReceiptType::Retry,
            ReceiptType::ServerError,
        ] {
            assert_eq!(status_for(&kind, false), None, "{kind:?}");
        }
    }

    #[test]
    fn receipts_from_our_own_devices_change_no_status() {
        assert_eq!(status_for(&ReceiptType::Delivery, true), None);
        assert_eq!(status_for(&ReceiptType::Read, true), None);
    }

    #[test]
    fn the_chat_is_the_recipient_for_own_device_receipts() {
        let mut receipt = Receipt::new(
            "3EB0AA",
            Peer::From("15550000002:3@s.whatsapp.net".parse().unwrap()),
            ReceiptType::Delivery,
        );
        assert_eq!(
            receipt_chat(&receipt).to_string(),
            "15550000002@s.whatsapp.net"
        );
        receipt.recipient = Some("15550000009@s.whatsapp.net".parse().unwrap());
        assert_eq!(
            receipt_chat(&receipt).to_string(),
            "15550000009@s.whatsapp.net"
        );
    }
}
