use std::collections::HashMap;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;
use crate::proto::syncd::{PinAction, StarAction};

const KEY_ID: &[u8] = b"\x00\x00\x00\x01";

fn keys() -> MutationKeys {
    MutationKeys::expand(&[7; 32])
}

fn lookup(id: &[u8]) -> Option<MutationKeys> {
    (id == KEY_ID).then(keys)
}

fn pin(chat: &str, pinned: bool) -> MutationInput {
    MutationInput {
        operation: Operation::Set,
        index: Index::Pin(chat.into()),
        value: SyncActionValue {
            timestamp: Some(1_700_000_000_000),
            pin_action: Some(PinAction {
                pinned: Some(pinned),
            }),
            ..Default::default()
        },
    }
}

/// A receiver: live value MACs by index MAC, and the state.
#[derive(Default)]
struct Replica {
    state: CollectionState,
    macs: HashMap<Mac32, Mac32>,
}

impl Replica {
    fn apply(&mut self, patch: &SyncdPatch) -> Result<Vec<Mutation>, AppStateError> {
        let macs = self.macs.clone();
        let (state, mutations) = decode_patch(
            Collection::RegularLow,
            &self.state,
            patch,
            &lookup,
            &mut |i| macs.get(i).copied(),
        )?;
        self.state = state;
        for m in &mutations {
            match m.operation {
                Operation::Set => self.macs.insert(m.index_mac, m.value_mac),
                Operation::Remove => self.macs.remove(&m.index_mac),
            };
        }
        Ok(mutations)
    }
}

/// A writer's patch on top of a replica's state.
fn write(replica: &Replica, inputs: &[MutationInput], rng: &mut StdRng) -> SyncdPatch {
    let macs = replica.macs.clone();
    encode_patch(
        Collection::RegularLow,
        &replica.state,
        KEY_ID,
        &keys(),
        inputs,
        &mut |i| macs.get(i).copied(),
        rng,
    )
    .0
}

#[test]
fn patches_round_trip_with_overwrites_and_removals() {
    let mut rng = StdRng::seed_from_u64(1);
    let mut replica = Replica::default();
    let first = write(
        &replica,
        &[pin("a@s.whatsapp.net", true), pin("b@s.whatsapp.net", true)],
        &mut rng,
    );
    let decoded = replica.apply(&first).unwrap();
    assert_eq!(decoded.len(), 2);
    assert_eq!(decoded[0].index, Index::Pin("a@s.whatsapp.net".into()));
    assert_eq!(decoded[0].value.pin_action.unwrap().pinned, Some(true));
    assert_eq!(decoded[0].action_version, 5);
    // Overwrite one within a patch twice, remove the other.
    let mut remove = pin("b@s.whatsapp.net", false);
    remove.operation = Operation::Remove;
    let second = write(
        &replica,
        &[
            pin("a@s.whatsapp.net", false),
            pin("a@s.whatsapp.net", true),
            remove,
        ],
        &mut rng,
    );
    replica.apply(&second).unwrap();
    assert_eq!(replica.state.version, 2);
    assert_eq!(replica.macs.len(), 1);
    // The hash equals a fresh snapshot's of the one live record.
    let mut fresh = LtHash::default();
    fresh.add(replica.macs.values().next().unwrap());
    assert_eq!(replica.state.hash, fresh);
}

