//! Media encryption and decryption throughput (docs/PROTOCOL.md, Media) for 64 KiB and 4 MiB files.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use openwa_protocol::media::{self, ExpectedDigests, MediaType};
use std::hint::black_box;

const SIZES: [(&str, usize); 2] = [("64KiB", 64 * 1024), ("4MiB", 4 * 1024 * 1024)];

fn file(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

fn bench_media(c: &mut Criterion) {
    let key = [0x17u8; 32];
    let mut group = c.benchmark_group("media");
    for (name, len) in SIZES {
        let plain = file(len);
        let encrypted = media::encrypt(&key, MediaType::Image, &plain);
        let expected = ExpectedDigests {
            file_sha256: Some(encrypted.info.file_sha256),
            file_enc_sha256: Some(encrypted.info.file_enc_sha256),
        };
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_with_input(BenchmarkId::new("encrypt", name), &plain, |b, plain| {
            b.iter(|| media::encrypt(&key, MediaType::Image, black_box(plain)))
        });
        group.bench_with_input(
            BenchmarkId::new("decrypt", name),
            &encrypted.blob,
            |b, blob| {
                b.iter(|| {
                    media::decrypt(
                        &key,
                        MediaType::Image,
                        black_box(blob),
                        expected,
                        len as u64,
                    )
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench_media);
criterion_main!(benches);
