//! Binary node codec throughput on realistic stanzas (see `openwa_testkit::stanzas`; Baileys is
//! measured on the same nodes by `tests/interop/binary-bench.mjs`). Throughput is in encoded
//! bytes; nodes/s is 1 / time per iteration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use openwa_protocol::binary::{Decoder, decode, decode_ref, encode, encode_into};
use std::hint::black_box;

use openwa_testkit::stanzas;

fn codec(c: &mut Criterion) {
    let mut group = c.benchmark_group("binary");
    for (name, node) in stanzas::all() {
        let bytes = encode(&node).unwrap();
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("encode", name), &node, |b, node| {
            b.iter(|| encode(black_box(node)).unwrap())
        });
        let mut buffer = Vec::with_capacity(bytes.len());
        group.bench_with_input(BenchmarkId::new("encode_into", name), &node, |b, node| {
            b.iter(|| {
                buffer.clear();
                encode_into(black_box(node), &mut buffer).unwrap();
                buffer.len()
            })
        });
        group.bench_with_input(BenchmarkId::new("decode", name), &bytes, |b, bytes| {
            b.iter(|| decode(black_box(bytes)).unwrap())
        });
        // The borrowed view: decoded into its arena, then dropped (nothing read from it).
        group.bench_with_input(BenchmarkId::new("decode_ref", name), &bytes, |b, bytes| {
            b.iter(|| decode_ref(black_box(bytes)).unwrap().node_count())
        });
        // The same view from a reused decoder, as a connection's read loop keeps one.
        let mut decoder = Decoder::new();
        group.bench_with_input(BenchmarkId::new("decoder", name), &bytes, |b, bytes| {
            b.iter(|| decoder.decode(black_box(bytes)).unwrap().tag().len())
        });
    }
    group.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
