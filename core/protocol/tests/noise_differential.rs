//! Differential test of the Noise XX handshake, framing, transport and ClientPayload against
//! Baileys 7's own client code (`tests/interop/noise-oracle.mjs`, run as a node process).
//!
//! (a) Baileys' initiator talks to OUR responder: full handshake, Baileys accepts our cert chain,
//!     we decrypt and classify its ClientPayload, then binary-node frames flow both ways (split
//!     and coalesced).
//! (b) OUR initiator mirrors Baileys: with the same ephemeral and noise keys and the same
//!     ServerHello, it must produce byte-identical ClientHello / ClientFinish frames and
//!     byte-identical transport frames (hence the same transport keys), and our payload builders
//!     must produce Baileys' exact ClientPayload bytes.

// Test helpers outside #[test] fns: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use openwa_protocol::crypto::KeyPair;
use openwa_protocol::noise::{
    CertValidity, FrameDecoder, FrameEncoder, Initiator, Responder, TrustRoot, WA_INTRO,
    build_cert_chain,
};
use openwa_protocol::payload::{
    ClientConfig, ClientKind, Login, RegistrationKeys, login_payload, parse_client_payload,
    registration_payload,
};
use openwa_testkit::node::{NodeProcess, NodeScript, require_packages};
use prost::Message;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

const NOW: u64 = 1_780_000_000;

struct Oracle(NodeProcess);

impl Oracle {
    fn spawn() -> Self {
        require_packages(&["baileys7"]);
        Oracle(NodeScript::new("noise-oracle.mjs").spawn())
    }

    fn send(&mut self, value: Value) {
        self.0.send(&value);
    }

    fn send_bytes(&mut self, bytes: &[u8]) {
        self.send(json!({"type": "data", "bytes": hex::encode(bytes)}));
    }

    /// The next message; a hang guard, not a performance assertion.
    fn recv(&mut self, expected_type: &str) -> Value {
        let value = self
            .0
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|| panic!("oracle sent no `{expected_type}` message (see stderr)"));
        assert_eq!(value["type"], expected_type, "{value}");
        value
    }

    fn finish(mut self) {
        self.send(json!({"type": "end"}));
        let status = self.0.wait();
        assert!(status.success(), "oracle exited with {status}");
    }
}

fn bytes(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().unwrap()).unwrap()
}

/// Binary nodes produced by Baileys' encoder (docs/PROTOCOL.md, Binary nodes), which Baileys must decode from
/// our transport frames and re-encode to the same bytes.
fn server_nodes() -> Vec<Vec<u8>> {
    let keepalive = hex::decode("00F80A19085511FA000304291657F801F80156").unwrap();
    let receipt =
        hex::decode("00F8070708FB083EB0C431D5E3C4E111F70003FF8615551234567F042A").unwrap();
    let enc = hex::decode("00F8061D5145044DFC03330A21").unwrap();
    // <enc v="2" type="msg"> with 70 000 bytes of content (BINARY_20), larger than one WS read.
    let mut big = hex::decode("00F8061D5145044DFD011170").unwrap();
    big.extend((0..70_000u32).map(|i| (i % 251) as u8));
    vec![keepalive, receipt, enc, big]
}

fn client_nodes() -> Value {
    json!([
        {"tag": "iq", "attrs": {"id": "1", "to": "s.whatsapp.net", "type": "get", "xmlns": "w:p"},
         "content": [{"tag": "ping", "attrs": {}}]},
        {"tag": "enc", "attrs": {"v": "2", "type": "pkmsg"}, "content": {"hex": "33".repeat(300)}},
        {"tag": "presence", "attrs": {"name": "Ann", "type": "available"}},
    ])
}

struct Keys {
    ephemeral: [u8; 32],
    noise: [u8; 32],
    identity: [u8; 32],
    signed_prekey: [u8; 32],
}

