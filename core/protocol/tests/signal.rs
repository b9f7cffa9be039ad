//! Our Signal implementation against itself: sessions, ordering properties, bad input,
//! identity changes, bounds and record serialization.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Party, block_on};
use openwa_protocol::signal::{
    self, IdentityChange, MessageType, SenderKeyName, SenderKeyRecord, SessionRecord, SessionStore,
    SignalError, TrustPolicy, group,
};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng, seq::SliceRandom};

fn pair(seed: u64) -> (Party, Party, StdRng) {
    let mut rng = StdRng::seed_from_u64(seed);
    let alice = Party::new("15550000001", 1, TrustPolicy::AlwaysTrust, &mut rng);
    let bob = Party::new("15550000002", 0, TrustPolicy::AlwaysTrust, &mut rng);
    (alice, bob, rng)
}

fn send(from: &Party, to: &Party, text: &[u8]) -> (MessageType, Vec<u8>) {
    block_on(signal::encrypt(&from.store, &to.address, text)).unwrap()
}

fn receive(
    to: &Party,
    from: &Party,
    message: &(MessageType, Vec<u8>),
    rng: &mut StdRng,
) -> Result<Vec<u8>, SignalError> {
    block_on(signal::decrypt(
        &to.store,
        &from.address,
        message.0,
        &message.1,
        rng,
    ))
    .map(|d| d.plaintext)
}

fn session_bytes(owner: &Party, peer: &Party) -> Option<Vec<u8>> {
    block_on(owner.store.load_session(&peer.address))
        .unwrap()
        .map(|r| r.serialize())
}

fn establish(alice: &Party, bob: &Party, rng: &mut StdRng) {
    block_on(signal::process_bundle(
        &alice.store,
        &bob.address,
        &bob.bundle(Some(0)),
        rng,
    ))
    .unwrap();
    let first = send(alice, bob, b"hello");
    assert_eq!(first.0, MessageType::PreKey);
    assert_eq!(receive(bob, alice, &first, rng).unwrap(), b"hello");
    let reply = send(bob, alice, b"hi");
    assert_eq!(reply.0, MessageType::Whisper);
    assert_eq!(receive(alice, bob, &reply, rng).unwrap(), b"hi");
}

#[test]
fn session_setup_and_conversation() {
    let (alice, bob, mut rng) = pair(1);
    let change = block_on(signal::process_bundle(
        &alice.store,
        &bob.address,
        &bob.bundle(Some(3)),
        &mut rng,
    ))
    .unwrap();
    assert_eq!(change, IdentityChange::New);
    // pkmsg until Bob replies, all carrying the same base key.
    let m1 = send(&alice, &bob, b"one");
    let m2 = send(&alice, &bob, b"two");
    assert_eq!((m1.0, m2.0), (MessageType::PreKey, MessageType::PreKey));
    let d2 = block_on(signal::decrypt(
        &bob.store,
        &alice.address,
        m2.0,
        &m2.1,
        &mut rng,
    ))
    .unwrap();
    assert_eq!(d2.plaintext, b"two");
    assert_eq!(d2.consumed_pre_key, Some(bob.pre_keys[3].id));
    assert_eq!(bob.store.pre_key_count().unwrap(), 19);
    // The earlier pkmsg still decrypts (same base key, prekey already consumed).
    assert_eq!(receive(&bob, &alice, &m1, &mut rng).unwrap(), b"one");
    let r1 = send(&bob, &alice, b"three");
    assert_eq!(r1.0, MessageType::Whisper);
    assert_eq!(receive(&alice, &bob, &r1, &mut rng).unwrap(), b"three");
    // Alice saw a reply: plain messages from now on.
    for i in 0..50u32 {
        let text = format!("a{i}");
        let m = send(&alice, &bob, text.as_bytes());
        assert_eq!(m.0, MessageType::Whisper);
        assert_eq!(
            receive(&bob, &alice, &m, &mut rng).unwrap(),
            text.as_bytes()
        );
        let text = format!("b{i}");
        let m = send(&bob, &alice, text.as_bytes());
        assert_eq!(
            receive(&alice, &bob, &m, &mut rng).unwrap(),
            text.as_bytes()
        );
    }
}

