//! `<message>` stanzas (docs/PROTOCOL.md, Message stanzas, Receipts, Groups): what a client sends (one
//! `<enc>` per device inside `<participants>`, or direct `<enc>`s for group skmsg and retries)
//! and what the server delivers to each device.

use super::addressing::AddressingMode;
use super::error::StanzaError;
use super::iq::with_children;
use super::read::{NodeRead, bad_attr, bool_text, bytes_node, node_conversions, string_enum};
use crate::jid::Jid;
use crate::node::Node;

string_enum! {
    /// The message `type` attribute.
    pub enum MessageType {
        /// Text (also protocol messages, edits, revokes).
        Text = "text",
        /// Any message with a media type.
        Media = "media",
        /// Reactions.
        Reaction = "reaction",
        /// Polls (with `<meta polltype>`).
        Poll = "poll",
    }
}

string_enum! {
    /// What an `<enc>` holds (`type` attribute).
    pub enum EncKind {
        /// A `PreKeySignalMessage` (first messages of a session).
        Pkmsg = "pkmsg",
        /// A `SignalMessage`.
        Msg = "msg",
        /// A `SenderKeyMessage` (groups).
        Skmsg = "skmsg",
        /// A message-secret encrypted payload.
        Msmsg = "msmsg",
        /// An unencrypted payload (newsletters): serialized as a `<plaintext>` node, not `<enc>`.
        Plaintext = "plaintext",
    }
}

/// One encrypted payload: `<enc v="2" type [mediatype] [decrypt-fail] [count]>BYTES</enc>`, or
/// `<plaintext [mediatype]>BYTES</plaintext>` for [`EncKind::Plaintext`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enc {
    /// Payload version `v` (2 = `Message` protobuf; 3 = Armadillo). 0 for plaintext.
    pub version: u8,
    /// What the ciphertext is.
    pub kind: EncKind,
    /// `mediatype` (image, video, ptt, document, …).
    pub mediatype: Option<String>,
    /// `decrypt-fail`, e.g. `hide` for reactions, edits, poll votes, pins.
    pub decrypt_fail: Option<String>,
    /// Retry count (`count`), set on retry resends.
    pub count: Option<u32>,
    /// The payload bytes (always BINARY).
    pub ciphertext: Vec<u8>,
}

impl Enc {
    /// A `v="2"` payload without optional attributes.
    pub fn new(kind: EncKind, ciphertext: impl Into<Vec<u8>>) -> Self {
        Enc {
            version: if kind == EncKind::Plaintext { 0 } else { 2 },
            kind,
            mediatype: None,
            decrypt_fail: None,
            count: None,
            ciphertext: ciphertext.into(),
        }
    }

    /// The `<enc>` (or `<plaintext>`) node.
    pub fn to_node(&self) -> Node {
        let node = if self.kind == EncKind::Plaintext {
            Node::new("plaintext")
        } else {
            Node::new("enc")
                .attr("v", self.version.to_string())
                .attr("type", self.kind.as_str())
        };
        node.attr_opt("mediatype", self.mediatype.as_deref())
            .attr_opt("decrypt-fail", self.decrypt_fail.as_deref())
            .attr_opt("count", self.count.map(|c| c.to_string()))
            .bytes(self.ciphertext.clone())
    }

    /// Parses `<enc>` or `<plaintext>` (a missing `v` reads as 2).
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        let (version, kind) = match node.tag.as_str() {
            "plaintext" => (0, EncKind::Plaintext),
            "enc" => match EncKind::from(node.text_attr("type")?.as_str()) {
                EncKind::Plaintext => (0, EncKind::Plaintext),
                kind => (node.opt_num_attr("v")?.unwrap_or(2), kind),
            },
            other => {
                return Err(StanzaError::UnexpectedTag {
                    expected: "enc",
                    found: other.to_owned(),
                });
            }
        };
        Ok(Enc {
            version,
            kind,
            mediatype: node.attr_str("mediatype"),
            decrypt_fail: node.attr_str("decrypt-fail"),
            count: node.opt_num_attr("count")?,
            ciphertext: node.req_bytes()?,
        })
    }
}

/// One `<to jid=DEVICE><enc/></to>` of `<participants>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEnc {
    /// The device (PN or LID, with or without `:device`; none = device 0).
    pub jid: Jid,
    /// Its payload.
    pub enc: Enc,
}

impl DeviceEnc {
    /// The `<to>` node.
    pub fn to_node(&self) -> Node {
        Node::new("to")
            .attr("jid", &self.jid)
            .child(self.enc.to_node())
    }

