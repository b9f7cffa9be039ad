//! Small addressing types shared by several stanzas.

use super::error::StanzaError;
use super::read::{NodeRead, missing_attr, string_enum};
use crate::jid::Jid;
use crate::node::Node;

string_enum! {
    /// `addressing_mode` of messages, groups and notifications: which namespace the JIDs are in.
    pub enum AddressingMode {
        /// Phone-number JIDs.
        Pn = "pn",
        /// LID JIDs (the default for new groups, docs/PROTOCOL.md, Groups).
        Lid = "lid",
    }
}

/// Where a stanza that travels both ways is addressed: `to` when a client sends it, `from` when
/// the server delivers it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Peer {
    /// Client → server: the destination (`to`).
    To(Jid),
    /// Server → client: the origin (`from`).
    From(Jid),
}

impl Peer {
    /// The JID, whichever the direction.
    pub fn jid(&self) -> &Jid {
        match self {
            Peer::To(jid) | Peer::From(jid) => jid,
        }
    }

    /// Adds the `to` or `from` attribute.
    pub(crate) fn apply(&self, node: Node) -> Node {
        match self {
            Peer::To(jid) => node.attr("to", jid),
            Peer::From(jid) => node.attr("from", jid),
        }
    }

    /// Reads `from` (preferred) or `to`.
    pub(crate) fn read(node: &Node) -> Result<Peer, StanzaError> {
        if let Some(from) = node.opt_jid_attr("from")? {
            return Ok(Peer::From(from));
        }
        node.opt_jid_attr("to")?
            .map(Peer::To)
            .ok_or_else(|| missing_attr(node, "to"))
    }
}

impl AddressingMode {
    /// Reads an optional `addressing_mode` attribute.
    pub(crate) fn read(node: &Node) -> Option<AddressingMode> {
        node.attr_str("addressing_mode").map(|m| m.as_str().into())
    }
}
