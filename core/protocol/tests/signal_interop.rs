//! Interop with libsignal-node 6.0.0 (1:1) and Baileys 7's group cipher (sender keys), run as
//! a separate node process (`tests/interop/signal-oracle.mjs`, JSON lines over stdin/stdout).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Party, block_on};
use openwa_protocol::signal::{
    self, IdentityKey, MessageType, PreKeyBundle, ProtocolAddress, SenderKeyName, TrustPolicy,
    group,
};
use openwa_testkit::node::{NodeProcess, NodeScript, require_packages};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng, seq::SliceRandom};
use serde_json::{Value, json};

const GROUP: &str = "120363000000000042@g.us";

/// The oracle process (killed on drop).
struct Oracle(NodeProcess);

impl Oracle {
    fn start() -> Oracle {
        require_packages(&["libsignal", "baileys7"]);
        Oracle(NodeScript::new("signal-oracle.mjs").spawn())
    }

    fn call(&mut self, request: Value) -> Value {
        self.0.send(&request);
        let answer = self.0.recv();
        assert!(answer.get("fatal").is_none(), "oracle failed: {answer}");
        answer
    }
}

fn addr_json(address: &ProtocolAddress) -> Value {
    json!({"name": address.name, "device": address.device})
}

fn key32(hex_key: &Value) -> [u8; 32] {
    let bytes = hex::decode(hex_key.as_str().unwrap()).unwrap();
    assert_eq!(bytes.len(), 33, "libsignal keys carry the 0x05 prefix");
    assert_eq!(bytes[0], 5);
    bytes[1..].try_into().unwrap()
}

