//! Connection-level stanzas sent by the server after the Noise handshake (docs/PROTOCOL.md, Login,
//! Logout and stream errors, Transport): `<success>`, `<failure>`, `<stream:error>`, `<xmlstreamend/>`, and the `<ib>`
//! informational pushes; plus the client's `passive`/`active` IQ.

use super::error::StanzaError;
use super::iq::{IqSpec, IqType};
use super::read::{NodeRead, bad_attr, bytes_node, node_conversions};
use crate::jid::Jid;
use crate::node::Node;

/// `<success t lid/>`: the server accepted a login (never sent to a registering connection,
/// which gets `<pair-device>` instead, Compatibility rules item 7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Success {
    /// Server time, unix seconds (clients derive their clock offset from it).
    pub t: u64,
    /// The account's user-level LID (JID-encoded); the real server always sends it.
    pub lid: Option<Jid>,
}

impl Success {
    /// The `<success>` node.
    pub fn to_node(&self) -> Node {
        Node::new("success")
            .attr("t", self.t.to_string())
            .attr_opt("lid", self.lid.as_ref())
    }

    /// Parses `<success>`; other attributes the real server adds are ignored.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("success")?;
        Ok(Success {
            t: node.num_attr("t")?,
            lid: node.opt_jid_attr("lid")?,
        })
    }
}

/// `<failure reason [location] [code] [expire]/>`: the server rejected a login instead of
/// sending `<success>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The reason code (see [`Failure::is_logged_out`]).
    pub reason: u16,
    /// The server location, when given.
    pub location: Option<String>,
    /// Ban code (reason 402).
    pub code: Option<u32>,
    /// Seconds until a temporary ban expires (reason 402).
    pub expire: Option<u64>,
}

impl Failure {
    /// 401: the device was logged out.
    pub const LOGGED_OUT: u16 = 401;
    /// 402: temporarily banned.
    pub const TEMP_BANNED: u16 = 402;
    /// 403: the main device is gone or the account locked.
    pub const MAIN_DEVICE_GONE: u16 = 403;
    /// 405: the client is outdated.
    pub const CLIENT_OUTDATED: u16 = 405;
    /// 406: unknown logout / banned.
    pub const BANNED: u16 = 406;
    /// 409: bad user agent.
    pub const BAD_USER_AGENT: u16 = 409;

    /// A failure with only a reason.
    pub fn new(reason: u16) -> Self {
        Failure {
            reason,
            location: None,
            code: None,
            expire: None,
        }
    }

    /// True when clients must drop their credentials (401, 403, 419 as Baileys does).
    pub fn is_logged_out(&self) -> bool {
        matches!(self.reason, 401 | 403 | 419)
    }

    /// The `<failure>` node.
    pub fn to_node(&self) -> Node {
        Node::new("failure")
            .attr("reason", self.reason.to_string())
            .attr_opt("location", self.location.as_deref())
            .attr_opt("code", self.code.map(|c| c.to_string()))
            .attr_opt("expire", self.expire.map(|e| e.to_string()))
    }

    /// Parses `<failure>`.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("failure")?;
        Ok(Failure {
            reason: node.num_attr("reason")?,
            location: node.attr_str("location"),
            code: node.opt_num_attr("code")?,
            expire: node.opt_num_attr("expire")?,
        })
    }
}

/// `<stream:error>`, classified. The server sends it, then closes the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamError {
    /// `code="515"`: restart required (after pairing); reconnect and log in.
    RestartRequired,
    /// `code="503"`: the server wants the client to reconnect.
    ServiceUnavailable,
    /// `code="401"` with `<conflict type="device_removed"/>`: logged out; drop credentials.
    DeviceRemoved,
    /// `<conflict type="replaced"/>`: another connection took over this device (Baileys 440).
    Replaced,
    /// Anything else, kept as read.
    Other {
        /// The `code` attribute.
        code: Option<u16>,
        /// The `type` of a `<conflict>` child.
        conflict: Option<String>,
    },
}

impl StreamError {
    /// The `<stream:error>` node.
    pub fn to_node(&self) -> Node {
        let (code, conflict) = match self {
            StreamError::RestartRequired => (Some(515), None),
            StreamError::ServiceUnavailable => (Some(503), None),
            StreamError::DeviceRemoved => (Some(401), Some("device_removed")),
            StreamError::Replaced => (None, Some("replaced")),
            StreamError::Other { code, conflict } => (*code, conflict.as_deref()),
        };
        let node = Node::new("stream:error").attr_opt("code", code.map(|c| c.to_string()));
        match conflict {
            Some(kind) => node.child(Node::new("conflict").attr("type", kind)),
            None => node,
        }
    }

