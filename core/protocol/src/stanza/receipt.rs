//! `<receipt>` stanzas (docs/PROTOCOL.md, Receipts): sent by the receiving client
//! (`to` = the message's sender) and forwarded by the server to the sender (`from` = the
//! recipient device or group). Several message ids travel in `<list><item id/></list>`; retry
//! receipts carry `<retry>`, `<registration>` and, from the second attempt, `<keys>`.

use super::addressing::Peer;
use super::error::StanzaError;
use super::iq::with_children;
use super::prekeys::{PreKey, SignedPreKey, identity_node, key_type_node, registration_node};
use super::read::{NodeRead, bytes_node, node_conversions, string_enum};
use crate::jid::Jid;
use crate::node::Node;

string_enum! {
    /// The receipt `type`. [`ReceiptType::Delivery`] is the absent attribute.
    pub enum ReceiptType {
        /// Delivered (no `type` attribute); also acts as the message's ack.
        Delivery = "delivery",
        /// Read by the user.
        Read = "read",
        /// Read, with read receipts disabled (or newsletters).
        ReadSelf = "read-self",
        /// Voice/video played.
        Played = "played",
        /// Played, with read receipts disabled.
        PlayedSelf = "played-self",
        /// For messages from the receiver's own other devices.
        Sender = "sender",
        /// Delivered while the client is passive / not available.
        Inactive = "inactive",
        /// For peer (companion ↔ phone) messages.
        PeerMsg = "peer_msg",
        /// After a history-sync notification.
        HistSync = "hist_sync",
        /// Decryption failed; asks the sender to resend (see [`RetryRequest`]).
        Retry = "retry",
        /// Server error receipt.
        ServerError = "server-error",
    }
}

/// The Signal keys a retry receipt carries so the sender can build a fresh session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryKeys {
    /// Identity public key.
    pub identity: [u8; 32],
    /// A one-time prekey.
    pub prekey: Option<PreKey>,
    /// The signed prekey.
    pub signed: SignedPreKey,
    /// Serialized `ADVSignedDeviceIdentity`.
    pub device_identity: Option<Vec<u8>>,
}

/// The retry part of a `type="retry"` receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryRequest {
    /// Attempt number (clients stop at 5).
    pub count: u32,
    /// The original message id.
    pub id: String,
    /// The original message time.
    pub t: Option<u64>,
    /// `error`, e.g. `0`.
    pub error: Option<String>,
    /// The requester's registration id (`<registration>`).
    pub registration_id: u32,
    /// `<keys>`, sent from the second attempt on.
    pub keys: Option<RetryKeys>,
}

impl RetryRequest {
    fn to_nodes(&self) -> Vec<Node> {
        let retry = Node::new("retry")
            .attr("count", self.count.to_string())
            .attr("id", self.id.as_str())
            .attr_opt("t", self.t.map(|t| t.to_string()))
            .attr("v", "1")
            .attr_opt("error", self.error.as_deref());
        let mut nodes = vec![retry, registration_node(self.registration_id)];
        if let Some(keys) = &self.keys {
            let mut children = vec![key_type_node(), identity_node(&keys.identity)];
            children.extend(keys.prekey.as_ref().map(PreKey::to_node));
            children.push(keys.signed.to_node());
            children.extend(
                keys.device_identity
                    .as_ref()
                    .map(|d| bytes_node("device-identity", d.clone())),
            );
            nodes.push(Node::new("keys").children(children));
        }
        nodes
    }

    fn from_receipt(receipt: &Node) -> Result<Self, StanzaError> {
        let retry = receipt.req_child("retry")?;
        let keys = receipt
            .get_child("keys")
            .map(|keys| {
                Ok::<_, StanzaError>(RetryKeys {
                    identity: keys.req_child("identity")?.fixed_bytes()?,
                    prekey: keys.get_child("key").map(PreKey::from_node).transpose()?,
                    signed: SignedPreKey::from_node(keys.req_child("skey")?)?,
                    device_identity: keys.opt_child_bytes("device-identity")?,
                })
            })
            .transpose()?;
        Ok(RetryRequest {
            count: retry.num_attr("count")?,
            id: retry.text_attr("id")?,
            t: retry.opt_num_attr("t")?,
            error: retry.attr_str("error"),
            registration_id: receipt.req_child("registration")?.be_uint(4)?,
            keys,
        })
    }
}