#[test]
fn session_without_one_time_prekey() {
    let (alice, bob, mut rng) = pair(2);
    block_on(signal::process_bundle(
        &alice.store,
        &bob.address,
        &bob.bundle(None),
        &mut rng,
    ))
    .unwrap();
    let m = send(&alice, &bob, b"no opk");
    let d = block_on(signal::decrypt(
        &bob.store,
        &alice.address,
        m.0,
        &m.1,
        &mut rng,
    ))
    .unwrap();
    assert_eq!(d.plaintext, b"no opk");
    assert_eq!(d.consumed_pre_key, None);
    assert_eq!(bob.store.pre_key_count().unwrap(), 20);
}

#[test]
fn no_session_errors() {
    let (alice, bob, mut rng) = pair(3);
    assert!(!block_on(signal::has_session(&alice.store, &bob.address)).unwrap());
    assert!(matches!(
        block_on(signal::encrypt(&alice.store, &bob.address, b"x")),
        Err(SignalError::NoSession(_))
    ));
    establish(&alice, &bob, &mut rng);
    assert!(block_on(signal::has_session(&alice.store, &bob.address)).unwrap());
    let m = send(&alice, &bob, b"x");
    let stranger = Party::new("999", 0, TrustPolicy::AlwaysTrust, &mut rng);
    assert!(matches!(
        receive(&stranger, &alice, &m, &mut rng),
        Err(SignalError::NoSession(_))
    ));
}

/// Every way of damaging a message fails with a typed error and leaves both stores as they
/// were.
#[test]
fn bad_messages_leave_state_untouched() {
    let (alice, bob, mut rng) = pair(4);
    establish(&alice, &bob, &mut rng);
    let m = send(&alice, &bob, b"payload that spans two blocks......");
    let before = session_bytes(&bob, &alice);

    for len in 0..m.1.len() {
        let err = receive(&bob, &alice, &(m.0, m.1[..len].to_vec()), &mut rng).unwrap_err();
        assert!(
            matches!(
                err,
                SignalError::Truncated
                    | SignalError::Protobuf(_)
                    | SignalError::MissingField(_)
                    | SignalError::InvalidKey(_)
                    | SignalError::BadMac
                    | SignalError::UnsupportedVersion(_)
            ),
            "len {len}: {err:?}"
        );
        assert_eq!(session_bytes(&bob, &alice), before, "truncated to {len}");
    }
    let mut bad_mac = m.1.clone();
    *bad_mac.last_mut().unwrap() ^= 1;
    assert!(matches!(
        receive(&bob, &alice, &(m.0, bad_mac), &mut rng),
        Err(SignalError::BadMac)
    ));
    let mut bad_version = m.1.clone();
    bad_version[0] = 0x22;
    assert!(matches!(
        receive(&bob, &alice, &(m.0, bad_version), &mut rng),
        Err(SignalError::UnsupportedVersion(0x22))
    ));
    // A message from a different session (same ratchet key format, wrong keys).
    let (eve, _, _) = pair(44);
    let other = {
        let (a2, b2, mut r2) = pair(45);
        establish(&a2, &b2, &mut r2);
        send(&a2, &b2, b"elsewhere")
    };
    assert!(receive(&bob, &eve, &other, &mut rng).is_err());
    assert!(matches!(
        receive(&bob, &alice, &other, &mut rng),
        Err(SignalError::BadMac | SignalError::NoMatchingState)
    ));
    assert_eq!(session_bytes(&bob, &alice), before);

    // The real message still decrypts once, then is a duplicate.
    assert!(receive(&bob, &alice, &m, &mut rng).is_ok());
    let after = session_bytes(&bob, &alice);
    assert!(matches!(
        receive(&bob, &alice, &m, &mut rng),
        Err(SignalError::DuplicateMessage { .. })
    ));
    assert_eq!(session_bytes(&bob, &alice), after);
}

