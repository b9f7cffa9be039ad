//! What a phone sends a companion it just linked, as WhatsApp phones do: its app-state sync key
//! (`APP_STATE_SYNC_KEY_SHARE`) and a history-sync notification, as peer messages. Clients that
//! wait for the key before surfacing events (Baileys 6) start working with it; the notification
//! names no blob (the simulator keeps no history), so clients that sync history get nothing.

use openwa_protocol::Jid;
use openwa_protocol::message::{generate_message_id, pad};
use openwa_protocol::proto::e2e;
use openwa_protocol::stanza::{DeviceEnc, MessageType, OutgoingMessage};
use prost::Message as _;
use rand_core::{OsRng, RngCore};

use super::records::{AppStateKey, HexBytes};
use super::send::{Target, encrypt_for};
use super::{PhoneError, phone_ref, pn_device};
use crate::hub::Hub;
use crate::util::now_secs;

/// Sends the app-state key share and a history-sync notification from the phone of `phone` to
/// its companion `device` (queued until the companion is online).
pub fn welcome(hub: &Hub, phone: &str, device: u16) -> Result<(), PhoneError> {
    let key = hub.write(|s| {
        let account = s.account_mut(phone)?;
        let key = account.signal.app_state_key.get_or_insert_with(|| {
            let mut key_id = vec![0u8; 6];
            let mut key_data = vec![0u8; 32];
            OsRng.fill_bytes(&mut key_id);
            OsRng.fill_bytes(&mut key_data);
            AppStateKey {
                key_id: HexBytes(key_id),
                key_data: HexBytes(key_data),
                timestamp: i64::try_from(now_secs().saturating_mul(1000)).unwrap_or(i64::MAX),
            }
        });
        Ok::<_, PhoneError>(key.clone())
    })?;
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
    let history = e2e::ProtocolMessage {
        r#type: Some(e2e::protocol_message::Type::HistorySyncNotification as i32),
        history_sync_notification: Some(e2e::HistorySyncNotification {
            // PUSH_NAME: the smallest kind of history.
            sync_type: Some(4),
            chunk_order: Some(1),
            progress: Some(100),
            ..Default::default()
        }),
        ..Default::default()
    };
    for protocol in [share, history] {
        let message = e2e::Message {
            protocol_message: Some(Box::new(protocol)),
            ..Default::default()
        };
        send_peer(hub, phone, device, &message)?;
    }
    Ok(())
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
