//! App-state sync (docs/PROTOCOL.md, App state): a 1,000-record snapshot verified (every value
//! MAC, index MAC and decryption, the LT-hash, the snapshot MAC), and a 10-mutation patch encoded
//! and verified.
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use openwa_protocol::appstate::patch::seal_record;
use openwa_protocol::appstate::{
    Collection, CollectionState, Index, MutationInput, MutationKeys, Operation, decode_patch,
    decode_snapshot, encode_patch, encode_snapshot,
};
use openwa_protocol::proto::syncd::{PinAction, SyncActionValue};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::hint::black_box;

const KEY_ID: &[u8] = b"\x00\x00\x00\x01";

fn pin(i: usize) -> MutationInput {
    MutationInput {
        operation: Operation::Set,
        index: Index::Pin(format!("1555{i:07}@s.whatsapp.net")),
        value: SyncActionValue {
            timestamp: Some(1_700_000_000_000),
            pin_action: Some(PinAction { pinned: Some(true) }),
            ..Default::default()
        },
    }
}

fn bench_appstate(c: &mut Criterion) {
    let keys = MutationKeys::expand(&[7; 32]);
    let lookup = |_: &[u8]| Some(keys.clone());
    let mut rng = StdRng::seed_from_u64(1);
    let records = (0..1000)
        .map(|i| seal_record(&pin(i), KEY_ID, &keys, &mut rng).0)
        .collect();
    let (snapshot, _) = encode_snapshot(Collection::RegularLow, 1, KEY_ID, &keys, records).unwrap();
    let mut group = c.benchmark_group("appstate");
    group.bench_function("verify snapshot of 1000 records", |b| {
        b.iter(|| decode_snapshot(Collection::RegularLow, black_box(&snapshot), &lookup))
    });
    let inputs: Vec<_> = (0..10).map(pin).collect();
    group.bench_function("encode patch of 10 mutations", |b| {
        b.iter(|| {
            encode_patch(
                Collection::RegularLow,
                &CollectionState::default(),
                KEY_ID,
                &keys,
                black_box(&inputs),
                &mut |_| None,
                &mut rng,
            )
        })
    });
    let (patch, _, _) = encode_patch(
        Collection::RegularLow,
        &CollectionState::default(),
        KEY_ID,
        &keys,
        &inputs,
        &mut |_| None,
        &mut rng,
    );
    group.bench_function("verify patch of 10 mutations", |b| {
        b.iter(|| {
            decode_patch(
                Collection::RegularLow,
                &CollectionState::default(),
                black_box(&patch),
                &lookup,
                &mut |_| None,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_appstate);
criterion_main!(benches);