#[test]
fn unknown_prekeys_and_bad_bundles() {
    let (alice, bob, mut rng) = pair(5);
    // Bob already used prekey 0 with someone else.
    block_on(signal::PreKeyStore::remove_pre_key(
        &bob.store,
        bob.pre_keys[0].id,
    ))
    .unwrap();
    block_on(signal::process_bundle(
        &alice.store,
        &bob.address,
        &bob.bundle(Some(0)),
        &mut rng,
    ))
    .unwrap();
    let m = send(&alice, &bob, b"x");
    assert!(matches!(
        receive(&bob, &alice, &m, &mut rng),
        Err(SignalError::UnknownPreKey(id)) if id == bob.pre_keys[0].id
    ));
    assert_eq!(session_bytes(&bob, &alice), None);
    assert!(
        block_on(signal::IdentityKeyStore::identity(
            &bob.store,
            &alice.address
        ))
        .unwrap()
        .is_none()
    );

    // Unknown signed prekey.
    let mut bundle = bob.bundle(Some(1));
    let other_signed = signal::SignedPreKeyRecord::generate(9, &bob.identity, 0, &mut rng);
    bundle.signed_pre_key_id = 9;
    bundle.signed_pre_key = other_signed.key_pair.public;
    bundle.signed_pre_key_signature = other_signed.signature;
    block_on(signal::process_bundle(
        &alice.store,
        &bob.address,
        &bundle,
        &mut rng,
    ))
    .unwrap();
    let m = send(&alice, &bob, b"x");
    assert!(matches!(
        receive(&bob, &alice, &m, &mut rng),
        Err(SignalError::UnknownSignedPreKey(9))
    ));
    assert_eq!(bob.store.pre_key_count().unwrap(), 19);

    // Bad signature on the bundle: refused, nothing stored.
    let (carol, dave, mut rng) = pair(6);
    let mut bundle = dave.bundle(Some(0));
    bundle.signed_pre_key_signature[0] ^= 1;
    assert!(matches!(
        block_on(signal::process_bundle(
            &carol.store,
            &dave.address,
            &bundle,
            &mut rng
        )),
        Err(SignalError::InvalidSignature("signed prekey"))
    ));
    assert_eq!(session_bytes(&carol, &dave), None);
}

#[test]
fn forward_jump_limit_and_skipped_key_bound() {
    let (alice, bob, mut rng) = pair(7);
    establish(&alice, &bob, &mut rng);
    let messages: Vec<_> = (0..2_002u32)
        .map(|i| send(&alice, &bob, &i.to_be_bytes()))
        .collect();
    let before = session_bytes(&bob, &alice);
    // Counter 2001 is 2001 ahead of Bob's next counter 0.
    assert!(matches!(
        receive(&bob, &alice, &messages[2_001], &mut rng),
        Err(SignalError::TooFarInFuture {
            jump: 2_001,
            limit: 2_000
        })
    ));
    assert_eq!(session_bytes(&bob, &alice), before);
    // 2000 ahead is accepted and keeps 2000 skipped keys.
    assert_eq!(
        receive(&bob, &alice, &messages[2_000], &mut rng).unwrap(),
        2_000u32.to_be_bytes()
    );
    let record = block_on(bob.store.load_session(&alice.address))
        .unwrap()
        .unwrap();
    assert_eq!(record.current_state().unwrap().skipped_key_count(), 2_000);
    // Skipped ones still decrypt, each once.
    for i in [0usize, 1_999, 1_000] {
        assert_eq!(
            receive(&bob, &alice, &messages[i], &mut rng).unwrap(),
            (i as u32).to_be_bytes()
        );
        assert!(matches!(
            receive(&bob, &alice, &messages[i], &mut rng),
            Err(SignalError::DuplicateMessage { .. })
        ));
    }
    // Another chain's skipped keys push out the oldest: the total stays bounded.
    let reply = send(&bob, &alice, b"turn");
    receive(&alice, &bob, &reply, &mut rng).unwrap();
    let second: Vec<_> = (0..1_500u32)
        .map(|i| send(&alice, &bob, &i.to_be_bytes()))
        .collect();
    receive(&bob, &alice, &second[1_499], &mut rng).unwrap();
    let record = block_on(bob.store.load_session(&alice.address))
        .unwrap()
        .unwrap();
    assert_eq!(record.current_state().unwrap().skipped_key_count(), 2_000);
    // The oldest skipped keys of the first chain were dropped: message 2 is now refused.
    assert!(matches!(
        receive(&bob, &alice, &messages[2], &mut rng),
        Err(SignalError::DuplicateMessage { counter: 2 })
    ));
    assert!(receive(&bob, &alice, &messages[1_998], &mut rng).is_ok());
}

