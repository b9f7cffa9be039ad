//! What a phone sends a companion it just linked, as WhatsApp phones do: its app-state sync key
//! (`APP_STATE_SYNC_KEY_SHARE`) and its history (history-sync notifications), as peer messages.
//! Clients that wait for the key before surfacing events (Baileys 6) start working with it.

use openwa_protocol::Jid;
use openwa_protocol::message::{generate_message_id, pad};
use openwa_protocol::proto::e2e;
use openwa_protocol::stanza::{DeviceEnc, MessageType, OutgoingMessage};
use prost::Message as _;
use rand_core::{OsRng, RngCore};

use super::history_sync::{self, has_history};
use super::send::{Target, encrypt_for};
use super::{PhoneError, phone_ref, pn_device};
use crate::hub::Hub;
use crate::util::now_secs;

/// Welcomes the companion `device` of the phone of `phone` (queued until it is online): its
/// app-state key share when `share_key`, then history sync ([`super::history_sync`]) when
/// `share_key` or the phone has a history to sync.
pub fn welcome(hub: &Hub, phone: &str, device: u16, share_key: bool) -> Result<(), PhoneError> {
    if share_key {
        share_app_state_key(hub, phone, device)?;
    }
    if share_key || hub.read(|s| has_history(s, phone)) {
        let chunks = hub.read(|s| history_sync::chunks(s, phone))?;
        for chunk in &chunks {
            let notification = history_sync::upload(hub, chunk)?;
            let protocol = e2e::ProtocolMessage {
                r#type: Some(e2e::protocol_message::Type::HistorySyncNotification as i32),
                history_sync_notification: Some(notification),
                ..Default::default()
            };
            send_protocol(hub, phone, device, protocol)?;
        }
    }
    Ok(())
}

/// Sends the phone's app-state sync key (made on first use) to a companion: when it links,
/// and again when it asks for it (`APP_STATE_SYNC_KEY_REQUEST`).
pub fn share_app_state_key(hub: &Hub, phone: &str, device: u16) -> Result<(), PhoneError> {
    let key =
        hub.write(|s| Ok::<_, PhoneError>(super::app_state::ensure_key(s.account_mut(phone)?)))?;
    let share = e2e::ProtocolMessage {
        r#type: Some(e2e::protocol_message::Type::AppStateSyncKeyShare as i32),
        app_state_sync_key_share: Some(e2e::AppStateSyncKeyShare {
            keys: vec![e2e::AppStateSyncKey {
                key_id: Some(e2e::AppStateSyncKeyId {
                    key_id: Some(key.key_id.0.clone()),
                }),
                key_data: Some(e2e::AppStateSyncKeyData {
                    key_data: Some(key.key_data.0.clone()),
                    fingerprint: Some(e2e::AppStateSyncKeyFingerprint {
                        raw_id: Some(OsRng.next_u32()),
                        current_index: Some(0),
                        device_indexes: vec![0],
                    }),
                    timestamp: Some(key.timestamp),
                }),
            }],
        }),
        ..Default::default()
    };
    send_protocol(hub, phone, device, share)
}

/// A protocol message from the phone to one of its companions.
fn send_protocol(
    hub: &Hub,
    phone: &str,
    device: u16,
    protocol: e2e::ProtocolMessage,
) -> Result<(), PhoneError> {
    let message = e2e::Message {
        protocol_message: Some(Box::new(protocol)),
        ..Default::default()
    };
    send_peer(hub, phone, device, &message)
}

/// A peer message from the phone to one of its companions.
fn send_peer(
    hub: &Hub,
    phone: &str,
    device: u16,
    message: &e2e::Message,
) -> Result<(), PhoneError> {
    let me = hub.read(|s| phone_ref(s, phone))?;
    let jid = pn_device(phone, device);
    let padded = pad(&message.encode_to_vec(), &mut OsRng);
    let target = Target {
        phone: phone.to_owned(),
        device,
        jid: jid.clone(),
        own: true,
    };
    let encrypted = hub.write(|s| encrypt_for(s, phone, vec![(target, padded)]))?;
    let id = generate_message_id(now_secs(), Some(phone), &mut OsRng);
    let mut outgoing = OutgoingMessage::new(id, jid, MessageType::Text);
    outgoing.category = Some("peer".to_owned());
    outgoing.participants = encrypted
        .into_iter()
        .map(|e| DeviceEnc {
            jid: e.jid,
            enc: e.enc,
        })
        .collect();
    if outgoing.participants.is_empty() {
        return Err(PhoneError::NotFound(format!(
            "no session or bundle for {}",
            Jid::with_device(phone, openwa_protocol::jid::DEFAULT_USER_SERVER, device)
        )));
    }
    hub.dispatch(&me, &outgoing.to_node());
    Ok(())
}