    /// Parses `<to>`.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("to")?;
        let enc = node
            .child_nodes()
            .iter()
            .find(|c| c.tag == "enc" || c.tag == "plaintext")
            .ok_or(StanzaError::MissingChild {
                tag: node.tag.to_string(),
                child: "enc",
            })?;
        Ok(DeviceEnc {
            jid: node.jid_attr("jid")?,
            enc: Enc::from_node(enc)?,
        })
    }
}

/// C→S `<message id to type …>`: a message as the sending client submits it. The server fans
/// each `<to>` out to its device (plus the direct `<enc>`s to every group member device) and
/// acks the sender with [`Ack`](super::ack::Ack).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// Message id (`3EB0…`), chosen by the sender.
    pub id: String,
    /// The chat (user, group) or, for retry resends, the requesting device.
    pub to: Jid,
    /// `type`.
    pub kind: MessageType,
    /// `edit` (1 edit, 2 pin, 7 revoke, 8 admin revoke…).
    pub edit: Option<String>,
    /// `phash`, the advisory participant hash (docs/PROTOCOL.md, Message stanzas).
    pub phash: Option<String>,
    /// `addressing_mode` (groups).
    pub addressing_mode: Option<AddressingMode>,
    /// `device_fanout="false"` on DM retry resends.
    pub device_fanout: Option<bool>,
    /// `peer_recipient_pn` (whatsmeow DMs addressed to a LID).
    pub peer_recipient_pn: Option<Jid>,
    /// `category` (`peer` for peer messages).
    pub category: Option<String>,
    /// `participant` (retry resends in groups).
    pub participant: Option<Jid>,
    /// `recipient` (retry resends to own devices).
    pub recipient: Option<Jid>,
    /// `t` (retry resends carry the original time).
    pub t: Option<u64>,
    /// Per-device payloads (`<participants><to>…`).
    pub participants: Vec<DeviceEnc>,
    /// Payloads directly under `<message>`: the group `skmsg`, or the single retry `<enc>`.
    pub direct: Vec<Enc>,
    /// `<device-identity>`: serialized `ADVSignedDeviceIdentity`, required when any enc is pkmsg.
    pub device_identity: Option<Vec<u8>>,
    /// Other children (`<meta>`, `<tctoken>`, `<reporting>`, `<biz>`…), kept verbatim.
    pub extra: Vec<Node>,
}

impl OutgoingMessage {
    /// A message with no payload yet.
    pub fn new(id: impl Into<String>, to: Jid, kind: MessageType) -> Self {
        OutgoingMessage {
            id: id.into(),
            to,
            kind,
            edit: None,
            phash: None,
            addressing_mode: None,
            device_fanout: None,
            peer_recipient_pn: None,
            category: None,
            participant: None,
            recipient: None,
            t: None,
            participants: Vec::new(),
            direct: Vec::new(),
            device_identity: None,
            extra: Vec::new(),
        }
    }

    /// The payload for one device, as listed in `<participants>`.
    pub fn enc_for(&self, device: &Jid) -> Option<&Enc> {
        self.participants
            .iter()
            .find(|p| p.jid == *device)
            .map(|p| &p.enc)
    }

    /// The `<message>` node.
    pub fn to_node(&self) -> Node {
        let node = Node::new("message")
            .attr("id", self.id.as_str())
            .attr("to", &self.to)
            .attr("type", self.kind.as_str())
            .attr_opt("edit", self.edit.as_deref())
            .attr_opt("phash", self.phash.as_deref())
            .attr_opt(
                "addressing_mode",
                self.addressing_mode.as_ref().map(|m| m.as_str()),
            )
            .attr_opt("device_fanout", self.device_fanout.map(bool_text))
            .attr_opt("peer_recipient_pn", self.peer_recipient_pn.as_ref())
            .attr_opt("category", self.category.as_deref())
            .attr_opt("participant", self.participant.as_ref())
            .attr_opt("recipient", self.recipient.as_ref())
            .attr_opt("t", self.t.map(|t| t.to_string()));
        let mut children = Vec::new();
        if !self.participants.is_empty() {
            children.push(
                Node::new("participants")
                    .children(self.participants.iter().map(DeviceEnc::to_node).collect()),
            );
        }
        children.extend(self.direct.iter().map(Enc::to_node));
        children.extend(
            self.device_identity
                .as_ref()
                .map(|d| bytes_node("device-identity", d.clone())),
        );
        children.extend(self.extra.iter().cloned());
        with_children(node, children)
    }

