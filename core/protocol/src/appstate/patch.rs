//! Snapshots and patches: decoding with every check, and encoding new ones.
//!
//! A snapshot is the whole collection at a version: its records' value MACs summed into the
//! LT-hash, and a snapshot MAC over (LT-hash, version, name). A patch moves a collection from
//! one version to the next: each SET adds its value MAC (after removing the MAC the same index
//! had, if any), each REMOVE removes the old one; the patch carries the snapshot MAC of the
//! resulting state and a patch MAC over that and its value MACs.

use std::collections::HashMap;

use rand_core::CryptoRngCore;

use super::index::{Index, decode_json};
use super::keys::MutationKeys;
use super::lthash::LtHash;
use super::mac::{MAC_LEN, index_mac, patch_mac, same, snapshot_mac};
use super::value::{blob_mac, open, seal};
use super::{AppStateError, Collection};
use crate::proto::syncd::{
    KeyId, SyncActionData, SyncActionValue, SyncdIndex, SyncdMutation, SyncdPatch, SyncdRecord,
    SyncdSnapshot, SyncdValue, SyncdVersion, syncd_mutation::SyncdOperation,
};

/// A 32-byte MAC.
pub type Mac32 = [u8; MAC_LEN];

/// What a mutation does to its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Sets (or replaces) the index's value.
    Set,
    /// Removes the index.
    Remove,
}

impl Operation {
    fn wire(self) -> SyncdOperation {
        match self {
            Operation::Set => SyncdOperation::Set,
            Operation::Remove => SyncdOperation::Remove,
        }
    }

    fn byte(self) -> u8 {
        self.wire() as u8
    }
}

/// Where a collection is: its version and LT-hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CollectionState {
    /// Version of the last snapshot or patch applied (0: nothing yet).
    pub version: u64,
    /// LT-hash of every live value MAC.
    pub hash: LtHash,
}

/// One decoded and verified mutation.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutation {
    /// SET or REMOVE.
    pub operation: Operation,
    /// The index it is about.
    pub index: Index,
    /// The index MAC (the record's identity on the server).
    pub index_mac: Mac32,
    /// The value MAC (what the LT-hash holds for this index after a SET).
    pub value_mac: Mac32,
    /// The id of the sync key of the record.
    pub key_id: Vec<u8>,
    /// The action value.
    pub value: SyncActionValue,
    /// The action version of the value.
    pub action_version: i32,
}

/// A mutation to encode.
#[derive(Debug, Clone, PartialEq)]
pub struct MutationInput {
    /// SET or REMOVE.
    pub operation: Operation,
    /// The index.
    pub index: Index,
    /// The value (its `timestamp` is the caller's).
    pub value: SyncActionValue,
}

/// Finds a sync key's derived keys by key id.
pub type KeyLookup<'a> = &'a dyn Fn(&[u8]) -> Option<MutationKeys>;

/// The value MAC an index has before a patch (`None`: the index is not set).
pub type PreviousMac<'a> = &'a mut dyn FnMut(&Mac32) -> Option<Mac32>;

fn key_id(id: &Option<KeyId>) -> Result<&[u8], AppStateError> {
    id.as_ref()
        .and_then(|k| k.id.as_deref())
        .ok_or(AppStateError::Malformed("no key id"))
}

fn keys_for(keys: KeyLookup<'_>, id: &[u8]) -> Result<MutationKeys, AppStateError> {
    keys(id).ok_or_else(|| AppStateError::MissingKey(id.to_vec()))
}

/// Opens one record: value MAC, decryption, then the index MAC against the index inside.
pub fn open_record(
    record: &SyncdRecord,
    operation: Operation,
    keys: KeyLookup<'_>,
) -> Result<Mutation, AppStateError> {
    let id = key_id(&record.key_id)?;
    let record_keys = keys_for(keys, id)?;
    let blob = record
        .value
        .as_ref()
        .and_then(|v| v.blob.as_deref())
        .ok_or(AppStateError::Malformed("record without a value"))?;
    let received_index = record
        .index
        .as_ref()
        .and_then(|i| i.blob.as_deref())
        .ok_or(AppStateError::Malformed("record without an index"))?;
    let (data, value_mac) = open(&record_keys, id, operation.byte(), blob)?;
    let index_json = data
        .index
        .ok_or(AppStateError::Malformed("value without an index"))?;
    let computed = index_mac(&record_keys.index, &index_json);
    if !same(&computed, received_index) {
        return Err(AppStateError::BadIndexMac);
    }
    Ok(Mutation {
        operation,
        index: Index::from_parts(decode_json(&index_json)?),
        index_mac: computed,
        value_mac,
        key_id: id.to_vec(),
        value: data.value.unwrap_or_default(),
        action_version: data.version.unwrap_or_default(),
    })
}