fn bundle_from_json(b: &Value, device: u32) -> PreKeyBundle {
    PreKeyBundle {
        registration_id: b["registrationId"].as_u64().unwrap() as u32,
        device_id: device,
        identity_key: IdentityKey(key32(&b["identityKey"])),
        signed_pre_key_id: b["signedPreKey"]["keyId"].as_u64().unwrap() as u32,
        signed_pre_key: key32(&b["signedPreKey"]["publicKey"]),
        signed_pre_key_signature: hex::decode(b["signedPreKey"]["signature"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap(),
        pre_key: b
            .get("preKey")
            .map(|p| (p["keyId"].as_u64().unwrap() as u32, key32(&p["publicKey"]))),
    }
}

fn bundle_to_json(bundle: &PreKeyBundle) -> Value {
    let mut b = json!({
        "registrationId": bundle.registration_id,
        "identityKey": hex::encode(bundle.identity_key.serialize()),
        "signedPreKey": {
            "keyId": bundle.signed_pre_key_id,
            "publicKey": hex::encode(openwa_protocol::crypto::keys::with_type(&bundle.signed_pre_key)),
            "signature": hex::encode(bundle.signed_pre_key_signature),
        },
    });
    if let Some((id, key)) = bundle.pre_key {
        b["preKey"] = json!({
            "keyId": id,
            "publicKey": hex::encode(openwa_protocol::crypto::keys::with_type(&key)),
        });
    }
    b
}

/// A message in flight: its text and wire form.
struct Wire {
    text: Vec<u8>,
    kind: MessageType,
    body: Vec<u8>,
}

/// Delivery schedule of one batch: shuffled, some dropped, some held back to the next batch
/// of the same sender. The first batch of a conversation is delivered whole.
fn schedule(
    batch: Vec<Wire>,
    held: &mut Vec<Wire>,
    first: bool,
    rng: &mut StdRng,
) -> (Vec<Wire>, usize) {
    let mut deliver: Vec<Wire> = std::mem::take(held);
    let mut dropped = 0;
    for wire in batch {
        let roll: f64 = rng.r#gen();
        if !first && roll < 0.05 {
            dropped += 1;
        } else if !first && roll < 0.10 {
            held.push(wire);
        } else {
            deliver.push(wire);
        }
    }
    deliver.shuffle(rng);
    (deliver, dropped)
}

struct Tally {
    to_them: usize,
    to_us: usize,
    dropped: usize,
}

/// 1,000 messages each way in batches of 1–20 that alternate direction, each batch reordered,
/// with drops and late deliveries. `we_start` says who sends the first batch.
fn conversation(
    oracle: &mut Oracle,
    us: &Party,
    them: &ProtocolAddress,
    we_start: bool,
    seed: u64,
) -> Tally {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut crypto_rng = StdRng::seed_from_u64(seed ^ 1);
    let us_json = addr_json(&us.address);
    let them_json = addr_json(them);
    let mut tally = Tally {
        to_them: 0,
        to_us: 0,
        dropped: 0,
    };
    let (mut held_ours, mut held_theirs) = (Vec::new(), Vec::new());
    let mut our_turn = we_start;
    let mut first = [true, true];
    let mut counter = 0u32;
    let (mut sent_ours, mut sent_theirs) = (0usize, 0usize);
    while sent_ours < 1_000 || sent_theirs < 1_000 {
        let remaining = if our_turn {
            1_000 - sent_ours
        } else {
            1_000 - sent_theirs
        };
        if remaining == 0 {
            our_turn = !our_turn;
            continue;
        }
        let count = rng.gen_range(1..=20usize).min(remaining);
        let texts: Vec<Vec<u8>> = (0..count)
            .map(|_| {
                counter += 1;
                format!("{}-{counter}", if our_turn { "ours" } else { "theirs" }).into_bytes()
            })
            .collect();
        let is_first = std::mem::replace(&mut first[usize::from(our_turn)], false);
        if our_turn {
            let batch: Vec<Wire> = texts
                .into_iter()
                .map(|text| {
                    let (kind, body) = block_on(signal::encrypt(&us.store, them, &text)).unwrap();
                    Wire { text, kind, body }
                })
                .collect();
            sent_ours += batch.len();
            let (deliver, dropped) = schedule(batch, &mut held_ours, is_first, &mut rng);
            tally.dropped += dropped;
            tally.to_them += deliver.len();
            deliver_to_them(oracle, &us_json, deliver);
        } else {
            let answer = oracle.call(json!({
                "op": "encrypt",
                "address": us_json,
                "plaintexts": texts.iter().map(hex::encode).collect::<Vec<_>>(),
            }));
            let batch: Vec<Wire> = texts
                .into_iter()
                .zip(answer["messages"].as_array().unwrap())
                .map(|(text, m)| Wire {
                    text,
                    kind: MessageType::from_enc_type(m["type"].as_str().unwrap()).unwrap(),
                    body: hex::decode(m["body"].as_str().unwrap()).unwrap(),
                })
                .collect();
            sent_theirs += batch.len();
            let (deliver, dropped) = schedule(batch, &mut held_theirs, is_first, &mut rng);
            tally.dropped += dropped;
            tally.to_us += deliver.len();
            for wire in deliver {
                let decrypted = block_on(signal::decrypt(
                    &us.store,
                    them,
                    wire.kind,
                    &wire.body,
                    &mut crypto_rng,
                ))
                .unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(&wire.text)));
                assert_eq!(decrypted.plaintext, wire.text);
            }
        }
        our_turn = !our_turn;
    }
    tally.to_them += held_ours.len();
    deliver_to_them(oracle, &us_json, held_ours);
    for wire in held_theirs {
        tally.to_us += 1;
        let decrypted = block_on(signal::decrypt(
            &us.store,
            them,
            wire.kind,
            &wire.body,
            &mut crypto_rng,
        ))
        .unwrap();
        assert_eq!(decrypted.plaintext, wire.text);
    }
    let _ = them_json;
    tally
}

fn deliver_to_them(oracle: &mut Oracle, us_json: &Value, deliver: Vec<Wire>) {
    if deliver.is_empty() {
        return;
    }
    let answer = oracle.call(json!({
        "op": "decrypt",
        "address": us_json,
        "messages": deliver.iter().map(|w| json!({"type": w.kind.as_str(), "body": hex::encode(&w.body)})).collect::<Vec<_>>(),
    }));
    for (wire, result) in deliver.iter().zip(answer["results"].as_array().unwrap()) {
        assert_eq!(
            result["ok"].as_str(),
            Some(hex::encode(&wire.text).as_str()),
            "libsignal-node failed on {}: {result}",
            String::from_utf8_lossy(&wire.text)
        );
    }
}

