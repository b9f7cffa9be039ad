//! The `w:sync:app:state` IQ: a companion fetches collections from a version (a snapshot as an
//! external blob when it asks from version 0 or for one, else the patches after its version)
//! and sends its own patches, which are checked, stored as the next version and announced to
//! the account's other devices.

use openwa_protocol::Node;
use openwa_protocol::appstate::{Collection, encode_snapshot};
use openwa_protocol::media::{self, MediaType};
use openwa_protocol::proto::syncd::{ExternalBlobReference, SyncdPatch};
use prost::Message as _;
use rand_core::{OsRng, RngCore};
use std::sync::atomic::Ordering;

use super::store::{AppStateFault, StoredCollection};
use super::{all_keys, lookup, notify};
use crate::device::DeviceRef;
use crate::hub::Hub;

/// The `<sync>` answer to `<iq xmlns="w:sync:app:state" type="set"><sync>…`.
pub fn sync(hub: &Hub, me: &DeviceRef, sync: &Node) -> Node {
    let collections = sync
        .children_by_tag("collection")
        .map(|c| collection(hub, me, c))
        .collect();
    Node::new("sync").children(collections)
}

fn error(name: &str, code: u16, text: &str) -> Node {
    Node::new("collection")
        .attr("name", name)
        .attr("type", "error")
        .child(
            Node::new("error")
                .attr("code", code.to_string())
                .attr("text", text),
        )
}

fn collection(hub: &Hub, me: &DeviceRef, request: &Node) -> Node {
    let name = request.attr_str("name").unwrap_or_default();
    let Some(collection) = Collection::from_name(&name) else {
        return error(&name, 400, "bad-request");
    };
    let version = request.attr_u64("version").unwrap_or(0);
    let patches: Vec<&Node> = request.children_by_tag("patch").collect();
    if !patches.is_empty() {
        return write(hub, me, collection, version, &patches);
    }
    let snapshot = version == 0 || request.attr_str("return_snapshot").as_deref() == Some("true");
    fetch(hub, me, collection, version, snapshot)
}

/// Applies a companion's patches made on top of `version`.
fn write(
    hub: &Hub,
    me: &DeviceRef,
    collection: Collection,
    version: u64,
    patches: &[&Node],
) -> Node {
    let name = collection.name();
    let result = hub.write(|s| {
        let account = s.account_mut(&me.phone).map_err(|_| (404, "item-not-found"))?;
        let keys = all_keys(account);
        let stored = account
            .app_state
            .collections
            .entry(name.to_owned())
            .or_default();
        if stored.version != version {
            return Err((409, "conflict"));
        }
        let mut next = stored.clone();
        for patch in patches {
            let patch = SyncdPatch::decode(patch.content_bytes().unwrap_or_default())
                .map_err(|_| (400, "bad-request"))?;
            next.apply(collection, patch, &keys).map_err(|e| {
                tracing::warn!(phone = %me.phone, device = me.device, %collection, error = %e, "app-state patch refused");
                (400, "bad-request")
            })?;
        }
        *stored = next;
        Ok(stored.version)
    });
    match result {
        Ok(new_version) => {
            notify(hub, &me.phone, collection, new_version, Some(me.device));
            Node::new("collection")
                .attr("name", name)
                .attr("version", new_version.to_string())
        }
        Err((code, text)) => error(name, code, text),
    }
}

