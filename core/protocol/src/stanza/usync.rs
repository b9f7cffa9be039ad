//! User sync, `xmlns="usync"` (docs/PROTOCOL.md, Device lists): device lists (with key indexes), PN→LID
//! mapping and contact lookups, for a list of users.

use super::error::StanzaError;
use super::iq::{IqSpec, IqType};
use super::read::{NodeRead, bool_text, bytes_node, node_conversions, string_enum};
use crate::jid::Jid;
use crate::node::Node;

string_enum! {
    /// The `mode` of a usync query.
    pub enum UsyncMode {
        /// `query`: what message sending uses.
        Query = "query",
        /// `full`: user-info lookups.
        Full = "full",
    }
}

string_enum! {
    /// The `context` of a usync query.
    pub enum UsyncContext {
        /// Before sending a message.
        Message = "message",
        /// On user action (e.g. contact lookups).
        Interactive = "interactive",
        /// Background refreshes.
        Background = "background",
        /// After a notification.
        Notification = "notification",
    }
}

/// Which protocols a query asks for (`<query>` children).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UsyncProtocols {
    /// `<devices version="2"/>`: device lists.
    pub devices: bool,
    /// `<lid/>`: the user's LID.
    pub lid: bool,
    /// `<contact/>`: whether a phone number is on WhatsApp.
    pub contact: bool,
}

/// One `<user>` of a query: by JID, or by phone number for contact lookups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsyncUser {
    /// A user-level PN or LID JID.
    pub jid: Option<Jid>,
    /// A phone number (`+15551234567`) for `<contact>` lookups.
    pub contact: Option<String>,
}

impl UsyncUser {
    /// A user by JID.
    pub fn jid(jid: Jid) -> Self {
        UsyncUser {
            jid: Some(jid),
            contact: None,
        }
    }

    /// A user by phone number.
    pub fn phone(number: impl Into<String>) -> Self {
        UsyncUser {
            jid: None,
            contact: Some(number.into()),
        }
    }
}

/// C→S `<iq xmlns="usync" type="get"><usync sid mode context last="true" index="0">
/// <query>…</query><list><user …/>…</list></usync></iq>`. Sent before messaging users whose
/// devices are unknown (both the recipients and the sender itself), and for contact lookups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsyncQuery {
    /// Query id (`sid`), chosen by the caller.
    pub sid: String,
    /// The mode.
    pub mode: UsyncMode,
    /// The context.
    pub context: UsyncContext,
    /// Requested protocols.
    pub protocols: UsyncProtocols,
    /// The users.
    pub users: Vec<UsyncUser>,
}

impl UsyncQuery {
    /// The device-list query message sending needs: `devices` + `lid`, mode query, context
    /// message.
    pub fn devices(sid: impl Into<String>, users: Vec<Jid>) -> Self {
        UsyncQuery {
            sid: sid.into(),
            mode: UsyncMode::Query,
            context: UsyncContext::Message,
            protocols: UsyncProtocols {
                devices: true,
                lid: true,
                contact: false,
            },
            users: users.into_iter().map(UsyncUser::jid).collect(),
        }
    }
}

impl IqSpec for UsyncQuery {
    /// One entry per `<user>` of the answer.
    type Response = Vec<UsyncUserResult>;
    const XMLNS: &'static str = "usync";
    const TYPE: IqType = IqType::Get;

    fn request_children(&self) -> Vec<Node> {
        let mut protocols = Vec::new();
        if self.protocols.devices {
            protocols.push(Node::new("devices").attr("version", "2"));
        }
        if self.protocols.lid {
            protocols.push(Node::new("lid"));
        }
        if self.protocols.contact {
            protocols.push(Node::new("contact"));
        }
        let users = self
            .users
            .iter()
            .map(|user| {
                let node = Node::new("user").attr_opt("jid", user.jid.as_ref());
                match &user.contact {
                    Some(number) => node.child(bytes_node("contact", number.as_bytes())),
                    None => node,
                }
            })
            .collect();
        vec![
            Node::new("usync")
                .attr("sid", self.sid.as_str())
                .attr("mode", self.mode.as_str())
                .attr("context", self.context.as_str())
                .attr("last", "true")
                .attr("index", "0")
                .children(vec![
                    Node::new("query").children(protocols),
                    Node::new("list").children(users),
                ]),
        ]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let usync = iq.req_child("usync")?;
        let query = usync.req_child("query")?;
        let users = usync
            .req_child("list")?
            .children_by_tag("user")
            .map(|user| {
                Ok(UsyncUser {
                    jid: user.opt_jid_attr("jid")?,
                    contact: user
                        .get_child("contact")
                        .map(NodeRead::req_text)
                        .transpose()?,
                })
            })
            .collect::<Result<_, StanzaError>>()?;
        Ok(UsyncQuery {
            sid: usync.attr_str("sid").unwrap_or_default(),
            mode: usync.text_attr("mode")?.as_str().into(),
            context: usync.text_attr("context")?.as_str().into(),
            protocols: UsyncProtocols {
                devices: query.get_child("devices").is_some(),
                lid: query.get_child("lid").is_some(),
                contact: query.get_child("contact").is_some(),
            },
            users,
        })
    }

