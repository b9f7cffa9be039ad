//! Signal wire decoders and decryption on arbitrary bytes. Every decoder must return a typed
//! error instead of panicking, and a failed decryption must leave the record unchanged.
//!
//! The first byte picks a mode: raw bytes for every decoder and decryptor, or the remaining
//! bytes XORed onto (and possibly truncating) a valid `msg`, `pkmsg` or `skmsg` of a fixed
//! session, which reaches deep into MAC, ratchet and signature checks.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use openwa_protocol::crypto::KeyPair;
use openwa_protocol::signal::session::ResponderKeys;
use openwa_protocol::signal::{
    MessageType, PreKeyBundle, PreKeyRecord, PreKeySignalMessage, SenderKeyDistributionMessage,
    SenderKeyMessage, SenderKeyRecord, SessionRecord, SignalMessage, SignedPreKeyRecord,
};
use rand_core::{CryptoRng, RngCore};

/// A deterministic generator (splitmix64); fine for fuzzing, never for real keys.
struct Splitmix(u64);

impl RngCore for Splitmix {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for Splitmix {}

struct Fixture {
    bob_identity: KeyPair,
    bob_signed: SignedPreKeyRecord,
    bob_pre_key: PreKeyRecord,
    /// Bob's record after Alice's first pkmsg.
    bob_session: SessionRecord,
    /// Bob's sender key record for Alice in a group.
    bob_sender_key: SenderKeyRecord,
    msg: Vec<u8>,
    pkmsg: Vec<u8>,
    skmsg: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut rng = Splitmix(7);
        let alice_identity = KeyPair::generate(&mut rng);
        let bob_identity = KeyPair::generate(&mut rng);
        let bob_signed = SignedPreKeyRecord::generate(1, &bob_identity, 0, &mut rng);
        let bob_pre_key = PreKeyRecord::generate(2, &mut rng);
        let bundle = PreKeyBundle::new(5, 1, &bob_identity, &bob_signed, Some(&bob_pre_key));
        let mut alice = SessionRecord::new();
        alice.initiate(&alice_identity, 4, &bundle, &mut rng).unwrap();
        let (kind, first) = alice.encrypt(b"first").unwrap();
        assert_eq!(kind, MessageType::PreKey);
        let (_, pkmsg) = alice.encrypt(b"second pkmsg").unwrap();
        let mut bob_session = SessionRecord::new();
        let keys = ResponderKeys {
            identity: &bob_identity,
            registration_id: 5,
            signed_pre_key: Some(&bob_signed),
            pre_key: Some(&bob_pre_key),
        };
        bob_session
            .decrypt_pre_key_message(&PreKeySignalMessage::decode(&first).unwrap(), keys, &mut rng)
            .unwrap();
        let (_, reply) = bob_session.encrypt(b"reply").unwrap();
        alice.decrypt(&SignalMessage::decode(&reply).unwrap(), &mut rng).unwrap();
        let (kind, msg) = alice.encrypt(b"a plain message").unwrap();
        assert_eq!(kind, MessageType::Whisper);

        let mut alice_sender_key = SenderKeyRecord::new();
        alice_sender_key.create_own_state(&mut rng);
        let mut bob_sender_key = SenderKeyRecord::new();
        bob_sender_key.process_distribution(&alice_sender_key.distribution_message().unwrap());
        let skmsg = alice_sender_key.encrypt(b"group", &mut rng).unwrap();
        Fixture {
            bob_identity,
            bob_signed,
            bob_pre_key,
            bob_session,
            bob_sender_key,
            msg,
            pkmsg,
            skmsg,
        }
    })
}

fn mutate(valid: &[u8], mask: &[u8]) -> Vec<u8> {
    let mut out = valid.to_vec();
    for (byte, m) in out.iter_mut().zip(mask) {
        *byte ^= m;
    }
    // An odd first mask byte also truncates to the mask's length.
    if mask.first().is_some_and(|m| m & 1 == 1) {
        out.truncate(mask.len());
    }
    out
}

fn attempt(f: &Fixture, bytes: &[u8]) {
    let _ = SenderKeyDistributionMessage::decode(bytes);
    let mut rng = Splitmix(99);
    if let Ok(message) = SignalMessage::decode(bytes) {
        let mut record = f.bob_session.clone();
        if record.decrypt(&message, &mut rng).is_err() {
            assert_eq!(record, f.bob_session, "failed msg decrypt changed the record");
        }
    }
    if let Ok(message) = PreKeySignalMessage::decode(bytes) {
        let mut record = f.bob_session.clone();
        let keys = ResponderKeys {
            identity: &f.bob_identity,
            registration_id: 5,
            signed_pre_key: Some(&f.bob_signed),
            pre_key: Some(&f.bob_pre_key),
        };
        if record.decrypt_pre_key_message(&message, keys, &mut rng).is_err() {
            assert_eq!(record, f.bob_session, "failed pkmsg decrypt changed the record");
        }
    }
    if SenderKeyMessage::decode(bytes).is_ok() {
        let mut record = f.bob_sender_key.clone();
        if record.decrypt(bytes).is_err() {
            assert_eq!(record, f.bob_sender_key, "failed skmsg decrypt changed the record");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => attempt(f, rest),
        1 => attempt(f, &mutate(&f.msg, rest)),
        2 => attempt(f, &mutate(&f.pkmsg, rest)),
        _ => attempt(f, &mutate(&f.skmsg, rest)),
    }
});
