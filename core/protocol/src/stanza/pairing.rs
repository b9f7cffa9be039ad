//! Pairing stanzas (docs/PROTOCOL.md, Pairing): the server's `<pair-device>` refs and `<pair-success>`
//! (both server-originated IQs), the companion's `<pair-device-sign>` answer, and the two
//! `link_code_companion_reg` stages of phone-number-code pairing plus the primary's hello that
//! the server pushes in a notification.

use super::error::StanzaError;
use super::iq::{IqSpec, IqType, Origin, expect_attr};
use super::read::{NodeRead, bool_text, bytes_node, node_conversions};
use crate::jid::Jid;
use crate::node::{AttrValue, Node};

/// S→C `<iq from="s.whatsapp.net" type="set" xmlns="md"><pair-device><ref>R1</ref>…</pair-device>`,
/// sent instead of `<success>` to a registering connection. Send at least 6 refs (clients rotate
/// through them as QR codes); each `ref` is BINARY. The client answers with an empty result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairDevice {
    /// Opaque refs, one per QR code (no commas).
    pub refs: Vec<Vec<u8>>,
}

impl IqSpec for PairDevice {
    type Response = ();
    const XMLNS: &'static str = "md";
    const TYPE: IqType = IqType::Set;
    const ORIGIN: Origin = Origin::Server;

    fn request_children(&self) -> Vec<Node> {
        let refs = self
            .refs
            .iter()
            .map(|r| bytes_node("ref", r.clone()))
            .collect();
        vec![Node::new("pair-device").children(refs)]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let refs = iq
            .req_child("pair-device")?
            .children_by_tag("ref")
            .map(NodeRead::req_bytes)
            .collect::<Result<_, _>>()?;
        Ok(PairDevice { refs })
    }

    fn response_children(_: &()) -> Vec<Node> {
        Vec::new()
    }

    fn decode_response(_: &Node) -> Result<(), StanzaError> {
        Ok(())
    }
}

/// S→C `<iq from="s.whatsapp.net" type="set" xmlns="md" t><pair-success>…</pair-success></iq>`,
/// sent once the phone scanned the QR (or confirmed the code). The client verifies the identity
/// and answers with a [`PairDeviceSign`] (or an error iq, e.g. 401 `hmac-mismatch`); the server
/// then sends `<stream:error code="515"/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairSuccess {
    /// Server time (iq attribute `t`), unix seconds.
    pub t: Option<u64>,
    /// Serialized `ADVSignedDeviceIdentityHMAC` (docs/PROTOCOL.md, Pairing).
    pub device_identity: Vec<u8>,
    /// The companion's own PN device JID (`<device jid>`).
    pub device: Jid,
    /// The companion's own LID device JID (`<device lid>`).
    pub lid: Option<Jid>,
    /// The phone's platform (`<platform name>`), e.g. `android`.
    pub platform: Option<String>,
    /// The business name (`<biz name>`), for business accounts.
    pub business_name: Option<String>,
    /// Serialized `ClientPairingProps` (`<client-props>`).
    pub client_props: Option<Vec<u8>>,
}

impl IqSpec for PairSuccess {
    type Response = PairDeviceSign;
    const XMLNS: &'static str = "md";
    const TYPE: IqType = IqType::Set;
    const ORIGIN: Origin = Origin::Server;

    fn request_attrs(&self) -> Vec<(&'static str, AttrValue)> {
        self.t
            .map(|t| ("t", AttrValue::from(t.to_string())))
            .into_iter()
            .collect()
    }

    fn request_children(&self) -> Vec<Node> {
        let mut children = vec![
            bytes_node("device-identity", self.device_identity.clone()),
            Node::new("device")
                .attr("jid", &self.device)
                .attr_opt("lid", self.lid.as_ref()),
        ];
        if let Some(platform) = &self.platform {
            children.push(Node::new("platform").attr("name", platform.as_str()));
        }
        if let Some(name) = &self.business_name {
            children.push(Node::new("biz").attr("name", name.as_str()));
        }
        if let Some(props) = &self.client_props {
            children.push(bytes_node("client-props", props.clone()));
        }
        vec![Node::new("pair-success").children(children)]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let success = iq.req_child("pair-success")?;
        let device = success.req_child("device")?;
        Ok(PairSuccess {
            t: iq.opt_num_attr("t")?,
            device_identity: success.child_bytes("device-identity")?,
            device: device.jid_attr("jid")?,
            lid: device.opt_jid_attr("lid")?,
            platform: success
                .get_child("platform")
                .and_then(|p| p.attr_str("name")),
            business_name: success.get_child("biz").and_then(|b| b.attr_str("name")),
            client_props: success.opt_child_bytes("client-props")?,
        })
    }

