//! Differential test of the dictionary-version-2 codec against Baileys 6.17.16's WABinary codec
//! (the same `tests/interop/binary-oracle.mjs` process, requests marked `"v":2`).
//!
//! 1. 2,000 random nodes encoded by us with [`Dictionary::V2`] are decoded by Baileys 6 and
//!    compared with our node.
//! 2. 2,000 random nodes are encoded by Baileys 6 from a JSON description, decoded by us with
//!    version 2 and compared with the node; Baileys' bytes must equal our own encoding.
//!
//! The normalizations of `binary_differential.rs` apply. Baileys 6 is older and handles fewer JID
//! forms, so the generated nodes are limited to what it renders unambiguously:
//! - its AD_JID decoder knows only `s.whatsapp.net` (domain 0) and `lid` (any other domain), and
//!   its JID text parser drops agents: JIDs are plain, or devices on `s.whatsapp.net`/`lid`;
//! - it has no FB_JID or INTEROP_JID tags;
//! - its encoder writes the empty string as LIST_EMPTY (the dictionary's unused entry 0), which
//!   both decoders read as an empty string but is not our byte form: nodes it encodes contain no
//!   empty string.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use openwa_protocol::binary::{Dictionary, decode_with, encode_with};
use openwa_protocol::{AttrValue, Content, Jid, Node};
use support::Profile;
use support::baileys::check_against_baileys;
use support::random::{NodeGen, SplitMix64};

const NODES_PER_DIRECTION: usize = 2_000;
const V2: Dictionary = Dictionary::V2;

/// A JID Baileys 6 reads and writes exactly as we do.
fn baileys6_jid(jid: &Jid) -> bool {
    let ad_server = matches!(jid.server.as_str(), "s.whatsapp.net" | "lid");
    let plain = jid.device == 0;
    let hosted = jid.server.starts_with("hosted");
    jid.agent == 0
        && jid.integrator == 0
        && !hosted
        && !matches!(jid.server.as_str(), "msgr" | "interop")
        && (plain || ad_server)
}

/// Whether every JID of the node (and, if `no_empty`, every string) suits Baileys 6.
fn baileys6_node(node: &Node, no_empty: bool) -> bool {
    let attrs_ok = node.attrs.iter().all(|(key, value)| match value {
        AttrValue::Jid(jid) => baileys6_jid(jid) && !(no_empty && key.is_empty()),
        AttrValue::Str(text) => !(no_empty && (key.is_empty() || text.is_empty())),
    });
    let content_ok = match &node.content {
        Content::Nodes(children) => children.iter().all(|c| baileys6_node(c, no_empty)),
        Content::Str(text) => !(no_empty && text.is_empty()),
        Content::None | Content::Bytes(_) => true,
    };
    attrs_ok && content_ok && !(no_empty && node.tag.is_empty())
}

/// `count` random version-2 nodes from a fixed seed that Baileys 6 can handle.
fn generate(profile: Profile, count: usize, seed: u64, no_empty: bool) -> Vec<Node> {
    let mut generator = NodeGen::with_dictionary(SplitMix64(seed), profile, V2);
    std::iter::repeat_with(|| generator.node(3))
        .filter(|node| baileys6_node(node, no_empty))
        .take(count)
        .collect()
}

/// Stanzas whose common words sit at different single-byte indices in version 2.
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
        Node::new("to").attr("jid", Jid::with_device("987654321", "lid", 2)),
    ]
}

#[test]
fn baileys6_and_openwa_agree_on_random_nodes_with_dictionary_2() {
    let mut ours_encoded = worked_examples();
    ours_encoded.extend(generate(
        Profile::BaileysDecodes,
        NODES_PER_DIRECTION,
        0x0BA1_1E76,
        false,
    ));
    let mut baileys_encoded = worked_examples();
    baileys_encoded.extend(generate(
        Profile::BaileysEncodes,
        NODES_PER_DIRECTION,
        0xE4C0_DE02,
        true,
    ));

    check_against_baileys(V2, &ours_encoded, &[], &baileys_encoded);
}

/// The ping of docs/PROTOCOL.md, Binary nodes, in version 2: `iq` is byte 30 there, not 25.
#[test]
fn version_2_ping_bytes() {
    let ping = &worked_examples()[0];
    let bytes = encode_with(ping, V2).unwrap();
    assert_eq!(bytes[..4], [0x00, 0xF8, 0x0A, 30]);
    assert_ne!(bytes, openwa_protocol::binary::encode(ping).unwrap());
    assert_eq!(decode_with(&bytes, V2).as_ref(), Ok(ping));
}
