//! Sync keys: accepted only from our own phone (device 0 of our account), stored in the commit
//! of the Signal state the peer message used, then every collection is synced again (a
//! collection that waited for the key resumes).

use std::sync::Arc;

use openwa_protocol::Node;
use openwa_protocol::appstate::MutationKeys;
use openwa_protocol::proto::e2e;
use openwa_protocol::stanza::IncomingMessage;
use openwa_store::AppStateKeyRecord;

use crate::connection::router::Replies;
use crate::context::SessionContext;
use crate::error::Error;
use crate::signal_store::SignalBatch;

/// The key share `message` carries, if it is one.
pub(crate) fn share_of(message: &e2e::Message) -> Option<&e2e::AppStateSyncKeyShare> {
    let protocol = message.protocol_message.as_ref()?;
    let kind = e2e::protocol_message::Type::AppStateSyncKeyShare as i32;
    if protocol.r#type != Some(kind) {
        return None;
    }
    protocol.app_state_sync_key_share.as_ref()
}

/// The usable keys of a share (an id and data each).
fn records(share: &e2e::AppStateSyncKeyShare) -> Vec<AppStateKeyRecord> {
    share
        .keys
        .iter()
        .filter_map(|key| {
            let key_id = key.key_id.as_ref()?.key_id.clone()?;
            let data = key.key_data.as_ref()?;
            Some(AppStateKeyRecord {
                key_id,
                key_data: data.key_data.clone()?,
                timestamp: data.timestamp.unwrap_or(0),
            })
        })
        .filter(|k| !k.key_id.is_empty() && !k.key_data.is_empty())
        .collect()
}

/// Stores the shared keys with the Signal state of `batch`; answers `receipt` once durable
/// (nothing when the commit failed: the phone sends it again), then syncs.
pub(crate) fn accept(
    shared: &Arc<SessionContext>,
    batch: SignalBatch,
    message: &IncomingMessage,
    share: &e2e::AppStateSyncKeyShare,
    receipt: Node,
) -> Replies {
    let keys = Arc::new(records(share));
    let stored = batch.commit_with(None, move |mut tx| {
        let keys = Arc::clone(&keys);
        Box::pin(async move {
            for key in keys.iter() {
                tx.put_app_state_key(key).await?;
            }
            Ok(((), None))
        })
    });
    let (shared, id) = (Arc::clone(shared), message.id.clone());
    Box::pin(async move {
        match stored.await {
            Ok(()) => {
                super::kick_all(&shared);
                vec![receipt]
            }
            Err(err) => {
                tracing::warn!(session = %shared.id, %err, %id, "app-state keys not persisted; not acked");
                Vec::new()
            }
        }
    })
}

/// The derived keys of every id in `ids` the store has (ids it lacks are left out: decoding
/// then names the first missing one).
pub(crate) async fn lookup(
    shared: &SessionContext,
    ids: Vec<Vec<u8>>,
) -> Result<std::collections::HashMap<Vec<u8>, MutationKeys>, Error> {
    let mut found = std::collections::HashMap::new();
    for id in ids {
        if found.contains_key(&id) {
            continue;
        }
        if let Some(key) = shared.store().get_app_state_key(&id).await? {
            found.insert(id, MutationKeys::expand(&key.key_data));
        }
    }
    Ok(found)
}
