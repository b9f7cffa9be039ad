//! Asking our phone for sync keys we lack: an `APP_STATE_SYNC_KEY_REQUEST` peer message to our
//! device 0 (docs/PROTOCOL.md, App state, Peer messages). Each key id is asked for at most
//! [`MAX_ASKS`] times per session run, each time only once the previous ask is [`BACKOFF_MS`]
//! (doubling) old; the phone answers with a key share, which syncs every collection again.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use openwa_protocol::Jid;
use openwa_protocol::jid::DEFAULT_USER_SERVER;
use openwa_protocol::message::{generate_message_id, pad};
use openwa_protocol::proto::e2e;
use openwa_protocol::stanza::{MessageType, OutgoingMessage};
use prost::Message as _;

use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::messaging::devices::Target;
use crate::messaging::encrypt::{encrypt_all, fetch_bundles, without_session};
use crate::messaging::own::Own;

/// Most asks for one key id per session run.
pub(crate) const MAX_ASKS: u32 = 4;

/// How long after the first ask a key id may be asked for again, in milliseconds (doubling
/// after each further ask).
pub(crate) const BACKOFF_MS: u64 = 10_000;

/// The key ids asked for already: how many times, and when last (ms).
#[derive(Debug, Default)]
struct Asked(Mutex<HashMap<Vec<u8>, (u32, u64)>>);

/// Whether a key asked for `asks` times, last at `last` (ms), may be asked for again at `now`.
fn due(asks: u32, last: u64, now: u64) -> bool {
    if asks == 0 {
        return true;
    }
    let wait = BACKOFF_MS.saturating_mul(1 << (asks - 1).min(16));
    asks < MAX_ASKS && now.saturating_sub(last) >= wait
}

/// The protocol message asking for `ids`.
fn request_message(ids: &[Vec<u8>]) -> e2e::Message {
    e2e::Message {
        protocol_message: Some(Box::new(e2e::ProtocolMessage {
            r#type: Some(e2e::protocol_message::Type::AppStateSyncKeyRequest as i32),
            app_state_sync_key_request: Some(e2e::AppStateSyncKeyRequest {
                key_ids: ids
                    .iter()
                    .map(|id| e2e::AppStateSyncKeyId {
                        key_id: Some(id.clone()),
                    })
                    .collect(),
            }),
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// Asks our phone for `id` unless it was asked for too recently or too often ([`due`]).
pub(crate) async fn ask(shared: &SessionContext, id: &[u8]) -> Result<(), Error> {
    let now = crate::bus::now_ms();
    {
        let state = shared.feature::<Asked>();
        let mut asked = state.0.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = asked.entry(id.to_vec()).or_insert((0, 0));
        if !due(entry.0, entry.1, now) {
            return Ok(());
        }
        *entry = (entry.0 + 1, now);
    }
    let own = Own::of(shared)?;
    let phone = Jid::with_device(own.device.user.as_str(), DEFAULT_USER_SERVER, 0);
    let targets = [Target {
        jid: phone.clone(),
        own: true,
    }];
    let signal = shared.signal_store();
    let missing = without_session(&signal, &targets).await?;
    let bundles = fetch_bundles(shared, &missing).await?;
    let plaintext = pad(
        &request_message(&[id.to_vec()]).encode_to_vec(),
        &mut rand::rngs::OsRng,
    );
    let batch = signal.begin().await;
    let encrypted = encrypt_all(&batch, &targets, &bundles, &plaintext, &plaintext).await;
    if encrypted.participants.is_empty() {
        return Err(Error::new(
            ErrorCode::Crypto,
            "our phone could not be encrypted for",
        ));
    }
    batch.commit().await?;
    let message_id = generate_message_id(
        crate::messaging::now_secs(),
        Some(own.device.user.as_str()),
        &mut rand::rngs::OsRng,
    );
    let mut stanza = OutgoingMessage::new(message_id, phone.to_non_ad(), MessageType::Text);
    stanza.category = Some("peer".to_owned());
    stanza.device_identity = encrypted.any_pkmsg.then(|| own.account.clone());
    stanza.participants = encrypted.participants;
    stanza
        .extra
        .push(openwa_protocol::Node::new("meta").attr("appdata", "default"));
    shared.send_node(stanza.to_node()).await?;
    tracing::info!(session = %shared.id, key = ?id, "asked our phone for an app-state key");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_asked_for_again_later_and_not_for_ever() {
        assert!(due(0, 0, 0));
        assert!(!due(1, 1_000, 1_000 + BACKOFF_MS - 1));
        assert!(due(1, 1_000, 1_000 + BACKOFF_MS));
        assert!(!due(2, 0, BACKOFF_MS));
        assert!(due(2, 0, 2 * BACKOFF_MS));
        assert!(due(3, 0, 4 * BACKOFF_MS));
        assert!(!due(MAX_ASKS, 0, u64::MAX));
    }

    #[test]
    fn the_request_names_every_key() {
        let message = request_message(&[vec![1, 2], vec![3]]);
        let protocol = message.protocol_message.unwrap();
        assert_eq!(protocol.r#type, Some(7));
        let ids: Vec<_> = protocol
            .app_state_sync_key_request
            .unwrap()
            .key_ids
            .into_iter()
            .map(|k| k.key_id.unwrap())
            .collect();
        assert_eq!(ids, [vec![1, 2], vec![3]]);
    }
}
