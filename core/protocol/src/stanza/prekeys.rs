//! Signal prekey IQs, `xmlns="encrypt"` (docs/PROTOCOL.md, Prekeys): upload, server count, bundle fetch,
//! digest, signed-prekey rotation. (The server's low-count push is
//! `NotificationBody::EncryptCount`.)
//!
//! Keys are raw 32-byte X25519 publics (no `05` prefix; the key type travels in `<type>05</type>`),
//! registration ids 4-byte and prekey ids 3-byte big-endian, all as BINARY content.

use super::error::StanzaError;
use super::iq::{IqError, IqSpec, IqType};
use super::read::{NodeRead, be_bytes, bytes_node, node_conversions};
use crate::jid::Jid;
use crate::node::Node;

/// The Signal key type byte (`<type>05</type>`).
pub const KEY_TYPE_DJB: u8 = 5;

/// A one-time prekey: `<key><id>3 B</id><value>32 B</value></key>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PreKey {
    /// The prekey id (24 bits on the wire).
    pub id: u32,
    /// The X25519 public key.
    pub public: [u8; 32],
}

impl PreKey {
    /// The `<key>` node.
    pub fn to_node(&self) -> Node {
        Node::new("key").children(vec![
            bytes_node("id", be_bytes(self.id, 3)),
            bytes_node("value", self.public),
        ])
    }

    /// Parses `<key>`.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("key")?;
        Ok(PreKey {
            id: node.req_child("id")?.be_uint(3)?,
            public: node.req_child("value")?.fixed_bytes()?,
        })
    }
}

/// The signed prekey: `<skey><id/><value/><signature>64 B</signature></skey>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignedPreKey {
    /// The signed prekey id (24 bits on the wire).
    pub id: u32,
    /// The X25519 public key.
    pub public: [u8; 32],
    /// XEdDSA signature of `05 ‖ public` by the identity key.
    pub signature: [u8; 64],
}

impl SignedPreKey {
    /// The `<skey>` node.
    pub fn to_node(&self) -> Node {
        Node::new("skey").children(vec![
            bytes_node("id", be_bytes(self.id, 3)),
            bytes_node("value", self.public),
            bytes_node("signature", self.signature),
        ])
    }

    /// Parses `<skey>`.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("skey")?;
        Ok(SignedPreKey {
            id: node.req_child("id")?.be_uint(3)?,
            public: node.req_child("value")?.fixed_bytes()?,
            signature: node.req_child("signature")?.fixed_bytes()?,
        })
    }
}

node_conversions!(PreKey, SignedPreKey);

/// `<registration>4 B</registration>`.
pub(crate) fn registration_node(registration_id: u32) -> Node {
    bytes_node("registration", be_bytes(registration_id, 4))
}

/// `<type>05</type>`.
pub(crate) fn key_type_node() -> Node {
    bytes_node("type", [KEY_TYPE_DJB])
}

/// `<identity>32 B</identity>`.
pub(crate) fn identity_node(identity: &[u8; 32]) -> Node {
    bytes_node("identity", *identity)
}

/// C→S `<iq xmlns="encrypt" type="set">`: uploads one-time prekeys and the current signed prekey.
/// Sent after login when the server count is low (Baileys 812 initially, then 5; whatsmeow 50).
/// Answered with an empty result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPreKeys {
    /// The device's Signal registration id.
    pub registration_id: u32,
    /// The device's identity public key.
    pub identity: [u8; 32],
    /// One-time prekeys to add.
    pub prekeys: Vec<PreKey>,
    /// The current signed prekey.
    pub signed: SignedPreKey,
}

impl IqSpec for UploadPreKeys {
    type Response = ();
    const XMLNS: &'static str = "encrypt";
    const TYPE: IqType = IqType::Set;

    fn request_children(&self) -> Vec<Node> {
        vec![
            registration_node(self.registration_id),
            key_type_node(),
            identity_node(&self.identity),
            Node::new("list").children(self.prekeys.iter().map(PreKey::to_node).collect()),
            self.signed.to_node(),
        ]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        Ok(UploadPreKeys {
            registration_id: iq.req_child("registration")?.be_uint(4)?,
            identity: iq.req_child("identity")?.fixed_bytes()?,
            prekeys: iq
                .req_child("list")?
                .children_by_tag("key")
                .map(PreKey::from_node)
                .collect::<Result<_, _>>()?,
            signed: SignedPreKey::from_node(iq.req_child("skey")?)?,
        })
    }

    fn response_children(_: &()) -> Vec<Node> {
        Vec::new()
    }

    fn decode_response(_: &Node) -> Result<(), StanzaError> {
        Ok(())
    }
}

