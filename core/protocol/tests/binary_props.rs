//! Property tests of the binary node codec: random canonical nodes and JIDs survive
//! encode → decode unchanged, and JIDs survive format → parse.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use openwa_protocol::binary::{
    Decoder, Dictionary, decode, decode_ref, decode_ref_with, decode_with, encode, encode_with,
    inflate,
};
use openwa_protocol::{AttrValue, Jid, Node};
use proptest::prelude::*;
use support::random::{NodeGen, SplitMix64};
use support::{Profile, any_jid, any_node};

/// JIDs whose text form is unambiguous: no separators inside the parts, a user for any device
/// or agent, agents only on `s.whatsapp.net`, no integrator (interop text forms differ between
/// clients and are not parsed here).
fn text_jid() -> impl Strategy<Value = Jid> {
    let server = prop_oneof![
        Just("s.whatsapp.net".to_owned()),
        Just("lid".to_owned()),
        Just("g.us".to_owned()),
        Just("hosted".to_owned()),
        Just("hosted.lid".to_owned()),
        Just("broadcast".to_owned()),
        Just("newsletter".to_owned()),
        "[a-z][a-z.:-]{0,12}",
    ];
    let user = prop_oneof!["[0-9]{1,20}", "[a-zA-Z0-9-]{1,16}"];
    (user, server, any::<u16>(), any::<u8>(), any::<bool>()).prop_map(
        |(user, server, device, agent, server_only)| {
            if server_only {
                return Jid::server_jid(server);
            }
            let agent = if server == "s.whatsapp.net" { agent } else { 0 };
            Jid {
                agent,
                ..Jid::with_device(user, server, device)
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn nodes_round_trip(node in any_node(Profile::Ours)) {
        let bytes = encode(&node).unwrap();
        prop_assert_eq!(bytes[0], 0);
        prop_assert_eq!(decode(&bytes), Ok(node));
    }

    #[test]
    fn jids_round_trip_on_the_wire(jid in any_jid(Profile::Ours)) {
        let node = Node::new("n").attr("jid", jid.clone());
        let decoded = decode(&encode(&node).unwrap()).unwrap();
        prop_assert_eq!(decoded.get_attr("jid"), Some(&AttrValue::Jid(jid)));
    }

    #[test]
    fn jids_round_trip_as_text(jid in text_jid()) {
        let text = jid.to_string();
        prop_assert_eq!(text.parse::<Jid>(), Ok(jid));
    }

    #[test]
    fn any_bytes_decode_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(node) = decode(&bytes) {
            // whatever decodes, re-encodes to something that decodes again
            prop_assert!(decode(&encode(&node).unwrap()).is_ok());
        }
    }
}

/// Random canonical version-2 nodes (every JID form our codec keeps) round trip through the
/// version-2 codec. Seeded, so a failure reproduces.
#[test]
fn version_2_nodes_round_trip() {
    let mut generator =
        NodeGen::with_dictionary(SplitMix64(0x0D1C_7002), Profile::Ours, Dictionary::V2);
    for _ in 0..2_000 {
        let node = generator.node(4);
        let bytes = encode_with(&node, Dictionary::V2).unwrap();
        assert_eq!(bytes[0], 0);
        assert_eq!(decode_with(&bytes, Dictionary::V2), Ok(node));
    }
}

/// The borrowed view of random nodes, owned again, is what the owned decoder returns, with the
/// version-3 and version-2 dictionaries. Seeded, so a failure reproduces.
#[test]
fn borrowed_view_matches_the_owned_decoder() {
    for (seed, dictionary) in [(0x0D1C_7003, Dictionary::V3), (0x0D1C_7002, Dictionary::V2)] {
        let mut generator = NodeGen::with_dictionary(SplitMix64(seed), Profile::Ours, dictionary);
        // One decoder for all of them: what a frame leaves in its arena must not show up in
        // the next.
        let mut decoder = Decoder::new();
        for _ in 0..2_000 {
            let node = generator.node(4);
            let bytes = encode_with(&node, dictionary).unwrap();
            let owned = decode_with(&bytes, dictionary).unwrap();
            let view = decode_ref_with(&bytes, dictionary).unwrap();
            assert_eq!(view.root().to_owned_node(), owned);
            let reused = decoder.decode_with(&bytes, dictionary).unwrap();
            assert_eq!(reused.to_owned_node(), owned);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn borrowed_view_of_random_nodes(node in any_node(Profile::Ours)) {
        let bytes = encode(&node).unwrap();
        let view = decode_ref(&bytes).unwrap();
        prop_assert_eq!(view.root().to_owned_node(), decode(&bytes).unwrap());
    }

    #[test]
    fn borrowed_view_of_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let owned = decode(&bytes);
        let viewed = inflate(&bytes).and_then(|frame| {
            decode_ref(&frame).map(|decoded| decoded.root().to_owned_node())
        });
        prop_assert_eq!(viewed, owned);
    }
}
