//! Noise transport throughput (encrypt + decrypt of one frame) and a full XX handshake.
//! Run: `cargo bench -p openwa-protocol --bench noise`.

// A benchmark that hits an error should stop loudly.
#![allow(clippy::unwrap_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use openwa_protocol::crypto::KeyPair;
use openwa_protocol::noise::{
    CertValidity, Initiator, Responder, Transport, TrustRoot, WA_INTRO, build_cert_chain,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::hint::black_box;

fn transport(c: &mut Criterion) {
    let mut group = c.benchmark_group("noise_transport_roundtrip");
    for size in [64usize, 1024, 64 * 1024] {
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            let mut sender = Transport::from_keys(&[1; 32], &[2; 32]);
            let mut receiver = Transport::from_keys(&[2; 32], &[1; 32]);
            let plaintext = vec![0x5a; size];
            let mut buf = Vec::with_capacity(size + 16);
            b.iter(|| {
                buf.clear();
                buf.extend_from_slice(&plaintext);
                sender.encrypt_in_place(&mut buf).unwrap();
                receiver.decrypt_in_place(&mut buf).unwrap();
                black_box(&buf);
            });
        });
    }
    group.finish();
}

fn handshake(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let root = KeyPair::generate(&mut rng);
    let intermediate = KeyPair::generate(&mut rng);
    let server_static = KeyPair::generate(&mut rng);
    let client_static = KeyPair::generate(&mut rng);
    let now = 1_780_000_000;
    let chain = build_cert_chain(
        &root,
        &intermediate,
        &server_static.public,
        CertValidity::around(now, 3600),
        &mut rng,
    );
    let trust = TrustRoot::new(root.public);
    let payload = vec![0u8; 300];
    c.bench_function("noise_xx_handshake_both_sides", |b| {
        b.iter(|| {
            let (initiator, hello) = Initiator::start(KeyPair::generate(&mut rng));
            let responder = Responder::read_client_hello(&WA_INTRO, &hello).unwrap();
            let (responder, server_hello) = responder
                .write_server_hello(&server_static, &chain, KeyPair::generate(&mut rng))
                .unwrap();
            let ready = initiator
                .read_server_hello(&server_hello, &trust, now)
                .unwrap();
            let (finish, client) = ready.finish(&client_static, &payload).unwrap();
            let done = responder.read_client_finish(&finish).unwrap();
            black_box((client, done));
        });
    });
}

criterion_group!(benches, transport, handshake);
criterion_main!(benches);