/// C→S `<iq xmlns="encrypt" type="get"><count/></iq>`: how many one-time prekeys the server
/// still holds for this device; answered with `<count value="N"/>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PreKeyCount;

impl IqSpec for PreKeyCount {
    /// The server's remaining one-time prekey count.
    type Response = u64;
    const XMLNS: &'static str = "encrypt";
    const TYPE: IqType = IqType::Get;

    fn request_children(&self) -> Vec<Node> {
        vec![Node::new("count")]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        iq.req_child("count").map(|_| PreKeyCount)
    }

    fn response_children(count: &u64) -> Vec<Node> {
        vec![Node::new("count").attr("value", count.to_string())]
    }

    fn decode_response(iq: &Node) -> Result<u64, StanzaError> {
        iq.req_child("count")?.num_attr("value")
    }
}

/// One device in a bundle fetch: `<user jid=DEVICE_JID [reason="identity"]/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRequest {
    /// The device JID (LID for Baileys, Message stanzas).
    pub jid: Jid,
    /// `identity` when re-fetching after an identity change.
    pub reason: Option<String>,
}

impl KeyRequest {
    /// A request for `jid` without a reason.
    pub fn new(jid: Jid) -> Self {
        KeyRequest { jid, reason: None }
    }
}

/// A device's prekey bundle, as the server hands it out (one one-time prekey popped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreKeyBundle {
    /// The device's registration id.
    pub registration_id: u32,
    /// The device's identity public key.
    pub identity: [u8; 32],
    /// The device's signed prekey.
    pub signed: SignedPreKey,
    /// A one-time prekey, absent when the device has none left.
    pub prekey: Option<PreKey>,
}

/// One `<user>` of a bundle-fetch result: a bundle or a per-user error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPreKeys {
    /// The device JID, echoed.
    pub jid: Jid,
    /// The bundle, or e.g. 404 `item-not-found`.
    pub bundle: Result<PreKeyBundle, IqError>,
}

impl UserPreKeys {
    /// The `<user jid>` node, bundle children directly under it.
    pub fn to_node(&self) -> Node {
        let user = Node::new("user").attr("jid", &self.jid);
        match &self.bundle {
            Err(error) => user.child(error.to_node()),
            Ok(bundle) => {
                let mut children = vec![
                    registration_node(bundle.registration_id),
                    key_type_node(),
                    identity_node(&bundle.identity),
                    bundle.signed.to_node(),
                ];
                children.extend(bundle.prekey.as_ref().map(PreKey::to_node));
                user.children(children)
            }
        }
    }

    /// Parses `<user>`; the keys may sit directly under it or in a `<keys>` wrapper.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("user")?;
        let jid = node.jid_attr("jid")?;
        if let Some(error) = node.get_child("error") {
            return Ok(UserPreKeys {
                jid,
                bundle: Err(IqError::from_node(error)?),
            });
        }
        let keys = node.get_child("keys").unwrap_or(node);
        let registration = node
            .get_child("registration")
            .map_or_else(|| keys.req_child("registration"), Ok)?;
        let bundle = PreKeyBundle {
            registration_id: registration.be_uint(4)?,
            identity: keys.req_child("identity")?.fixed_bytes()?,
            signed: SignedPreKey::from_node(keys.req_child("skey")?)?,
            prekey: keys.get_child("key").map(PreKey::from_node).transpose()?,
        };
        Ok(UserPreKeys {
            jid,
            bundle: Ok(bundle),
        })
    }
}

node_conversions!(UserPreKeys);

/// C→S `<iq xmlns="encrypt" type="get"><key><user jid/>…</key></iq>`: fetches bundles for
/// devices without a session (Message stanzas). Answered with `<list><user …/>…</list>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPreKeys {
    /// The devices.
    pub users: Vec<KeyRequest>,
}

impl IqSpec for FetchPreKeys {
    /// One entry per `<user>` of the answer.
    type Response = Vec<UserPreKeys>;
    const XMLNS: &'static str = "encrypt";
    const TYPE: IqType = IqType::Get;

    fn request_children(&self) -> Vec<Node> {
        let users = self
            .users
            .iter()
            .map(|u| {
                Node::new("user")
                    .attr("jid", &u.jid)
                    .attr_opt("reason", u.reason.as_deref())
            })
            .collect();
        vec![Node::new("key").children(users)]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let users = iq
            .req_child("key")?
            .children_by_tag("user")
            .map(|u| {
                Ok(KeyRequest {
                    jid: u.jid_attr("jid")?,
                    reason: u.attr_str("reason"),
                })
            })
            .collect::<Result<_, StanzaError>>()?;
        Ok(FetchPreKeys { users })
    }

    fn response_children(users: &Vec<UserPreKeys>) -> Vec<Node> {
        vec![Node::new("list").children(users.iter().map(UserPreKeys::to_node).collect())]
    }