#[test]
fn we_initiate_with_libsignal_node() {
    let mut oracle = Oracle::start();
    let mut rng = StdRng::seed_from_u64(100);
    let us = Party::new("15550000001", 1, TrustPolicy::AlwaysTrust, &mut rng);
    let them = ProtocolAddress::new("15550000002", 3);
    let answer = oracle.call(json!({"op": "init", "name": them.name, "device": them.device}));
    let bundle = bundle_from_json(&answer["bundle"], them.device);
    assert!(
        bundle.verify_signature(),
        "libsignal-node's signed prekey verifies here"
    );
    block_on(signal::process_bundle(&us.store, &them, &bundle, &mut rng)).unwrap();
    let tally = conversation(&mut oracle, &us, &them, true, 101);
    assert!(tally.to_them + tally.to_us + tally.dropped == 2_000 && tally.dropped > 0);
    assert!(tally.to_them > 900 && tally.to_us > 900);
}

#[test]
fn libsignal_node_initiates_with_us() {
    let mut oracle = Oracle::start();
    let mut rng = StdRng::seed_from_u64(200);
    let us = Party::new("15550000001", 2, TrustPolicy::AlwaysTrust, &mut rng);
    let them = ProtocolAddress::new("15550000003", 0);
    oracle.call(json!({"op": "init", "name": them.name, "device": them.device}));
    oracle.call(json!({
        "op": "process_bundle",
        "address": addr_json(&us.address),
        "bundle": bundle_to_json(&us.bundle(Some(4))),
    }));
    let tally = conversation(&mut oracle, &us, &them, false, 201);
    assert!(tally.to_them + tally.to_us + tally.dropped == 2_000 && tally.dropped > 0);
    // The pkmsg consumed our one-time prekey.
    assert!(
        block_on(signal::PreKeyStore::load_pre_key(
            &us.store,
            us.pre_keys[4].id
        ))
        .unwrap()
        .is_none()
    );
}

/// Their duplicate and tampered messages are refused by us; ours by them.
#[test]
fn duplicates_and_tampering_rejected_across_implementations() {
    let mut oracle = Oracle::start();
    let mut rng = StdRng::seed_from_u64(300);
    let us = Party::new("15550000001", 1, TrustPolicy::AlwaysTrust, &mut rng);
    let them = ProtocolAddress::new("15550000004", 0);
    let answer = oracle.call(json!({"op": "init", "name": them.name, "device": them.device}));
    block_on(signal::process_bundle(
        &us.store,
        &them,
        &bundle_from_json(&answer["bundle"], 0),
        &mut rng,
    ))
    .unwrap();
    let (kind, body) = block_on(signal::encrypt(&us.store, &them, b"first")).unwrap();
    let message = json!({"type": kind.as_str(), "body": hex::encode(&body)});
    let answer = oracle.call(json!({"op": "decrypt", "address": addr_json(&us.address), "messages": [message.clone(), message]}));
    assert_eq!(answer["results"][0]["ok"], hex::encode(b"first"));
    assert!(
        answer["results"][1]["error"].is_string(),
        "libsignal-node accepted a replay"
    );
    let answer = oracle.call(json!({"op": "encrypt", "address": addr_json(&us.address), "plaintexts": [hex::encode(b"reply")]}));
    let reply = hex::decode(answer["messages"][0]["body"].as_str().unwrap()).unwrap();
    let mut tampered = reply.clone();
    tampered[10] ^= 0x40;
    let before = block_on(signal::SessionStore::load_session(&us.store, &them))
        .unwrap()
        .unwrap()
        .serialize();
    assert!(
        block_on(signal::decrypt(
            &us.store,
            &them,
            MessageType::Whisper,
            &tampered,
            &mut rng
        ))
        .is_err()
    );
    assert_eq!(
        block_on(signal::SessionStore::load_session(&us.store, &them))
            .unwrap()
            .unwrap()
            .serialize(),
        before
    );
    assert_eq!(
        block_on(signal::decrypt(
            &us.store,
            &them,
            MessageType::Whisper,
            &reply,
            &mut rng
        ))
        .unwrap()
        .plaintext,
        b"reply"
    );
    assert!(matches!(
        block_on(signal::decrypt(
            &us.store,
            &them,
            MessageType::Whisper,
            &reply,
            &mut rng
        )),
        Err(signal::SignalError::DuplicateMessage { .. })
    ));
}