/// A `<receipt>`, in either direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The (first) message id.
    pub id: String,
    /// `to` = the message's `from` (client), or `from` = the recipient device or group (server).
    pub peer: Peer,
    /// In groups: the original sender (client) or the recipient device (server).
    pub participant: Option<Jid>,
    /// `recipient` (receipts about own-device copies).
    pub recipient: Option<Jid>,
    /// The type.
    pub kind: ReceiptType,
    /// `t`, for read/played receipts and forwarded receipts.
    pub t: Option<u64>,
    /// `category` (`peer`).
    pub category: Option<String>,
    /// Further message ids (`<list><item id/></list>`).
    pub more_ids: Vec<String>,
    /// The retry request, for [`ReceiptType::Retry`].
    pub retry: Option<RetryRequest>,
}

impl Receipt {
    /// A receipt with only an id, a peer and a type.
    pub fn new(id: impl Into<String>, peer: Peer, kind: ReceiptType) -> Self {
        Receipt {
            id: id.into(),
            peer,
            participant: None,
            recipient: None,
            kind,
            t: None,
            category: None,
            more_ids: Vec::new(),
            retry: None,
        }
    }

    /// Every message id this receipt covers.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.more_ids.iter().map(String::as_str))
    }

    /// The `<receipt>` node.
    pub fn to_node(&self) -> Node {
        let node = self
            .peer
            .apply(Node::new("receipt").attr("id", self.id.as_str()))
            .attr_opt("participant", self.participant.as_ref())
            .attr_opt("recipient", self.recipient.as_ref())
            .attr_opt(
                "type",
                (self.kind != ReceiptType::Delivery).then(|| self.kind.as_str()),
            )
            .attr_opt("t", self.t.map(|t| t.to_string()))
            .attr_opt("category", self.category.as_deref());
        let mut children = Vec::new();
        if !self.more_ids.is_empty() {
            let items = self
                .more_ids
                .iter()
                .map(|id| Node::new("item").attr("id", id.as_str()))
                .collect();
            children.push(Node::new("list").children(items));
        }
        if let Some(retry) = &self.retry {
            children.extend(retry.to_nodes());
        }
        with_children(node, children)
    }

    /// Parses a `<receipt>` (`from` wins when both `from` and `to` are present).
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("receipt")?;
        let kind = node
            .attr_str("type")
            .map_or(ReceiptType::Delivery, |t| t.as_str().into());
        let more_ids = match node.get_child("list") {
            Some(list) => list
                .children_by_tag("item")
                .map(|item| item.text_attr("id"))
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let retry = match kind {
            ReceiptType::Retry => Some(RetryRequest::from_receipt(node)?),
            _ => None,
        };
        Ok(Receipt {
            id: node.text_attr("id")?,
            peer: Peer::read(node)?,
            participant: node.opt_jid_attr("participant")?,
            recipient: node.opt_jid_attr("recipient")?,
            kind,
            t: node.opt_num_attr("t")?,
            category: node.attr_str("category"),
            more_ids,
            retry,
        })
    }
}

