//! The `<iq>` envelope (docs/PROTOCOL.md, Login, IQs and acks): request/response pairs matched by `id`.
//!
//! Every IQ exchange is described once by an [`IqSpec`]: the requester builds the request and
//! parses the response, the answering side parses the request and builds the response. The engine
//! uses the first pair, the simulator the second, so both speak the same shapes. Ids are always
//! supplied by the caller.

use super::error::StanzaError;
use super::read::{NodeRead, bad_attr};
use crate::jid::Jid;
use crate::node::{AttrValue, Node};

/// The `type` of an iq.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IqType {
    /// A query.
    Get,
    /// A change.
    Set,
    /// A successful answer.
    Result,
    /// A failed answer, carrying an `<error code text/>` child.
    Error,
}

impl IqType {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            IqType::Get => "get",
            IqType::Set => "set",
            IqType::Result => "result",
            IqType::Error => "error",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(text: &str) -> Option<IqType> {
        Some(match text {
            "get" => IqType::Get,
            "set" => IqType::Set,
            "result" => IqType::Result,
            "error" => IqType::Error,
            _ => return None,
        })
    }
}

/// Which side sends the request of an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The client asks (`to` = the target); the server answers with `from` = the target.
    Client,
    /// The server pushes (`from` = the server); the client answers with `to` = the server.
    Server,
}

impl Origin {
    /// The attribute that carries the peer in requests from this origin.
    pub fn request_peer_attr(self) -> &'static str {
        match self {
            Origin::Client => "to",
            Origin::Server => "from",
        }
    }

    /// The attribute that carries the peer in responses to requests from this origin.
    pub fn response_peer_attr(self) -> &'static str {
        match self {
            Origin::Client => "from",
            Origin::Server => "to",
        }
    }
}

/// `<error code="404" text="item-not-found"/>`: the failure of an IQ, or of one item in a result
/// (e.g. one user of a prekey fetch).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IqError {
    /// HTTP-like code (400, 401, 404, 406, 500, 501…).
    pub code: u16,
    /// Short reason, e.g. `item-not-found`.
    pub text: String,
}

impl std::fmt::Display for IqError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.text)
    }
}

impl IqError {
    /// An error with this code and text.
    pub fn new(code: u16, text: impl Into<String>) -> Self {
        IqError {
            code,
            text: text.into(),
        }
    }

    /// 400 `bad-request`.
    pub fn bad_request() -> Self {
        IqError::new(400, "bad-request")
    }

    /// 404 `item-not-found`.
    pub fn not_found() -> Self {
        IqError::new(404, "item-not-found")
    }

    /// 501 `feature-not-implemented`: the answer to an IQ the server does not handle.
    pub fn not_implemented() -> Self {
        IqError::new(501, "feature-not-implemented")
    }

    /// The `<error code text/>` node.
    pub fn to_node(&self) -> Node {
        Node::new("error")
            .attr("code", self.code.to_string())
            .attr("text", self.text.as_str())
    }

    /// Parses `<error code [text]/>` (a missing text is empty).
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("error")?;
        Ok(IqError {
            code: node.num_attr("code")?,
            text: node.attr_str("text").unwrap_or_default(),
        })
    }
}

/// What an answering side keeps from a request to address its response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IqHeader {
    /// The request's `id`, echoed in the response.
    pub id: String,
    /// The request's `to` (client requests) or `from` (server pushes).
    pub peer: Jid,
    /// Who sent the request.
    pub origin: Origin,
}

impl IqHeader {
    /// Reads the id and peer of any request iq (for answering IQs no spec handles).
    pub fn of(iq: &Node) -> Result<IqHeader, StanzaError> {
        iq.expect_tag("iq")?;
        let id = iq.text_attr("id")?;
        Ok(match iq.opt_jid_attr("from")? {
            Some(from) if iq.get_attr("to").is_none() => IqHeader {
                id,
                peer: from,
                origin: Origin::Server,
            },
            _ => IqHeader {
                id,
                peer: iq.opt_jid_attr("to")?.unwrap_or_else(Jid::server),
                origin: Origin::Client,
            },
        })
    }

    /// `<iq id type="result" from|to=peer>children</iq>`.
    pub fn result(&self, children: Vec<Node>) -> Node {
        with_children(self.reply(IqType::Result), children)
    }

    /// `<iq id type="error" from|to=peer><error code text/></iq>`.
    pub fn error(&self, error: &IqError) -> Node {
        self.reply(IqType::Error).child(error.to_node())
    }

    fn reply(&self, kind: IqType) -> Node {
        Node::new("iq")
            .attr("id", self.id.as_str())
            .attr(self.origin.response_peer_attr(), &self.peer)
            .attr("type", kind.as_str())
    }
}

/// One IQ exchange, as a pure build/parse specification.
///
/// Implementors describe the request's namespace, type and children, and the response's
/// children; the provided methods add the envelope and check it when parsing.
pub trait IqSpec: Sized {
    /// What a successful response carries.
    type Response;
    /// The request's `xmlns`.
    const XMLNS: &'static str;
    /// The request's `type` (get or set).
    const TYPE: IqType;
    /// Who sends the request.
    const ORIGIN: Origin = Origin::Client;