/// Applies mutations to an LT-hash: each removes the MAC its index had (earlier mutations of the
/// same batch first, then `previous`), and a SET adds its own.
pub fn update_hash(hash: &mut LtHash, mutations: &[Mutation], previous: PreviousMac<'_>) {
    let mut overlay: HashMap<Mac32, Option<Mac32>> = HashMap::new();
    for m in mutations {
        let before = match overlay.get(&m.index_mac) {
            Some(mac) => *mac,
            None => previous(&m.index_mac),
        };
        if let Some(old) = before {
            hash.subtract(&old);
        }
        let after = match m.operation {
            Operation::Set => {
                hash.add(&m.value_mac);
                Some(m.value_mac)
            }
            Operation::Remove => None,
        };
        overlay.insert(m.index_mac, after);
    }
}

/// Decodes and verifies a snapshot: every record, then the snapshot MAC over the LT-hash of
/// their value MACs. Answers the collection's state and its records as SET mutations.
pub fn decode_snapshot(
    collection: Collection,
    snapshot: &SyncdSnapshot,
    keys: KeyLookup<'_>,
) -> Result<(CollectionState, Vec<Mutation>), AppStateError> {
    let version = snapshot
        .version
        .as_ref()
        .and_then(|v| v.version)
        .ok_or(AppStateError::Malformed("snapshot without a version"))?;
    let snapshot_keys = keys_for(keys, key_id(&snapshot.key_id)?)?;
    let mutations = snapshot
        .records
        .iter()
        .map(|r| open_record(r, Operation::Set, keys))
        .collect::<Result<Vec<_>, _>>()?;
    let mut state = CollectionState {
        version,
        hash: LtHash::default(),
    };
    update_hash(&mut state.hash, &mutations, &mut |_| None);
    let expected = snapshot_mac(
        &snapshot_keys.snapshot_mac,
        &state.hash,
        version,
        collection,
    );
    if !same(&expected, snapshot.mac.as_deref().unwrap_or_default()) {
        return Err(AppStateError::BadSnapshotMac(collection));
    }
    Ok((state, mutations))
}

