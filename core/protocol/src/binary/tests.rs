//! Byte-exact examples (docs/PROTOCOL.md, Binary nodes), liberal forms (Compatibility rules item 9) and bad input.

use std::io::Write;

use super::*;
use crate::jid::Jid;
use crate::node::{AttrValue, Content, Node};
use compact_str::CompactString;

/// The owned decoder, checked against the borrowed view on every input these tests use: the
/// same node (through `to_owned_node`) or the same error, the view reading compressed input
/// after [`inflate`], both one-shot and from a [`Decoder`] that has read another frame first.
fn decode(bytes: &[u8]) -> Result<Node, DecodeError> {
    let owned = super::decode(bytes);
    let viewed =
        inflate(bytes).and_then(|frame| decode_ref(&frame).map(|d| d.root().to_owned_node()));
    assert_eq!(
        viewed,
        owned,
        "decode_ref differs from decode on {}",
        hex::encode(bytes)
    );
    let mut decoder = Decoder::new();
    let previous = encode(&Node::new("iq").attr("id", "3EB0AB").attr("t", "1700000000")).unwrap();
    assert!(decoder.decode(&previous).is_ok());
    let reused = inflate(bytes).and_then(|frame| decoder.decode(&frame).map(|r| r.to_owned_node()));
    assert_eq!(
        reused,
        owned,
        "a reused Decoder differs from decode on {}",
        hex::encode(bytes)
    );
    if bytes.first().is_some_and(|flags| flags & 2 != 0) {
        assert_eq!(decode_ref(bytes).err(), Some(DecodeError::Compressed));
    }
    owned
}

fn hex(text: &str) -> Vec<u8> {
    hex::decode(text.replace(' ', "")).unwrap()
}

/// Encodes to exactly `bytes` and decodes back to the same node.
fn check_example(node: &Node, bytes: &str) {
    let expected = hex(bytes);
    assert_eq!(
        hex::encode(encode(node).unwrap()),
        hex::encode(&expected),
        "{node}"
    );
    assert_eq!(decode(&expected).unwrap(), *node);
}

#[test]
fn example_a_keep_alive() {
    let node = Node::new("iq")
        .attr("id", "1")
        .attr("to", Jid::server())
        .attr("type", "get")
        .attr("xmlns", "w:p")
        .child(Node::new("ping"));
    check_example(
        &node,
        "00 F8 0A 19 08 55 11 FA 00 03 04 29 16 57 F8 01 F8 01 56",
    );
}

#[test]
fn example_b_raw_string_id() {
    let node = Node::new("iq")
        .attr("id", "abc")
        .attr("xmlns", "encrypt")
        .attr("type", "get")
        .attr("to", Jid::server())
        .child(Node::new("count"));
    check_example(
        &node,
        "00 F8 0A 19 08 FC 03 61 62 63 16 CB 04 29 11 FA 00 03 F8 01 F8 01 41",
    );
}

#[test]
fn example_c_hex_id_and_ad_jid() {
    let node = Node::new("receipt")
        .attr("id", "3EB0C431D5E3C4E1")
        .attr("to", Jid::with_device("15551234567", "s.whatsapp.net", 3))
        .attr("type", "read");
    check_example(
        &node,
        "00 F8 07 07 08 FB 08 3E B0 C4 31 D5 E3 C4 E1 11 F7 00 03 FF 86 15 55 12 34 56 7F 04 2A",
    );
}

#[test]
fn example_d_binary_content() {
    let node = Node::new("enc")
        .attr("v", "2")
        .attr("type", "msg")
        .bytes([0x33, 0x0A, 0x21]);
    check_example(&node, "00 F8 06 1D 51 45 04 4D FC 03 33 0A 21");
}