    fn decode_response(iq: &Node) -> Result<Vec<UserPreKeys>, StanzaError> {
        iq.req_child("list")?
            .children_by_tag("user")
            .map(UserPreKeys::from_node)
            .collect()
    }
}

/// What the server holds for this device, answered to [`GetKeyDigest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDigest {
    /// Registration id.
    pub registration_id: u32,
    /// Identity public key.
    pub identity: [u8; 32],
    /// Current signed prekey.
    pub signed: SignedPreKey,
    /// Ids of the one-time prekeys still held.
    pub prekey_ids: Vec<u32>,
    /// SHA-1 of identity ‖ skey pub ‖ skey signature ‖ each prekey pub.
    pub hash: Vec<u8>,
}

/// C→S `<iq xmlns="encrypt" type="get"><digest/></iq>` (Baileys, whatsapp-rust after login):
/// answered with `<digest>…</digest>`; a missing digest makes Baileys re-upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetKeyDigest;

impl IqSpec for GetKeyDigest {
    type Response = KeyDigest;
    const XMLNS: &'static str = "encrypt";
    const TYPE: IqType = IqType::Get;

    fn request_children(&self) -> Vec<Node> {
        vec![Node::new("digest")]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        iq.req_child("digest").map(|_| GetKeyDigest)
    }

    fn response_children(digest: &KeyDigest) -> Vec<Node> {
        let ids = digest
            .prekey_ids
            .iter()
            .map(|id| bytes_node("id", be_bytes(*id, 3)))
            .collect();
        vec![Node::new("digest").children(vec![
            registration_node(digest.registration_id),
            key_type_node(),
            identity_node(&digest.identity),
            digest.signed.to_node(),
            Node::new("list").children(ids),
            bytes_node("hash", digest.hash.clone()),
        ])]
    }

    fn decode_response(iq: &Node) -> Result<KeyDigest, StanzaError> {
        let digest = iq.req_child("digest")?;
        Ok(KeyDigest {
            registration_id: digest.req_child("registration")?.be_uint(4)?,
            identity: digest.req_child("identity")?.fixed_bytes()?,
            signed: SignedPreKey::from_node(digest.req_child("skey")?)?,
            prekey_ids: digest
                .req_child("list")?
                .children_by_tag("id")
                .map(|id| id.be_uint(3))
                .collect::<Result<_, _>>()?,
            hash: digest.child_bytes("hash")?,
        })
    }
}

/// C→S `<iq xmlns="encrypt" type="set"><rotate><skey>…</skey></rotate></iq>` (Baileys): replaces
/// the signed prekey; answered with an empty result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateSignedPreKey {
    /// The new signed prekey.
    pub signed: SignedPreKey,
}

impl IqSpec for RotateSignedPreKey {
    type Response = ();
    const XMLNS: &'static str = "encrypt";
    const TYPE: IqType = IqType::Set;

    fn request_children(&self) -> Vec<Node> {
        vec![Node::new("rotate").child(self.signed.to_node())]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let skey = iq.req_child("rotate")?.req_child("skey")?;
        Ok(RotateSignedPreKey {
            signed: SignedPreKey::from_node(skey)?,
        })
    }

    fn response_children(_: &()) -> Vec<Node> {
        Vec::new()
    }

    fn decode_response(_: &Node) -> Result<(), StanzaError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Content;
    use crate::stanza::testing::assert_iq_round_trip;

    fn signed() -> SignedPreKey {
        SignedPreKey {
            id: 0x00_01_02,
            public: [0x22; 32],
            signature: [0x33; 64],
        }
    }

    fn bundle(prekey: Option<PreKey>) -> PreKeyBundle {
        PreKeyBundle {
            registration_id: 0x0102_0304,
            identity: [0x11; 32],
            signed: signed(),
            prekey,
        }
    }

    #[test]
    fn upload_has_the_documented_order_and_widths() {
        let spec = UploadPreKeys {
            registration_id: 0x0000_3fff,
            identity: [0x11; 32],
            prekeys: vec![
                PreKey {
                    id: 1,
                    public: [0x44; 32],
                },
                PreKey {
                    id: 0xff_ffff,
                    public: [0x55; 32],
                },
            ],
            signed: signed(),
        };
        let iq = spec.request();
        let tags: Vec<&str> = iq.child_nodes().iter().map(|n| n.tag.as_str()).collect();
        assert_eq!(tags, ["registration", "type", "identity", "list", "skey"]);
        assert_eq!(
            iq.child_nodes()[0].content,
            Content::Bytes(vec![0, 0, 0x3f, 0xff])
        );
        assert_eq!(iq.child_nodes()[1].content, Content::Bytes(vec![5]));
        let first_id = iq.get_path(&["list", "key", "id"]).unwrap();
        assert_eq!(first_id.content, Content::Bytes(vec![0, 0, 1]));
        assert_iq_round_trip(&spec, &());
    }