/// Decodes and verifies a patch on top of `state`: its mutations (inline ones; put downloaded
/// external mutations into `patch.mutations` first), then the snapshot MAC of the resulting
/// state, then the patch MAC. Answers the new state and the mutations in order.
pub fn decode_patch(
    collection: Collection,
    state: &CollectionState,
    patch: &SyncdPatch,
    keys: KeyLookup<'_>,
    previous: PreviousMac<'_>,
) -> Result<(CollectionState, Vec<Mutation>), AppStateError> {
    let version = patch
        .version
        .as_ref()
        .and_then(|v| v.version)
        .ok_or(AppStateError::Malformed("patch without a version"))?;
    if version <= state.version {
        return Err(AppStateError::BadVersion {
            collection,
            current: state.version,
            got: version,
        });
    }
    let patch_keys = keys_for(keys, key_id(&patch.key_id)?)?;
    let mutations = patch
        .mutations
        .iter()
        .map(|m| {
            let operation = match SyncdOperation::try_from(m.operation.unwrap_or_default()) {
                Ok(SyncdOperation::Set) => Operation::Set,
                Ok(SyncdOperation::Remove) => Operation::Remove,
                Err(_) => return Err(AppStateError::Malformed("unknown mutation operation")),
            };
            let record = m
                .record
                .as_ref()
                .ok_or(AppStateError::Malformed("mutation without a record"))?;
            open_record(record, operation, keys)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut next = CollectionState {
        version,
        hash: state.hash,
    };
    update_hash(&mut next.hash, &mutations, previous);
    let snap = snapshot_mac(&patch_keys.snapshot_mac, &next.hash, version, collection);
    if !same(&snap, patch.snapshot_mac.as_deref().unwrap_or_default()) {
        return Err(AppStateError::BadSnapshotMac(collection));
    }
    let expected = patch_mac(
        &patch_keys.patch_mac,
        &snap,
        mutations.iter().map(|m| &m.value_mac[..]),
        version,
        collection,
    );
    if !same(&expected, patch.patch_mac.as_deref().unwrap_or_default()) {
        return Err(AppStateError::BadPatchMac(collection));
    }
    Ok((next, mutations))
}

/// Seals one mutation into a record under `keys` (a fresh random IV).
pub fn seal_record(
    input: &MutationInput,
    key_id: &[u8],
    keys: &MutationKeys,
    rng: &mut impl CryptoRngCore,
) -> (SyncdRecord, Mutation) {
    let index_json = input.index.to_json();
    let action_version = input.index.action_version();
    let data = SyncActionData {
        index: Some(index_json.clone()),
        value: Some(input.value.clone()),
        padding: Some(Vec::new()),
        version: Some(action_version),
    };
    let mut iv = [0u8; 16];
    rng.fill_bytes(&mut iv);
    let (blob, value_mac) = seal(keys, key_id, input.operation.byte(), &data, iv);
    let index_mac = index_mac(&keys.index, &index_json);
    let record = SyncdRecord {
        index: Some(SyncdIndex {
            blob: Some(index_mac.to_vec()),
        }),
        value: Some(SyncdValue { blob: Some(blob) }),
        key_id: Some(KeyId {
            id: Some(key_id.to_vec()),
        }),
    };
    let mutation = Mutation {
        operation: input.operation,
        index: input.index.clone(),
        index_mac,
        value_mac,
        key_id: key_id.to_vec(),
        value: input.value.clone(),
        action_version,
    };
    (record, mutation)
}

/// Encodes a patch moving `state` to the next version with `mutations`, all under one key.
/// The patch's `version` field is set to that next version (a server stores it so; a client
/// sending it may clear it, the version then travels in the request). Answers the patch, the
/// new state and the mutations as a receiver would decode them.
pub fn encode_patch(
    collection: Collection,
    state: &CollectionState,
    key_id: &[u8],
    keys: &MutationKeys,
    mutations: &[MutationInput],
    previous: PreviousMac<'_>,
    rng: &mut impl CryptoRngCore,
) -> (SyncdPatch, CollectionState, Vec<Mutation>) {
    let (records, decoded): (Vec<_>, Vec<_>) = mutations
        .iter()
        .map(|input| {
            let (record, mutation) = seal_record(input, key_id, keys, rng);
            let wire = SyncdMutation {
                operation: Some(input.operation.wire() as i32),
                record: Some(record),
            };
            (wire, mutation)
        })
        .unzip();
    let mut next = CollectionState {
        version: state.version + 1,
        hash: state.hash,
    };
    update_hash(&mut next.hash, &decoded, previous);
    let snap = snapshot_mac(&keys.snapshot_mac, &next.hash, next.version, collection);
    let mac = patch_mac(
        &keys.patch_mac,
        &snap,
        decoded.iter().map(|m| &m.value_mac[..]),
        next.version,
        collection,
    );
    let patch = SyncdPatch {
        version: Some(SyncdVersion {
            version: Some(next.version),
        }),
        mutations: records,
        snapshot_mac: Some(snap.to_vec()),
        patch_mac: Some(mac.to_vec()),
        key_id: Some(KeyId {
            id: Some(key_id.to_vec()),
        }),
        ..Default::default()
    };
    (patch, next, decoded)
}

/// A snapshot of already sealed records at `version`, MACed under `keys` (whose id is
/// `key_id`). Answers it with the LT-hash of the records.
pub fn encode_snapshot(
    collection: Collection,
    version: u64,
    key_id: &[u8],
    keys: &MutationKeys,
    records: Vec<SyncdRecord>,
) -> Result<(SyncdSnapshot, LtHash), AppStateError> {
    let mut hash = LtHash::default();
    for record in &records {
        let blob = record
            .value
            .as_ref()
            .and_then(|v| v.blob.as_deref())
            .ok_or(AppStateError::Malformed("record without a value"))?;
        hash.add(&blob_mac(blob)?);
    }
    let mac = snapshot_mac(&keys.snapshot_mac, &hash, version, collection);
    let snapshot = SyncdSnapshot {
        version: Some(SyncdVersion {
            version: Some(version),
        }),
        records,
        mac: Some(mac.to_vec()),
        key_id: Some(KeyId {
            id: Some(key_id.to_vec()),
        }),
    };
    Ok((snapshot, hash))
}

#[cfg(test)]
#[path = "patch_tests.rs"]
mod tests;
