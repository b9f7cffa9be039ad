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

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use openwa_protocol::binary::{decode, encode};
use openwa_protocol::{AttrValue, Content, Jid, Node};
use serde_json::{Value, json};
use support::Profile;
use support::random::{NodeGen, SplitMix64};

const NODES_PER_DIRECTION: usize = 5_000;

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop")
}

/// The Baileys oracle process; requests go in on a writer thread so neither pipe can fill up.
fn run_oracle(requests: Vec<Value>) -> Vec<Value> {
    let dir = interop_dir();
    assert!(
        dir.join("node_modules/baileys7").is_dir(),
        "tests/interop/node_modules is missing: run `npm ci --prefix tests/interop` first \
         (scripts/test does it)"
    );
    let mut child = Command::new("node")
        .arg("binary-oracle.mjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node must be installed to run the differential tests");
    let mut stdin = child.stdin.take().unwrap();
    let count = requests.len();
    let writer = std::thread::spawn(move || {
        let mut buffered = std::io::BufWriter::new(&mut stdin);
        for request in requests {
            serde_json::to_writer(&mut buffered, &request).unwrap();
            buffered.write_all(b"\n").unwrap();
        }
        buffered.flush().unwrap();
    });
    let replies: Vec<Value> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|line| serde_json::from_str(&line.unwrap()).unwrap())
        .collect();
    writer.join().unwrap();
    assert!(
        child.wait().unwrap().success(),
        "oracle exited with an error"
    );
    assert_eq!(replies.len(), count, "one reply per request");
    replies
}

/// `count` random nodes from a fixed seed, so a failure reproduces.
fn generate(profile: Profile, count: usize, seed: u64) -> Vec<Node> {
    let mut generator = NodeGen::new(SplitMix64(seed), profile);
    (0..count).map(|_| generator.node(4)).collect()
}

/// Whether our encoder writes this JID as AD_JID (device, agent or hosted server).
fn uses_ad_jid(jid: &Jid) -> bool {
    let ad_server = matches!(
        jid.server.as_str(),
        "s.whatsapp.net" | "lid" | "hosted" | "hosted.lid"
    );
    ad_server && (jid.device > 0 || jid.agent != 0 || jid.server.starts_with("hosted"))
}

/// A JID as Baileys' decoder renders it after our encoder wrote it.
fn baileys_decoded_jid(jid: &Jid) -> String {
    let Jid {
        user,
        device,
        integrator,
        server,
        ..
    } = jid;
    match server.as_str() {
        "msgr" => format!("{user}:{device}@{server}"),
        "interop" => format!("{integrator}-{user}:{device}@{server}"),
        _ if uses_ad_jid(jid) && *device > 0 => format!("{user}:{device}@{server}"),
        _ => format!("{user}@{server}"),
    }
}

/// A JID as text for Baileys' encoder, so that it picks the same tag as ours.
fn baileys_encodable_jid(jid: &Jid) -> String {
    let Jid {
        user,
        agent,
        device,
        server,
        ..
    } = jid;
    if !uses_ad_jid(jid) {
        return format!("{user}@{server}");
    }
    match agent {
        0 => format!("{user}:{device}@{server}"),
        _ => format!("{user}_{agent}:{device}@{server}"),
    }
}

fn content_view(content: &Content, children: impl Fn(&Node) -> Value) -> Value {
    match content {
        Content::None => Value::Null,
        Content::Bytes(bytes) => json!({ "bytes": hex::encode(bytes) }),
        Content::Str(text) => json!({ "text": text }),
        Content::Nodes(nodes) => json!({ "nodes": nodes.iter().map(children).collect::<Vec<_>>() }),
    }
}

/// The view Baileys' decoder should produce for our node (attributes sorted by key).
fn expected_baileys_view(node: &Node) -> Value {
    let mut attrs: Vec<(String, String)> = node
        .attrs
        .iter()
        .map(|(key, value)| {
            let text = match value {
                AttrValue::Str(text) => text.clone(),
                AttrValue::Jid(jid) => baileys_decoded_jid(jid),
            };
            (key.clone(), text)
        })
        .collect();
    attrs.sort();
    json!({
        "tag": node.tag,
        "attrs": attrs,
        "content": content_view(&node.content, expected_baileys_view),
    })
}