    /// Parses and classifies `<stream:error>`: a `device_removed` conflict or a bare 401 is
    /// [`StreamError::DeviceRemoved`], a `replaced` conflict is [`StreamError::Replaced`].
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("stream:error")?;
        let code: Option<u16> = node.opt_num_attr("code")?;
        let conflict = node
            .get_child("conflict")
            .map(|c| c.attr_str("type").unwrap_or_default());
        Ok(match (code, conflict.as_deref()) {
            (_, Some("device_removed")) | (Some(401), None) => StreamError::DeviceRemoved,
            (_, Some("replaced")) => StreamError::Replaced,
            (Some(515), None) => StreamError::RestartRequired,
            (Some(503), None) => StreamError::ServiceUnavailable,
            _ => StreamError::Other { code, conflict },
        })
    }

    /// True when the client should reconnect (515, 503).
    pub fn should_reconnect(&self) -> bool {
        matches!(
            self,
            StreamError::RestartRequired | StreamError::ServiceUnavailable
        )
    }
}

/// `<xmlstreamend/>`: the server closes the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamEnd;

impl StreamEnd {
    /// The `<xmlstreamend/>` node.
    pub fn to_node(&self) -> Node {
        Node::new("xmlstreamend")
    }

    /// Parses `<xmlstreamend/>`.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("xmlstreamend").map(|_| StreamEnd)
    }
}

/// `<ib>` informational stanzas (no reply, no ack).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ib {
    /// S→C `<ib><offline count/></ib>`: the offline queue is flushed; clients stop buffering
    /// events (send it after answering `passive`/`active`, Compatibility rules item 8).
    Offline {
        /// How many offline stanzas were delivered.
        count: u64,
    },
    /// S→C `<ib><offline_preview count/></ib>`: stanzas are waiting; Baileys then asks for
    /// them with [`Ib::OfflineBatch`].
    OfflinePreview {
        /// How many stanzas are waiting.
        count: u64,
    },
    /// C→S `<ib><offline_batch count/></ib>`: deliver up to `count` offline stanzas.
    OfflineBatch {
        /// How many to deliver.
        count: u64,
    },
    /// S→C `<ib><edge_routing><routing_info>BYTES</routing_info></edge_routing></ib>`: bytes the
    /// client puts in its `ED 00 01` preamble next time (Transport).
    EdgeRouting {
        /// Opaque routing bytes.
        routing_info: Vec<u8>,
    },
    /// C→S `<ib><unified_session id/></ib>` (Baileys, after login).
    UnifiedSession {
        /// Session id.
        id: String,
    },
}

impl Ib {
    /// The `<ib>` node.
    pub fn to_node(&self) -> Node {
        let child = match self {
            Ib::Offline { count } => Node::new("offline").attr("count", count.to_string()),
            Ib::OfflinePreview { count } => {
                Node::new("offline_preview").attr("count", count.to_string())
            }
            Ib::OfflineBatch { count } => {
                Node::new("offline_batch").attr("count", count.to_string())
            }
            Ib::EdgeRouting { routing_info } => {
                Node::new("edge_routing").child(bytes_node("routing_info", routing_info.clone()))
            }
            Ib::UnifiedSession { id } => Node::new("unified_session").attr("id", id.as_str()),
        };
        Node::new("ib").child(child)
    }

    /// Parses `<ib>` by its first child (a missing `count` reads as 0).
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("ib")?;
        let child = node.first_child().ok_or(StanzaError::MissingChild {
            tag: node.tag.to_string(),
            child: "offline",
        })?;
        let count = || child.opt_num_attr("count").map(Option::unwrap_or_default);
        Ok(match child.tag.as_str() {
            "offline" => Ib::Offline { count: count()? },
            "offline_preview" => Ib::OfflinePreview { count: count()? },
            "offline_batch" => Ib::OfflineBatch { count: count()? },
            "edge_routing" => Ib::EdgeRouting {
                routing_info: child.child_bytes("routing_info")?,
            },
            "unified_session" => Ib::UnifiedSession {
                id: child.text_attr("id")?,
            },
            other => {
                return Err(StanzaError::UnexpectedTag {
                    expected: "offline",
                    found: other.to_owned(),
                });
            }
        })
    }
}

/// C→S `<iq xmlns="passive" type="set"><active/></iq>` (or `<passive/>`), sent after
/// `<success>`. The server answers with an empty result, then flushes the offline queue and
/// sends [`Ib::Offline`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetPassive {
    /// `true` for `<passive/>` (no message delivery), `false` for `<active/>`.
    pub passive: bool,
}

impl IqSpec for SetPassive {
    type Response = ();
    const XMLNS: &'static str = "passive";
    const TYPE: IqType = IqType::Set;

    fn request_children(&self) -> Vec<Node> {
        vec![Node::new(if self.passive { "passive" } else { "active" })]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        match iq.first_child().map(|c| c.tag.as_str()) {
            Some("passive") => Ok(SetPassive { passive: true }),
            Some("active") => Ok(SetPassive { passive: false }),
            Some(other) => Err(bad_attr(iq, "xmlns", format!("passive with <{other}>"))),
            None => Err(StanzaError::MissingChild {
                tag: iq.tag.to_string(),
                child: "active",
            }),
        }
    }

    fn response_children(_: &()) -> Vec<Node> {
        Vec::new()
    }