    fn response_children(response: &PairDeviceSign) -> Vec<Node> {
        vec![response.to_node()]
    }

    fn decode_response(iq: &Node) -> Result<PairDeviceSign, StanzaError> {
        PairDeviceSign::from_node(iq.req_child("pair-device-sign")?)
    }
}

/// C→S `<pair-device-sign><device-identity key-index="N">BYTES</device-identity></pair-device-sign>`,
/// the companion's answer to [`PairSuccess`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairDeviceSign {
    /// `ADVDeviceIdentity.keyIndex` of the pairing.
    pub key_index: u32,
    /// Serialized `ADVSignedDeviceIdentity` with `deviceSignature` and without
    /// `accountSignatureKey`.
    pub device_identity: Vec<u8>,
}

impl PairDeviceSign {
    /// The `<pair-device-sign>` node.
    pub fn to_node(&self) -> Node {
        Node::new("pair-device-sign").child(
            bytes_node("device-identity", self.device_identity.clone())
                .attr("key-index", self.key_index.to_string()),
        )
    }

    /// Parses `<pair-device-sign>`.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        let identity = node
            .expect_tag("pair-device-sign")?
            .req_child("device-identity")?;
        Ok(PairDeviceSign {
            key_index: identity.num_attr("key-index")?,
            device_identity: identity.req_bytes()?,
        })
    }
}

/// C→S stage 1 of code pairing: `<iq xmlns="md" type="set"><link_code_companion_reg
/// jid=PHONE stage="companion_hello" should_show_push_notification>…`. The server answers with
/// the pairing ref and later pushes a [`LinkCodePrimaryHello`] notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCodeCompanionHello {
    /// The phone number's user JID.
    pub phone: Jid,
    /// Whether the phone shows a push notification.
    pub show_push_notification: bool,
    /// `salt(32) ‖ iv(16) ‖ AES-CTR(companion ephemeral pub)`, 80 bytes.
    pub wrapped_companion_ephemeral_pub: Vec<u8>,
    /// The companion's noise static public key.
    pub companion_server_auth_key_pub: Vec<u8>,
    /// Platform id, e.g. `1` (Chrome).
    pub companion_platform_id: String,
    /// Platform display, e.g. `Chrome (Mac OS)`.
    pub companion_platform_display: String,
    /// `link_code_pairing_nonce` (whatsmeow `00`, Baileys `0`).
    pub nonce: Vec<u8>,
}

impl IqSpec for LinkCodeCompanionHello {
    /// The `link_code_pairing_ref` the server assigned.
    type Response = Vec<u8>;
    const XMLNS: &'static str = "md";
    const TYPE: IqType = IqType::Set;

    fn request_children(&self) -> Vec<Node> {
        vec![
            link_code_node(&self.phone, "companion_hello")
                .attr(
                    "should_show_push_notification",
                    bool_text(self.show_push_notification),
                )
                .children(vec![
                    bytes_node(
                        "link_code_pairing_wrapped_companion_ephemeral_pub",
                        self.wrapped_companion_ephemeral_pub.clone(),
                    ),
                    bytes_node(
                        "companion_server_auth_key_pub",
                        self.companion_server_auth_key_pub.clone(),
                    ),
                    bytes_node(
                        "companion_platform_id",
                        self.companion_platform_id.as_bytes(),
                    ),
                    bytes_node(
                        "companion_platform_display",
                        self.companion_platform_display.as_bytes(),
                    ),
                    bytes_node("link_code_pairing_nonce", self.nonce.clone()),
                ]),
        ]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let reg = iq.req_child(LINK_CODE)?;
        expect_attr(reg, "stage", "companion_hello")?;
        Ok(LinkCodeCompanionHello {
            phone: reg.jid_attr("jid")?,
            show_push_notification: reg
                .opt_bool_attr("should_show_push_notification")?
                .unwrap_or(false),
            wrapped_companion_ephemeral_pub: reg
                .child_bytes("link_code_pairing_wrapped_companion_ephemeral_pub")?,
            companion_server_auth_key_pub: reg.child_bytes("companion_server_auth_key_pub")?,
            companion_platform_id: reg.req_child("companion_platform_id")?.req_text()?,
            companion_platform_display: reg.req_child("companion_platform_display")?.req_text()?,
            nonce: reg
                .opt_child_bytes("link_code_pairing_nonce")?
                .unwrap_or_default(),
        })
    }