    /// Parses a client's `<message>`.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("message")?;
        let parts = MessageChildren::read(node)?;
        Ok(OutgoingMessage {
            id: node.text_attr("id")?,
            to: node.jid_attr("to")?,
            kind: node.text_attr("type")?.as_str().into(),
            edit: node.attr_str("edit"),
            phash: node.attr_str("phash"),
            addressing_mode: AddressingMode::read(node),
            device_fanout: node.opt_bool_attr("device_fanout")?,
            peer_recipient_pn: node.opt_jid_attr("peer_recipient_pn")?,
            category: node.attr_str("category"),
            participant: node.opt_jid_attr("participant")?,
            recipient: node.opt_jid_attr("recipient")?,
            t: node.opt_num_attr("t")?,
            participants: parts.participants,
            direct: parts.encs,
            device_identity: parts.device_identity,
            extra: parts.extra,
        })
    }
}

/// S→C `<message from id t type …>`: one message as delivered to one device. The client
/// decrypts the `<enc>`s in order (a SKDM in a pkmsg/msg before the skmsg), then answers with a
/// delivery [`Receipt`](super::receipt::Receipt) (or a retry receipt, or an ack with error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMessage {
    /// Message id.
    pub id: String,
    /// Sender device (DMs), group, `status@broadcast` or newsletter.
    pub from: Jid,
    /// Server time, unix seconds.
    pub t: u64,
    /// `type`.
    pub kind: MessageType,
    /// Sender device in groups and broadcasts (required there).
    pub participant: Option<Jid>,
    /// The chat, on copies for the sender's own other devices.
    pub recipient: Option<Jid>,
    /// The sender's LID device, when `from` is a PN.
    pub sender_lid: Option<Jid>,
    /// The sender's PN device, when `from` is a LID.
    pub sender_pn: Option<Jid>,
    /// The participant's PN (LID groups).
    pub participant_pn: Option<Jid>,
    /// The participant's LID (PN groups).
    pub participant_lid: Option<Jid>,
    /// `peer_recipient_pn`.
    pub peer_recipient_pn: Option<Jid>,
    /// The sender's push name (`notify`).
    pub notify: Option<String>,
    /// `offline`, set on stanzas delivered from the offline queue.
    pub offline: Option<String>,
    /// `addressing_mode`.
    pub addressing_mode: Option<AddressingMode>,
    /// `category` (`peer`).
    pub category: Option<String>,
    /// `edit`.
    pub edit: Option<String>,
    /// `server_id` (newsletters).
    pub server_id: Option<String>,
    /// The payloads, in stanza order.
    pub encs: Vec<Enc>,
    /// `<device-identity>` of the sender (with pkmsg).
    pub device_identity: Option<Vec<u8>>,
    /// Other children (`<unavailable>`, `<verified_name>`, `<meta>`…), kept verbatim.
    pub extra: Vec<Node>,
}

impl IncomingMessage {
    /// A delivered message with only the required attributes and no payload.
    pub fn new(id: impl Into<String>, from: Jid, t: u64, kind: MessageType) -> Self {
        IncomingMessage {
            id: id.into(),
            from,
            t,
            kind,
            participant: None,
            recipient: None,
            sender_lid: None,
            sender_pn: None,
            participant_pn: None,
            participant_lid: None,
            peer_recipient_pn: None,
            notify: None,
            offline: None,
            addressing_mode: None,
            category: None,
            edit: None,
            server_id: None,
            encs: Vec::new(),
            device_identity: None,
            extra: Vec::new(),
        }
    }

    /// The `<message>` node.
    pub fn to_node(&self) -> Node {
        let node = Node::new("message")
            .attr("from", &self.from)
            .attr("id", self.id.as_str())
            .attr("t", self.t.to_string())
            .attr("type", self.kind.as_str())
            .attr_opt("participant", self.participant.as_ref())
            .attr_opt("recipient", self.recipient.as_ref())
            .attr_opt("sender_lid", self.sender_lid.as_ref())
            .attr_opt("sender_pn", self.sender_pn.as_ref())
            .attr_opt("participant_pn", self.participant_pn.as_ref())
            .attr_opt("participant_lid", self.participant_lid.as_ref())
            .attr_opt("peer_recipient_pn", self.peer_recipient_pn.as_ref())
            .attr_opt("notify", self.notify.as_deref())
            .attr_opt("offline", self.offline.as_deref())
            .attr_opt(
                "addressing_mode",
                self.addressing_mode.as_ref().map(|m| m.as_str()),
            )
            .attr_opt("category", self.category.as_deref())
            .attr_opt("edit", self.edit.as_deref())
            .attr_opt("server_id", self.server_id.as_deref());
        let mut children: Vec<Node> = self.encs.iter().map(Enc::to_node).collect();
        children.extend(
            self.device_identity
                .as_ref()
                .map(|d| bytes_node("device-identity", d.clone())),
        );
        children.extend(self.extra.iter().cloned());
        with_children(node, children)
    }

