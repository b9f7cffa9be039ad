//! Bringing one collection up to date: fetch from the stored version (a snapshot from 0), check
//! every snapshot and patch against the stored LT-hash and our keys, and store each step. Any
//! mismatch is an error, logged; the collection is then fetched again from version 0, once.

use std::collections::HashMap;
use std::sync::Arc;

use openwa_protocol::appstate::patch::Mac32;
use openwa_protocol::appstate::{
    AppStateError, Collection, CollectionState, LtHash, decode_patch, decode_snapshot,
};
use openwa_protocol::media::MediaType;
use openwa_protocol::proto::syncd::{
    ExternalBlobReference, SyncdMutations, SyncdPatch, SyncdSnapshot,
};
use prost::Message as _;

use super::apply::Known;
use super::{apply, keys, wire};
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::media::download;
use crate::media::http::MediaHttp;

/// Most fetch rounds of one sync (each answers a batch of patches).
const MAX_ROUNDS: usize = 64;

/// Why a sync stopped.
#[derive(Debug)]
pub(crate) enum SyncError {
    /// The data did not verify (a MAC, the LT-hash, a version) or names a key we lack.
    Verify(AppStateError),
    /// Anything else (network, store, a refusal).
    Other(Error),
}

impl From<Error> for SyncError {
    fn from(err: Error) -> Self {
        SyncError::Other(err)
    }
}

impl From<openwa_store::StoreError> for SyncError {
    fn from(err: openwa_store::StoreError) -> Self {
        SyncError::Other(err.into())
    }
}

impl std::fmt::Display for SyncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SyncError::Verify(e) => write!(f, "{e}"),
            SyncError::Other(e) => write!(f, "{e}"),
        }
    }
}

/// The stored state of a collection (version 0 and an empty hash when never synced).
pub(crate) async fn stored_state(
    shared: &SessionContext,
    collection: Collection,
) -> Result<CollectionState, Error> {
    Ok(
        match shared
            .store()
            .get_app_state_version(collection.name())
            .await?
        {
            Some(v) => CollectionState {
                version: v.version,
                hash: LtHash::from_slice(&v.hash).unwrap_or_default(),
            },
            None => CollectionState::default(),
        },
    )
}

/// Syncs `collection`; on a verification failure forgets it and syncs it from version 0 once.
/// A missing key is asked for ([`super::request`]): the key share that brings it syncs again.
pub(crate) async fn sync(
    shared: &Arc<SessionContext>,
    collection: Collection,
) -> Result<(), Error> {
    match sync_once(shared, collection, &mut Known::new()).await {
        Ok(()) => Ok(()),
        Err(SyncError::Verify(AppStateError::MissingKey(id))) => {
            tracing::info!(session = %shared.id, %collection, key = ?id, "app-state key missing; asking our phone");
            if let Err(err) = super::request::ask(shared, &id).await {
                tracing::warn!(session = %shared.id, %err, "app-state key not asked for");
            }
            Err(Error::new(
                ErrorCode::NotFound,
                format!("app-state key {id:02x?} missing"),
            ))
        }
        Err(SyncError::Verify(err)) => {
            tracing::warn!(session = %shared.id, %collection, %err, "app-state data refused; full resync");
            let mut known = stored_macs(shared, collection).await?;
            shared.store().reset_app_state(collection.name()).await?;
            match sync_once(shared, collection, &mut known).await {
                Ok(()) => Ok(()),
                Err(SyncError::Verify(err)) => Err(Error::new(
                    ErrorCode::Protocol,
                    format!("app state {collection} does not verify: {err}"),
                )),
                Err(SyncError::Other(err)) => Err(err),
            }
        }
        Err(SyncError::Other(err)) => Err(err),
    }
}

/// The value MACs of a collection's live records, by index MAC.
async fn stored_macs(shared: &SessionContext, collection: Collection) -> Result<Known, Error> {
    let rows = shared.store().app_state_macs(collection.name()).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(index, value)| {
            Some((
                Mac32::try_from(index.as_slice()).ok()?,
                Mac32::try_from(value.as_slice()).ok()?,
            ))
        })
        .collect())
}