#[test]
fn example_e_double_byte_tokens_and_group_jid() {
    let node = Node::new("iq")
        .attr("id", "x1")
        .attr("to", Jid::new("120363001234567890", "g.us"))
        .attr("type", "get")
        .attr("xmlns", "w:g2")
        .child(Node::new("query").attr("request", "interactive"));
    check_example(
        &node,
        "00 F8 0A 19 08 FC 02 78 31 11 FA FF 09 12 03 63 00 12 34 56 78 90 1C 04 29 16 ED 33 \
         F8 01 F8 03 6D ED C7 E5",
    );
}

#[test]
fn example_f_lid_device_jid() {
    let lid = Jid::with_device("987654321", "lid", 2);
    check_example(
        &Node::new("to").attr("jid", lid.clone()),
        "00 F8 03 11 0C F7 01 02 FF 85 98 76 54 32 1F",
    );
    let key_fetch = Node::new("iq")
        .attr("id", "a-1")
        .attr("xmlns", "encrypt")
        .attr("type", "get")
        .attr("to", Jid::server())
        .child(
            Node::new("key").child(
                Node::new("user")
                    .attr("jid", lid)
                    .attr("reason", "identity"),
            ),
        );
    check_example(
        &key_fetch,
        "00 F8 0A 19 08 FC 03 61 2D 31 16 CB 04 29 11 FA 00 03 F8 01 F8 02 9E F8 01 F8 05 0E 0C \
         F7 01 02 FF 85 98 76 54 32 1F EC 2E 9C",
    );
}

#[test]
fn encode_into_appends() {
    let mut buffer = vec![0xAA];
    encode_into(&Node::new("ping"), &mut buffer).unwrap();
    assert_eq!(buffer, [0xAA, 0x00, 0xF8, 0x01, 0x56]);
}

#[test]
fn string_preference_order() {
    let attr = |value: &str| {
        let bytes = encode(&Node::new("a").attr("b", value)).unwrap();
        // flags, F8 03, tag (raw 'a' = FC 01 61), key (raw 'b' = FC 01 62), then the value
        bytes[9..].to_vec()
    };
    assert_eq!(attr("type"), [0x04]); // single-byte token
    assert_eq!(attr("reason"), [0xEC, 0x2E]); // double-byte token
    assert_eq!(attr("123"), [0xFF, 0x82, 0x12, 0x3F]); // nibble, odd
    assert_eq!(attr("1.2-"), [0xFF, 0x02, 0x1B, 0x2A]); // nibble, even
    assert_eq!(attr("ABC"), [0xFB, 0x82, 0xAB, 0xCF]); // hex, odd
    assert_eq!(attr("abc"), [0xFC, 0x03, b'a', b'b', b'c']); // lowercase hex is raw
    assert_eq!(attr("1A-"), [0xFC, 0x03, b'1', b'A', b'-']); // mixed alphabets are raw
    assert_eq!(attr("x@y.z"), [0xFC, 0x05, b'x', b'@', b'y', b'.', b'z']); // '@' stays a string
    assert_eq!(attr(""), [0xFC, 0x00]); // empty attribute string
    let long_digits = "1".repeat(128);
    assert_eq!(attr(&long_digits)[..2], [0xFC, 128]); // too long to pack
    assert_eq!(attr(&"1".repeat(127))[..2], [0xFF, 0x80 | 64]);
}

#[test]
fn raw_length_forms() {
    for (len, header) in [
        (255usize, vec![0xFC, 0xFF]),
        (256, vec![0xFD, 0x00, 0x01, 0x00]),
        ((1 << 20) - 1, vec![0xFD, 0x0F, 0xFF, 0xFF]),
        (1 << 20, vec![0xFE, 0x00, 0x10, 0x00, 0x00]),
    ] {
        let node = Node::new("a").bytes(vec![7u8; len]);
        let bytes = encode(&node).unwrap();
        assert_eq!(bytes[6..6 + header.len()], header[..], "len {len}");
        assert_eq!(bytes.len(), 6 + header.len() + len);
        assert_eq!(decode(&bytes).unwrap(), node);
    }
}