/// Answers a fetch from `version`.
fn fetch(hub: &Hub, me: &DeviceRef, collection: Collection, version: u64, snapshot: bool) -> Node {
    let name = collection.name();
    let found = hub.write(|s| {
        let account = s.account_mut(&me.phone).ok()?;
        let key = account.signal.app_state_key.clone();
        let fault = account.app_state.fault;
        let stored = account
            .app_state
            .collections
            .get(name)
            .cloned()
            .unwrap_or_default();
        let served = (!snapshot && stored.patches.len() as u64 > version).then_some(fault);
        if served.flatten().is_some() {
            account.app_state.fault = None;
        }
        Some((key, stored, served.flatten()))
    });
    let Some((key, stored, fault)) = found else {
        return error(name, 404, "item-not-found");
    };
    let mut node = Node::new("collection").attr("name", name);
    if snapshot {
        node = node
            .attr("version", stored.version.to_string())
            .attr("has_more_patches", "false");
        if let (Some(key), true) = (key, stored.version > 0) {
            match snapshot_blob(hub, collection, &stored, &key) {
                Some(reference) => node = node.child(Node::new("snapshot").bytes(reference)),
                None => return error(name, 500, "internal-server-error"),
            }
        }
        return node;
    }
    // A page of patches at a time, as WhatsApp's server answers; the companion asks again.
    let page = hub.app_state_page.load(Ordering::Relaxed).max(1);
    let skip = usize::try_from(version).unwrap_or(usize::MAX);
    let left = stored.patches.len().saturating_sub(skip);
    let served = left.min(page);
    // The version the answer brings the companion to.
    let reached = match served {
        0 => stored.version,
        n => version + n as u64,
    };
    node = node.attr("version", reached.to_string()).attr(
        "has_more_patches",
        if left > page { "true" } else { "false" },
    );
    let patches: Vec<Node> = stored
        .patches
        .iter()
        .skip(skip)
        .take(page)
        .enumerate()
        .map(|(i, bytes)| {
            let bytes = match (i, fault, &key) {
                (0, Some(fault), Some(key)) => corrupt(&bytes.0, fault, collection, key),
                _ => bytes.0.clone(),
            };
            Node::new("patch").bytes(bytes)
        })
        .collect();
    if !patches.is_empty() {
        node = node.child(Node::new("patches").children(patches));
    }
    node
}

/// The collection's snapshot, uploaded as an `md-app-state` blob; answers its reference.
fn snapshot_blob(
    hub: &Hub,
    collection: Collection,
    stored: &StoredCollection,
    key: &super::super::records::AppStateKey,
) -> Option<Vec<u8>> {
    let keys = lookup(key, &key.key_id.0)?;
    let (snapshot, _) = encode_snapshot(
        collection,
        stored.version,
        &key.key_id.0,
        &keys,
        stored.records(),
    )
    .ok()?;
    let mut media_key = [0u8; 32];
    OsRng.fill_bytes(&mut media_key);
    let encrypted = media::encrypt(&media_key, MediaType::AppState, &snapshot.encode_to_vec());
    let (_, direct_path) =
        crate::media_host::store_blob(hub, &encrypted.info.file_enc_sha256, encrypted.blob.into())?;
    Some(
        ExternalBlobReference {
            media_key: Some(media_key.to_vec()),
            direct_path: Some(direct_path),
            handle: None,
            file_size_bytes: Some(encrypted.info.file_length),
            file_sha256: Some(encrypted.info.file_sha256.to_vec()),
            file_enc_sha256: Some(encrypted.info.file_enc_sha256.to_vec()),
        }
        .encode_to_vec(),
    )
}

/// A stored patch with the test fault applied.
fn corrupt(
    bytes: &[u8],
    fault: AppStateFault,
    collection: Collection,
    key: &super::super::records::AppStateKey,
) -> Vec<u8> {
    let Ok(mut patch) = SyncdPatch::decode(bytes) else {
        return bytes.to_vec();
    };
    match fault {
        AppStateFault::BadMac => {
            if let Some(blob) = patch
                .mutations
                .first_mut()
                .and_then(|m| m.record.as_mut())
                .and_then(|r| r.value.as_mut())
                .and_then(|v| v.blob.as_mut())
                .and_then(|b| b.get_mut(16))
            {
                *blob ^= 1;
            }
        }
        AppStateFault::BadLtHash => {
            let Some(keys) = lookup(key, &key.key_id.0) else {
                return bytes.to_vec();
            };
            let version = patch.version.as_ref().and_then(|v| v.version).unwrap_or(0);
            let mut wrong = openwa_protocol::appstate::LtHash::default();
            wrong.add(b"not the collection's state");
            let snap = openwa_protocol::appstate::mac::snapshot_mac(
                &keys.snapshot_mac,
                &wrong,
                version,
                collection,
            );
            let macs: Vec<Vec<u8>> = patch
                .mutations
                .iter()
                .filter_map(|m| {
                    let blob = m.record.as_ref()?.value.as_ref()?.blob.as_ref()?;
                    Some(blob.get(blob.len().checked_sub(32)?..)?.to_vec())
                })
                .collect();
            let mac = openwa_protocol::appstate::mac::patch_mac(
                &keys.patch_mac,
                &snap,
                macs.iter().map(Vec::as_slice),
                version,
                collection,
            );
            patch.snapshot_mac = Some(snap.to_vec());
            patch.patch_mac = Some(mac.to_vec());
        }
    }
    patch.encode_to_vec()
}