    /// Parses a delivered `<message>`; a group or broadcast message without `participant` is
    /// an error.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("message")?;
        let from = node.jid_attr("from")?;
        let participant = node.opt_jid_attr("participant")?;
        if participant.is_none() && (from.is_group() || from.is_broadcast()) {
            return Err(super::read::missing_attr(node, "participant"));
        }
        let parts = MessageChildren::read(node)?;
        if !parts.participants.is_empty() {
            return Err(bad_attr(
                node,
                "to",
                "a delivered message has <participants>",
            ));
        }
        Ok(IncomingMessage {
            id: node.text_attr("id")?,
            from,
            t: node.num_attr("t")?,
            kind: node.text_attr("type")?.as_str().into(),
            participant,
            recipient: node.opt_jid_attr("recipient")?,
            sender_lid: node.opt_jid_attr("sender_lid")?,
            sender_pn: node.opt_jid_attr("sender_pn")?,
            participant_pn: node.opt_jid_attr("participant_pn")?,
            participant_lid: node.opt_jid_attr("participant_lid")?,
            peer_recipient_pn: node.opt_jid_attr("peer_recipient_pn")?,
            notify: node.attr_str("notify"),
            offline: node.attr_str("offline"),
            addressing_mode: AddressingMode::read(node),
            category: node.attr_str("category"),
            edit: node.attr_str("edit"),
            server_id: node.attr_str("server_id"),
            encs: parts.encs,
            device_identity: parts.device_identity,
            extra: parts.extra,
        })
    }
}

node_conversions!(Enc, DeviceEnc, OutgoingMessage, IncomingMessage);

/// The children of a `<message>`, sorted by role.
struct MessageChildren {
    participants: Vec<DeviceEnc>,
    encs: Vec<Enc>,
    device_identity: Option<Vec<u8>>,
    extra: Vec<Node>,
}

impl MessageChildren {
    fn read(node: &Node) -> Result<Self, StanzaError> {
        let mut parts = MessageChildren {
            participants: Vec::new(),
            encs: Vec::new(),
            device_identity: None,
            extra: Vec::new(),
        };
        for child in node.child_nodes() {
            match child.tag.as_str() {
                "participants" => {
                    for to in child.children_by_tag("to") {
                        parts.participants.push(DeviceEnc::from_node(to)?);
                    }
                }
                "enc" | "plaintext" => parts.encs.push(Enc::from_node(child)?),
                "device-identity" => parts.device_identity = Some(child.req_bytes()?),
                _ => parts.extra.push(child.clone()),
            }
        }
        Ok(parts)
    }
}