#[test]
fn list_16_for_long_child_lists() {
    let node = Node::new("list").children(vec![Node::new("item"); 300]);
    let bytes = encode(&node).unwrap();
    assert_eq!(bytes[..6], [0x00, 0xF8, 0x02, 0x71, 0xF9, 0x01]);
    assert_eq!(bytes[6], 0x2C);
    assert_eq!(decode(&bytes).unwrap(), node);
}

#[test]
fn content_kinds_round_trip() {
    for content in [
        Content::None,
        Content::Bytes(vec![]),
        Content::Bytes(b"hello".to_vec()),
        Content::Str(CompactString::default()),
        Content::Str("text".into()),
        Content::Str("12345".into()),
        Content::Str("3EB0".into()),
        Content::Nodes(vec![]),
    ] {
        let node = Node {
            content: content.clone(),
            ..Node::new("x")
        };
        assert_eq!(
            decode(&encode(&node).unwrap()).unwrap(),
            node,
            "{content:?}"
        );
    }
    // A string that is no token and cannot be packed goes out as BINARY_n: it reads back as bytes.
    assert_eq!(
        decode(&encode(&Node::new("x").text("héllo")).unwrap())
            .unwrap()
            .content,
        Content::Bytes("héllo".as_bytes().to_vec())
    );
    // Empty string content is NIBBLE_8 0, so it reads back as a string, not as bytes.
    assert_eq!(encode(&Node::new("x").text("")).unwrap()[6..], [0xFF, 0x00]);
}

fn jid_bytes(jid: &Jid) -> Vec<u8> {
    // flags, F8 03, 'a' raw (3 bytes), 'b' raw (3 bytes), then the JID.
    encode(&Node::new("a").attr("b", jid.clone())).unwrap()[9..].to_vec()
}

#[test]
fn jid_encodings() {
    let pn = Jid::pn("987");
    assert_eq!(jid_bytes(&pn), [0xFA, 0xFF, 0x82, 0x98, 0x7F, 0x03]);
    // device > 0, agent, hosted -> AD_JID
    assert_eq!(
        jid_bytes(&pn.to_device(7)),
        [0xF7, 0x00, 0x07, 0xFF, 0x82, 0x98, 0x7F]
    );
    let agent = Jid {
        agent: 5,
        ..Jid::pn("987")
    };
    assert_eq!(
        jid_bytes(&agent),
        [0xF7, 0x05, 0x00, 0xFF, 0x82, 0x98, 0x7F]
    );
    assert_eq!(
        jid_bytes(&Jid::new("987", "hosted")),
        [0xF7, 0x80, 0x00, 0xFF, 0x82, 0x98, 0x7F]
    );
    assert_eq!(
        jid_bytes(&Jid::with_device("987", "hosted.lid", 2)),
        [0xF7, 0x81, 0x02, 0xFF, 0x82, 0x98, 0x7F]
    );
    // LID without a device is a plain pair
    assert_eq!(
        jid_bytes(&Jid::lid("987")),
        [0xFA, 0xFF, 0x82, 0x98, 0x7F, 0x76]
    );
    // server JIDs: empty user as LIST_EMPTY
    assert_eq!(jid_bytes(&Jid::server_jid("g.us")), [0xFA, 0x00, 0x1C]);
    // msgr -> FB_JID, interop -> INTEROP_JID
    let fb = Jid::with_device("987", "msgr", 0x0102);
    let mut expected = vec![0xF6, 0xFF, 0x82, 0x98, 0x7F, 0x01, 0x02];
    expected.extend(jid_bytes_server("msgr"));
    assert_eq!(jid_bytes(&fb), expected);
    let interop = Jid {
        integrator: 0x0304,
        ..Jid::with_device("987", "interop", 2)
    };
    let mut expected = vec![0xF5, 0xFF, 0x82, 0x98, 0x7F, 0x00, 0x02, 0x03, 0x04];
    expected.extend(jid_bytes_server("interop"));
    assert_eq!(jid_bytes(&interop), expected);
    for jid in [
        pn.to_device(7),
        agent,
        fb,
        interop,
        Jid::new("987", "hosted"),
    ] {
        let node = Node::new("a").attr("b", jid);
        assert_eq!(decode(&encode(&node).unwrap()).unwrap(), node);
    }
}