    fn response_children(users: &Vec<UsyncUserResult>) -> Vec<Node> {
        let list = Node::new("list").children(users.iter().map(UsyncUserResult::to_node).collect());
        vec![Node::new("usync").child(list)]
    }

    fn decode_response(iq: &Node) -> Result<Vec<UsyncUserResult>, StanzaError> {
        iq.req_child("usync")?
            .req_child("list")?
            .children_by_tag("user")
            .map(UsyncUserResult::from_node)
            .collect()
    }
}

/// One device of a device list: `<device id [key-index] [is_hosted]/>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeviceEntry {
    /// Device id (0 = primary phone).
    pub id: u16,
    /// The companion's ADV key index; companions need one ≥ 1 (docs/PROTOCOL.md, Compatibility rules item 6), device 0 has none.
    pub key_index: Option<u32>,
    /// A hosted (Cloud API) device.
    pub is_hosted: bool,
}

impl DeviceEntry {
    /// The primary phone (device 0, no key index).
    pub fn primary() -> Self {
        DeviceEntry {
            id: 0,
            key_index: None,
            is_hosted: false,
        }
    }

    /// A companion with its key index.
    pub fn companion(id: u16, key_index: u32) -> Self {
        DeviceEntry {
            id,
            key_index: Some(key_index),
            is_hosted: false,
        }
    }
}

/// `<key-index-list ts>ADVSignedKeyIndexList bytes</key-index-list>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyIndexList {
    /// Timestamp of the list.
    pub ts: u64,
    /// Serialized `ADVSignedKeyIndexList`.
    pub signed: Vec<u8>,
}

/// A user's `<devices>` result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceList {
    /// The devices.
    pub devices: Vec<DeviceEntry>,
    /// The signed key-index list, when sent.
    pub key_index: Option<KeyIndexList>,
}

/// A `<contact type="in|out">` result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactResult {
    /// `type="in"`: the number is on WhatsApp.
    pub registered: bool,
    /// The queried number, echoed as content.
    pub number: Option<String>,
}

/// One `<user jid>` of a usync result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsyncUserResult {
    /// The user, in the form it was requested.
    pub jid: Jid,
    /// Device list (`devices` protocol).
    pub devices: Option<DeviceList>,
    /// The user's LID (`<lid val>`, JID-encoded).
    pub lid: Option<Jid>,
    /// Contact lookup result.
    pub contact: Option<ContactResult>,
}

impl UsyncUserResult {
    /// The `<user>` node.
    pub fn to_node(&self) -> Node {
        let mut children = Vec::new();
        if let Some(list) = &self.devices {
            let devices = list
                .devices
                .iter()
                .map(|d| {
                    let node = Node::new("device")
                        .attr("id", d.id.to_string())
                        .attr_opt("key-index", d.key_index.map(|k| k.to_string()));
                    if d.is_hosted {
                        node.attr("is_hosted", bool_text(true))
                    } else {
                        node
                    }
                })
                .collect();
            let mut parts = vec![Node::new("device-list").children(devices)];
            if let Some(index) = &list.key_index {
                parts.push(
                    bytes_node("key-index-list", index.signed.clone())
                        .attr("ts", index.ts.to_string()),
                );
            }
            children.push(Node::new("devices").children(parts));
        }
        if let Some(lid) = &self.lid {
            children.push(Node::new("lid").attr("val", lid));
        }
        if let Some(contact) = &self.contact {
            let node =
                Node::new("contact").attr("type", if contact.registered { "in" } else { "out" });
            children.push(match &contact.number {
                Some(number) => node.bytes(number.as_bytes()),
                None => node,
            });
        }
        Node::new("user").attr("jid", &self.jid).children(children)
    }

    /// Parses `<user>`.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("user")?;
        let devices = node.get_child("devices").map(parse_devices).transpose()?;
        let lid = match node.get_child("lid") {
            Some(lid) => lid.opt_jid_attr("val")?,
            None => None,
        };
        let contact = node.get_child("contact").map(|c| ContactResult {
            registered: c.attr_str("type").as_deref() == Some("in"),
            number: c.content_str().map(str::to_owned),
        });
        Ok(UsyncUserResult {
            jid: node.jid_attr("jid")?,
            devices,
            lid,
            contact,
        })
    }
}

node_conversions!(UsyncUserResult);

