//! What the phone does with a `<message>` routed to it: decrypt every `<enc>` in order
//! (`pkmsg`/`msg` with its session, `skmsg` with the sender's key, SKDMs stored on the way),
//! unpad, decode, unwrap, keep it on the timeline and answer with a delivery receipt, or with a
//! retry receipt when decryption fails.

use openwa_protocol::Jid;
use openwa_protocol::Node;
use openwa_protocol::content::unwrap;
use openwa_protocol::message::unpad;
use openwa_protocol::proto::e2e;
use openwa_protocol::signal::{self, MessageType, ProtocolAddress, SenderKeyName};
use openwa_protocol::stanza::{EncKind, IncomingMessage, Peer, Receipt, ReceiptType, RetryRequest};
use prost::Message as _;
use rand_core::OsRng;

use openwa_protocol::actions::MessageChange;

use super::content::describe;
use super::polls;
use super::store::{PhoneStore, run};
use super::timeline::TimelineEntry;
use super::{PhoneError, peer_address, phone_ref, pn_device};
use crate::hub::Hub;
use crate::state::{State, StateError};

/// Handles a stanza routed to the phone of `phone` (only messages matter to it).
pub fn receive(hub: &Hub, phone: &str, node: &Node) {
    if node.tag != "message" {
        return;
    }
    let message = match IncomingMessage::from_node(node) {
        Ok(message) => message,
        Err(e) => {
            tracing::debug!(%phone, error = %e, "phone ignored an invalid message stanza");
            return;
        }
    };
    let sender = message
        .participant
        .clone()
        .unwrap_or_else(|| message.from.clone());
    let group = message.from.is_group().then(|| message.from.to_non_ad());
    let Some(peer) = hub.read(|s| s.account_for_jid(&sender).map(|a| a.phone.clone())) else {
        tracing::debug!(%phone, %sender, "phone ignored a message from an unknown sender");
        return;
    };
    let address = peer_address(&peer, sender.device);
    let mut found = None;
    let mut change = None;
    let mut destination = None;
    let mut via = "";
    let mut failed = None;
    let mut key_request = false;
    for enc in &message.encs {
        match hub.write(|s| decrypt_enc(s, phone, &address, group.as_ref(), enc)) {
            Ok(Some(decrypted)) => {
                let unwrapped = unwrap(decrypted);
                destination = destination.or(unwrapped.device_sent_to);
                if let Some(content) = describe(&unwrapped.message) {
                    found = Some(content);
                    via = enc.kind.as_str();
                }
                change = change.or_else(|| MessageChange::of(&unwrapped.message));
                key_request |= is_key_request(&unwrapped.message);
            }
            Ok(None) => {}
            Err(e) => {
                // A resend carries the retry count it answers; ask again up to MAX_RETRIES.
                let count = enc.count.unwrap_or(0) + 1;
                tracing::info!(%phone, id = %message.id, %sender, kind = enc.kind.as_str(), count, error = %e, "phone could not decrypt");
                failed = Some(count);
                break;
            }
        }
    }
    let from_me = peer == phone;
    let answer = match failed {
        Some(count) => (count <= MAX_RETRIES).then_some(Kind::Retry(count)),
        None => (!from_me).then_some(Kind::Delivery),
    };
    if failed.is_some() {
        found = None;
        change = None;
    }
    let chat = match (&group, from_me) {
        (Some(group), _) => group.to_string(),
        (None, true) => destination
            .or_else(|| {
                message
                    .recipient
                    .as_ref()
                    .map(|r| r.to_non_ad().to_string())
            })
            .unwrap_or_else(|| Jid::pn(phone).to_string()),
        (None, false) => Jid::pn(peer.as_str()).to_string(),
    };
    // A vote changes its poll's tally, nothing else.
    if let Some(MessageChange::PollVote { target, vote, .. }) = &change
        && !polls::apply_vote(hub, phone, &chat, target, &peer, vote)
    {
        tracing::info!(%phone, poll = %target, voter = %peer, "phone could not open a vote");
    }
    let change = change.filter(|c| !matches!(c, MessageChange::PollVote { .. }));
    if let Some(change) = change {
        let author = Jid::pn(peer.as_str()).to_string();
        let edit = match &change {
            MessageChange::Edit { message, .. } => Some(openwa_protocol::content::text(message)),
            MessageChange::Revoke { .. } | MessageChange::PollVote { .. } => None,
        };
        hub.write(|s| {
            if let Ok(account) = s.account_mut(phone) {
                account
                    .timeline
                    .apply_change(&chat, change.target(), &author, edit);
            }
        });
    }
    if let Some(content) = found {
        let sender_jid = pn_device(&peer, sender.device).to_string();
        let mut entry = TimelineEntry::new(&message.id, &chat, &sender_jid, content, message.t);
        entry.from_me = from_me;
        entry.enc = via.to_owned();
        hub.write(|s| {
            if let Ok(account) = s.account_mut(phone) {
                account.timeline.push(entry);
            }
        });
    }
    if let Some(kind) = answer {
        send_receipt(hub, phone, &message, &sender, group.as_ref(), kind);
    }
    // A companion of this account asks for the sync key again.
    if key_request
        && from_me
        && failed.is_none()
        && sender.device != 0
        && let Err(e) = super::welcome::share_app_state_key(hub, phone, sender.device)
    {
        tracing::info!(%phone, device = sender.device, error = %e, "phone could not re-share its app-state key");
    }
}

