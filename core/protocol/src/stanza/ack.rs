//! `<ack>` stanzas (docs/PROTOCOL.md, IQs and acks): the client acknowledges every stanza the server pushes
//! (except messages it answers with a delivery receipt), and the server acknowledges each
//! `<message>` a client sends.

use super::error::StanzaError;
use super::read::{NodeRead, node_conversions, string_enum};
use crate::jid::Jid;
use crate::node::Node;

string_enum! {
    /// The `class` of an ack: the tag of the stanza it acknowledges.
    pub enum AckClass {
        /// A `<message>`.
        Message = "message",
        /// A `<receipt>`.
        Receipt = "receipt",
        /// A `<notification>`.
        Notification = "notification",
        /// A `<call>`.
        Call = "call",
    }
}

/// An `<ack id class [type] [to] [from] [participant] [recipient] [t] [error] …/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// The acknowledged stanza's id.
    pub id: String,
    /// The acknowledged stanza's tag.
    pub class: AckClass,
    /// The acknowledged stanza's `type` (not echoed for messages).
    pub kind: Option<String>,
    /// Client acks: the acknowledged stanza's `from`.
    pub to: Option<Jid>,
    /// Server message acks: the destination chat; Baileys' client message acks: its own JID.
    pub from: Option<Jid>,
    /// The acknowledged stanza's `participant`.
    pub participant: Option<Jid>,
    /// The acknowledged stanza's `recipient`.
    pub recipient: Option<Jid>,
    /// Server time (server message acks).
    pub t: Option<u64>,
    /// Error / nack code (e.g. 479 invalid stanza, 487 parsing, 500 unhandled).
    pub error: Option<u16>,
    /// `server_id` (server message acks).
    pub server_id: Option<String>,
    /// `phash` (server message acks, advisory).
    pub phash: Option<String>,
}

impl Ack {
    /// An ack with only an id and class.
    pub fn new(id: impl Into<String>, class: AckClass) -> Self {
        Ack {
            id: id.into(),
            class,
            kind: None,
            to: None,
            from: None,
            participant: None,
            recipient: None,
            t: None,
            error: None,
            server_id: None,
            phash: None,
        }
    }

    /// The client's ack for a stanza the server pushed: `id`, `to` = its `from`, `class` = its
    /// tag, `type` (except for messages), `participant` and `recipient` copied.
    pub fn for_stanza(stanza: &Node) -> Result<Ack, StanzaError> {
        let class = AckClass::from(stanza.tag.as_str());
        let kind = match class {
            AckClass::Message => None,
            _ => stanza.attr_str("type"),
        };
        Ok(Ack {
            kind,
            to: Some(stanza.jid_attr("from")?),
            participant: stanza.opt_jid_attr("participant")?,
            recipient: stanza.opt_jid_attr("recipient")?,
            ..Ack::new(stanza.text_attr("id")?, class)
        })
    }

    /// The server's ack for a client's `<message>`: `class="message"`, `from` = the chat, `t`.
    pub fn message_accepted(id: impl Into<String>, chat: Jid, t: u64) -> Ack {
        Ack {
            from: Some(chat),
            t: Some(t),
            ..Ack::new(id, AckClass::Message)
        }
    }

    /// The `<ack>` node.
    pub fn to_node(&self) -> Node {
        Node::new("ack")
            .attr("id", self.id.as_str())
            .attr("class", self.class.as_str())
            .attr_opt("type", self.kind.as_deref())
            .attr_opt("to", self.to.as_ref())
            .attr_opt("from", self.from.as_ref())
            .attr_opt("participant", self.participant.as_ref())
            .attr_opt("recipient", self.recipient.as_ref())
            .attr_opt("t", self.t.map(|t| t.to_string()))
            .attr_opt("error", self.error.map(|e| e.to_string()))
            .attr_opt("server_id", self.server_id.as_deref())
            .attr_opt("phash", self.phash.as_deref())
    }

    /// Parses an `<ack>`.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("ack")?;
        Ok(Ack {
            id: node.text_attr("id")?,
            class: node.text_attr("class")?.as_str().into(),
            kind: node.attr_str("type"),
            to: node.opt_jid_attr("to")?,
            from: node.opt_jid_attr("from")?,
            participant: node.opt_jid_attr("participant")?,
            recipient: node.opt_jid_attr("recipient")?,
            t: node.opt_num_attr("t")?,
            error: node.opt_num_attr("error")?,
            server_id: node.attr_str("server_id"),
            phash: node.attr_str("phash"),
        })
    }
}

node_conversions!(Ack);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_message_ack_round_trip() {
        let ack = Ack {
            server_id: Some("77".into()),
            phash: Some("2:abc".into()),
            ..Ack::message_accepted("3EB0", Jid::pn("15550000002"), 1_700_000_000)
        };
        let node = ack.to_node();
        assert!(matches!(
            node.get_attr("from"),
            Some(crate::AttrValue::Jid(_))
        ));
        assert_eq!(Ack::from_node(&node).unwrap(), ack);
        let nack = Ack {
            error: Some(479),
            ..Ack::new("3EB0", AckClass::Message)
        };
        assert_eq!(Ack::from_node(&nack.to_node()).unwrap().error, Some(479));
    }

    #[test]
    fn client_acks_mirror_the_pushed_stanza() {
        // Appendix C.1 step 7: A acks a forwarded receipt.
        let receipt = Node::new("receipt")
            .attr("from", Jid::with_device("15550000002", "s.whatsapp.net", 1))
            .attr("id", "3EB0")
            .attr("type", "read")
            .attr("t", "1");
        let ack = Ack::for_stanza(&receipt).unwrap();
        assert_eq!(
            ack.to_node(),
            Node::new("ack")
                .attr("id", "3EB0")
                .attr("class", "receipt")
                .attr("type", "read")
                .attr("to", Jid::with_device("15550000002", "s.whatsapp.net", 1))
        );
        let message = Node::new("message")
            .attr("from", "120363000000000001@g.us")
            .attr("participant", "100000000000001:1@lid")
            .attr("type", "text")
            .attr("id", "M");
        let ack = Ack::for_stanza(&message).unwrap();
        assert_eq!(ack.class, AckClass::Message);
        assert_eq!(ack.kind, None);
        assert_eq!(
            ack.participant,
            Some(Jid::with_device("100000000000001", "lid", 1))
        );
        assert_eq!(Ack::from_node(&ack.to_node()).unwrap(), ack);
        assert!(matches!(
            Ack::for_stanza(&Node::new("notification").attr("id", "1")),
            Err(StanzaError::MissingAttr { attr: "from", .. })
        ));
        assert!(matches!(
            Ack::from_node(&Node::new("ack").attr("id", "1")),
            Err(StanzaError::MissingAttr { attr: "class", .. })
        ));
    }
}