#[test]
fn identity_change_under_each_policy() {
    for policy in [
        TrustPolicy::AlwaysTrust,
        TrustPolicy::TrustOnFirstUse,
        TrustPolicy::Strict,
    ] {
        let mut rng = StdRng::seed_from_u64(8);
        let alice = Party::new("1", 1, policy, &mut rng);
        let bob = Party::new("2", 0, TrustPolicy::AlwaysTrust, &mut rng);
        let first = block_on(signal::process_bundle(
            &alice.store,
            &bob.address,
            &bob.bundle(Some(0)),
            &mut rng,
        ));
        if policy == TrustPolicy::Strict {
            assert!(matches!(first, Err(SignalError::UntrustedIdentity(_))));
            block_on(signal::IdentityKeyStore::save_identity(
                &alice.store,
                &bob.address,
                &signal::IdentityKey(bob.identity.public),
            ))
            .unwrap();
            block_on(signal::process_bundle(
                &alice.store,
                &bob.address,
                &bob.bundle(Some(0)),
                &mut rng,
            ))
            .unwrap();
        } else {
            assert_eq!(first.unwrap(), IdentityChange::New);
        }
        // Bob re-registers: a new identity for the same address.
        let new_bob = Party::new("2", 0, TrustPolicy::AlwaysTrust, &mut rng);
        let before = session_bytes(&alice, &bob);
        let result = block_on(signal::process_bundle(
            &alice.store,
            &new_bob.address,
            &new_bob.bundle(Some(0)),
            &mut rng,
        ));
        match policy {
            TrustPolicy::AlwaysTrust => assert_eq!(
                result.unwrap(),
                IdentityChange::Replaced {
                    previous: signal::IdentityKey(bob.identity.public)
                }
            ),
            _ => {
                assert!(matches!(result, Err(SignalError::UntrustedIdentity(_))));
                assert_eq!(session_bytes(&alice, &bob), before);
            }
        }
    }
}

/// A peer that re-installs starts a new session; messages of the old session that were still
/// in flight decrypt with the archived state.
#[test]
fn archived_states_keep_old_messages_decryptable() {
    let (alice, bob, mut rng) = pair(9);
    establish(&alice, &bob, &mut rng);
    let old_in_flight = send(&alice, &bob, b"old session");
    // Alice loses her session and starts over from a fresh bundle (a new base key).
    block_on(signal::process_bundle(
        &alice.store,
        &bob.address,
        &bob.bundle(Some(5)),
        &mut rng,
    ))
    .unwrap();
    let fresh = send(&alice, &bob, b"new session");
    assert_eq!(fresh.0, MessageType::PreKey);
    assert_eq!(
        receive(&bob, &alice, &fresh, &mut rng).unwrap(),
        b"new session"
    );
    let record = block_on(bob.store.load_session(&alice.address))
        .unwrap()
        .unwrap();
    assert_eq!(record.archived_count(), 1);
    // Bob still decrypts the message of the old (now archived) state.
    assert_eq!(
        receive(&bob, &alice, &old_in_flight, &mut rng).unwrap(),
        b"old session"
    );
    // The archived state was promoted back; a new message of the new session still works.
    let next = send(&alice, &bob, b"again");
    assert_eq!(receive(&bob, &alice, &next, &mut rng).unwrap(), b"again");
    let reply = send(&bob, &alice, b"reply");
    assert_eq!(receive(&alice, &bob, &reply, &mut rng).unwrap(), b"reply");
}