fn parse_devices(devices: &Node) -> Result<DeviceList, StanzaError> {
    let entries = match devices.get_child("device-list") {
        Some(list) => list
            .children_by_tag("device")
            .map(|d| {
                Ok(DeviceEntry {
                    id: d.num_attr("id")?,
                    key_index: d.opt_num_attr("key-index")?,
                    is_hosted: d.opt_bool_attr("is_hosted")?.unwrap_or(false),
                })
            })
            .collect::<Result<_, StanzaError>>()?,
        None => Vec::new(),
    };
    let key_index = devices
        .get_child("key-index-list")
        .map(|k| {
            Ok::<_, StanzaError>(KeyIndexList {
                ts: k.opt_num_attr("ts")?.unwrap_or_default(),
                signed: k.content_bytes().map(<[u8]>::to_vec).unwrap_or_default(),
            })
        })
        .transpose()?;
    Ok(DeviceList {
        devices: entries,
        key_index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AttrValue;
    use crate::stanza::testing::assert_iq_round_trip;

    fn user_a() -> UsyncUserResult {
        UsyncUserResult {
            jid: Jid::pn("15550000001"),
            devices: Some(DeviceList {
                devices: vec![DeviceEntry::primary(), DeviceEntry::companion(1, 1)],
                key_index: None,
            }),
            lid: Some(Jid::lid("100000000000001")),
            contact: None,
        }
    }

    #[test]
    fn appendix_c1_device_query() {
        let spec = UsyncQuery::devices(
            "sid-1",
            vec![Jid::pn("15550000001"), Jid::pn("15550000002")],
        );
        let iq = spec.request_with_id("u1");
        let usync = iq.get_child("usync").unwrap();
        for (key, value) in [
            ("context", "message"),
            ("mode", "query"),
            ("last", "true"),
            ("index", "0"),
        ] {
            assert_eq!(usync.attr_str(key).as_deref(), Some(value));
        }
        assert_eq!(
            usync.get_child("query").unwrap().child_nodes(),
            [Node::new("devices").attr("version", "2"), Node::new("lid")]
        );
        let user = usync.get_path(&["list", "user"]).unwrap();
        assert!(matches!(user.get_attr("jid"), Some(AttrValue::Jid(_))));

        let response = vec![
            user_a(),
            UsyncUserResult {
                jid: Jid::pn("15550000002"),
                devices: Some(DeviceList {
                    devices: vec![DeviceEntry::primary(), DeviceEntry::companion(1, 1)],
                    key_index: Some(KeyIndexList {
                        ts: 1_700_000_000,
                        signed: vec![1, 2, 3],
                    }),
                }),
                lid: Some(Jid::lid("200000000000002")),
                contact: None,
            },
        ];
        assert_iq_round_trip(&spec, &response);
    }

    #[test]
    fn key_index_only_on_companions() {
        let node = user_a().to_node();
        let devices: Vec<&Node> = node
            .get_path(&["devices", "device-list"])
            .unwrap()
            .children_by_tag("device")
            .collect();
        assert_eq!(*devices[0], Node::new("device").attr("id", "0"));
        assert_eq!(
            *devices[1],
            Node::new("device").attr("id", "1").attr("key-index", "1")
        );
        let lid = node.get_child("lid").unwrap();
        assert!(matches!(lid.get_attr("val"), Some(AttrValue::Jid(_))));
    }

    #[test]
    fn contact_lookup_round_trip() {
        let spec = UsyncQuery {
            sid: "s".into(),
            mode: UsyncMode::Query,
            context: UsyncContext::Interactive,
            protocols: UsyncProtocols {
                devices: false,
                lid: true,
                contact: true,
            },
            users: vec![UsyncUser::phone("+15550000001")],
        };
        let response = vec![UsyncUserResult {
            jid: Jid::pn("15550000001"),
            devices: None,
            lid: Some(Jid::lid("100000000000001")),
            contact: Some(ContactResult {
                registered: true,
                number: Some("+15550000001".into()),
            }),
        }];
        assert_iq_round_trip(&spec, &response);
    }

    #[test]
    fn liberal_and_error_parses() {
        let string_jids = Node::new("user")
            .attr("jid", "15550000001@s.whatsapp.net")
            .children(vec![
                Node::new("lid").attr("val", "100000000000001@lid"),
                Node::new("devices").child(Node::new("device-list").children(vec![
                    Node::new("device").attr("id", "0"),
                    Node::new("device").attr("key-index", "1").attr("id", "1"),
                ])),
            ]);
        assert_eq!(UsyncUserResult::from_node(&string_jids).unwrap(), user_a());
        let bad_device = Node::new("user").attr("jid", "1@lid").child(
            Node::new("devices")
                .child(Node::new("device-list").child(Node::new("device").attr("id", "x"))),
        );
        assert!(matches!(
            UsyncUserResult::from_node(&bad_device),
            Err(StanzaError::BadAttr { attr: "id", .. })
        ));
        let mode = UsyncMode::from("delta");
        assert_eq!(mode, UsyncMode::Other("delta".into()));
        assert_eq!(mode.as_str(), "delta");
    }
}