#[test]
fn a_snapshot_round_trips_and_gives_the_patch_state() {
    let mut rng = StdRng::seed_from_u64(2);
    let inputs = [
        pin("a@s.whatsapp.net", true),
        pin("b@s.whatsapp.net", false),
    ];
    let records: Vec<_> = inputs
        .iter()
        .map(|i| seal_record(i, KEY_ID, &keys(), &mut rng).0)
        .collect();
    let (snapshot, hash) =
        encode_snapshot(Collection::RegularLow, 9, KEY_ID, &keys(), records).unwrap();
    let (state, mutations) = decode_snapshot(Collection::RegularLow, &snapshot, &lookup).unwrap();
    assert_eq!(state, CollectionState { version: 9, hash });
    assert_eq!(mutations[1].index, Index::Pin("b@s.whatsapp.net".into()));
    // Another collection's name, or another version, does not verify.
    assert_eq!(
        decode_snapshot(Collection::Regular, &snapshot, &lookup),
        Err(AppStateError::BadSnapshotMac(Collection::Regular))
    );
    let mut other = snapshot.clone();
    other.version = Some(SyncdVersion { version: Some(10) });
    assert!(decode_snapshot(Collection::RegularLow, &other, &lookup).is_err());
    // Dropping a record changes the LT-hash.
    let mut dropped = snapshot;
    dropped.records.pop();
    assert_eq!(
        decode_snapshot(Collection::RegularLow, &dropped, &lookup),
        Err(AppStateError::BadSnapshotMac(Collection::RegularLow))
    );
}

#[test]
fn tampering_is_caught_with_its_own_error() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut replica = Replica::default();
    let good = write(&replica, &[pin("a@s.whatsapp.net", true)], &mut rng);
    let mut value = good.clone();
    let rec = value.mutations[0].record.as_mut().unwrap();
    rec.value.as_mut().unwrap().blob.as_mut().unwrap()[17] ^= 1;
    assert_eq!(replica.apply(&value), Err(AppStateError::BadValueMac));

    let mut index = good.clone();
    let rec = index.mutations[0].record.as_mut().unwrap();
    rec.index.as_mut().unwrap().blob.as_mut().unwrap()[0] ^= 1;
    assert_eq!(replica.apply(&index), Err(AppStateError::BadIndexMac));

    let mut patch_mac = good.clone();
    patch_mac.patch_mac.as_mut().unwrap()[0] ^= 1;
    assert_eq!(
        replica.apply(&patch_mac),
        Err(AppStateError::BadPatchMac(Collection::RegularLow))
    );

    let mut snapshot_mac = good.clone();
    snapshot_mac.snapshot_mac.as_mut().unwrap()[0] ^= 1;
    assert_eq!(
        replica.apply(&snapshot_mac),
        Err(AppStateError::BadSnapshotMac(Collection::RegularLow))
    );

    let mut unknown_key = good.clone();
    unknown_key.key_id = Some(KeyId {
        id: Some(b"nope".to_vec()),
    });
    assert_eq!(
        replica.apply(&unknown_key),
        Err(AppStateError::MissingKey(b"nope".to_vec()))
    );

    // A replica whose LT-hash drifted refuses the (good) patch.
    let mut drifted = Replica::default();
    drifted.state.hash.add(b"stray");
    assert_eq!(
        drifted.apply(&good),
        Err(AppStateError::BadSnapshotMac(Collection::RegularLow))
    );

    // The untouched patch still applies, and not twice.
    replica.apply(&good).unwrap();
    assert!(matches!(
        replica.apply(&good),
        Err(AppStateError::BadVersion {
            current: 1,
            got: 1,
            ..
        })
    ));
}

#[test]
fn garbage_gives_errors_not_panics() {
    let mut replica = Replica::default();
    let mut rng = StdRng::seed_from_u64(4);
    let mut patch = write(&replica, &[pin("a@s.whatsapp.net", true)], &mut rng);
    patch.mutations[0].record.as_mut().unwrap().value = Some(SyncdValue {
        blob: Some(vec![1; 5]),
    });
    assert!(matches!(
        replica.apply(&patch),
        Err(AppStateError::Malformed(_))
    ));
    let empty = SyncdPatch::default();
    assert!(matches!(
        replica.apply(&empty),
        Err(AppStateError::Malformed(_))
    ));
    let star = MutationInput {
        operation: Operation::Set,
        index: Index::Other(vec!["star".into()]),
        value: SyncActionValue {
            star_action: Some(StarAction {
                starred: Some(true),
            }),
            ..Default::default()
        },
    };
    let patch = write(&replica, &[star], &mut rng);
    let decoded = replica.apply(&patch).unwrap();
    assert_eq!(decoded[0].index, Index::Other(vec!["star".into()]));
}