fn run(mode: &str, keys: &Keys) {
    let mut rng = StdRng::seed_from_u64(99);
    let root = KeyPair::generate(&mut rng);
    let intermediate = KeyPair::generate(&mut rng);
    let server_static = KeyPair::from_private([0x44; 32]);
    let chain = build_cert_chain(
        &root,
        &intermediate,
        &server_static.public,
        CertValidity::around(NOW, 3600),
        &mut rng,
    );
    let trust = TrustRoot::new(root.public);

    let mut oracle = Oracle::spawn();
    oracle.send(json!({
        "type": "config",
        "mode": mode,
        "ephemeral": hex::encode(keys.ephemeral),
        "noiseKey": hex::encode(keys.noise),
        "identity": hex::encode(keys.identity),
        "signedPreKey": hex::encode(keys.signed_prekey),
        "signedPreKeyId": 0x00_0102,
        "registrationId": 12_345,
        "jid": "15551234567:3@s.whatsapp.net",
        "send": client_nodes(),
    }));

    // ClientHello: our server decodes Baileys' bytes; our client produces the same bytes.
    let hello_frame = bytes(&oracle.recv("hello")["frame"]);
    let mut server_in = FrameDecoder::server();
    let mut server_out = FrameEncoder::server();
    server_in.push(&hello_frame);
    let client_hello = server_in.next_frame().unwrap().unwrap();
    assert_eq!(server_in.intro().unwrap().dict_version, 3);

    let mut mirror_out = FrameEncoder::client();
    let mut mirror_in = FrameDecoder::client();
    let (mirror, mirror_hello) = Initiator::start(KeyPair::from_private(keys.ephemeral));
    assert_eq!(mirror_out.encode(&mirror_hello).unwrap(), hello_frame);

    // ServerHello, sent to Baileys in two pieces.
    let responder = Responder::read_client_hello(&WA_INTRO, &client_hello).unwrap();
    let (responder, server_hello) = responder
        .write_server_hello(&server_static, &chain, KeyPair::from_private([0x33; 32]))
        .unwrap();
    let framed = server_out.encode(&server_hello).unwrap();
    let (first, second) = framed.split_at(framed.len() / 3);
    oracle.send_bytes(first);
    oracle.send_bytes(second);
    mirror_in.push(&framed);
    let mirror_ready = mirror
        .read_server_hello(&mirror_in.next_frame().unwrap().unwrap(), &trust, NOW)
        .unwrap();

    // ClientFinish: Baileys accepted the chain; we decrypt its static key and payload.
    let finish = oracle.recv("finish");
    let finish_frame = bytes(&finish["frame"]);
    let baileys_payload = bytes(&finish["payload"]);
    server_in.push(&finish_frame);
    let done = responder
        .read_client_finish(&server_in.next_frame().unwrap().unwrap())
        .unwrap();
    assert_eq!(done.client_static, KeyPair::from_private(keys.noise).public);
    assert_eq!(done.client_payload, baileys_payload);

    let config = ClientConfig::default();
    let our_payload = match parse_client_payload(&done.client_payload).unwrap() {
        ClientKind::Login(login) => {
            assert_eq!(mode, "login");
            assert_eq!(
                login,
                Login {
                    username: 15_551_234_567,
                    device: 3,
                    passive: true,
                    pull: true,
                    push_name: None
                }
            );
            login_payload(&config, 15_551_234_567, 3)
        }
        ClientKind::Registration(reg) => {
            assert_eq!(mode, "registration");
            // Baileys derived these keys and signed the prekey with libsignal; our classifier
            // verified that signature.
            let oracle_keys = &finish["keys"];
            assert_eq!(reg.identity_key.to_vec(), bytes(&oracle_keys["identity"]));
            assert_eq!(
                reg.identity_key,
                KeyPair::from_private(keys.identity).public
            );
            assert_eq!(
                reg.signed_prekey,
                KeyPair::from_private(keys.signed_prekey).public
            );
            assert_eq!(
                reg.signed_prekey_signature.to_vec(),
                bytes(&oracle_keys["signature"])
            );
            assert_eq!(
                (reg.registration_id, reg.signed_prekey_id),
                (12_345, 0x0102)
            );
            registration_payload(
                &config,
                &RegistrationKeys {
                    registration_id: reg.registration_id,
                    identity_key: reg.identity_key,
                    signed_prekey_id: reg.signed_prekey_id,
                    signed_prekey: reg.signed_prekey,
                    signed_prekey_signature: reg.signed_prekey_signature,
                },
            )
        }
    }
    .encode_to_vec();
    assert_eq!(hex::encode(&our_payload), hex::encode(&baileys_payload));

    let (mirror_finish, mut mirror_transport) = mirror_ready
        .finish(&KeyPair::from_private(keys.noise), &our_payload)
        .unwrap();
    assert_eq!(mirror_out.encode(&mirror_finish).unwrap(), finish_frame);

    // Transport, client → server.
    let mut server = done.transport;
    for _ in 0..client_nodes().as_array().unwrap().len() {
        let sent = oracle.recv("sent");
        let frame = bytes(&sent["frame"]);
        let plain = bytes(&sent["plain"]);
        server_in.push(&frame);
        let mut payload = server_in.next_frame().unwrap().unwrap();
        server.decrypt_in_place(&mut payload).unwrap();
        assert_eq!(payload, plain);
        let ours = mirror_transport.encrypt(&plain).unwrap();
        assert_eq!(mirror_out.encode(&ours).unwrap(), frame);
    }

    // Transport, server → client: two small frames coalesced, then the large one split in three.
    let nodes = server_nodes();
    let mut stream = Vec::new();
    for node in &nodes {
        let ct = server.encrypt(node).unwrap();
        server_out.encode_into(&ct, &mut stream).unwrap();
    }
    let big_start = stream.len() - (nodes[3].len() + 16 + 3);
    oracle.send_bytes(&stream[..big_start]);
    let third = (stream.len() - big_start) / 3;
    oracle.send_bytes(&stream[big_start..big_start + third]);
    oracle.send_bytes(&stream[big_start + third..big_start + 2 * third]);
    oracle.send_bytes(&stream[big_start + 2 * third..]);
    let tags = ["iq", "receipt", "enc", "enc"];
    for (node, tag) in nodes.iter().zip(tags) {
        let recv = oracle.recv("recv");
        assert_eq!(recv["tag"], tag);
        assert_eq!(hex::encode(bytes(&recv["reencoded"])), hex::encode(node));
        if tag == "receipt" {
            assert_eq!(recv["attrs"]["to"], "15551234567:3@s.whatsapp.net");
            assert_eq!(recv["attrs"]["id"], "3EB0C431D5E3C4E1");
        }
    }
    oracle.finish();

    // Our mirrored client decrypts the same stream with its own k2.
    let mut mirror_in = FrameDecoder::client();
    mirror_in.push(&stream);
    for node in &nodes {
        let mut frame = mirror_in.next_frame().unwrap().unwrap();
        mirror_transport.decrypt_in_place(&mut frame).unwrap();
        assert_eq!(&frame, node);
    }
}

#[test]
fn baileys_login_session() {
    run(
        "login",
        &Keys {
            ephemeral: [0x11; 32],
            noise: [0x22; 32],
            identity: [0x55; 32],
            signed_prekey: [0x66; 32],
        },
    );
}

#[test]
fn baileys_registration_session() {
    let mut rng = StdRng::seed_from_u64(5);
    let mut key = || {
        let mut k = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rng, &mut k);
        k
    };
    run(
        "registration",
        &Keys {
            ephemeral: key(),
            noise: key(),
            identity: key(),
            signed_prekey: key(),
        },
    );
}
