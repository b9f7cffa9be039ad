//! Signal throughput: session setup, 1:1 message encrypt/decrypt, group message
//! encrypt/decrypt, all through the store helpers on the in-memory store (as the engine uses
//! them). Compare with `node tests/interop/signal-bench.mjs` (libsignal-node + Baileys' group
//! cipher); figures in docs/BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::future::Future;
use std::task::{Context, Poll, Waker};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use openwa_protocol::crypto::KeyPair;
use openwa_protocol::signal::{
    self, InMemorySignalStore, MessageType, PreKeyBundle, PreKeyRecord, PreKeyStore,
    ProtocolAddress, SenderKeyName, SignedPreKeyRecord, SignedPreKeyStore, TrustPolicy, group,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}

struct Device {
    store: InMemorySignalStore,
    address: ProtocolAddress,
    bundle: PreKeyBundle,
}

fn device(name: &str, rng: &mut StdRng) -> Device {
    let identity = KeyPair::generate(rng);
    let signed = SignedPreKeyRecord::generate(1, &identity, 0, rng);
    let pre_key = PreKeyRecord::generate(1, rng);
    let store = InMemorySignalStore::new(identity.clone(), 7, TrustPolicy::AlwaysTrust);
    block_on(store.store_signed_pre_key(&signed)).unwrap();
    block_on(store.store_pre_key(&pre_key)).unwrap();
    let bundle = PreKeyBundle::new(7, 1, &identity, &signed, Some(&pre_key));
    Device {
        store,
        address: ProtocolAddress::new(name, 1),
        bundle,
    }
}

/// Alice and Bob with an acknowledged session (Alice sends plain `msg`).
fn session(rng: &mut StdRng) -> (Device, Device) {
    let alice = device("alice", rng);
    let bob = device("bob", rng);
    block_on(signal::process_bundle(
        &alice.store,
        &bob.address,
        &bob.bundle,
        rng,
    ))
    .unwrap();
    let (kind, body) = block_on(signal::encrypt(&alice.store, &bob.address, b"hi")).unwrap();
    block_on(signal::decrypt(
        &bob.store,
        &alice.address,
        kind,
        &body,
        rng,
    ))
    .unwrap();
    let (kind, body) = block_on(signal::encrypt(&bob.store, &alice.address, b"hi")).unwrap();
    block_on(signal::decrypt(
        &alice.store,
        &bob.address,
        kind,
        &body,
        rng,
    ))
    .unwrap();
    (alice, bob)
}

const PLAINTEXT: &[u8] = &[0x42; 100];

fn bench(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let mut g = c.benchmark_group("signal");
    g.throughput(Throughput::Elements(1));

    g.bench_function("session_setup", |b| {
        b.iter_batched(
            || (device("alice", &mut rng), device("bob", &mut rng)),
            |(alice, bob)| {
                let mut rng = StdRng::seed_from_u64(2);
                block_on(signal::process_bundle(
                    &alice.store,
                    &bob.address,
                    &bob.bundle,
                    &mut rng,
                ))
                .unwrap();
                let (kind, body) =
                    block_on(signal::encrypt(&alice.store, &bob.address, PLAINTEXT)).unwrap();
                assert_eq!(kind, MessageType::PreKey);
                block_on(signal::decrypt(
                    &bob.store,
                    &alice.address,
                    kind,
                    &body,
                    &mut rng,
                ))
                .unwrap()
            },
            BatchSize::SmallInput,
        )
    });

    let (alice, bob) = session(&mut rng);
    g.bench_function("msg_encrypt", |b| {
        b.iter(|| block_on(signal::encrypt(&alice.store, &bob.address, PLAINTEXT)).unwrap())
    });
    // A fresh session: the encrypt benchmark moved Alice's chain far beyond Bob's.
    let (alice, bob) = session(&mut rng);
    g.bench_function("msg_decrypt", |b| {
        b.iter_batched(
            || block_on(signal::encrypt(&alice.store, &bob.address, PLAINTEXT)).unwrap(),
            |(kind, body)| {
                block_on(signal::decrypt(
                    &bob.store,
                    &alice.address,
                    kind,
                    &body,
                    &mut rng,
                ))
                .unwrap()
            },
            BatchSize::SmallInput,
        )
    });

    let mut grng = StdRng::seed_from_u64(3);
    let name = SenderKeyName::new("g@g.us", alice.address.clone());
    let skdm = block_on(group::create_distribution(&alice.store, &name, &mut grng)).unwrap();
    block_on(group::process_distribution(
        &bob.store,
        &name,
        skdm.serialized(),
    ))
    .unwrap();
    g.bench_function("skmsg_encrypt", |b| {
        b.iter(|| block_on(group::encrypt(&alice.store, &name, PLAINTEXT, &mut grng)).unwrap())
    });
    let mut erng = StdRng::seed_from_u64(4);
    let name = SenderKeyName::new("h@g.us", alice.address.clone());
    let skdm = block_on(group::create_distribution(&alice.store, &name, &mut erng)).unwrap();
    block_on(group::process_distribution(
        &bob.store,
        &name,
        skdm.serialized(),
    ))
    .unwrap();
    g.bench_function("skmsg_decrypt", |b| {
        b.iter_batched(
            || block_on(group::encrypt(&alice.store, &name, PLAINTEXT, &mut erng)).unwrap(),
            |body| block_on(group::decrypt(&bob.store, &name, &body)).unwrap(),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
