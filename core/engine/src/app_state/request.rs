//! Asking our phone for sync keys we lack: an `APP_STATE_SYNC_KEY_REQUEST` peer message to our
//! device 0 (docs/PROTOCOL.md, App state, Peer messages). Each key id is asked for once per
//! session run; the phone answers with a key share, which syncs every collection again.

use std::collections::HashSet;
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

/// The key ids asked for already.
#[derive(Debug, Default)]
struct Asked(Mutex<HashSet<Vec<u8>>>);

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

/// Asks our phone for `id` unless it was asked for already.
pub(crate) async fn ask(shared: &SessionContext, id: &[u8]) -> Result<(), Error> {
    let fresh = shared
        .feature::<Asked>()
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(id.to_vec());
    if !fresh {
        return Ok(());
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