/// Whether a message is an `APP_STATE_SYNC_KEY_REQUEST`.
fn is_key_request(message: &openwa_protocol::proto::e2e::Message) -> bool {
    use openwa_protocol::proto::e2e::protocol_message::Type;
    message
        .protocol_message
        .as_ref()
        .is_some_and(|p| p.r#type == Some(Type::AppStateSyncKeyRequest as i32))
}

/// Decrypts one payload under the state lock; `Ok(None)` for payload kinds the phone skips.
fn decrypt_enc(
    state: &mut State,
    phone: &str,
    address: &ProtocolAddress,
    group: Option<&Jid>,
    enc: &openwa_protocol::stanza::Enc,
) -> Result<Option<e2e::Message>, PhoneError> {
    let account = state.account_mut(phone)?;
    let store = PhoneStore::new(account).ok_or_else(|| StateError::NoSuchDevice {
        phone: phone.to_owned(),
        device: 0,
    })?;
    let padded = match enc.kind {
        EncKind::Pkmsg | EncKind::Msg => {
            let kind = if enc.kind == EncKind::Pkmsg {
                MessageType::PreKey
            } else {
                MessageType::Whisper
            };
            run(signal::decrypt(
                &store,
                address,
                kind,
                &enc.ciphertext,
                &mut OsRng,
            ))?
            .plaintext
        }
        EncKind::Skmsg => {
            let group = group
                .ok_or_else(|| PhoneError::BadRequest("a skmsg outside a group chat".to_owned()))?;
            let name = SenderKeyName::new(group.to_string(), address.clone());
            run(signal::group::decrypt(&store, &name, &enc.ciphertext))?
        }
        _ => return Ok(None),
    };
    let message = e2e::Message::decode(unpad(&padded)?)?;
    if let Some(skdm) = &message.sender_key_distribution_message
        && let Some(bytes) = &skdm.axolotl_sender_key_distribution_message
    {
        let group_id = skdm
            .group_id
            .clone()
            .or_else(|| group.map(Jid::to_string))
            .unwrap_or_default();
        let name = SenderKeyName::new(group_id, address.clone());
        run(signal::group::process_distribution(&store, &name, bytes))?;
    }
    Ok(Some(message))
}

/// Most retry receipts the phone sends for one message (clients stop at 5 too).
pub const MAX_RETRIES: u32 = 5;

/// Which receipt the phone answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Delivery,
    /// A retry receipt with this attempt count.
    Retry(u32),
}

/// Sends a delivery or retry receipt for `message` back through the router: 1:1 to the
/// sender's user (all its devices see the status), in groups to the sending device.
fn send_receipt(
    hub: &Hub,
    phone: &str,
    message: &IncomingMessage,
    sender: &Jid,
    group: Option<&Jid>,
    kind: Kind,
) {
    let Ok((me, registration_id)) = hub.read(|s| {
        let me = phone_ref(s, phone)?;
        let registration_id = s
            .account(phone)?
            .devices
            .get(&0)
            .map_or(0, |d| d.registration_id);
        Ok::<_, StateError>((me, registration_id))
    }) else {
        return;
    };
    let (peer, participant) = match group {
        Some(group) => (group.clone(), Some(sender.clone())),
        None if matches!(kind, Kind::Retry(_)) => (sender.clone(), None),
        None => (sender.to_non_ad(), None),
    };
    let receipt_kind = match kind {
        Kind::Delivery => ReceiptType::Delivery,
        Kind::Retry(_) => ReceiptType::Retry,
    };
    let mut receipt = Receipt::new(message.id.clone(), Peer::To(peer), receipt_kind);
    receipt.participant = participant;
    if let Kind::Retry(count) = kind {
        receipt.retry = Some(RetryRequest {
            count,
            id: message.id.clone(),
            t: Some(message.t),
            error: None,
            registration_id,
            keys: None,
        });
    }
    hub.dispatch(&me, &receipt.to_node());
}
