//! Arbitrary bytes into every protobuf message decoded from the wire, the ADV companion-side
//! verification, QR and pairing-code parsing, key-bundle decryption, message unpadding and media
//! decryption, history-sync blobs. None of them may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use openwa_protocol::crypto::KeyPair;
use openwa_protocol::crypto::kdf::hmac_sha256;
use openwa_protocol::media::{self, ExpectedDigests, MediaDecryptor, MediaType};
use openwa_protocol::pairing::{PairCode, QrCode, adv, code};
use openwa_protocol::proto::{adv as padv, cert, e2e, signal, wa6};
use openwa_protocol::message;
use prost::Message;

/// Decodes `data` as `M` and re-encodes whatever decoded.
fn decode<M: Message + Default>(data: &[u8]) {
    if let Ok(message) = M::decode(data) {
        let _ = message.encode_to_vec();
    }
}

fn all_protobufs(data: &[u8]) {
    decode::<wa6::HandshakeMessage>(data);
    decode::<wa6::ClientPayload>(data);
    decode::<wa6::DeviceProps>(data);
    decode::<wa6::ClientPairingProps>(data);
    decode::<cert::CertChain>(data);
    decode::<cert::NoiseCertificate>(data);
    decode::<cert::noise_certificate::Details>(data);
    decode::<padv::AdvSignedDeviceIdentityHmac>(data);
    decode::<padv::AdvSignedDeviceIdentity>(data);
    decode::<padv::AdvDeviceIdentity>(data);
    decode::<padv::AdvKeyIndexList>(data);
    decode::<padv::AdvSignedKeyIndexList>(data);
    decode::<e2e::Message>(data);
    decode::<e2e::HistorySync>(data);
    decode::<e2e::HistorySyncNotification>(data);
    decode::<signal::SignalMessage>(data);
    decode::<signal::PreKeySignalMessage>(data);
    decode::<signal::SenderKeyMessage>(data);
    decode::<signal::SenderKeyDistributionMessage>(data);
}

const ADV_SECRET: [u8; 32] = [0x42; 32];

/// A deterministic "RNG" so runs are reproducible.
struct Counter(u64);

impl rand_core::RngCore for Counter {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            *b = self.next_u64() as u8;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for Counter {}

fn adv_paths(data: &[u8]) {
    let companion = KeyPair::from_private([7; 32]);
    let mut rng = Counter(1);
    // As is: almost always fails the HMAC or the container decode.
    let _ = adv::accept_pair_success(data, &ADV_SECRET, &companion, None, &mut rng);
    // With a valid HMAC over the fuzzer's bytes, the inner layers are reached.
    for hosted in [false, true] {
        let container = padv::AdvSignedDeviceIdentityHmac {
            hmac: Some(adv::identity_hmac(&ADV_SECRET, data, hosted).to_vec()),
            details: Some(data.to_vec()),
            account_type: Some(i32::from(hosted)),
        };
        let _ = adv::accept_pair_success(
            &container.encode_to_vec(),
            &ADV_SECRET,
            &companion,
            Some(&[1; 32]),
            &mut rng,
        );
    }
    let issued = padv::AdvSignedDeviceIdentity {
        details: Some(data.to_vec()),
        account_signature_key: Some(vec![9; 32]),
        account_signature: Some(vec![3; 64]),
        device_signature: None,
    };
    let _ = adv::verify_companion_reply(data, &issued, &companion.public);
}

fn text_paths(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(qr) = QrCode::parse(&text) {
        assert_eq!(QrCode::parse(&qr.encode()), Ok(qr));
    }
    if let Ok(code) = PairCode::parse(&text) {
        assert_eq!(PairCode::parse(&code.formatted()), Ok(code));
    }
    let _ = PairCode::custom(&text);
    let _ = code::decrypt_key_bundle(&[5; 32], data);
    if let Ok(content) = message::unpad(data) {
        assert!(content.len() < data.len());
    }
    // Keep the hash input bounded work.
    let _ = hmac_sha256(&ADV_SECRET, &[data]);
}

fn media_paths(data: &[u8]) {
    let key = [3u8; 32];
    let _ = media::decrypt(&key, MediaType::Image, data, ExpectedDigests::default(), 1 << 16);
    // The same bytes streamed in pieces whose sizes come from the data itself.
    let mut decryptor =
        MediaDecryptor::new(&key, MediaType::Document, ExpectedDigests::default(), 1 << 12);
    let mut out = Vec::new();
    let mut rest = data;
    let mut ok = true;
    while let Some((&size, tail)) = rest.split_first() {
        let take = usize::from(size).min(tail.len());
        let (piece, after) = tail.split_at(take);
        if decryptor.update(piece, &mut out).is_err() {
            ok = false;
            break;
        }
        rest = after;
    }
    if ok {
        let _ = decryptor.finish(&mut out);
    }
    // A valid blob for these bytes must round-trip.
    let encrypted = media::encrypt(&key, MediaType::Video, data);
    let back = media::decrypt(
        &key,
        MediaType::Video,
        &encrypted.blob,
        ExpectedDigests {
            file_sha256: Some(encrypted.info.file_sha256),
            file_enc_sha256: Some(encrypted.info.file_enc_sha256),
        },
        data.len() as u64,
    );
    assert_eq!(back.as_deref(), Ok(data));
}

/// History-sync blobs: zlib + `HistorySync`, whole and in pieces, under a small limit.
fn history_paths(data: &[u8]) {
    let _ = openwa_protocol::history::decode(data, 1 << 16);
    let mut inflater = openwa_protocol::history::Inflater::new(1 << 16);
    let mut failed = false;
    for piece in data.chunks(7) {
        if inflater.update(piece).is_err() {
            failed = true;
            break;
        }
    }
    if !failed {
        let _ = inflater.finish();
    }
}

fuzz_target!(|data: &[u8]| {
    all_protobufs(data);
    history_paths(data);
    adv_paths(data);
    text_paths(data);
    media_paths(data);
});