node_conversions!(Receipt);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AttrValue;

    fn device(user: &str, d: u16) -> Jid {
        Jid::with_device(user, "s.whatsapp.net", d)
    }

    #[test]
    fn read_receipt_matches_the_byte_example() {
        // docs/PROTOCOL.md, Binary nodes, example (c).
        let receipt = Receipt::new(
            "3EB0C431D5E3C4E1",
            Peer::To(device("15551234567", 3)),
            ReceiptType::Read,
        );
        assert_eq!(
            receipt.to_node(),
            Node::new("receipt")
                .attr("id", "3EB0C431D5E3C4E1")
                .attr("to", device("15551234567", 3))
                .attr("type", "read")
        );
        assert_eq!(Receipt::from_node(&receipt.to_node()).unwrap(), receipt);
    }

    #[test]
    fn appendix_c1_delivery_and_forward() {
        let delivery = Receipt::new(
            "3EB0",
            Peer::To(device("15550000001", 1)),
            ReceiptType::Delivery,
        );
        let node = delivery.to_node();
        assert!(node.get_attr("type").is_none());
        assert_eq!(Receipt::from_node(&node).unwrap(), delivery);
        let forwarded = Receipt {
            t: Some(1_700_000_000),
            ..Receipt::new(
                "3EB0",
                Peer::From(device("15550000002", 1)),
                ReceiptType::Delivery,
            )
        };
        let node = forwarded.to_node();
        assert!(matches!(node.get_attr("from"), Some(AttrValue::Jid(_))));
        assert_eq!(Receipt::from_node(&node).unwrap(), forwarded);
    }

    #[test]
    fn every_type_and_multiple_ids_round_trip() {
        for kind in [
            ReceiptType::Delivery,
            ReceiptType::Read,
            ReceiptType::ReadSelf,
            ReceiptType::Played,
            ReceiptType::PlayedSelf,
            ReceiptType::Sender,
            ReceiptType::Inactive,
            ReceiptType::PeerMsg,
            ReceiptType::HistSync,
            ReceiptType::ServerError,
            ReceiptType::Other("future".into()),
        ] {
            let receipt = Receipt {
                participant: Some(Jid::lid("200000000000002")),
                recipient: Some(Jid::pn("15550000002")),
                t: Some(5),
                category: Some("peer".into()),
                more_ids: vec!["B".into(), "C".into()],
                ..Receipt::new(
                    "A",
                    Peer::From("120363000000000001@g.us".parse().unwrap()),
                    kind,
                )
            };
            let parsed = Receipt::from_node(&receipt.to_node()).unwrap();
            assert_eq!(parsed, receipt);
            assert_eq!(parsed.ids().collect::<Vec<_>>(), ["A", "B", "C"]);
        }
        let list = Receipt {
            more_ids: vec!["B".into()],
            ..Receipt::new("A", Peer::To(Jid::pn("1")), ReceiptType::Read)
        }
        .to_node();
        assert_eq!(
            list.get_child("list"),
            Some(&Node::new("list").child(Node::new("item").attr("id", "B")))
        );
    }

    #[test]
    fn retry_receipts_round_trip() {
        let first = Receipt {
            retry: Some(RetryRequest {
                count: 1,
                id: "3EB0".into(),
                t: Some(1_700_000_000),
                error: Some("0".into()),
                registration_id: 1234,
                keys: None,
            }),
            ..Receipt::new(
                "3EB0",
                Peer::To(device("15550000001", 1)),
                ReceiptType::Retry,
            )
        };
        let node = first.to_node();
        let tags: Vec<&str> = node.child_nodes().iter().map(|n| n.tag.as_str()).collect();
        assert_eq!(tags, ["retry", "registration"]);
        assert_eq!(
            node.get_child("retry").unwrap().attr_str("v").as_deref(),
            Some("1")
        );
        assert_eq!(Receipt::from_node(&node).unwrap(), first);
        let second = Receipt {
            retry: Some(RetryRequest {
                count: 2,
                keys: Some(RetryKeys {
                    identity: [1; 32],
                    prekey: Some(PreKey {
                        id: 3,
                        public: [2; 32],
                    }),
                    signed: SignedPreKey {
                        id: 1,
                        public: [3; 32],
                        signature: [4; 64],
                    },
                    device_identity: Some(vec![5]),
                }),
                ..first.retry.clone().unwrap()
            }),
            ..first.clone()
        };
        let node = second.to_node();
        let keys: Vec<&str> = node
            .get_child("keys")
            .unwrap()
            .child_nodes()
            .iter()
            .map(|n| n.tag.as_str())
            .collect();
        assert_eq!(keys, ["type", "identity", "key", "skey", "device-identity"]);
        assert_eq!(Receipt::from_node(&node).unwrap(), second);
    }

    #[test]
    fn bad_receipts_are_typed_errors() {
        assert!(matches!(
            Receipt::from_node(&Node::new("receipt").attr("id", "1")),
            Err(StanzaError::MissingAttr { attr: "to", .. })
        ));
        let retry_without_registration = Node::new("receipt")
            .attr("id", "1")
            .attr("to", "1@lid")
            .attr("type", "retry")
            .child(Node::new("retry").attr("count", "1").attr("id", "1"));
        assert!(matches!(
            Receipt::from_node(&retry_without_registration),
            Err(StanzaError::MissingChild {
                child: "registration",
                ..
            })
        ));
        let liberal = Node::new("receipt")
            .attr("type", "read")
            .attr("to", "15550000001:1@s.whatsapp.net")
            .attr("id", "X");
        assert_eq!(
            Receipt::from_node(&liberal).unwrap().peer,
            Peer::To(device("15550000001", 1))
        );
    }
}
