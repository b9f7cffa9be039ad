//! Receipts for what the phone sent: delivery/read/played statuses go on the timeline entry;
//! a retry receipt makes the phone re-encrypt the message for the asking device, from the keys
//! in the receipt or from a fresh bundle (a new `pkmsg` session); in groups together with its
//! sender key, as a group message for that device alone.

use openwa_protocol::Jid;
use openwa_protocol::content::device_sent;
use openwa_protocol::message::pad;
use openwa_protocol::proto::e2e;
use openwa_protocol::signal::{self, IdentityKey, SenderKeyName};
use openwa_protocol::stanza::{
    AddressingMode, DeviceEnc, EncKind, MessageType, OutgoingMessage, Receipt, ReceiptType,
};
use prost::Message as _;
use rand_core::OsRng;

use super::content::describe;
use super::send::{Target, encrypt_for, phone_store};
use super::store::run;
use super::{PhoneError, peer_address, phone_ref};
use crate::device::DeviceRef;
use crate::hub::Hub;

/// Handles a receipt `from` sent for messages of the phone of `phone`.
pub fn on_receipt(hub: &Hub, phone: &str, receipt: &Receipt, from: &DeviceRef) {
    if receipt.kind == ReceiptType::Retry {
        if let Err(e) = answer_retry(hub, phone, receipt, from) {
            tracing::info!(%phone, id = %receipt.id, error = %e, "phone could not answer a retry receipt");
        }
        return;
    }
    record_status(hub, phone, receipt, from);
}

/// Notes a delivery/read/played receipt from `from` on the timeline entries of `phone` it
/// names (messages the phone sent, or device-sent copies of its companions' messages); other
/// receipt types are ignored.
pub fn record_status(hub: &Hub, phone: &str, receipt: &Receipt, from: &DeviceRef) {
    let kind = match receipt.kind {
        ReceiptType::Delivery | ReceiptType::Inactive => "delivery",
        ReceiptType::Read | ReceiptType::ReadSelf => "read",
        ReceiptType::Played | ReceiptType::PlayedSelf => "played",
        _ => return,
    };
    // Most receipts name no timeline entry (companion-to-companion traffic): look before
    // taking the state for writing.
    let named = hub.read(|s| {
        s.accounts.get(phone).is_some_and(|a| {
            receipt
                .ids()
                .any(|id| a.timeline.find(id, |m| m.from_me).is_some())
        })
    });
    if !named {
        return;
    }
    let device = from.pn_jid().to_string();
    hub.write(|s| {
        if let Ok(account) = s.account_mut(phone) {
            for id in receipt.ids() {
                account.timeline.record_receipt(id, &device, kind);
            }
        }
    });
}

fn answer_retry(
    hub: &Hub,
    phone: &str,
    receipt: &Receipt,
    from: &DeviceRef,
) -> Result<(), PhoneError> {
    let retry = receipt
        .retry
        .as_ref()
        .ok_or_else(|| PhoneError::BadRequest("retry receipt without <retry>".to_owned()))?;
    if retry.count > super::receive::MAX_RETRIES {
        return Err(PhoneError::BadRequest(format!(
            "retry count {} is over the limit",
            retry.count
        )));
    }
    let me = hub.read(|s| phone_ref(s, phone))?;
    let sent = hub.read(|s| {
        s.account(phone).map(|a| {
            a.signal
                .sent
                .iter()
                .rev()
                .find(|p| p.id == retry.id)
                .cloned()
        })
    })?;
    let sent = sent.ok_or_else(|| PhoneError::NotFound(format!("no sent message {}", retry.id)))?;
    let chat: Jid = sent
        .chat
        .parse()
        .map_err(|e| PhoneError::BadRequest(format!("stored chat {}: {e}", sent.chat)))?;
    let mut message = e2e::Message::decode(sent.message.0.as_slice())?;
    let group = chat.is_group();
    if group {
        // The device gets the message alone, pairwise, with the phone's sender key of the group
        // (it could not decrypt the skmsg: it may never have got the key).
        let name = SenderKeyName::new(chat.to_string(), peer_address(phone, 0));
        let distribution = hub.write(|s| {
            let account = s.account_mut(phone)?;
            let store = phone_store(account, phone)?;
            run(signal::group::create_distribution(
                &store, &name, &mut OsRng,
            ))
            .map_err(PhoneError::from)
        })?;
        message.sender_key_distribution_message = Some(e2e::SenderKeyDistributionMessage {
            group_id: Some(chat.to_string()),
            axolotl_sender_key_distribution_message: Some(distribution.serialized().to_vec()),
        });
    }
    let own = from.phone == phone && !group;
    let payload = if group {
        message.encode_to_vec()
    } else if own {
        device_sent(&message, &chat).encode_to_vec()
    } else {
        sent.message.0.clone()
    };
    let target_jid = from.pn_jid();
    let encrypted = hub.write(|s| {
        let address = peer_address(&from.phone, from.device);
        let account = s.account_mut(phone)?;
        match &retry.keys {
            Some(keys) => {
                let bundle = signal::PreKeyBundle {
                    registration_id: retry.registration_id,
                    device_id: u32::from(from.device),
                    identity_key: IdentityKey(keys.identity),
                    signed_pre_key_id: keys.signed.id,
                    signed_pre_key: keys.signed.public,
                    signed_pre_key_signature: keys.signed.signature,
                    pre_key: keys.prekey.as_ref().map(|k| (k.id, k.public)),
                };
                let store = phone_store(account, phone)?;
                run(signal::process_bundle(
                    &store, &address, &bundle, &mut OsRng,
                ))?;
            }
            None => {
                // Start over from a fresh bundle: the peer could not use the old session.
                account.signal.sessions.remove(&address.to_string());
            }
        }
        let target = Target {
            phone: from.phone.clone(),
            device: from.device,
            jid: target_jid.clone(),
            own,
        };
        encrypt_for(s, phone, vec![(target, pad(&payload, &mut OsRng))])
    })?;
    let Some(mut encrypted) = encrypted.into_iter().next() else {
        return Err(PhoneError::NotFound(format!(
            "no session or bundle for {target_jid}"
        )));
    };
    let kind = describe(&message).map_or(MessageType::Text, |c| c.kind.stanza_type());
    encrypted.enc.count = Some(retry.count);
    let mut outgoing = if group {
        // A group message whose one payload is the asking device's (the server routes it there).
        let mut outgoing = OutgoingMessage::new(retry.id.clone(), chat.clone(), kind);
        let pn_mode = hub.read(|s| s.group(&chat.user).is_ok_and(|g| g.pn_addressing));
        outgoing.addressing_mode = Some(if pn_mode {
            AddressingMode::Pn
        } else {
            AddressingMode::Lid
        });
        outgoing.participants = vec![DeviceEnc {
            jid: target_jid,
            enc: encrypted.enc,
        }];
        outgoing
    } else {
        let mut outgoing = OutgoingMessage::new(retry.id.clone(), target_jid, kind);
        if own {
            outgoing.recipient = Some(chat);
        }
        outgoing.direct = vec![encrypted.enc];
        outgoing
    };
    outgoing.t = retry.t;
    let pkmsg = outgoing
        .direct
        .iter()
        .chain(outgoing.participants.iter().map(|p| &p.enc))
        .any(|e| e.kind == EncKind::Pkmsg);
    tracing::debug!(%phone, id = %retry.id, pkmsg, "phone answers a retry");
    hub.dispatch(&me, &outgoing.to_node());
    Ok(())
}
