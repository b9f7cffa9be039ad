//! Realistic stanzas for the codec benchmark of `openwa-protocol` (and the Baileys side of it,
//! which reads them from `tests/interop/binary-bench-nodes.json`, checked against these by the
//! protocol's `binary_differential` test): a 1:1 message fanned out to 3 devices, a read
//! receipt, a usync result with 20 users and a group metadata result with 50 participants.

use openwa_protocol::{Jid, Node};

/// Deterministic filler bytes standing in for ciphertext, keys and signatures.
fn filler(seed: u32, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

fn lid(n: u64) -> String {
    format!("{}", 100_000_000_000_000 + n * 7_919)
}

fn phone(n: u64) -> String {
    format!("{}", 15_550_000_000 + n * 37)
}

/// `<message>` to a user with 3 devices: participants/to/enc (pkmsg/msg of a few hundred
/// bytes each) and the sender's device identity.
pub fn message_to_three_devices() -> Node {
    let to_devices = (0..3u16)
        .map(|device| {
            let kind = if device == 2 { "pkmsg" } else { "msg" };
            Node::new("to")
                .attr("jid", Jid::with_device(lid(1), "lid", device))
                .child(
                    Node::new("enc")
                        .attr("v", "2")
                        .attr("type", kind)
                        .bytes(filler(
                            u32::from(device) + 1,
                            280 + usize::from(device) * 40,
                        )),
                )
        })
        .collect();
    Node::new("message")
        .attr("id", "3EB0C431D5E3C4E1A2B7")
        .attr("type", "text")
        .attr("to", Jid::lid(lid(1)))
        .attr("t", "1764080000")
        .children(vec![
            Node::new("participants").children(to_devices),
            Node::new("device-identity").bytes(filler(9, 160)),
        ])
}

/// A read receipt for two messages from a group participant.
pub fn read_receipt() -> Node {
    Node::new("receipt")
        .attr("id", "3EB0C431D5E3C4E1A2B7")
        .attr("to", Jid::new("120363001234567890", "g.us"))
        .attr("participant", Jid::with_device(lid(2), "lid", 1))
        .attr("type", "read")
        .attr("t", "1764080001")
        .child(Node::new("list").child(Node::new("item").attr("id", "3EB0A1B2C3D4E5F6A7B8")))
}

/// An `<iq type="result">` answering a usync device query for 20 users (devices, key index
/// list, LID).
pub fn usync_result_20_users() -> Node {
    let users = (0..20u64)
        .map(|n| {
            let devices = (0..=(n % 4) as u16)
                .map(|device| {
                    let node = Node::new("device").attr("id", device.to_string());
                    if device == 0 {
                        node
                    } else {
                        node.attr("key-index", (device + 1).to_string())
                    }
                })
                .collect();
            Node::new("user")
                .attr("jid", Jid::pn(phone(n)))
                .children(vec![
                    Node::new("devices").children(vec![
                        Node::new("device-list").children(devices),
                        Node::new("key-index-list")
                            .attr("ts", "1764000000")
                            .bytes(filler(n as u32 + 20, 90)),
                    ]),
                    Node::new("lid").attr("val", Jid::lid(lid(n))),
                ])
        })
        .collect();
    Node::new("iq")
        .attr("from", Jid::server())
        .attr("id", "94.116-3")
        .attr("type", "result")
        .child(
            Node::new("usync")
                .attr("sid", "sync_sid_query_42")
                .attr("mode", "query")
                .attr("last", "true")
                .attr("index", "0")
                .attr("context", "message")
                .children(vec![
                    Node::new("result").children(vec![Node::new("devices"), Node::new("lid")]),
                    Node::new("list").children(users),
                ]),
        )
}

/// An `<iq type="result">` with `<group>` metadata: subject, description, settings and 50
/// participants (LID addressing with phone numbers).
pub fn group_metadata_50_participants() -> Node {
    let mut children = vec![
        Node::new("description")
            .attr("id", "7A3F09C2D4E1B6A5")
            .attr("participant", Jid::lid(lid(0)))
            .attr("t", "1763000000")
            .child(
                Node::new("body").bytes(
                    "Weekly planning: agenda in the pinned message. Be kind, stay on topic ✅"
                        .as_bytes(),
                ),
            ),
        Node::new("member_add_mode").bytes(b"admin_add".to_vec()),
        Node::new("membership_approval_mode").child(Node::new("group_join").attr("state", "off")),
        Node::new("announcement"),
    ];
    children.extend((0..50u64).map(|n| {
        let participant = Node::new("participant")
            .attr("jid", Jid::lid(lid(n)))
            .attr("phone_number", Jid::pn(phone(n)));
        match n {
            0 => participant.attr("type", "superadmin"),
            1..=3 => participant.attr("type", "admin"),
            _ => participant,
        }
    }));
    Node::new("iq")
        .attr("from", Jid::new("120363001234567890", "g.us"))
        .attr("id", "94.116-7")
        .attr("type", "result")
        .child(
            Node::new("group")
                .attr("id", "120363001234567890")
                .attr("creator", Jid::lid(lid(0)))
                .attr("creation", "1700000000")
                .attr("subject", "Project Atlas — core team")
                .attr("s_t", "1701000000")
                .attr("s_o", Jid::lid(lid(1)))
                .attr("size", "50")
                .attr("addressing_mode", "lid")
                .children(children),
        )
}

/// Every benchmark stanza with its name.
pub fn all() -> Vec<(&'static str, Node)> {
    vec![
        ("message_3_devices", message_to_three_devices()),
        ("receipt", read_receipt()),
        ("usync_20_users", usync_result_20_users()),
        ("group_50_participants", group_metadata_50_participants()),
    ]
}