    fn decode_response(_: &Node) -> Result<(), StanzaError> {
        Ok(())
    }
}

node_conversions!(Success, Failure, StreamError, StreamEnd, Ib);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stanza::testing::assert_iq_round_trip;

    #[test]
    fn success_and_failure_round_trip() {
        let success = Success {
            t: 1_700_000_000,
            lid: Some(Jid::lid("100000000000001")),
        };
        let node = success.to_node();
        assert!(matches!(
            node.get_attr("lid"),
            Some(crate::AttrValue::Jid(_))
        ));
        assert_eq!(Success::from_node(&node).unwrap(), success);
        let liberal = Node::new("success")
            .attr("props", "5")
            .attr("lid", "100000000000001@lid")
            .attr("t", "1700000000");
        assert_eq!(Success::from_node(&liberal).unwrap(), success);
        assert!(matches!(
            Success::from_node(&Node::new("success")),
            Err(StanzaError::MissingAttr { attr: "t", .. })
        ));

        let failure = Failure {
            location: Some("frc".into()),
            ..Failure::new(Failure::LOGGED_OUT)
        };
        assert_eq!(Failure::from_node(&failure.to_node()).unwrap(), failure);
        assert!(failure.is_logged_out());
        let ban = Failure {
            code: Some(101),
            expire: Some(3600),
            ..Failure::new(Failure::TEMP_BANNED)
        };
        assert_eq!(Failure::from_node(&ban.to_node()).unwrap(), ban);
        assert!(!ban.is_logged_out());
        assert!(matches!(
            Failure::from_node(&Node::new("failure").attr("reason", "x")),
            Err(StanzaError::BadAttr { attr: "reason", .. })
        ));
    }

    #[test]
    fn stream_errors_have_the_documented_shapes() {
        assert_eq!(
            StreamError::RestartRequired.to_node(),
            Node::new("stream:error").attr("code", "515")
        );
        assert_eq!(
            StreamError::DeviceRemoved.to_node(),
            Node::new("stream:error")
                .attr("code", "401")
                .child(Node::new("conflict").attr("type", "device_removed"))
        );
        assert_eq!(
            StreamError::Replaced.to_node(),
            Node::new("stream:error").child(Node::new("conflict").attr("type", "replaced"))
        );
        for error in [
            StreamError::RestartRequired,
            StreamError::ServiceUnavailable,
            StreamError::DeviceRemoved,
            StreamError::Replaced,
            StreamError::Other {
                code: Some(500),
                conflict: None,
            },
            StreamError::Other {
                code: None,
                conflict: Some("other".into()),
            },
        ] {
            assert_eq!(StreamError::from_node(&error.to_node()).unwrap(), error);
        }
        let bare_401 = Node::new("stream:error").attr("code", "401");
        assert_eq!(
            StreamError::from_node(&bare_401).unwrap(),
            StreamError::DeviceRemoved
        );
        assert!(StreamError::RestartRequired.should_reconnect());
        assert!(!StreamError::Replaced.should_reconnect());
        assert!(StreamError::from_node(&Node::new("success")).is_err());
    }

    #[test]
    fn ib_round_trip() {
        for ib in [
            Ib::Offline { count: 0 },
            Ib::OfflinePreview { count: 12 },
            Ib::OfflineBatch { count: 100 },
            Ib::EdgeRouting {
                routing_info: vec![8, 1, 0xff],
            },
            Ib::UnifiedSession { id: "123".into() },
        ] {
            assert_eq!(Ib::from_node(&ib.to_node()).unwrap(), ib);
        }
        assert_eq!(
            Ib::Offline { count: 0 }.to_node(),
            Node::new("ib").child(Node::new("offline").attr("count", "0"))
        );
        let edge = Ib::EdgeRouting {
            routing_info: vec![1],
        }
        .to_node();
        assert_eq!(
            edge.get_path(&["edge_routing", "routing_info"])
                .map(|n| &n.content),
            Some(&crate::Content::Bytes(vec![1]))
        );
        assert!(matches!(
            Ib::from_node(&Node::new("ib")),
            Err(StanzaError::MissingChild { .. })
        ));
        assert!(Ib::from_node(&Node::new("ib").child(Node::new("dirty"))).is_err());
        assert!(StreamEnd::from_node(&StreamEnd.to_node()).is_ok());
        let node = Node::from(&Ib::Offline { count: 3 });
        assert_eq!(Ib::try_from(&node).unwrap(), Ib::Offline { count: 3 });
    }

    #[test]
    fn passive_iq() {
        assert_iq_round_trip(&SetPassive { passive: false }, &());
        assert_iq_round_trip(&SetPassive { passive: true }, &());
        assert_eq!(
            SetPassive { passive: false }.request_with_id("1"),
            Node::new("iq")
                .attr("id", "1")
                .attr("to", Jid::server())
                .attr("type", "set")
                .attr("xmlns", "passive")
                .child(Node::new("active"))
        );
    }
}
