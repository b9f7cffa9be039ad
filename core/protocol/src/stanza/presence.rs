//! `<presence>` (docs/PROTOCOL.md, Presence and chat state): own availability and subscriptions (client → server, no
//! reply) and contacts' availability (server → client).

use super::error::StanzaError;
use super::read::{NodeRead, bytes_node, node_conversions};
use crate::jid::Jid;
use crate::node::Node;

/// A contact's last-seen value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LastSeen {
    /// Unix seconds.
    At(u64),
    /// `deny`: hidden by privacy settings.
    Denied,
}

/// A presence stanza.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// C→S `<presence type="available|unavailable" [name]/>`: own availability (Baileys strips
    /// `@` from the name, which a JID-aware encoder need not do).
    Set {
        /// Online or not.
        available: bool,
        /// Push name.
        name: Option<String>,
    },
    /// C→S `<presence type="subscribe" to=JID>[<tctoken>…</tctoken>]</presence>`: ask for a
    /// contact's updates.
    Subscribe {
        /// The contact.
        to: Jid,
        /// Trusted-contact token.
        tctoken: Option<Vec<u8>>,
    },
    /// S→C `<presence from=JID [type="unavailable"] [last]/>` (no type = available).
    Update {
        /// The contact.
        from: Jid,
        /// Online or not.
        available: bool,
        /// Last seen, when offline.
        last: Option<LastSeen>,
    },
}

impl Presence {
    /// The `<presence>` node.
    pub fn to_node(&self) -> Node {
        let node = Node::new("presence");
        match self {
            Presence::Set { available, name } => node
                .attr("type", availability(*available))
                .attr_opt("name", name.as_deref()),
            Presence::Subscribe { to, tctoken } => {
                let node = node.attr("type", "subscribe").attr("to", to);
                match tctoken {
                    Some(token) => node.child(bytes_node("tctoken", token.clone())),
                    None => node,
                }
            }
            Presence::Update {
                from,
                available,
                last,
            } => node
                .attr("from", from)
                .attr_opt("type", (!available).then_some("unavailable"))
                .attr_opt(
                    "last",
                    last.as_ref().map(|l| match l {
                        LastSeen::At(t) => t.to_string(),
                        LastSeen::Denied => "deny".to_owned(),
                    }),
                ),
        }
    }

    /// Parses a `<presence>`: with `from` it is a server push, `type="subscribe"` a
    /// subscription, otherwise an own-availability update.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("presence")?;
        let kind = node.attr_str("type");
        if let Some(from) = node.opt_jid_attr("from")? {
            let last = match node.attr_str("last").as_deref() {
                None => None,
                Some("deny") => Some(LastSeen::Denied),
                Some(_) => node.opt_num_attr("last")?.map(LastSeen::At),
            };
            return Ok(Presence::Update {
                from,
                available: kind.as_deref() != Some("unavailable"),
                last,
            });
        }
        match kind.as_deref() {
            Some("subscribe") => Ok(Presence::Subscribe {
                to: node.jid_attr("to")?,
                tctoken: node.opt_child_bytes("tctoken")?,
            }),
            Some("available") | None => Ok(Presence::Set {
                available: true,
                name: node.attr_str("name"),
            }),
            Some("unavailable") => Ok(Presence::Set {
                available: false,
                name: node.attr_str("name"),
            }),
            Some(other) => Err(super::read::bad_attr(node, "type", other)),
        }
    }
}

fn availability(available: bool) -> &'static str {
    if available {
        "available"
    } else {
        "unavailable"
    }
}

node_conversions!(Presence);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_round_trips() {
        for presence in [
            Presence::Set {
                available: true,
                name: Some("A name".into()),
            },
            Presence::Set {
                available: false,
                name: None,
            },
            Presence::Subscribe {
                to: Jid::pn("15550000002"),
                tctoken: Some(vec![1, 2]),
            },
            Presence::Subscribe {
                to: Jid::lid("200000000000002"),
                tctoken: None,
            },
            Presence::Update {
                from: Jid::pn("15550000002"),
                available: true,
                last: None,
            },
            Presence::Update {
                from: Jid::pn("15550000002"),
                available: false,
                last: Some(LastSeen::At(1_700_000_000)),
            },
            Presence::Update {
                from: Jid::pn("15550000002"),
                available: false,
                last: Some(LastSeen::Denied),
            },
        ] {
            assert_eq!(Presence::from_node(&presence.to_node()).unwrap(), presence);
        }
        assert_eq!(
            Presence::Set {
                available: true,
                name: Some("A".into())
            }
            .to_node(),
            Node::new("presence")
                .attr("type", "available")
                .attr("name", "A")
        );
    }

    #[test]
    fn bad_presences_are_typed_errors() {
        assert!(matches!(
            Presence::from_node(&Node::new("presence").attr("type", "subscribe")),
            Err(StanzaError::MissingAttr { attr: "to", .. })
        ));
        assert!(matches!(
            Presence::from_node(&Node::new("presence").attr("type", "dance")),
            Err(StanzaError::BadAttr { attr: "type", .. })
        ));
        assert!(matches!(
            Presence::from_node(
                &Node::new("presence")
                    .attr("from", "1@lid")
                    .attr("last", "x")
            ),
            Err(StanzaError::BadAttr { attr: "last", .. })
        ));
    }
}
