//! How Baileys 7's WABinary codec sees our nodes, and the oracle process that runs it
//! (`tests/interop/binary-oracle.mjs`). The normalizations are documented in
//! `binary_differential.rs`.

use std::io::Write;

use openwa_protocol::binary::{Dictionary, decode_with, encode_with};
use openwa_protocol::{AttrValue, Content, Jid, Node};
use openwa_testkit::node::{NodeScript, require_packages};
use serde_json::{Value, json};

#[allow(unused_imports)] // not every test binary reads files of tests/interop
pub use openwa_testkit::node::interop_dir;

/// The Baileys oracle process (stdout is read on the runner's thread, so neither pipe can fill
/// up).
pub fn run_oracle(requests: Vec<Value>) -> Vec<Value> {
    require_packages(&["baileys7"]);
    let count = requests.len();
    let replies = NodeScript::new("binary-oracle.mjs").run_lines(requests);
    assert_eq!(replies.len(), count, "one reply per request");
    replies
}

/// Whether our encoder writes this JID as AD_JID (device, agent or hosted server).
pub fn uses_ad_jid(jid: &Jid) -> bool {
    let ad_server = matches!(
        jid.server.as_str(),
        "s.whatsapp.net" | "lid" | "hosted" | "hosted.lid"
    );
    ad_server && (jid.device > 0 || jid.agent != 0 || jid.server.starts_with("hosted"))
}

/// A JID as Baileys' decoder renders it after our encoder wrote it.
pub fn baileys_decoded_jid(jid: &Jid) -> String {
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
pub fn baileys_encodable_jid(jid: &Jid) -> String {
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

pub fn content_view(content: &Content, children: impl Fn(&Node) -> Value) -> Value {
    match content {
        Content::None => Value::Null,
        Content::Bytes(bytes) => json!({ "bytes": hex::encode(bytes) }),
        Content::Str(text) => json!({ "text": text.as_str() }),
        Content::Nodes(nodes) => json!({ "nodes": nodes.iter().map(children).collect::<Vec<_>>() }),
    }
}

/// The view Baileys' decoder should produce for our node (attributes sorted by key).
pub fn expected_baileys_view(node: &Node) -> Value {
    let mut attrs: Vec<(String, String)> = node
        .attrs
        .iter()
        .map(|(key, value)| {
            let text = match value {
                AttrValue::Str(text) => text.to_string(),
                AttrValue::Jid(jid) => baileys_decoded_jid(jid),
            };
            (key.to_string(), text)
        })
        .collect();
    attrs.sort();
    json!({
        "tag": node.tag.as_str(),
        "attrs": attrs,
        "content": content_view(&node.content, expected_baileys_view),
    })
}

/// Baileys' view with attributes sorted by key (a JavaScript object's order is not ours).
pub fn sorted_view(view: &Value) -> Value {
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
pub fn baileys_description(node: &Node) -> Value {
    let attrs: Vec<(String, String)> = node
        .attrs
        .iter()
        .map(|(key, value)| {
            let text = match value {
                AttrValue::Str(text) => text.to_string(),
                AttrValue::Jid(jid) => baileys_encodable_jid(jid),
            };
            (key.to_string(), text)
        })
        .collect();
    json!({
        "tag": node.tag.as_str(),
        "attrs": attrs,
        "content": content_view(&node.content, baileys_description),
    })
}

/// An array index in JavaScript's sense: such object keys are enumerated first, ascending.
pub fn js_index(key: &str) -> Option<u32> {
    let index: u32 = key.parse().ok()?;
    (index != u32::MAX && index.to_string() == key).then_some(index)
}

/// The node with every attribute list in JavaScript object key order.
pub fn in_js_key_order(node: &Node) -> Node {
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

/// Which Baileys a dictionary version is checked against, for failure messages.
fn baileys_name(dictionary: Dictionary) -> &'static str {
    match dictionary {
        Dictionary::V2 => "Baileys 6",
        Dictionary::V3 => "Baileys 7",
    }
}

/// zlib-compresses encoded node bytes behind the compressed flags byte 2.
fn zlib(encoded: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(vec![2u8], flate2::Compression::default());
    z.write_all(encoded.get(1..).unwrap()).unwrap();
    z.finish().unwrap()
}

/// Both directions of the differential test against the Baileys that speaks `dictionary`
/// (version 3: Baileys 7, version 2: Baileys 6), through one oracle process:
/// - `ours`, and `compressed` zlib-compressed, are encoded by us; Baileys must decode each to
///   the view we expect ([`expected_baileys_view`]);
/// - `theirs` are encoded by Baileys from their description; we must decode its bytes to the
///   node (attributes in JavaScript key order), and its bytes must equal our encoding.
pub fn check_against_baileys(
    dictionary: Dictionary,
    ours: &[Node],
    compressed: &[Node],
    theirs: &[Node],
) {
    let v = dictionary.version();
    let baileys = baileys_name(dictionary);
    let ours_bytes = ours
        .iter()
        .map(|node| encode_with(node, dictionary).unwrap())
        .chain(
            compressed
                .iter()
                .map(|node| zlib(&encode_with(node, dictionary).unwrap())),
        );
    let mut requests: Vec<Value> = ours_bytes
        .map(|bytes| json!({ "op": "decode", "v": v, "hex": hex::encode(bytes) }))
        .collect();
    requests.extend(
        theirs
            .iter()
            .map(|node| json!({ "op": "encode", "v": v, "node": baileys_description(node) })),
    );
    let replies = run_oracle(requests);
    let (decoded_by_baileys, encoded_by_baileys) = replies.split_at(ours.len() + compressed.len());

    for (node, reply) in ours.iter().chain(compressed).zip(decoded_by_baileys) {
        assert_eq!(
            reply["ok"], true,
            "{baileys} failed to decode {node}: {reply}"
        );
        assert_eq!(
            sorted_view(&reply["node"]),
            expected_baileys_view(node),
            "{baileys} decoded our encoding of {node} differently"
        );
    }
    for (node, reply) in theirs.iter().zip(encoded_by_baileys) {
        assert_eq!(
            reply["ok"], true,
            "{baileys} failed to encode {node}: {reply}"
        );
        let bytes = hex::decode(reply["hex"].as_str().unwrap()).unwrap();
        let expected = in_js_key_order(node);
        assert_eq!(
            decode_with(&bytes, dictionary).as_ref(),
            Ok(&expected),
            "we decoded {baileys}'s encoding of {node} differently"
        );
        assert_eq!(
            hex::encode(&bytes),
            hex::encode(encode_with(&expected, dictionary).unwrap()),
            "{baileys} and we encode {node} differently"
        );
    }
}
