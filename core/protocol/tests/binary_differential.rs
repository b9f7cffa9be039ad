//! Differential test of the binary node codec against Baileys 7's pure-JS WABinary codec
//! (`tests/interop/binary-oracle.mjs`, one long-running node process).
//!
//! 1. 5,000 random nodes encoded by us are decoded by Baileys and compared with our node.
//! 2. 5,000 random nodes are encoded by Baileys from a JSON description, decoded by us and
//!    compared with the node; Baileys' bytes must also equal our own encoding byte for byte.
//!
//! Normalizations, each forced by a documented Baileys behaviour:
//! - Attributes are a JavaScript object there: one value per key (the generator makes keys
//!   unique) and integer-like keys come first in ascending order. Views are compared with
//!   attributes sorted by key; for byte equality our node's attributes are put in JavaScript's
//!   key order first.
//! - Baileys' decoder returns attribute JIDs as text: `user@server` for JID_PAIR (`@server` with
//!   an empty user), `user[:device]@server` for AD_JID (an agent byte is dropped; the server is
//!   derived from the domain byte), `user:device@server` for FB_JID and
//!   `integrator-user:device@server` for INTEROP_JID. Our JIDs are rendered the same way.
//! - Baileys' encoder turns any string containing '@' into a JID, so nodes it encodes have no '@'
//!   in plain strings, and JIDs are handed to it as text in the form its parser reads
//!   (`user[_agent][:device]@server`, `:device` exactly when we use AD_JID).
//! - Its token map is a plain object, so names like `constructor` are left out of its input.
//! - It writes empty string content as BINARY_8 0 (bytes); nodes it encodes have no empty string
//!   content.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use openwa_protocol::binary::{Dictionary, encode};
use openwa_protocol::{Jid, Node};
use serde_json::json;
use support::Profile;
use support::baileys::{
    baileys_description, check_against_baileys, expected_baileys_view, interop_dir, run_oracle,
    sorted_view,
};
use support::random::{NodeGen, SplitMix64};

const NODES_PER_DIRECTION: usize = 5_000;

/// `count` random nodes from a fixed seed, so a failure reproduces.
fn generate(profile: Profile, count: usize, seed: u64) -> Vec<Node> {
    let mut generator = NodeGen::new(SplitMix64(seed), profile);
    (0..count).map(|_| generator.node(4)).collect()
}

/// The worked examples of docs/PROTOCOL.md, Binary nodes, which both sides must agree on too.
fn worked_examples() -> Vec<Node> {
    vec![
        Node::new("iq")
            .attr("id", "1")
            .attr("to", Jid::server())
            .attr("type", "get")
            .attr("xmlns", "w:p")
            .child(Node::new("ping")),
        Node::new("receipt")
            .attr("id", "3EB0C431D5E3C4E1")
            .attr("to", Jid::with_device("15551234567", "s.whatsapp.net", 3))
            .attr("type", "read"),
        Node::new("enc")
            .attr("v", "2")
            .attr("type", "msg")
            .bytes([0x33, 0x0A, 0x21]),
        Node::new("iq")
            .attr("id", "x1")
            .attr("to", Jid::new("120363001234567890", "g.us"))
            .attr("type", "get")
            .attr("xmlns", "w:g2")
            .child(Node::new("query").attr("request", "interactive")),
        Node::new("to").attr("jid", Jid::with_device("987654321", "lid", 2)),
    ]
}

#[test]
fn baileys_and_openwa_agree_on_random_nodes() {
    let mut ours_encoded = worked_examples();
    ours_encoded.extend(generate(
        Profile::BaileysDecodes,
        NODES_PER_DIRECTION,
        0x0BA1_1E75,
    ));
    let mut baileys_encoded = worked_examples();
    baileys_encoded.extend(generate(
        Profile::BaileysEncodes,
        NODES_PER_DIRECTION,
        0xE4C0_DE00,
    ));
    let compressed = ours_encoded.get(..50).unwrap();
    check_against_baileys(Dictionary::V3, &ours_encoded, compressed, &baileys_encoded);
}

/// The benchmark stanzas as `tests/interop/binary-bench.mjs` reads them: name, JSON description
/// for Baileys' encoder and our encoding.
fn bench_nodes_json() -> serde_json::Value {
    let entries: Vec<_> = support::stanzas::all()
        .into_iter()
        .map(|(name, node)| {
            json!({ "name": name, "node": baileys_description(&node), "hex": hex::encode(encode(&node).unwrap()) })
        })
        .collect();
    serde_json::Value::Array(entries)
}

/// The committed `binary-bench-nodes.json` matches the stanzas in `openwa_testkit::stanzas`
/// (regenerate with `OPENWA_WRITE_BENCH_NODES=1`), and Baileys encodes each of them to exactly
/// our bytes and decodes our bytes to the same view — so both benchmarks measure the same work.
#[test]
fn bench_nodes_are_current_and_identical_in_baileys() {
    let path = interop_dir().join("binary-bench-nodes.json");
    let current = bench_nodes_json();
    if std::env::var_os("OPENWA_WRITE_BENCH_NODES").is_some() {
        let text = serde_json::to_string_pretty(&current).unwrap() + "\n";
        std::fs::write(&path, text).unwrap();
    }
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        committed, current,
        "tests/interop/binary-bench-nodes.json is stale: rerun this test with \
         OPENWA_WRITE_BENCH_NODES=1"
    );

    let stanzas = support::stanzas::all();
    let mut requests = Vec::new();
    for (_, node) in &stanzas {
        requests.push(json!({ "op": "encode", "node": baileys_description(node) }));
        requests.push(json!({ "op": "decode", "hex": hex::encode(encode(node).unwrap()) }));
    }
    let replies = run_oracle(requests);
    for ((name, node), pair) in stanzas.iter().zip(replies.chunks(2)) {
        assert_eq!(
            pair[0]["hex"],
            hex::encode(encode(node).unwrap()),
            "{name}: Baileys' bytes differ"
        );
        assert_eq!(
            sorted_view(&pair[1]["node"]),
            expected_baileys_view(node),
            "{name}: Baileys decodes differently"
        );
    }
}