    fn response_children(pairing_ref: &Vec<u8>) -> Vec<Node> {
        vec![Node::new(LINK_CODE).child(bytes_node("link_code_pairing_ref", pairing_ref.clone()))]
    }

    fn decode_response(iq: &Node) -> Result<Vec<u8>, StanzaError> {
        iq.req_child(LINK_CODE)?
            .child_bytes("link_code_pairing_ref")
    }
}

/// C→S stage 2 of code pairing: `<link_code_companion_reg jid stage="companion_finish">` with the
/// wrapped key bundle; answered with an empty result, then pairing continues as for QR with
/// [`PairSuccess`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCodeCompanionFinish {
    /// The phone number's user JID.
    pub phone: Jid,
    /// `salt(32) ‖ nonce(12) ‖ AES-GCM(bundle)`.
    pub wrapped_key_bundle: Vec<u8>,
    /// The companion's identity public key (32 bytes).
    pub companion_identity_public: Vec<u8>,
    /// The ref from the hello response.
    pub pairing_ref: Vec<u8>,
}

impl IqSpec for LinkCodeCompanionFinish {
    type Response = ();
    const XMLNS: &'static str = "md";
    const TYPE: IqType = IqType::Set;

    fn request_children(&self) -> Vec<Node> {
        vec![
            link_code_node(&self.phone, "companion_finish").children(vec![
                bytes_node(
                    "link_code_pairing_wrapped_key_bundle",
                    self.wrapped_key_bundle.clone(),
                ),
                bytes_node(
                    "companion_identity_public",
                    self.companion_identity_public.clone(),
                ),
                bytes_node("link_code_pairing_ref", self.pairing_ref.clone()),
            ]),
        ]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let reg = iq.req_child(LINK_CODE)?;
        expect_attr(reg, "stage", "companion_finish")?;
        Ok(LinkCodeCompanionFinish {
            phone: reg.jid_attr("jid")?,
            wrapped_key_bundle: reg.child_bytes("link_code_pairing_wrapped_key_bundle")?,
            companion_identity_public: reg.child_bytes("companion_identity_public")?,
            pairing_ref: reg.child_bytes("link_code_pairing_ref")?,
        })
    }

    fn response_children(_: &()) -> Vec<Node> {
        Vec::new()
    }

    fn decode_response(_: &Node) -> Result<(), StanzaError> {
        Ok(())
    }
}

/// The primary phone's hello, pushed by the server inside
/// `<notification type="link_code_companion_reg">` (see
/// `NotificationBody::LinkCode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCodePrimaryHello {
    /// The pairing ref.
    pub pairing_ref: Vec<u8>,
    /// The primary's wrapped ephemeral public key (80 bytes).
    pub wrapped_primary_ephemeral_pub: Vec<u8>,
    /// The primary's identity public key (32 bytes).
    pub primary_identity_pub: Vec<u8>,
}

impl LinkCodePrimaryHello {
    /// The `<link_code_companion_reg stage="primary_hello">` node.
    pub fn to_node(&self) -> Node {
        Node::new(LINK_CODE)
            .attr("stage", "primary_hello")
            .children(vec![
                bytes_node("link_code_pairing_ref", self.pairing_ref.clone()),
                bytes_node(
                    "link_code_pairing_wrapped_primary_ephemeral_pub",
                    self.wrapped_primary_ephemeral_pub.clone(),
                ),
                bytes_node("primary_identity_pub", self.primary_identity_pub.clone()),
            ])
    }

