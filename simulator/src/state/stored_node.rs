//! A JSON form of [`Node`] for the persisted offline queues (not a wire codec: the wire goes
//! through `openwa_protocol::binary`).

use openwa_protocol::{AttrValue, Content, Jid, Node};
use serde::{Deserialize, Serialize};

/// An attribute value as stored: JIDs keep their type so they are JID-encoded again on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredAttr {
    /// A plain string.
    Str(String),
    /// A JID in `user[:device]@server` form.
    Jid(String),
}

/// Node content as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredContent {
    /// No content.
    None,
    /// Raw bytes, hex-encoded.
    Bytes(#[serde(with = "crate::util::hex_vec")] Vec<u8>),
    /// A string.
    Str(String),
    /// Child nodes.
    Nodes(Vec<StoredNode>),
}

/// A node as stored on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredNode {
    /// The tag.
    pub tag: String,
    /// Attributes in order.
    pub attrs: Vec<(String, StoredAttr)>,
    /// The content.
    pub content: StoredContent,
}

impl From<&Node> for StoredNode {
    fn from(node: &Node) -> Self {
        StoredNode {
            tag: node.tag.to_string(),
            attrs: node
                .attrs
                .iter()
                .map(|(k, v)| {
                    let value = match v {
                        AttrValue::Str(s) => StoredAttr::Str(s.to_string()),
                        AttrValue::Jid(j) => StoredAttr::Jid(j.to_string()),
                    };
                    (k.to_string(), value)
                })
                .collect(),
            content: match &node.content {
                Content::None => StoredContent::None,
                Content::Bytes(b) => StoredContent::Bytes(b.clone()),
                Content::Str(s) => StoredContent::Str(s.to_string()),
                Content::Nodes(nodes) => {
                    StoredContent::Nodes(nodes.iter().map(StoredNode::from).collect())
                }
            },
        }
    }
}

impl StoredNode {
    /// Back to a [`Node`]; a stored JID that no longer parses is kept as a string.
    pub fn to_node(&self) -> Node {
        Node {
            tag: self.tag.as_str().into(),
            attrs: self
                .attrs
                .iter()
                .map(|(k, v)| {
                    let value = match v {
                        StoredAttr::Str(s) => AttrValue::from(s),
                        StoredAttr::Jid(s) => match s.parse::<Jid>() {
                            Ok(jid) => AttrValue::Jid(jid),
                            Err(_) => AttrValue::from(s),
                        },
                    };
                    (k.as_str().into(), value)
                })
                .collect(),
            content: match &self.content {
                StoredContent::None => Content::None,
                StoredContent::Bytes(b) => Content::Bytes(b.clone()),
                StoredContent::Str(s) => Content::Str(s.as_str().into()),
                StoredContent::Nodes(nodes) => {
                    Content::Nodes(nodes.iter().map(StoredNode::to_node).collect())
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json_keeping_jid_attrs_typed() {
        let node = Node::new("message")
            .attr("id", "3EB0AA")
            .attr("from", Jid::with_device("15550000001", "s.whatsapp.net", 2))
            .children(vec![
                Node::new("enc")
                    .attr("type", "msg")
                    .bytes(vec![0x33, 0, 255]),
                Node::new("body").text("hi"),
                Node::new("empty"),
            ]);
        let json = serde_json::to_string(&StoredNode::from(&node)).unwrap();
        let back: StoredNode = serde_json::from_str(&json).unwrap();
        assert_eq!(back.to_node(), node);
        assert!(matches!(
            back.to_node().get_attr("from"),
            Some(AttrValue::Jid(_))
        ));
    }
}
