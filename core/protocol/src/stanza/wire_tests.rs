//! Stanzas through the binary codec, against the byte examples of docs/PROTOCOL.md, Binary nodes (produced by
//! Baileys' encoder). Where our attribute order equals the example's, the bytes must be equal;
//! otherwise the example's bytes must decode and parse to the same value.

use crate::binary::{decode, encode};
use crate::jid::Jid;
use crate::node::Node;
use crate::stanza::group::GetGroupInfo;
use crate::stanza::{
    Enc, EncKind, FetchPreKeys, IqSpec, KeyRequest, Peer, Ping, PreKeyCount, Receipt, ReceiptType,
};

fn hex(text: &str) -> Vec<u8> {
    hex::decode(text.replace(' ', "")).expect("valid hex")
}

#[test]
fn keep_alive_ping_is_byte_exact() {
    let bytes = hex("00 F8 0A 19 08 55 11 FA 00 03 04 29 16 57 F8 01 F8 01 56");
    assert_eq!(encode(&Ping.request_with_id("1")).unwrap(), bytes);
    let (header, Ping) = Ping::parse_request(&decode(&bytes).unwrap()).unwrap();
    assert_eq!(header.id, "1");
}

#[test]
fn prekey_count_example_parses() {
    let bytes = hex("00 F8 0A 19 08 FC 03 61 62 63 16 CB 04 29 11 FA 00 03 F8 01 F8 01 41");
    let (header, PreKeyCount) = PreKeyCount::parse_request(&decode(&bytes).unwrap()).unwrap();
    assert_eq!(header.id, "abc");
    assert_eq!(header.peer, Jid::server());
    // Our attribute order differs (to before xmlns); same content after a round trip.
    let ours = PreKeyCount.request_with_id("abc");
    assert_eq!(decode(&encode(&ours).unwrap()).unwrap(), ours);
    assert_eq!(encode(&ours).unwrap().len(), bytes.len());
}

#[test]
fn read_receipt_is_byte_exact() {
    let bytes = hex(
        "00 F8 07 07 08 FB 08 3E B0 C4 31 D5 E3 C4 E1 11 F7 00 03 FF 86 15 55 12 34 56 7F 04 2A",
    );
    let receipt = Receipt::new(
        "3EB0C431D5E3C4E1",
        Peer::To(Jid::with_device("15551234567", "s.whatsapp.net", 3)),
        ReceiptType::Read,
    );
    assert_eq!(encode(&receipt.to_node()).unwrap(), bytes);
    assert_eq!(
        Receipt::from_node(&decode(&bytes).unwrap()).unwrap(),
        receipt
    );
}

#[test]
fn enc_is_byte_exact() {
    let bytes = hex("00 F8 06 1D 51 45 04 4D FC 03 33 0A 21");
    let enc = Enc::new(EncKind::Msg, [0x33, 0x0a, 0x21]);
    assert_eq!(encode(&enc.to_node()).unwrap(), bytes);
    assert_eq!(Enc::from_node(&decode(&bytes).unwrap()).unwrap(), enc);
}

#[test]
fn group_query_is_byte_exact() {
    let bytes = hex(
        "00 F8 0A 19 08 FC 02 78 31 11 FA FF 09 12 03 63 00 12 34 56 78 90 1C 04 29 16 ED 33 \
         F8 01 F8 03 6D ED C7 E5",
    );
    let spec = GetGroupInfo {
        group: "120363001234567890@g.us".parse().unwrap(),
    };
    assert_eq!(encode(&spec.request_with_id("x1")).unwrap(), bytes);
    let (header, parsed) = GetGroupInfo::parse_request(&decode(&bytes).unwrap()).unwrap();
    assert_eq!(header.id, "x1");
    assert_eq!(parsed, spec);
}

#[test]
fn key_fetch_example_parses() {
    let to = hex("00 F8 03 11 0C F7 01 02 FF 85 98 76 54 32 1F");
    let device = Jid::with_device("987654321", "lid", 2);
    assert_eq!(encode(&Node::new("to").attr("jid", &device)).unwrap(), to);
    let bytes = hex(
        "00 F8 0A 19 08 FC 03 61 2D 31 16 CB 04 29 11 FA 00 03 F8 01 F8 02 9E F8 01 F8 05 0E 0C \
         F7 01 02 FF 85 98 76 54 32 1F EC 2E 9C",
    );
    let (header, parsed) = FetchPreKeys::parse_request(&decode(&bytes).unwrap()).unwrap();
    assert_eq!(header.id, "a-1");
    let expected = FetchPreKeys {
        users: vec![KeyRequest {
            jid: device,
            reason: Some("identity".into()),
        }],
    };
    assert_eq!(parsed, expected);
    let ours = expected.request_with_id("a-1");
    let reparsed = FetchPreKeys::parse_request(&decode(&encode(&ours).unwrap()).unwrap()).unwrap();
    assert_eq!(reparsed.1, expected);
    assert_eq!(encode(&ours).unwrap().len(), bytes.len());
}