    /// Parses the `<link_code_companion_reg>` node (the stage attribute is not required).
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag(LINK_CODE)?;
        Ok(LinkCodePrimaryHello {
            pairing_ref: node.child_bytes("link_code_pairing_ref")?,
            wrapped_primary_ephemeral_pub: node
                .child_bytes("link_code_pairing_wrapped_primary_ephemeral_pub")?,
            primary_identity_pub: node.child_bytes("primary_identity_pub")?,
        })
    }
}

/// C→S `<iq xmlns="md" type="set"><remove-companion-device jid reason="user_initiated"/></iq>`:
/// logout. The server answers with an empty result, removes the device and sends it
/// [`StreamError::DeviceRemoved`](super::connection::StreamError::DeviceRemoved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveCompanionDevice {
    /// The device to remove (normally the sender's own device JID).
    pub device: Jid,
    /// Why, e.g. `user_initiated`.
    pub reason: String,
}

impl IqSpec for RemoveCompanionDevice {
    type Response = ();
    const XMLNS: &'static str = "md";
    const TYPE: IqType = IqType::Set;

    fn request_children(&self) -> Vec<Node> {
        vec![
            Node::new("remove-companion-device")
                .attr("jid", &self.device)
                .attr("reason", self.reason.as_str()),
        ]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let remove = iq.req_child("remove-companion-device")?;
        Ok(RemoveCompanionDevice {
            device: remove.jid_attr("jid")?,
            reason: remove.attr_str("reason").unwrap_or_default(),
        })
    }

    fn response_children(_: &()) -> Vec<Node> {
        Vec::new()
    }

    fn decode_response(_: &Node) -> Result<(), StanzaError> {
        Ok(())
    }
}

node_conversions!(PairDeviceSign, LinkCodePrimaryHello);

const LINK_CODE: &str = "link_code_companion_reg";