    /// The request's `to` (client requests) or `from` (server pushes); the server by default.
    fn peer(&self) -> Jid {
        Jid::server()
    }

    /// Extra attributes of the request iq (rarely needed).
    fn request_attrs(&self) -> Vec<(&'static str, AttrValue)> {
        Vec::new()
    }

    /// The request's children.
    fn request_children(&self) -> Vec<Node>;

    /// Reads a request whose envelope (tag, type, xmlns, id) was already checked.
    fn decode_request(iq: &Node) -> Result<Self, StanzaError>;

    /// The children of a successful response.
    fn response_children(response: &Self::Response) -> Vec<Node>;

    /// Reads a `type="result"` response.
    fn decode_response(iq: &Node) -> Result<Self::Response, StanzaError>;

    /// The request iq without `id` (the sender assigns it).
    fn request(&self) -> Node {
        let mut iq = Node::new("iq")
            .attr(Self::ORIGIN.request_peer_attr(), self.peer())
            .attr("type", Self::TYPE.as_str())
            .attr("xmlns", Self::XMLNS);
        for (key, value) in self.request_attrs() {
            iq.set_attr(key, value);
        }
        with_children(iq, self.request_children())
    }

    /// The request iq with its `id`.
    fn request_with_id(&self, id: &str) -> Node {
        let mut iq = self.request();
        iq.attrs.insert(0, ("id".into(), AttrValue::from(id)));
        iq
    }

    /// Parses a request: checks the envelope, then the content.
    fn parse_request(iq: &Node) -> Result<(IqHeader, Self), StanzaError> {
        iq.expect_tag("iq")?;
        expect_attr(iq, "type", Self::TYPE.as_str())?;
        expect_attr(iq, "xmlns", Self::XMLNS)?;
        let header = IqHeader {
            id: iq.text_attr("id")?,
            peer: iq
                .opt_jid_attr(Self::ORIGIN.request_peer_attr())?
                .unwrap_or_else(Jid::server),
            origin: Self::ORIGIN,
        };
        Ok((header, Self::decode_request(iq)?))
    }

    /// The successful response to the request `header` came from.
    fn response(header: &IqHeader, response: &Self::Response) -> Node {
        header.result(Self::response_children(response))
    }

    /// Parses a response: `type="result"` is decoded, `type="error"` becomes
    /// [`StanzaError::Iq`].
    fn parse_response(iq: &Node) -> Result<Self::Response, StanzaError> {
        iq.expect_tag("iq")?;
        let kind = iq.text_attr("type")?;
        match IqType::parse(&kind) {
            Some(IqType::Result) => Self::decode_response(iq),
            Some(IqType::Error) => Err(StanzaError::Iq(parse_error_child(iq)?)),
            _ => Err(bad_attr(iq, "type", kind)),
        }
    }
}

/// The `<error>` of a `type="error"` iq (an error iq without one is reported as code 0).
fn parse_error_child(iq: &Node) -> Result<IqError, StanzaError> {
    match iq.get_child("error") {
        Some(error) => IqError::from_node(error),
        None => Ok(IqError::new(0, "")),
    }
}

/// Fails unless attribute `attr` equals `expected`.
pub(crate) fn expect_attr(
    node: &Node,
    attr: &'static str,
    expected: &str,
) -> Result<(), StanzaError> {
    let value = node.text_attr(attr)?;
    if value == expected {
        Ok(())
    } else {
        Err(bad_attr(node, attr, value))
    }
}

/// Sets `children` as content, leaving the node empty when there are none.
pub(crate) fn with_children(node: Node, children: Vec<Node>) -> Node {
    if children.is_empty() {
        node
    } else {
        node.children(children)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_reply_mirrors_the_request() {
        let request = Node::new("iq")
            .attr("id", "7")
            .attr("to", Jid::server())
            .attr("type", "get")
            .attr("xmlns", "abt");
        let header = IqHeader::of(&request).unwrap();
        assert_eq!(header.origin, Origin::Client);
        let reply = header.error(&IqError::not_implemented());
        assert_eq!(
            reply,
            Node::new("iq")
                .attr("id", "7")
                .attr("from", Jid::server())
                .attr("type", "error")
                .child(
                    Node::new("error")
                        .attr("code", "501")
                        .attr("text", "feature-not-implemented")
                )
        );
        let pushed = Node::new("iq").attr("id", "8").attr("from", Jid::server());
        let header = IqHeader::of(&pushed).unwrap();
        assert_eq!(header.origin, Origin::Server);
        assert_eq!(header.result(vec![]).attr_jid("to"), Some(Jid::server()));
        assert!(matches!(
            IqHeader::of(&Node::new("iq")),
            Err(StanzaError::MissingAttr { attr: "id", .. })
        ));
    }

    #[test]
    fn iq_error_round_trip_and_liberal_parse() {
        let error = IqError::not_found();
        assert_eq!(IqError::from_node(&error.to_node()).unwrap(), error);
        let no_text = Node::new("error").attr("code", "500");
        assert_eq!(IqError::from_node(&no_text).unwrap(), IqError::new(500, ""));
        assert!(matches!(
            IqError::from_node(&Node::new("error")),
            Err(StanzaError::MissingAttr { attr: "code", .. })
        ));
    }
}
