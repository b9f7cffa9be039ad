//! `<chatstate>` typing indicators (docs/PROTOCOL.md, Presence and chat state): sent by a client to a chat, relayed by
//! the server to the chat's other devices (in groups with `participant` = the typist).

use super::addressing::Peer;
use super::error::StanzaError;
use super::read::{NodeRead, node_conversions};
use crate::jid::Jid;
use crate::node::Node;

/// What the user is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatStateKind {
    /// `<composing/>`: typing.
    Composing,
    /// `<composing media="audio"/>`: recording a voice note.
    Recording,
    /// `<paused/>`: stopped.
    Paused,
}

/// A `<chatstate>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatState {
    /// `to` = the chat (client), or `from` = the typist or group (server).
    pub peer: Peer,
    /// In groups (server → client): the typist.
    pub participant: Option<Jid>,
    /// The state.
    pub state: ChatStateKind,
}

impl ChatState {
    /// The `<chatstate>` node.
    pub fn to_node(&self) -> Node {
        let child = match self.state {
            ChatStateKind::Composing => Node::new("composing"),
            ChatStateKind::Recording => Node::new("composing").attr("media", "audio"),
            ChatStateKind::Paused => Node::new("paused"),
        };
        self.peer
            .apply(Node::new("chatstate"))
            .attr_opt("participant", self.participant.as_ref())
            .child(child)
    }

    /// Parses a `<chatstate>`.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("chatstate")?;
        let child = node.first_child().ok_or(StanzaError::MissingChild {
            tag: node.tag.to_string(),
            child: "composing",
        })?;
        let state = match child.tag.as_str() {
            "composing" if child.attr_str("media").as_deref() == Some("audio") => {
                ChatStateKind::Recording
            }
            "composing" => ChatStateKind::Composing,
            "paused" => ChatStateKind::Paused,
            other => {
                return Err(StanzaError::UnexpectedTag {
                    expected: "composing",
                    found: other.to_owned(),
                });
            }
        };
        Ok(ChatState {
            peer: Peer::read(node)?,
            participant: node.opt_jid_attr("participant")?,
            state,
        })
    }
}

node_conversions!(ChatState);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_states_round_trip() {
        for state in [
            ChatStateKind::Composing,
            ChatStateKind::Recording,
            ChatStateKind::Paused,
        ] {
            let sent = ChatState {
                peer: Peer::To(Jid::pn("15550000002")),
                participant: None,
                state,
            };
            assert_eq!(ChatState::from_node(&sent.to_node()).unwrap(), sent);
            let relayed = ChatState {
                peer: Peer::From("120363000000000001@g.us".parse().unwrap()),
                participant: Some(Jid::lid("100000000000001")),
                state,
            };
            assert_eq!(ChatState::from_node(&relayed.to_node()).unwrap(), relayed);
        }
        assert_eq!(
            ChatState {
                peer: Peer::To(Jid::pn("1")),
                participant: None,
                state: ChatStateKind::Recording
            }
            .to_node(),
            Node::new("chatstate")
                .attr("to", Jid::pn("1"))
                .child(Node::new("composing").attr("media", "audio"))
        );
        assert!(matches!(
            ChatState::from_node(&Node::new("chatstate").attr("to", "1@lid")),
            Err(StanzaError::MissingChild { .. })
        ));
        assert!(matches!(
            ChatState::from_node(&Node::new("chatstate").child(Node::new("paused"))),
            Err(StanzaError::MissingAttr { attr: "to", .. })
        ));
    }
}