#[test]
fn archived_states_are_bounded() {
    let (alice, bob, mut rng) = pair(10);
    for _ in 0..45 {
        block_on(signal::process_bundle(
            &alice.store,
            &bob.address,
            &bob.bundle(None),
            &mut rng,
        ))
        .unwrap();
    }
    let record = block_on(alice.store.load_session(&bob.address))
        .unwrap()
        .unwrap();
    assert_eq!(record.archived_count(), signal::MAX_ARCHIVED_STATES);
    assert_eq!(
        SessionRecord::deserialize(&record.serialize()).unwrap(),
        record
    );
}

#[test]
fn session_records_round_trip() {
    let (alice, bob, mut rng) = pair(11);
    establish(&alice, &bob, &mut rng);
    let pending: Vec<_> = (0..30u32).map(|i| send(&alice, &bob, &[i as u8])).collect();
    receive(&bob, &alice, &pending[29], &mut rng).unwrap();
    for owner in [(&alice, &bob), (&bob, &alice)] {
        let record = block_on(owner.0.store.load_session(&owner.1.address))
            .unwrap()
            .unwrap();
        let bytes = record.serialize();
        let parsed = SessionRecord::deserialize(&bytes).unwrap();
        assert_eq!(parsed, record);
        assert_eq!(parsed.serialize(), bytes);
    }
    // A record whose session was restored from bytes keeps working.
    let restored = SessionRecord::deserialize(&session_bytes(&bob, &alice).unwrap()).unwrap();
    block_on(bob.store.store_session(&alice.address, &restored)).unwrap();
    assert_eq!(receive(&bob, &alice, &pending[3], &mut rng).unwrap(), [3]);
    assert!(SessionRecord::deserialize(&[0x0a, 0x02, 0x08, 0x07]).is_err());
    assert!(SessionRecord::deserialize(&[0xff, 0xff]).is_err());
}

fn group_name(group: &str, party: &Party) -> SenderKeyName {
    SenderKeyName::new(group, party.address.clone())
}