/// How a server string is written (token or raw).
fn jid_bytes_server(server: &str) -> Vec<u8> {
    encode(&Node::new("a").attr("b", server)).unwrap()[9..].to_vec()
}

#[test]
fn jids_ad_jid_cannot_carry_still_round_trip() {
    for jid in [
        Jid::with_device("1", "s.whatsapp.net", 300), // device > 255
        Jid::with_device("1", "g.us", 2),             // device on a pair-only server
        Jid {
            integrator: 9,
            ..Jid::lid("1")
        },
    ] {
        let node = Node::new("a").attr("b", jid);
        assert_eq!(decode(&encode(&node).unwrap()).unwrap(), node);
    }
    // An agent equal to a domain byte would read back as another server: written as text.
    let ambiguous = Jid {
        agent: 1,
        ..Jid::pn("1")
    };
    let node = Node::new("a").attr("b", ambiguous);
    assert_eq!(
        decode(&encode(&node).unwrap()).unwrap().get_attr("b"),
        Some(&AttrValue::Str("1.1@s.whatsapp.net".into()))
    );
}

fn decode_hex(bytes: &str) -> Result<Node, DecodeError> {
    decode(&hex(bytes))
}

#[test]
fn liberal_empty_strings() {
    // <a b=""/> as BINARY_8 0, NIBBLE_8 0, HEX_8 0 and LIST_EMPTY
    let expected = Node::new("a").attr("b", "");
    for value in ["FC 00", "FF 00", "FB 00", "00", "FF 80"] {
        assert_eq!(
            decode_hex(&format!("00 F8 03 FC 01 61 FC 01 62 {value}")).unwrap(),
            expected,
            "{value}"
        );
    }
    // empty content: NIBBLE_8 0 is a string, BINARY_8 0 bytes, LIST_EMPTY an empty list
    let content = |bytes: &str| {
        decode_hex(&format!("00 F8 02 FC 01 61 {bytes}"))
            .unwrap()
            .content
    };
    assert_eq!(content("FF 00"), Content::Str(CompactString::default()));
    assert_eq!(content("FC 00"), Content::Bytes(vec![]));
    assert_eq!(content("00"), Content::Nodes(vec![]));
}

#[test]
fn liberal_jid_forms() {
    let attr = |bytes: &str| {
        decode_hex(&format!("00 F8 03 FC 01 61 FC 01 62 {bytes}"))
            .unwrap()
            .get_attr("b")
            .cloned()
            .unwrap()
    };
    // AD_JID device 0 = no device, same as JID_PAIR
    let pn = AttrValue::Jid(Jid::pn("1"));
    assert_eq!(attr("F7 00 00 FF 81 1F"), pn);
    assert_eq!(attr("FA FF 81 1F 03"), pn);
    assert_eq!(
        attr("FA FF 81 1F FC 0E 73 2E 77 68 61 74 73 61 70 70 2E 6E 65 74"),
        pn
    );
    assert_eq!(attr("F7 01 00 FF 81 1F"), AttrValue::Jid(Jid::lid("1")));
    // JID_PAIR with an empty user (LIST_EMPTY or empty raw string) is a server JID
    assert_eq!(attr("FA 00 03"), AttrValue::Jid(Jid::server()));
    assert_eq!(attr("FA FC 00 03"), AttrValue::Jid(Jid::server()));
    // unknown domain byte = legacy agent on s.whatsapp.net
    assert_eq!(
        attr("F7 05 02 FF 81 1F"),
        AttrValue::Jid(Jid {
            agent: 5,
            ..Jid::with_device("1", "s.whatsapp.net", 2)
        })
    );
    // a JID decoded as content becomes its text
    let node = decode_hex("00 F8 02 FC 01 61 F7 01 02 FF 81 1F").unwrap();
    assert_eq!(node.content, Content::Str("1:2@lid".into()));
    // a long LIST_16 header for a short node
    assert_eq!(decode_hex("00 F9 00 01 56").unwrap(), Node::new("ping"));
}