fn link_code_node(phone: &Jid, stage: &str) -> Node {
    Node::new(LINK_CODE).attr("jid", phone).attr("stage", stage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Content;
    use crate::stanza::testing::assert_iq_round_trip;

    #[test]
    fn pair_device_has_six_binary_refs_from_the_server() {
        let refs: Vec<Vec<u8>> = (1..=6).map(|i| format!("2@ref{i}").into_bytes()).collect();
        let spec = PairDevice { refs: refs.clone() };
        let iq = spec.request_with_id("pd-1");
        assert_eq!(iq.attr_str("xmlns").as_deref(), Some("md"));
        assert_eq!(iq.attr_str("type").as_deref(), Some("set"));
        assert!(matches!(iq.get_attr("from"), Some(AttrValue::Jid(j)) if *j == Jid::server()));
        assert!(iq.get_attr("to").is_none());
        let pair = iq.get_child("pair-device").unwrap();
        let contents: Vec<&Content> = pair.children_by_tag("ref").map(|r| &r.content).collect();
        assert_eq!(contents.len(), 6);
        assert!(
            contents
                .iter()
                .zip(&refs)
                .all(|(c, r)| **c == Content::Bytes(r.clone()))
        );
        assert_iq_round_trip(&spec, &());
        // The client's ack is `<iq to="s.whatsapp.net" id type="result"/>`.
        let (header, _) = PairDevice::parse_request(&iq).unwrap();
        assert_eq!(
            PairDevice::response(&header, &()),
            Node::new("iq")
                .attr("id", "pd-1")
                .attr("to", Jid::server())
                .attr("type", "result")
        );
        // Liberal: refs given as strings.
        let text_refs = Node::new("iq")
            .attr("from", "s.whatsapp.net")
            .attr("id", "x")
            .attr("type", "set")
            .attr("xmlns", "md")
            .child(Node::new("pair-device").child(Node::new("ref").text("abc")));
        let (_, parsed) = PairDevice::parse_request(&text_refs).unwrap();
        assert_eq!(parsed.refs, vec![b"abc".to_vec()]);
    }

    fn pair_success() -> PairSuccess {
        PairSuccess {
            t: Some(1_700_000_000),
            device_identity: vec![0x0a, 0x01, 0x02],
            device: Jid::with_device("15550000001", "s.whatsapp.net", 1),
            lid: Some(Jid::with_device("100000000000001", "lid", 1)),
            platform: Some("android".into()),
            business_name: None,
            client_props: Some(vec![8, 1]),
        }
    }

    #[test]
    fn pair_success_and_sign_round_trip() {
        let spec = pair_success();
        let sign = PairDeviceSign {
            key_index: 1,
            device_identity: vec![1, 2, 3],
        };
        assert_iq_round_trip(&spec, &sign);
        let iq = spec.request_with_id("p");
        assert_eq!(iq.attr_str("t").as_deref(), Some("1700000000"));
        let device = iq.get_path(&["pair-success", "device"]).unwrap();
        assert!(matches!(device.get_attr("jid"), Some(AttrValue::Jid(_))));
        assert!(matches!(device.get_attr("lid"), Some(AttrValue::Jid(_))));
        let (header, _) = PairSuccess::parse_request(&iq).unwrap();
        let reply = PairSuccess::response(&header, &sign);
        let identity = reply
            .get_path(&["pair-device-sign", "device-identity"])
            .unwrap();
        assert_eq!(identity.attr_str("key-index").as_deref(), Some("1"));
        assert_eq!(identity.content, Content::Bytes(vec![1, 2, 3]));
        // A failed verification comes back as an error iq.
        let error = header.error(&crate::stanza::IqError::new(401, "hmac-mismatch"));
        assert!(matches!(
            PairSuccess::parse_response(&error),
            Err(StanzaError::Iq(e)) if e.code == 401
        ));
    }

    #[test]
    fn pair_success_errors_name_what_is_missing() {
        let mut iq = pair_success().request_with_id("p");
        if let Content::Nodes(children) = &mut iq.content {
            children[0].content = Content::Nodes(vec![Node::new("device")]);
        }
        assert!(matches!(
            PairSuccess::parse_request(&iq),
            Err(StanzaError::MissingChild {
                child: "device-identity",
                ..
            })
        ));
    }

    #[test]
    fn link_code_stages_round_trip() {
        let hello = LinkCodeCompanionHello {
            phone: Jid::pn("15550000001"),
            show_push_notification: true,
            wrapped_companion_ephemeral_pub: vec![7; 80],
            companion_server_auth_key_pub: vec![9; 32],
            companion_platform_id: "1".into(),
            companion_platform_display: "Chrome (Mac OS)".into(),
            nonce: vec![0],
        };
        assert_iq_round_trip(&hello, &b"REF".to_vec());
        let reg = hello.request().get_child(LINK_CODE).cloned().unwrap();
        assert_eq!(reg.attr_str("stage").as_deref(), Some("companion_hello"));
        assert!(matches!(reg.get_attr("jid"), Some(AttrValue::Jid(_))));
        let finish = LinkCodeCompanionFinish {
            phone: Jid::pn("15550000001"),
            wrapped_key_bundle: vec![1; 120],
            companion_identity_public: vec![2; 32],
            pairing_ref: b"REF".to_vec(),
        };
        assert_iq_round_trip(&finish, &());
        // A finish is not a hello.
        assert!(matches!(
            LinkCodeCompanionHello::parse_request(&finish.request_with_id("1")),
            Err(StanzaError::BadAttr { attr: "stage", .. })
        ));
        let primary = LinkCodePrimaryHello {
            pairing_ref: b"REF".to_vec(),
            wrapped_primary_ephemeral_pub: vec![3; 80],
            primary_identity_pub: vec![4; 32],
        };
        assert_eq!(
            LinkCodePrimaryHello::from_node(&primary.to_node()).unwrap(),
            primary
        );
    }

    #[test]
    fn logout_round_trip() {
        let spec = RemoveCompanionDevice {
            device: Jid::with_device("15550000001", "s.whatsapp.net", 1),
            reason: "user_initiated".into(),
        };
        assert_iq_round_trip(&spec, &());
    }
}