#[test]
fn group_messages_out_of_order_duplicates_and_rotation() {
    let (alice, bob, mut rng) = pair(12);
    let name = group_name("120363000000000001@g.us", &alice);
    let skdm = block_on(group::create_distribution(&alice.store, &name, &mut rng)).unwrap();
    assert_eq!(skdm.iteration, 0);
    block_on(group::process_distribution(
        &bob.store,
        &name,
        skdm.serialized(),
    ))
    .unwrap();
    let messages: Vec<_> = (0..40u32)
        .map(|i| {
            block_on(group::encrypt(
                &alice.store,
                &name,
                &i.to_be_bytes(),
                &mut rng,
            ))
            .unwrap()
        })
        .collect();
    let mut order: Vec<usize> = (0..40).collect();
    order.shuffle(&mut rng);
    for i in order {
        assert_eq!(
            block_on(group::decrypt(&bob.store, &name, &messages[i])).unwrap(),
            (i as u32).to_be_bytes()
        );
        let before = block_on(signal::SenderKeyStore::load_sender_key(&bob.store, &name))
            .unwrap()
            .unwrap()
            .serialize();
        assert!(matches!(
            block_on(group::decrypt(&bob.store, &name, &messages[i])),
            Err(SignalError::DuplicateMessage { .. })
        ));
        let after = block_on(signal::SenderKeyStore::load_sender_key(&bob.store, &name))
            .unwrap()
            .unwrap()
            .serialize();
        assert_eq!(before, after);
    }
    // Reprocessing the same distribution message does not rewind the chain.
    block_on(group::process_distribution(
        &bob.store,
        &name,
        skdm.serialized(),
    ))
    .unwrap();
    assert!(matches!(
        block_on(group::decrypt(&bob.store, &name, &messages[0])),
        Err(SignalError::DuplicateMessage { counter: 0 })
    ));
    // Rotation: a new key id; old messages and new ones both decrypt.
    let late = block_on(group::encrypt(&alice.store, &name, b"late old", &mut rng)).unwrap();
    let rotated = block_on(group::rotate(&alice.store, &name, &mut rng)).unwrap();
    assert_ne!(rotated.key_id, skdm.key_id);
    let fresh = block_on(group::encrypt(&alice.store, &name, b"fresh", &mut rng)).unwrap();
    assert!(matches!(
        block_on(group::decrypt(&bob.store, &name, &fresh)),
        Err(SignalError::UnknownSenderKeyId(id)) if id == rotated.key_id
    ));
    block_on(group::process_distribution(
        &bob.store,
        &name,
        rotated.serialized(),
    ))
    .unwrap();
    assert_eq!(
        block_on(group::decrypt(&bob.store, &name, &fresh)).unwrap(),
        b"fresh"
    );
    assert_eq!(
        block_on(group::decrypt(&bob.store, &name, &late)).unwrap(),
        b"late old"
    );
    // A member cannot encrypt with a key it only received.
    assert!(matches!(
        block_on(group::encrypt(&bob.store, &name, b"x", &mut rng)),
        Err(SignalError::NotOurSenderKey)
    ));
}

#[test]
fn group_bad_input_is_rejected_without_changes() {
    let (alice, bob, mut rng) = pair(13);
    let name = group_name("g@g.us", &alice);
    let skdm = block_on(group::create_distribution(&alice.store, &name, &mut rng)).unwrap();
    assert!(matches!(
        block_on(group::decrypt(&bob.store, &name, b"\x33abc")),
        Err(SignalError::NoSenderKey(_))
    ));
    block_on(group::process_distribution(
        &bob.store,
        &name,
        skdm.serialized(),
    ))
    .unwrap();
    let load = || {
        block_on(signal::SenderKeyStore::load_sender_key(&bob.store, &name))
            .unwrap()
            .unwrap()
            .serialize()
    };
    let before = load();
    let message = block_on(group::encrypt(&alice.store, &name, b"body", &mut rng)).unwrap();
    for len in 0..message.len() {
        assert!(block_on(group::decrypt(&bob.store, &name, &message[..len])).is_err());
    }
    let mut bad_signature = message.clone();
    *bad_signature.last_mut().unwrap() ^= 1;
    assert!(matches!(
        block_on(group::decrypt(&bob.store, &name, &bad_signature)),
        Err(SignalError::InvalidSignature("sender key message"))
    ));
    // A correctly signed message by someone else's signing key.
    let mut forged = SenderKeyRecord::new();
    forged.process_distribution(&signal::SenderKeyDistributionMessage::new(
        skdm.key_id,
        0,
        skdm.chain_key,
        skdm.signing_key,
    ));
    let mut mallory = SenderKeyRecord::new();
    mallory.create_own_state(&mut rng);
    let other = mallory.encrypt(b"forged", &mut rng).unwrap();
    assert!(block_on(group::decrypt(&bob.store, &name, &other)).is_err());
    assert_eq!(load(), before);
    // Jump limit: 2001 iterations ahead is refused (`message` used iteration 0).
    let many: Vec<_> = (1..=2_001)
        .map(|_| block_on(group::encrypt(&alice.store, &name, b"m", &mut rng)).unwrap())
        .collect();
    assert!(matches!(
        block_on(group::decrypt(&bob.store, &name, &many[2_000])),
        Err(SignalError::TooFarInFuture {
            jump: 2_001,
            limit: 2_000
        })
    ));
    assert_eq!(load(), before);
    assert!(block_on(group::decrypt(&bob.store, &name, &many[1_999])).is_ok());
    let record = block_on(signal::SenderKeyStore::load_sender_key(&bob.store, &name))
        .unwrap()
        .unwrap();
    assert_eq!(record.current_state().unwrap().skipped_key_count(), 2_000);
    assert_eq!(
        SenderKeyRecord::deserialize(&record.serialize()).unwrap(),
        record
    );
    assert!(SenderKeyRecord::deserialize(&[0x0a, 0x01]).is_err());
}