/// Brings `collection` up to date from its stored version; `known`: the value MACs it had
/// before a full resync (a snapshot on top of stored records reads them itself).
async fn sync_once(
    shared: &Arc<SessionContext>,
    collection: Collection,
    known: &mut Known,
) -> Result<(), SyncError> {
    for _ in 0..MAX_ROUNDS {
        let mut state = stored_state(shared, collection).await?;
        let reply = shared.iq(wire::fetch(collection, state.version)).await?;
        let answer = wire::parse(&reply, collection)?.map_err(|refused| {
            Error::new(
                ErrorCode::Protocol,
                format!(
                    "the server refused app state {collection}: {} {}",
                    refused.code, refused.text
                ),
            )
        })?;
        if let Some(reference) = &answer.snapshot {
            let snapshot =
                SyncdSnapshot::decode(download_blob(shared, reference).await?.as_slice())
                    .map_err(|_| AppStateError::Malformed("the snapshot does not decode"))
                    .map_err(SyncError::Verify)?;
            let ids = snapshot
                .records
                .iter()
                .filter_map(|r| r.key_id.as_ref()?.id.clone())
                .chain(snapshot.key_id.as_ref().and_then(|k| k.id.clone()))
                .collect();
            let found = keys::lookup(shared, ids).await?;
            let (next, mutations) =
                decode_snapshot(collection, &snapshot, &|id| found.get(id).cloned())
                    .map_err(SyncError::Verify)?;
            if known.is_empty() {
                *known = stored_macs(shared, collection).await?;
            }
            apply::commit(shared, collection, next, mutations, true, known).await?;
            state = next;
        }
        for mut patch in answer.patches {
            if let Some(reference) = patch.external_mutations.take() {
                let blob = download_blob(shared, &reference).await?;
                let external = SyncdMutations::decode(blob.as_slice()).map_err(|_| {
                    SyncError::Verify(AppStateError::Malformed("external mutations"))
                })?;
                patch.mutations = external.mutations;
            }
            // The server may leave out the version of a patch: it is the one after ours.
            if patch.version.is_none() {
                patch.version = Some(openwa_protocol::proto::syncd::SyncdVersion {
                    version: Some(state.version + 1),
                });
            }
            let (next, mutations) = decode(shared, collection, &state, &patch).await?;
            apply::commit(shared, collection, next, mutations, false, known).await?;
            state = next;
        }
        if !answer.has_more {
            return Ok(());
        }
    }
    Err(SyncError::Other(Error::new(
        ErrorCode::Protocol,
        format!("app state {collection}: too many rounds of patches"),
    )))
}

/// Verifies one patch on top of `state`, with the stored value MACs and keys.
pub(crate) async fn decode(
    shared: &SessionContext,
    collection: Collection,
    state: &CollectionState,
    patch: &SyncdPatch,
) -> Result<(CollectionState, Vec<openwa_protocol::appstate::Mutation>), SyncError> {
    let ids = patch
        .mutations
        .iter()
        .filter_map(|m| m.record.as_ref()?.key_id.as_ref()?.id.clone())
        .chain(patch.key_id.as_ref().and_then(|k| k.id.clone()))
        .collect();
    let found = keys::lookup(shared, ids).await?;
    let mut previous: HashMap<Mac32, Mac32> = HashMap::new();
    let indexes: Vec<Vec<u8>> = patch
        .mutations
        .iter()
        .filter_map(|m| m.record.as_ref()?.index.as_ref()?.blob.clone())
        .collect();
    for index in indexes {
        let stored = shared
            .store()
            .get_app_state_mac(collection.name(), &index)
            .await?;
        if let (Ok(index), Some(Ok(mac))) = (
            <Mac32>::try_from(index.as_slice()),
            stored.map(|s| <Mac32>::try_from(s.as_slice())),
        ) {
            previous.insert(index, mac);
        }
    }
    decode_patch(
        collection,
        state,
        patch,
        &|id| found.get(id).cloned(),
        &mut |i| previous.get(i).copied(),
    )
    .map_err(SyncError::Verify)
}

/// Downloads and decrypts an `md-app-state` blob.
async fn download_blob(
    shared: &SessionContext,
    reference: &ExternalBlobReference,
) -> Result<Vec<u8>, Error> {
    let media = download::media_ref(
        MediaType::AppState,
        reference.media_key.as_deref(),
        reference.file_sha256.as_deref(),
        reference.file_enc_sha256.as_deref(),
        reference.file_size_bytes,
        &None,
        &reference.direct_path,
    )?;
    let http = MediaHttp::new(&shared.options)?;
    let mut blob = Vec::new();
    download::download(
        shared,
        &http,
        &media,
        shared.options.max_media_bytes,
        &mut blob,
    )
    .await?;
    Ok(blob)
}