    #[test]
    fn count_matches_the_prekey_count_example() {
        // docs/PROTOCOL.md, Binary nodes, example (b), attribute order aside.
        let (header, PreKeyCount) = PreKeyCount::parse_request(
            &Node::new("iq")
                .attr("id", "abc")
                .attr("xmlns", "encrypt")
                .attr("type", "get")
                .attr("to", "s.whatsapp.net")
                .child(Node::new("count")),
        )
        .unwrap();
        assert_eq!(header.id, "abc");
        assert_iq_round_trip(&PreKeyCount, &42);
        assert_eq!(
            PreKeyCount::response_children(&7),
            vec![Node::new("count").attr("value", "7")]
        );
    }

    #[test]
    fn bundle_fetch_round_trip_with_per_user_errors() {
        let spec = FetchPreKeys {
            users: vec![
                KeyRequest {
                    jid: Jid::with_device("987654321", "lid", 2),
                    reason: Some("identity".into()),
                },
                KeyRequest::new(Jid::lid("200000000000002")),
                KeyRequest::new(Jid::lid("300000000000003")),
            ],
        };
        let response = vec![
            UserPreKeys {
                jid: Jid::with_device("987654321", "lid", 2),
                bundle: Ok(bundle(Some(PreKey {
                    id: 9,
                    public: [0x66; 32],
                }))),
            },
            UserPreKeys {
                jid: Jid::lid("200000000000002"),
                bundle: Ok(bundle(None)),
            },
            UserPreKeys {
                jid: Jid::lid("300000000000003"),
                bundle: Err(IqError::not_found()),
            },
        ];
        assert_iq_round_trip(&spec, &response);
        // docs/PROTOCOL.md, Binary nodes, example (f): <key><user jid="987654321:2@lid" reason="identity"/></key>
        let user = spec.request().get_path(&["key", "user"]).cloned().unwrap();
        assert!(matches!(
            user.get_attr("jid"),
            Some(crate::AttrValue::Jid(_))
        ));
        assert_eq!(user.attr_str("reason").as_deref(), Some("identity"));
        // Children directly under <user>, no <key> when no one-time prekey is left.
        let user = response[1].to_node();
        let tags: Vec<&str> = user.child_nodes().iter().map(|n| n.tag.as_str()).collect();
        assert_eq!(tags, ["registration", "type", "identity", "skey"]);
    }

    #[test]
    fn bundle_parses_the_keys_wrapper_and_string_jids() {
        let wrapped = Node::new("user")
            .attr("jid", "987654321:2@lid")
            .children(vec![
                registration_node(0x0102_0304),
                Node::new("keys").children(vec![
                    key_type_node(),
                    identity_node(&[0x11; 32]),
                    signed().to_node(),
                ]),
            ]);
        assert_eq!(
            UserPreKeys::from_node(&wrapped).unwrap(),
            UserPreKeys {
                jid: Jid::with_device("987654321", "lid", 2),
                bundle: Ok(bundle(None)),
            }
        );
    }

    #[test]
    fn bad_bundles_are_typed_errors() {
        let short_identity = Node::new("user").attr("jid", "1@lid").children(vec![
            registration_node(1),
            bytes_node("identity", [1; 31]),
            signed().to_node(),
        ]);
        assert!(matches!(
            UserPreKeys::from_node(&short_identity),
            Err(StanzaError::BadContent { tag, .. }) if tag == "identity"
        ));
        let no_skey = Node::new("user")
            .attr("jid", "1@lid")
            .children(vec![registration_node(1), identity_node(&[1; 32])]);
        assert!(matches!(
            UserPreKeys::from_node(&no_skey),
            Err(StanzaError::MissingChild { child: "skey", .. })
        ));
        let bad_id =
            Node::new("key").children(vec![bytes_node("id", [1, 2]), bytes_node("value", [0; 32])]);
        assert!(matches!(
            PreKey::from_node(&bad_id),
            Err(StanzaError::BadContent { .. })
        ));
        assert!(matches!(
            UserPreKeys::from_node(&Node::new("user")),
            Err(StanzaError::MissingAttr { attr: "jid", .. })
        ));
    }

    #[test]
    fn digest_and_rotate_round_trip() {
        let digest = KeyDigest {
            registration_id: 77,
            identity: [1; 32],
            signed: signed(),
            prekey_ids: vec![1, 2, 0xabcdef],
            hash: vec![9; 20],
        };
        assert_iq_round_trip(&GetKeyDigest, &digest);
        assert_iq_round_trip(&RotateSignedPreKey { signed: signed() }, &());
    }
}