#[test]
fn compressed_input() {
    let node =
        Node::new("iq")
            .attr("id", "abc")
            .children(vec![Node::new("item").bytes(vec![1, 2, 3]); 50]);
    let plain = encode(&node).unwrap();
    let mut z = flate2::write::ZlibEncoder::new(vec![2u8], flate2::Compression::default());
    z.write_all(&plain[1..]).unwrap();
    let compressed = z.finish().unwrap();
    assert!(compressed.len() < plain.len());
    assert_eq!(decode(&compressed).unwrap(), node);
    // other flag bits are ignored
    let mut flagged = plain.clone();
    flagged[0] = 0x01;
    assert_eq!(decode(&flagged).unwrap(), node);
    // not zlib
    assert!(matches!(
        decode(&[0x02, 0xF8, 0x01, 0x56]),
        Err(DecodeError::Inflate(_))
    ));
}

#[test]
fn zlib_bomb_is_bounded() {
    let mut z = flate2::write::ZlibEncoder::new(vec![2u8], flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..17 {
        z.write_all(&zeros).unwrap();
    }
    let compressed = z.finish().unwrap();
    assert!(compressed.len() < 64 * 1024);
    assert_eq!(decode(&compressed), Err(DecodeError::InflatedTooLarge));
}

#[test]
fn bad_input_is_a_typed_error() {
    use DecodeError::*;
    assert_eq!(decode(&[]), Err(Empty));
    assert_eq!(decode_hex("00"), Err(UnexpectedEnd { pos: 1, needed: 1 }));
    // truncated at every position of a valid stanza
    let full = hex(
        "00 F8 0A 19 08 FC 03 61 2D 31 16 CB 04 29 11 FA 00 03 F8 01 F8 02 9E F8 01 F8 05 0E 0C F7 01 02 FF 85 98 76 54 32 1F EC 2E 9C",
    );
    for cut in 1..full.len() {
        assert!(
            matches!(decode(&full[..cut]), Err(UnexpectedEnd { .. })),
            "cut at {cut}: {:?}",
            decode(&full[..cut])
        );
    }
    // unused tags 240–244, as a node header, a tag string and a value
    for tag in 240u8..=244 {
        assert!(matches!(decode(&[0, tag]), Err(InvalidTag { pos: 1, .. })));
        assert!(matches!(
            decode(&[0, 0xF8, 0x01, tag]),
            Err(InvalidTag { pos: 3, .. })
        ));
        assert!(matches!(
            decode(&[0, 0xF8, 0x03, 0x56, 0x04, tag]),
            Err(InvalidTag { pos: 5, .. })
        ));
    }
    // a node header that is no list, and an empty node
    assert!(matches!(
        decode_hex("00 56"),
        Err(InvalidTag { pos: 1, .. })
    ));
    assert_eq!(decode_hex("00 00"), Err(EmptyNode { pos: 1 }));
    assert_eq!(decode_hex("00 F8 00"), Err(EmptyNode { pos: 1 }));
    // a list where a string must be
    assert!(matches!(
        decode_hex("00 F8 01 F8 01 56"),
        Err(InvalidTag { pos: 3, .. })
    ));
    // oversize lengths: binary 8/20/32, packed, list sizes
    assert_eq!(
        decode_hex("00 F8 02 56 FC 05 01 02"),
        Err(UnexpectedEnd { pos: 6, needed: 3 })
    );
    assert!(matches!(
        decode_hex("00 F8 02 56 FD 0F FF FF 00"),
        Err(UnexpectedEnd { .. })
    ));
    assert!(matches!(
        decode_hex("00 F8 02 56 FE FF FF FF FF 00"),
        Err(UnexpectedEnd { .. })
    ));
    assert!(matches!(
        decode_hex("00 F8 03 56 04 FF 7F 12"),
        Err(UnexpectedEnd { .. })
    ));
    assert!(matches!(
        decode_hex("00 F8 02 56 F9 FF FF F8 01 56"),
        Err(UnexpectedEnd { .. })
    ));
    assert!(matches!(
        decode_hex("00 F9 FF FF 56"),
        Err(UnexpectedEnd { .. })
    ));
    // bad tokens and packed codes
    assert_eq!(
        decode_hex("00 F8 01 EF FF"),
        Ok(Node::new(
            token::get(token::Token::Double {
                dict: 3,
                index: 255
            })
            .unwrap()
        ))
    );
    assert_eq!(
        decode_hex("00 F8 03 56 04 FF 01 C0"),
        Err(InvalidNibble { nibble: 12, pos: 7 })
    );
    assert_eq!(
        decode_hex("00 F8 03 56 04 FF 01 1F"),
        Err(InvalidNibble { nibble: 15, pos: 7 })
    );
    // JIDs where they cannot be, and a pair without a server
    assert_eq!(decode_hex("00 F8 01 FA 00 03"), Err(InvalidJid { pos: 3 }));
    assert_eq!(
        decode_hex("00 F8 03 56 FA 00 03 04"),
        Err(InvalidJid { pos: 4 })
    );
    assert_eq!(
        decode_hex("00 F8 03 56 04 FA 00 00"),
        Err(InvalidJid { pos: 5 })
    );
    assert_eq!(
        decode_hex("00 F8 03 56 04 FA FA 00 03 03"),
        Err(InvalidJid { pos: 6 })
    );
    // trailing garbage
    assert_eq!(
        decode_hex("00 F8 01 56 00 00"),
        Err(TrailingBytes { pos: 4, count: 2 })
    );
}

#[test]
fn nesting_is_bounded() {
    let nested = |depth: usize| {
        let mut node = Node::new("a");
        for _ in 1..depth {
            node = Node::new("a").child(node);
        }
        node
    };
    let ok = nested(MAX_DEPTH);
    assert_eq!(decode(&encode(&ok).unwrap()).unwrap(), ok);
    assert!(matches!(
        decode(&encode(&nested(MAX_DEPTH + 1)).unwrap()),
        Err(DecodeError::TooDeep { .. })
    ));
    // a hostile stream of nested list headers
    let mut deep = vec![0u8];
    for _ in 0..100_000 {
        deep.extend_from_slice(&[0xF8, 0x02, 0x56, 0xF8, 0x01]);
    }
    assert!(matches!(decode(&deep), Err(DecodeError::TooDeep { .. })));
}

#[test]
fn invalid_utf8_is_replaced() {
    let node = decode_hex("00 F8 03 56 04 FC 02 C3 28").unwrap();
    assert_eq!(node.attr_plain("type"), Some("\u{FFFD}("));
}

#[test]
fn nested_jid_tags_are_refused_without_recursion() {
    // A JID whose user part is a JID whose user part is a JID…: one level per input byte. Before
    // the check this overflowed the stack (found by the stanza_parsers fuzz target).
    for jid_tag in [0xF5u8, 0xF6, 0xF7, 0xFA] {
        let mut input = vec![0x00, 0xF8, 0x02, 0x19];
        input.extend(std::iter::repeat_n(jid_tag, 1 << 20));
        assert!(decode(&input).is_err(), "tag {jid_tag:#x}");
    }
}

#[test]
fn nodes_past_the_format_limits_are_refused_not_cut() {
    let many_children = Node::new("list").children(vec![Node::new("i"); 65_536]);
    assert!(matches!(
        encode(&many_children),
        Err(crate::binary::EncodeError::TooManyChildren { count: 65_536, .. })
    ));
    let fits = Node::new("list").children(vec![Node::new("i"); 65_535]);
    assert_eq!(decode(&encode(&fits).unwrap()).unwrap(), fits);

    let mut many_attrs = Node::new("a");
    many_attrs.attrs = (0..32_768)
        .map(|i| (format!("k{i}").into(), "v".into()))
        .collect();
    assert!(matches!(
        encode(&many_attrs),
        Err(crate::binary::EncodeError::TooManyAttributes { count: 32_768, .. })
    ));

    let mut buffer = vec![1, 2, 3];
    let nested = Node::new("outer").child(many_children);
    assert!(encode_into(&nested, &mut buffer).is_err());
    assert_eq!(
        buffer,
        [1, 2, 3],
        "a failed encode leaves the buffer as it was"
    );
}

#[test]
fn borrowed_view_accessors() {
    let jid = Jid::with_device("15551234567", "s.whatsapp.net", 3);
    let node = Node::new("message")
        .attr("id", "3EB0ABCDEF0123456789")
        .attr("to", jid.clone())
        .attr("t", "1700000000")
        .children(vec![
            Node::new("enc").attr("v", "2").bytes(vec![1, 2, 3]),
            Node::new("body").text("hello"),
            Node::new("enc").attr("v", "3"),
        ]);
    let bytes = encode(&node).unwrap();
    let decoded = decode_ref(&bytes).unwrap();
    let root = decoded.root();
    assert_eq!(decoded.node_count(), 4);
    assert_eq!(root.tag(), "message");
    assert_eq!(
        root.attr("id").and_then(|v| v.as_str()),
        Some("3EB0ABCDEF0123456789")
    );
    assert_eq!(
        root.attr("t").map(|v| v.to_string()).as_deref(),
        Some("1700000000")
    );
    let to = root.attr("to").and_then(|v| v.as_jid()).unwrap();
    assert_eq!(to.to_jid(), jid);
    assert_eq!(to.to_string(), jid.to_string());
    assert_eq!(root.attr("missing"), None);
    let keys: Vec<&str> = root.attrs().map(|(key, _)| key).collect();
    assert_eq!(keys, ["id", "to", "t"]);
    let tags: Vec<&str> = root.children().map(|child| child.tag()).collect();
    assert_eq!(tags, ["enc", "body", "enc"]);
    let enc = root.child("enc").unwrap();
    assert_eq!(enc.content_bytes(), Some(&[1u8, 2, 3][..]));
    assert_eq!(
        root.child("body").and_then(|b| b.content_str()),
        Some("hello")
    );
    assert_eq!(root.child("nothing").map(|n| n.tag()), None);
    assert_eq!(root.content_bytes(), None);
    assert_eq!(
        root.children().nth(2).map(|n| n.children().count()),
        Some(0)
    );
    assert_eq!(root.to_owned_node(), decode(&bytes).unwrap());
    assert_eq!(
        enc.to_owned_node(),
        Node::new("enc").attr("v", "2").bytes(vec![1, 2, 3])
    );
}

/// The view refuses frames longer than [`MAX_VIEW_LEN`] (its handles are 32-bit); the owned
/// decoder reads on and finds what is wrong with the bytes.
#[test]
fn borrowed_view_refuses_oversized_frames() {
    let frame = vec![0u8; MAX_VIEW_LEN + 1];
    let too_large = Some(DecodeError::FrameTooLarge { len: frame.len() });
    assert_eq!(decode_ref(&frame).err(), too_large);
    assert_eq!(Decoder::new().decode(&frame).err(), too_large);
    assert!(matches!(
        super::decode(&frame),
        Err(DecodeError::EmptyNode { pos: 1 })
    ));
}