/// A sent message not yet delivered: (from Alice?, expected text, wire message).
type InFlight = (bool, Vec<u8>, (MessageType, Vec<u8>));

/// A random two-way conversation: `runs` alternate senders (Alice first); between sends,
/// random pending messages are delivered, and at the end the rest in random order. Every
/// message decrypts exactly once to its own text; re-deliveries are refused as duplicates and
/// change nothing.
fn conversation(runs: &[u8], seed: u64) {
    let (alice, bob, mut rng) = pair(seed);
    let mut schedule = StdRng::seed_from_u64(seed ^ 0x5eed);
    block_on(signal::process_bundle(
        &alice.store,
        &bob.address,
        &bob.bundle(Some(0)),
        &mut rng,
    ))
    .unwrap();
    // (from_alice, text, message)
    let mut pending: Vec<InFlight> = Vec::new();
    let mut delivered: Vec<(bool, (MessageType, Vec<u8>))> = Vec::new();
    let mut bob_has_session = false;
    let mut counter = 0u32;

    let deliver = |index: usize,
                   pending: &mut Vec<InFlight>,
                   delivered: &mut Vec<(bool, (MessageType, Vec<u8>))>,
                   bob_has_session: &mut bool,
                   rng: &mut StdRng| {
        let (from_alice, text, message) = pending.swap_remove(index);
        let (to, from) = if from_alice {
            (&bob, &alice)
        } else {
            (&alice, &bob)
        };
        assert_eq!(receive(to, from, &message, rng).unwrap(), text);
        if from_alice {
            *bob_has_session = true;
        }
        delivered.push((from_alice, message));
    };

    for (run, &length) in runs.iter().enumerate() {
        let from_alice = run % 2 == 0;
        for _ in 0..length {
            if !from_alice && !bob_has_session {
                // Bob cannot write before he has a session; deliver something of Alice's.
                let index = schedule.gen_range(0..pending.len());
                deliver(
                    index,
                    &mut pending,
                    &mut delivered,
                    &mut bob_has_session,
                    &mut rng,
                );
            }
            let (from, to) = if from_alice {
                (&alice, &bob)
            } else {
                (&bob, &alice)
            };
            counter += 1;
            let text = format!("{}{counter}", if from_alice { 'a' } else { 'b' }).into_bytes();
            pending.push((from_alice, text.clone(), send(from, to, &text)));
            while !pending.is_empty() && schedule.gen_bool(0.4) {
                let index = schedule.gen_range(0..pending.len());
                deliver(
                    index,
                    &mut pending,
                    &mut delivered,
                    &mut bob_has_session,
                    &mut rng,
                );
            }
            if !delivered.is_empty() && schedule.gen_bool(0.2) {
                let (was_alice, message) = &delivered[schedule.gen_range(0..delivered.len())];
                let (to, from) = if *was_alice {
                    (&bob, &alice)
                } else {
                    (&alice, &bob)
                };
                let before = session_bytes(to, from);
                assert!(matches!(
                    receive(to, from, message, &mut rng),
                    Err(SignalError::DuplicateMessage { .. })
                ));
                assert_eq!(session_bytes(to, from), before);
            }
        }
    }
    pending.shuffle(&mut schedule);
    while !pending.is_empty() {
        let last = pending.len() - 1;
        deliver(
            last,
            &mut pending,
            &mut delivered,
            &mut bob_has_session,
            &mut rng,
        );
    }
    for (was_alice, message) in &delivered {
        let (to, from) = if *was_alice {
            (&bob, &alice)
        } else {
            (&alice, &bob)
        };
        assert!(matches!(
            receive(to, from, message, &mut rng),
            Err(SignalError::DuplicateMessage { .. })
        ));
    }
    assert_eq!(delivered.len() as u32, counter);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any delivery order of a random two-way message sequence decrypts each message exactly
    /// once. At most 5 runs per sender keep every in-flight chain within the 5 receiving
    /// chains a state keeps.
    #[test]
    fn any_delivery_order_decrypts_each_message_once(
        runs in proptest::collection::vec(1u8..8, 1..=10),
        seed in any::<u64>(),
    ) {
        conversation(&runs, seed);
    }

    /// Group messages in any order decrypt exactly once.
    #[test]
    fn group_any_order_decrypts_once(count in 1usize..40, seed in any::<u64>()) {
        let (alice, bob, mut rng) = pair(seed);
        let name = group_name("p@g.us", &alice);
        let skdm = block_on(group::create_distribution(&alice.store, &name, &mut rng)).unwrap();
        block_on(group::process_distribution(&bob.store, &name, skdm.serialized())).unwrap();
        let mut messages: Vec<_> = (0..count)
            .map(|i| (i, block_on(group::encrypt(&alice.store, &name, &i.to_be_bytes(), &mut rng)).unwrap()))
            .collect();
        messages.shuffle(&mut rng);
        for (i, message) in &messages {
            prop_assert_eq!(block_on(group::decrypt(&bob.store, &name, message)).unwrap(), i.to_be_bytes());
        }
        for (_, message) in &messages {
            let duplicate = matches!(
                block_on(group::decrypt(&bob.store, &name, message)),
                Err(SignalError::DuplicateMessage { .. })
            );
            prop_assert!(duplicate);
        }
    }
}

