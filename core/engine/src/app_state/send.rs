//! Our own changes: each becomes a patch at the collection's next version under our newest
//! key, sent with the `w:sync:app:state` IQ; only once the server accepted it is it stored
//! (with its events), like a change from another device. A version conflict (another device
//! wrote first) syncs the collection and tries once more.

use std::collections::HashMap;
use std::sync::Arc;

use openwa_protocol::appstate::patch::Mac32;
use openwa_protocol::appstate::{Collection, MutationInput, MutationKeys, encode_patch};
use rand_core::OsRng;

use super::{Worker, apply, sync, wire};
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};

/// Writes `inputs` (all of one collection) as one patch.
pub(crate) async fn write(
    shared: &Arc<SessionContext>,
    collection: Collection,
    inputs: Vec<MutationInput>,
) -> Result<(), Error> {
    let worker = shared.feature::<Worker>();
    let _held = worker.lock.lock().await;
    let key = shared
        .store()
        .latest_app_state_key()
        .await?
        .ok_or_else(|| {
            Error::new(
                ErrorCode::NotFound,
                "no app-state key from our phone yet: app state cannot be written",
            )
        })?;
    let keys = MutationKeys::expand(&key.key_data);
    // Bring the collection up to date first: the patch must follow the server's version.
    sync::sync(shared, collection).await?;
    for attempt in 0..2 {
        let state = sync::stored_state(shared, collection).await?;
        let mut previous: HashMap<Mac32, Mac32> = HashMap::new();
        let indexes: Vec<Mac32> = inputs
            .iter()
            .map(|i| openwa_protocol::appstate::mac::index_mac(&keys.index, &i.index.to_json()))
            .collect();
        for index in indexes {
            if let Some(mac) = shared
                .store()
                .get_app_state_mac(collection.name(), &index)
                .await?
                .and_then(|m| Mac32::try_from(m.as_slice()).ok())
            {
                previous.insert(index, mac);
            }
        }
        let (mut patch, next, mutations) = encode_patch(
            collection,
            &state,
            &key.key_id,
            &keys,
            &inputs,
            &mut |i| previous.get(i).copied(),
            &mut OsRng,
        );
        patch.version = None;
        let reply = shared
            .iq(wire::write(collection, state.version, &patch))
            .await?;
        match wire::parse(&reply, collection)? {
            Ok(_) => {
                let mut known = apply::Known::new();
                return apply::commit(shared, collection, next, mutations, false, &mut known).await;
            }
            Err(refused) if refused.code == 409 && attempt == 0 => {
                tracing::info!(session = %shared.id, %collection, "app-state write conflicted; syncing and retrying");
                sync::sync(shared, collection).await?;
            }
            Err(refused) => {
                return Err(Error::new(
                    ErrorCode::ServerError,
                    format!(
                        "the server refused the {collection} change: {} {}",
                        refused.code, refused.text
                    ),
                ));
            }
        }
    }
    Err(Error::new(
        ErrorCode::ServerError,
        format!("the {collection} change conflicted twice"),
    ))
}
