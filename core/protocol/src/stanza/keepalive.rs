//! Keep-alive (docs/PROTOCOL.md, Keepalive): `<iq to="s.whatsapp.net" type="get" xmlns="w:p"><ping/></iq>`,
//! sent by the client every 20–30 s; the server answers with an empty result.

use super::error::StanzaError;
use super::iq::{IqSpec, IqType};
use crate::node::Node;

/// The keep-alive ping. Built with a `<ping/>` child (Baileys); parsed with or without it
/// (whatsmeow sends none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ping;

impl IqSpec for Ping {
    type Response = ();
    const XMLNS: &'static str = "w:p";
    const TYPE: IqType = IqType::Get;

    fn request_children(&self) -> Vec<Node> {
        vec![Node::new("ping")]
    }

    fn decode_request(_: &Node) -> Result<Self, StanzaError> {
        Ok(Ping)
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
    use crate::jid::Jid;
    use crate::stanza::testing::assert_iq_round_trip;

    #[test]
    fn ping_matches_the_keep_alive_example() {
        // docs/PROTOCOL.md, Binary nodes, example (a).
        assert_eq!(
            Ping.request_with_id("1"),
            Node::new("iq")
                .attr("id", "1")
                .attr("to", Jid::server())
                .attr("type", "get")
                .attr("xmlns", "w:p")
                .child(Node::new("ping"))
        );
        assert_iq_round_trip(&Ping, &());
        let whatsmeow = Node::new("iq")
            .attr("xmlns", "w:p")
            .attr("type", "get")
            .attr("id", "a.b-1")
            .attr("to", "s.whatsapp.net");
        let (header, Ping) = Ping::parse_request(&whatsmeow).unwrap();
        assert_eq!(header.id, "a.b-1");
        assert!(matches!(
            Ping::parse_request(&whatsmeow.clone().attr("xmlns", "w:g2")),
            Err(StanzaError::BadAttr { attr: "xmlns", .. })
        ));
        assert!(matches!(
            Ping::parse_request(&whatsmeow.attr("type", "set")),
            Err(StanzaError::BadAttr { attr: "type", .. })
        ));
    }
}
