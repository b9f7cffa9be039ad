//! The server side of the five collections: what a WhatsApp server keeps (it cannot read the
//! records) plus a one-shot fault switch for tests. Part of the account, so of `--state`.

use std::collections::BTreeMap;

use openwa_protocol::appstate::patch::{Mac32, decode_patch};
use openwa_protocol::appstate::{AppStateError, Collection, CollectionState, LtHash, Operation};
use openwa_protocol::proto::syncd::{KeyId, SyncdIndex, SyncdPatch, SyncdRecord, SyncdValue};
use prost::Message as _;
use serde::{Deserialize, Serialize};

use super::super::records::{AppStateKey, HexBytes};
use super::lookup_any;

/// The account's collections by name, and the pending fault.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStateStore {
    /// Collections that have been written, by wire name.
    #[serde(default)]
    pub collections: BTreeMap<String, StoredCollection>,
    /// Corrupts the next patch served to a companion (once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<AppStateFault>,
}

/// How the next served patch is corrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppStateFault {
    /// A byte of the first record's value is flipped (its value MAC no longer matches).
    BadMac,
    /// The patch is re-MACed over a wrong LT-hash (its snapshot MAC matches no honest state).
    BadLtHash,
}

/// One collection as the server stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCollection {
    /// Current version.
    pub version: u64,
    /// LT-hash of the live records (128 bytes).
    pub hash: HexBytes,
    /// Live records by hex index MAC.
    #[serde(default)]
    pub records: BTreeMap<String, StoredRecord>,
    /// Every patch, oldest first, with its version set.
    #[serde(default)]
    pub patches: Vec<HexBytes>,
}

impl Default for StoredCollection {
    fn default() -> Self {
        StoredCollection {
            version: 0,
            hash: HexBytes(LtHash::default().0.to_vec()),
            records: BTreeMap::new(),
            patches: Vec::new(),
        }
    }
}

/// A live record: its value blob and key id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRecord {
    /// iv ‖ ciphertext ‖ value MAC.
    pub value: HexBytes,
    /// The sync key id.
    pub key_id: HexBytes,
}

impl AppStateStore {
    /// Nothing written and no fault pending.
    pub fn is_empty(&self) -> bool {
        self.collections.is_empty() && self.fault.is_none()
    }
}

impl StoredCollection {
    /// Version and LT-hash.
    pub fn state(&self) -> CollectionState {
        CollectionState {
            version: self.version,
            hash: LtHash::from_slice(&self.hash.0).unwrap_or_default(),
        }
    }

    /// The value MAC a record has now.
    pub fn value_mac(&self, index_mac: &Mac32) -> Option<Mac32> {
        let record = self.records.get(&hex::encode(index_mac))?;
        let start = record.value.0.len().checked_sub(32)?;
        record.value.0.get(start..)?.try_into().ok()
    }

    /// The live records, for a snapshot.
    pub fn records(&self) -> Vec<SyncdRecord> {
        self.records
            .iter()
            .filter_map(|(index, record)| {
                Some(SyncdRecord {
                    index: Some(SyncdIndex {
                        blob: Some(hex::decode(index).ok()?),
                    }),
                    value: Some(SyncdValue {
                        blob: Some(record.value.0.clone()),
                    }),
                    key_id: Some(KeyId {
                        id: Some(record.key_id.0.clone()),
                    }),
                })
            })
            .collect()
    }

    /// Verifies `patch` (all MACs, with the phone's keys) as the next version and applies it.
    /// Answers the new version.
    pub fn apply(
        &mut self,
        collection: Collection,
        mut patch: SyncdPatch,
        keys: &[AppStateKey],
    ) -> Result<u64, AppStateError> {
        let version = self.version + 1;
        patch.version = Some(openwa_protocol::proto::syncd::SyncdVersion {
            version: Some(version),
        });
        let (state, mutations) = decode_patch(
            collection,
            &self.state(),
            &patch,
            &|id| lookup_any(keys, id),
            &mut |i| self.value_mac(i),
        )?;
        for (mutation, wire) in mutations.iter().zip(&patch.mutations) {
            let index = hex::encode(mutation.index_mac);
            match mutation.operation {
                Operation::Set => {
                    let value = wire
                        .record
                        .as_ref()
                        .and_then(|r| r.value.as_ref())
                        .and_then(|v| v.blob.clone())
                        .unwrap_or_default();
                    self.records.insert(
                        index,
                        StoredRecord {
                            value: HexBytes(value),
                            key_id: HexBytes(mutation.key_id.clone()),
                        },
                    );
                }
                Operation::Remove => {
                    self.records.remove(&index);
                }
            }
        }
        self.version = state.version;
        self.hash = HexBytes(state.hash.0.to_vec());
        self.patches.push(HexBytes(patch.encode_to_vec()));
        Ok(version)
    }
}

#[cfg(test)]
mod tests {
    use openwa_protocol::appstate::{Index, MutationInput, MutationKeys, encode_patch};
    use openwa_protocol::proto::syncd::{PinAction, SyncActionValue};
    use rand_core::OsRng;

    use super::*;

    #[test]
    fn a_collection_applies_patches_and_survives_serialization() {
        let key = AppStateKey {
            key_id: HexBytes(vec![1, 2]),
            key_data: HexBytes(vec![3; 32]),
            timestamp: 0,
        };
        let keys = MutationKeys::expand(&key.key_data.0);
        let mut stored = StoredCollection::default();
        for pinned in [true, false] {
            let input = MutationInput {
                operation: Operation::Set,
                index: Index::Pin("1@s.whatsapp.net".into()),
                value: SyncActionValue {
                    pin_action: Some(PinAction {
                        pinned: Some(pinned),
                    }),
                    ..Default::default()
                },
            };
            let (patch, next, _) = encode_patch(
                Collection::RegularLow,
                &stored.state(),
                &key.key_id.0,
                &keys,
                &[input],
                &mut |i| stored.value_mac(i),
                &mut OsRng,
            );
            assert_eq!(
                stored.apply(Collection::RegularLow, patch, std::slice::from_ref(&key)),
                Ok(next.version)
            );
            assert_eq!(stored.state(), next);
        }
        assert_eq!(stored.records.len(), 1);
        assert_eq!(stored.patches.len(), 2);
        let store = AppStateStore {
            collections: BTreeMap::from([("regular_low".to_owned(), stored)]),
            fault: Some(AppStateFault::BadLtHash),
        };
        let json = serde_json::to_string(&store).unwrap();
        assert_eq!(serde_json::from_str::<AppStateStore>(&json).unwrap(), store);
        // A patch from another key is refused and changes nothing.
        let mut other = store.collections["regular_low"].clone();
        let before = other.clone();
        let (patch, _, _) = encode_patch(
            Collection::RegularLow,
            &other.state(),
            b"other",
            &MutationKeys::expand(&[4; 32]),
            &[],
            &mut |_| None,
            &mut OsRng,
        );
        assert!(
            other
                .apply(Collection::RegularLow, patch, std::slice::from_ref(&key))
                .is_err()
        );
        assert_eq!(other, before);
    }
}