/// The participant hash (`phash`) of a device list, whatsmeow's form (docs/PROTOCOL.md, Message stanzas):
/// `"2:"` + unpadded base64 of the first 6 bytes of SHA-256 over the sorted
/// `user.agent:device@server` strings. Advisory: Baileys computes it differently.
pub fn participant_hash(devices: &[Jid]) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let mut strings: Vec<String> = devices
        .iter()
        .map(|d| format!("{}.{}:{}@{}", d.user, d.agent, d.device, d.server))
        .collect();
    strings.sort();
    let digest = Sha256::digest(strings.concat().as_bytes());
    let head = digest.get(..6).unwrap_or_default();
    format!(
        "2:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(head)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AttrValue, Content};

    fn pn(user: &str, device: u16) -> Jid {
        Jid::with_device(user, "s.whatsapp.net", device)
    }

    fn lid(user: &str, device: u16) -> Jid {
        Jid::with_device(user, "lid", device)
    }

    #[test]
    fn enc_matches_the_byte_example_shape() {
        // docs/PROTOCOL.md, Binary nodes, example (d): <enc v="2" type="msg">33 0A 21</enc>
        let enc = Enc::new(EncKind::Msg, [0x33, 0x0a, 0x21]);
        assert_eq!(
            enc.to_node(),
            Node::new("enc")
                .attr("v", "2")
                .attr("type", "msg")
                .bytes([0x33, 0x0a, 0x21])
        );
        let full = Enc {
            mediatype: Some("image".into()),
            decrypt_fail: Some("hide".into()),
            count: Some(2),
            ..Enc::new(EncKind::Pkmsg, [1])
        };
        assert_eq!(Enc::from_node(&full.to_node()).unwrap(), full);
        let plaintext = Enc::new(EncKind::Plaintext, b"pb".to_vec());
        assert_eq!(plaintext.to_node().tag, "plaintext");
        assert_eq!(Enc::from_node(&plaintext.to_node()).unwrap(), plaintext);
        assert!(matches!(
            Enc::from_node(&Node::new("enc").attr("type", "msg")),
            Err(StanzaError::BadContent { .. })
        ));
        assert!(matches!(
            Enc::from_node(&Node::new("enc").bytes([1])),
            Err(StanzaError::MissingAttr { attr: "type", .. })
        ));
    }

    fn appendix_c1_message() -> OutgoingMessage {
        let b = "15550000002";
        let a = "15550000001";
        OutgoingMessage {
            participants: vec![
                DeviceEnc {
                    jid: pn(b, 0),
                    enc: Enc::new(EncKind::Pkmsg, [1]),
                },
                DeviceEnc {
                    jid: pn(b, 1),
                    enc: Enc::new(EncKind::Pkmsg, [2]),
                },
                DeviceEnc {
                    jid: pn(a, 0),
                    enc: Enc::new(EncKind::Pkmsg, [3]),
                },
            ],
            device_identity: Some(vec![0xde, 0xad]),
            ..OutgoingMessage::new("3EB0AAAA", Jid::pn(b), MessageType::Text)
        }
    }

    #[test]
    fn appendix_c1_outgoing_shape_and_round_trip() {
        let message = appendix_c1_message();
        let node = message.to_node();
        let expected = Node::new("message")
            .attr("id", "3EB0AAAA")
            .attr("to", Jid::pn("15550000002"))
            .attr("type", "text")
            .children(vec![
                Node::new("participants").children(vec![
                    Node::new("to")
                        .attr("jid", pn("15550000002", 0))
                        .child(Enc::new(EncKind::Pkmsg, [1]).to_node()),
                    Node::new("to")
                        .attr("jid", pn("15550000002", 1))
                        .child(Enc::new(EncKind::Pkmsg, [2]).to_node()),
                    Node::new("to")
                        .attr("jid", pn("15550000001", 0))
                        .child(Enc::new(EncKind::Pkmsg, [3]).to_node()),
                ]),
                Node::new("device-identity").bytes([0xde, 0xad]),
            ]);
        assert_eq!(node, expected);
        assert_eq!(OutgoingMessage::from_node(&node).unwrap(), message);
        assert_eq!(
            message
                .enc_for(&pn("15550000002", 1))
                .map(|e| e.ciphertext.clone()),
            Some(vec![2])
        );
    }

    #[test]
    fn appendix_c2_group_message() {
        let group: Jid = "120363000000000001@g.us".parse().unwrap();
        let message = OutgoingMessage {
            addressing_mode: Some(AddressingMode::Lid),
            participants: vec![DeviceEnc {
                jid: lid("200000000000002", 1),
                enc: Enc::new(EncKind::Pkmsg, [1]),
            }],
            direct: vec![Enc::new(EncKind::Skmsg, [9, 9])],
            device_identity: Some(vec![7]),
            extra: vec![Node::new("meta").attr("polltype", "creation")],
            ..OutgoingMessage::new("3EB0BB", group.clone(), MessageType::Text)
        };
        let node = message.to_node();
        let tags: Vec<&str> = node.child_nodes().iter().map(|n| n.tag.as_str()).collect();
        assert_eq!(tags, ["participants", "enc", "device-identity", "meta"]);
        assert_eq!(OutgoingMessage::from_node(&node).unwrap(), message);

        // Step 4: what member B:1 receives.
        let delivered = IncomingMessage {
            participant: Some(lid("100000000000001", 1)),
            participant_pn: Some(pn("15550000001", 1)),
            addressing_mode: Some(AddressingMode::Lid),
            notify: Some("A".into()),
            encs: vec![
                Enc::new(EncKind::Pkmsg, [1]),
                Enc::new(EncKind::Skmsg, [9, 9]),
            ],
            ..IncomingMessage::new("3EB0BB", group, 1_700_000_000, MessageType::Text)
        };
        let node = delivered.to_node();
        assert!(matches!(
            node.get_attr("participant_pn"),
            Some(AttrValue::Jid(_))
        ));
        assert_eq!(IncomingMessage::from_node(&node).unwrap(), delivered);
        let mut missing = node.clone();
        missing.remove_attr("participant");
        assert!(matches!(
            IncomingMessage::from_node(&missing),
            Err(StanzaError::MissingAttr {
                attr: "participant",
                ..
            })
        ));
    }

    #[test]
    fn appendix_c1_delivery_and_own_device_copy() {
        let delivered = IncomingMessage {
            sender_lid: Some(lid("100000000000001", 1)),
            notify: Some("A name".into()),
            offline: Some("0".into()),
            encs: vec![Enc::new(EncKind::Pkmsg, [1, 2])],
            device_identity: Some(vec![3]),
            ..IncomingMessage::new(
                "3EB0AAAA",
                pn("15550000001", 1),
                1_700_000_000,
                MessageType::Text,
            )
        };
        assert_eq!(
            IncomingMessage::from_node(&delivered.to_node()).unwrap(),
            delivered
        );
        let own_copy = IncomingMessage {
            recipient: Some(Jid::pn("15550000002")),
            ..delivered.clone()
        };
        assert_eq!(
            IncomingMessage::from_node(&own_copy.to_node()).unwrap(),
            own_copy
        );
    }

    #[test]
    fn retry_resend_is_direct() {
        let resend = OutgoingMessage {
            device_fanout: Some(false),
            t: Some(1_700_000_000),
            direct: vec![Enc {
                count: Some(1),
                ..Enc::new(EncKind::Pkmsg, [5])
            }],
            ..OutgoingMessage::new("3EB0CC", pn("15550000002", 1), MessageType::Text)
        };
        let node = resend.to_node();
        assert_eq!(node.attr_str("device_fanout").as_deref(), Some("false"));
        assert!(node.get_child("participants").is_none());
        assert_eq!(OutgoingMessage::from_node(&node).unwrap(), resend);
    }

    #[test]
    fn liberal_parse_of_a_delivered_message() {
        let node = Node::new("message")
            .attr("type", "media")
            .attr("t", "5")
            .attr("id", "X")
            .attr("from", "15550000001:1@s.whatsapp.net")
            .attr("sender_lid", "100000000000001:1@lid")
            .children(vec![
                Node::new("enc")
                    .attr("type", "msg")
                    .attr("mediatype", "image")
                    .text("abc"),
                Node::new("unavailable"),
            ]);
        let message = IncomingMessage::from_node(&node).unwrap();
        assert_eq!(message.kind, MessageType::Media);
        assert_eq!(message.sender_lid, Some(lid("100000000000001", 1)));
        assert_eq!(message.encs[0].version, 2);
        assert_eq!(message.encs[0].ciphertext, b"abc");
        assert_eq!(message.extra, vec![Node::new("unavailable")]);
        assert!(matches!(
            IncomingMessage::from_node(&Node::new("message").attr("from", "1@lid")),
            Err(StanzaError::MissingAttr { attr: "id", .. })
        ));
        let bad_to = Node::new("to").attr("jid", "1@lid");
        assert!(matches!(
            DeviceEnc::from_node(&bad_to),
            Err(StanzaError::MissingChild { child: "enc", .. })
        ));
        assert_eq!(
            Enc::new(EncKind::Skmsg, [1]).to_node().content,
            Content::Bytes(vec![1])
        );
    }

    #[test]
    fn participant_hash_is_order_independent_and_whatsmeow_shaped() {
        let a = Jid::with_device("100000000000001", "lid", 0);
        let b = Jid::with_device("100000000000002", "lid", 3);
        let hash = participant_hash(&[a.clone(), b.clone()]);
        assert_eq!(hash, participant_hash(&[b.clone(), a.clone()]));
        assert!(hash.starts_with("2:"));
        // 6 bytes → 8 base64 characters, no padding.
        assert_eq!(hash.len(), 10);
        assert_ne!(hash, participant_hash(&[a]));
        // The whatsmeow string form: sha256("100000000000002.0:3@lid")[..6].
        use base64::Engine;
        use sha2::{Digest, Sha256};
        let expected = Sha256::digest(b"100000000000002.0:3@lid");
        assert_eq!(
            participant_hash(&[b]),
            format!(
                "2:{}",
                base64::engine::general_purpose::STANDARD_NO_PAD.encode(&expected[..6])
            )
        );
    }
}