/// A peer that re-registered (new identity) and sends a pkmsg: under AlwaysTrust the message
/// decrypts, the new identity is saved and the change is reported. The helpers also work
/// through `&dyn SignalStore`.
#[test]
fn decrypt_reports_identity_replacement_through_dyn_store() {
    let (alice, bob, mut rng) = pair(14);
    establish(&alice, &bob, &mut rng);
    let new_alice = Party::new(
        &alice.address.name,
        alice.address.device,
        TrustPolicy::AlwaysTrust,
        &mut rng,
    );
    let bob_store: &dyn signal::SignalStore = &bob.store;
    let new_alice_store: &dyn signal::SignalStore = &new_alice.store;
    block_on(signal::process_bundle(
        new_alice_store,
        &bob.address,
        &bob.bundle(Some(7)),
        &mut rng,
    ))
    .unwrap();
    let (kind, body) = block_on(signal::encrypt(new_alice_store, &bob.address, b"new me")).unwrap();
    let decrypted = block_on(signal::decrypt(
        bob_store,
        &alice.address,
        kind,
        &body,
        &mut rng,
    ))
    .unwrap();
    assert_eq!(decrypted.plaintext, b"new me");
    assert_eq!(
        decrypted.identity,
        IdentityChange::Replaced {
            previous: signal::IdentityKey(alice.identity.public)
        }
    );
    // The following plain message reports no further change.
    let (kind, body) = block_on(signal::encrypt(bob_store, &alice.address, b"ok")).unwrap();
    block_on(signal::decrypt(
        new_alice_store,
        &bob.address,
        kind,
        &body,
        &mut rng,
    ))
    .unwrap();
    let (kind, body) = block_on(signal::encrypt(new_alice_store, &bob.address, b"again")).unwrap();
    assert_eq!(kind, MessageType::Whisper);
    let decrypted = block_on(signal::decrypt(
        bob_store,
        &alice.address,
        kind,
        &body,
        &mut rng,
    ))
    .unwrap();
    assert_eq!(decrypted.identity, IdentityChange::Unchanged);
}