/// Baileys' view with attributes sorted by key (a JavaScript object's order is not ours).
fn sorted_view(view: &Value) -> Value {
    let mut attrs: Vec<(String, String)> = serde_json::from_value(view["attrs"].clone()).unwrap();
    attrs.sort();
    let content = match &view["content"] {
        Value::Object(map) if map.contains_key("nodes") => {
            let nodes: Vec<Value> = map["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(sorted_view)
                .collect();
            json!({ "nodes": nodes })
        }
        other => other.clone(),
    };
    json!({ "tag": view["tag"], "attrs": attrs, "content": content })
}

/// The JSON description Baileys' encoder builds its node from.
fn baileys_description(node: &Node) -> Value {
    let attrs: Vec<(String, String)> = node
        .attrs
        .iter()
        .map(|(key, value)| {
            let text = match value {
                AttrValue::Str(text) => text.clone(),
                AttrValue::Jid(jid) => baileys_encodable_jid(jid),
            };
            (key.clone(), text)
        })
        .collect();
    json!({
        "tag": node.tag,
        "attrs": attrs,
        "content": content_view(&node.content, baileys_description),
    })
}

/// An array index in JavaScript's sense: such object keys are enumerated first, ascending.
fn js_index(key: &str) -> Option<u32> {
    let index: u32 = key.parse().ok()?;
    (index != u32::MAX && index.to_string() == key).then_some(index)
}

/// The node with every attribute list in JavaScript object key order.
fn in_js_key_order(node: &Node) -> Node {
    let mut attrs = node.attrs.clone();
    // Stable: non-index keys keep their insertion order after the sorted index keys.
    attrs.sort_by_key(|(key, _)| js_index(key).map_or((1, 0), |index| (0, index)));
    let content = match &node.content {
        Content::Nodes(children) => Content::Nodes(children.iter().map(in_js_key_order).collect()),
        other => other.clone(),
    };
    Node {
        tag: node.tag.clone(),
        attrs,
        content,
    }
}

/// The worked examples of protocol.md §4.6, which both sides must agree on too.
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

fn zlib(encoded: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(vec![2u8], flate2::Compression::default());
    z.write_all(encoded.get(1..).unwrap()).unwrap();
    z.finish().unwrap()
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
    let compressed: Vec<Node> = ours_encoded.iter().take(50).cloned().collect();

    let mut requests = Vec::new();
    for node in &ours_encoded {
        requests.push(json!({ "op": "decode", "hex": hex::encode(encode(node)) }));
    }
    for node in &compressed {
        requests.push(json!({ "op": "decode", "hex": hex::encode(zlib(&encode(node))) }));
    }
    for node in &baileys_encoded {
        requests.push(json!({ "op": "encode", "node": baileys_description(node) }));
    }
    let replies = run_oracle(requests);
    let (decoded_by_baileys, encoded_by_baileys) =
        replies.split_at(ours_encoded.len() + compressed.len());

    for (node, reply) in ours_encoded
        .iter()
        .chain(&compressed)
        .zip(decoded_by_baileys)
    {
        assert_eq!(
            reply["ok"], true,
            "Baileys failed to decode {node}: {reply}"
        );
        assert_eq!(
            sorted_view(&reply["node"]),
            expected_baileys_view(node),
            "Baileys decoded our encoding of {node} differently"
        );
    }
    for (node, reply) in baileys_encoded.iter().zip(encoded_by_baileys) {
        assert_eq!(
            reply["ok"], true,
            "Baileys failed to encode {node}: {reply}"
        );
        let bytes = hex::decode(reply["hex"].as_str().unwrap()).unwrap();
        let expected = in_js_key_order(node);
        assert_eq!(
            decode(&bytes).as_ref(),
            Ok(&expected),
            "we decoded Baileys' encoding of {node} differently"
        );
        assert_eq!(
            hex::encode(&bytes),
            hex::encode(encode(&expected)),
            "Baileys and we encode {node} differently"
        );
    }
}