#[test]
fn group_messages_both_ways_with_baileys() {
    let mut oracle = Oracle::start();
    let mut rng = StdRng::seed_from_u64(400);
    let us = Party::new("15550000001", 1, TrustPolicy::AlwaysTrust, &mut rng);
    let them = ProtocolAddress::new("15550000005", 0);
    oracle.call(json!({"op": "init", "name": them.name, "device": them.device}));
    let mut schedule_rng = StdRng::seed_from_u64(401);

    // Ours -> theirs: 500 messages, reordered in windows of 40, 5% dropped.
    let our_name = SenderKeyName::new(GROUP, us.address.clone());
    let skdm = block_on(group::create_distribution(&us.store, &our_name, &mut rng)).unwrap();
    oracle.call(json!({"op": "group_process", "group": GROUP, "sender": addr_json(&us.address), "skdm": hex::encode(skdm.serialized())}));
    let mut ours: Vec<(Vec<u8>, Vec<u8>)> = (0..500u32)
        .map(|i| {
            let text = format!("group-ours-{i}").into_bytes();
            let body = block_on(group::encrypt(&us.store, &our_name, &text, &mut rng)).unwrap();
            (text, body)
        })
        .collect();
    for window in ours.chunks_mut(40) {
        window.shuffle(&mut schedule_rng);
    }
    let ours: Vec<_> = ours
        .into_iter()
        .filter(|_| schedule_rng.gen_bool(0.95))
        .collect();
    let answer = oracle.call(json!({
        "op": "group_decrypt", "group": GROUP, "sender": addr_json(&us.address),
        "messages": ours.iter().map(|(_, b)| hex::encode(b)).collect::<Vec<_>>(),
    }));
    for ((text, _), result) in ours.iter().zip(answer["results"].as_array().unwrap()) {
        assert_eq!(
            result["ok"].as_str(),
            Some(hex::encode(text).as_str()),
            "{result}"
        );
    }

    // Theirs -> ours: 500 messages (Baileys' encryptor uses iterations 0, 2, 4, …).
    let their_name = SenderKeyName::new(GROUP, them.clone());
    let answer =
        oracle.call(json!({"op": "group_create", "group": GROUP, "sender": addr_json(&them)}));
    let skdm = hex::decode(answer["skdm"].as_str().unwrap()).unwrap();
    block_on(group::process_distribution(&us.store, &their_name, &skdm)).unwrap();
    let texts: Vec<Vec<u8>> = (0..500u32)
        .map(|i| format!("group-theirs-{i}").into_bytes())
        .collect();
    let answer = oracle.call(json!({
        "op": "group_encrypt", "group": GROUP, "sender": addr_json(&them),
        "plaintexts": texts.iter().map(hex::encode).collect::<Vec<_>>(),
    }));
    let mut theirs: Vec<(Vec<u8>, Vec<u8>)> = texts
        .into_iter()
        .zip(answer["messages"].as_array().unwrap())
        .map(|(t, m)| (t, hex::decode(m.as_str().unwrap()).unwrap()))
        .collect();
    let second = signal::SenderKeyMessage::decode(&theirs[1].1).unwrap();
    assert_eq!(
        second.iteration, 2,
        "Baileys' encryptor skips every other iteration"
    );
    for window in theirs.chunks_mut(40) {
        window.shuffle(&mut schedule_rng);
    }
    let mut delivered = Vec::new();
    for (text, body) in theirs {
        if schedule_rng.gen_bool(0.05) {
            continue;
        }
        assert_eq!(
            block_on(group::decrypt(&us.store, &their_name, &body)).unwrap(),
            text
        );
        delivered.push(body);
    }
    for body in delivered.iter().take(20) {
        assert!(matches!(
            block_on(group::decrypt(&us.store, &their_name, body)),
            Err(signal::SignalError::DuplicateMessage { .. })
        ));
    }
    // A tampered skmsg from them fails the signature check and changes nothing.
    let answer = oracle.call(json!({"op": "group_encrypt", "group": GROUP, "sender": addr_json(&them), "plaintexts": ["00"]}));
    let mut body = hex::decode(answer["messages"][0].as_str().unwrap()).unwrap();
    body[8] ^= 1;
    assert!(block_on(group::decrypt(&us.store, &their_name, &body)).is_err());
}
