//! The binary-node tree every stanza is made of (docs/PROTOCOL.md, Binary nodes): a tag, attributes whose values
//! are plain strings or JIDs, and content that is nothing, raw bytes, a string or child nodes.

use std::fmt;

use compact_str::CompactString;

use crate::jid::Jid;

/// An attribute value. JID-valued attributes must be encoded with JID tags (docs/PROTOCOL.md, Compatibility rules),
/// so the distinction is kept in the type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AttrValue {
    /// A plain string.
    Str(CompactString),
    /// A JID, encoded as JID_PAIR / AD_JID.
    Jid(Jid),
}

impl AttrValue {
    /// The value as text (a JID is formatted).
    pub fn to_text(&self) -> String {
        match self {
            AttrValue::Str(s) => s.to_string(),
            AttrValue::Jid(j) => j.to_string(),
        }
    }

    /// The value as a JID: a JID value as is, a string parsed.
    pub fn to_jid(&self) -> Option<Jid> {
        match self {
            AttrValue::Jid(j) => Some(j.clone()),
            AttrValue::Str(s) => s.parse().ok(),
        }
    }
}

impl From<&str> for AttrValue {
    fn from(s: &str) -> Self {
        AttrValue::Str(s.into())
    }
}

impl From<String> for AttrValue {
    fn from(s: String) -> Self {
        AttrValue::Str(s.into())
    }
}

impl From<&String> for AttrValue {
    fn from(s: &String) -> Self {
        AttrValue::Str(s.as_str().into())
    }
}

impl From<CompactString> for AttrValue {
    fn from(s: CompactString) -> Self {
        AttrValue::Str(s)
    }
}

impl From<Jid> for AttrValue {
    fn from(j: Jid) -> Self {
        AttrValue::Jid(j)
    }
}

impl From<&Jid> for AttrValue {
    fn from(j: &Jid) -> Self {
        AttrValue::Jid(j.clone())
    }
}

/// A node's content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Content {
    /// No content.
    #[default]
    None,
    /// Raw bytes (BINARY_n on the wire): keys, ids, protobufs, server-sent text.
    Bytes(Vec<u8>),
    /// A string (token, packed, or JID on the wire).
    Str(CompactString),
    /// Child nodes.
    Nodes(Vec<Node>),
}

/// A binary node. Attributes keep their insertion order; lookups are by key.
///
/// Tags, attribute keys and string values are [`CompactString`]s: dictionary tokens are kept as
/// `&'static str` and strings up to 24 bytes inline, so decoding most of a stanza allocates only
/// the attribute and child lists and the byte contents.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Node {
    /// The tag, e.g. `iq`, `message`.
    pub tag: CompactString,
    /// Attributes in insertion order.
    pub attrs: Vec<(CompactString, AttrValue)>,
    /// The content.
    pub content: Content,
}

impl Node {
    /// A node with no attributes and no content.
    pub fn new(tag: impl Into<CompactString>) -> Self {
        Node {
            tag: tag.into(),
            attrs: Vec::new(),
            content: Content::None,
        }
    }

    /// Builder: sets (or replaces) an attribute.
    #[must_use]
    pub fn attr(mut self, key: impl Into<CompactString>, value: impl Into<AttrValue>) -> Self {
        self.set_attr(key, value);
        self
    }

    /// Builder: sets an attribute only when `value` is `Some`.
    #[must_use]
    pub fn attr_opt(
        self,
        key: impl Into<CompactString>,
        value: Option<impl Into<AttrValue>>,
    ) -> Self {
        match value {
            Some(v) => self.attr(key, v),
            None => self,
        }
    }

    /// Builder: child nodes as content.
    #[must_use]
    pub fn children(mut self, children: Vec<Node>) -> Self {
        self.content = Content::Nodes(children);
        self
    }

    /// Builder: one child node as content.
    #[must_use]
    pub fn child(self, child: Node) -> Self {
        self.children(vec![child])
    }

    /// Builder: raw bytes as content.
    #[must_use]
    pub fn bytes(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.content = Content::Bytes(bytes.into());
        self
    }

    /// Builder: a string as content.
    #[must_use]
    pub fn text(mut self, text: impl Into<CompactString>) -> Self {
        self.content = Content::Str(text.into());
        self
    }

    /// Sets (or replaces) an attribute in place.
    pub fn set_attr(&mut self, key: impl Into<CompactString>, value: impl Into<AttrValue>) {
        let key = key.into();
        let value = value.into();
        match self.attrs.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.attrs.push((key, value)),
        }
    }

    /// Removes an attribute, returning its value.
    pub fn remove_attr(&mut self, key: &str) -> Option<AttrValue> {
        let index = self.attrs.iter().position(|(k, _)| k == key)?;
        Some(self.attrs.remove(index).1)
    }

    /// The raw attribute value.
    pub fn get_attr(&self, key: &str) -> Option<&AttrValue> {
        self.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// An attribute as text (JIDs formatted).
    pub fn attr_str(&self, key: &str) -> Option<String> {
        self.get_attr(key).map(AttrValue::to_text)
    }

    /// An attribute that must be a plain string, borrowed.
    pub fn attr_plain(&self, key: &str) -> Option<&str> {
        match self.get_attr(key)? {
            AttrValue::Str(s) => Some(s),
            AttrValue::Jid(_) => None,
        }
    }

    /// An attribute as a JID (JID values as is; strings parsed, liberally).
    pub fn attr_jid(&self, key: &str) -> Option<Jid> {
        self.get_attr(key).and_then(AttrValue::to_jid)
    }

    /// An attribute parsed as an unsigned integer.
    pub fn attr_u64(&self, key: &str) -> Option<u64> {
        self.attr_plain(key)?.parse().ok()
    }

    /// Child nodes (empty unless the content is a node list).
    pub fn child_nodes(&self) -> &[Node] {
        match &self.content {
            Content::Nodes(nodes) => nodes,
            _ => &[],
        }
    }

    /// The first child with this tag.
    pub fn get_child(&self, tag: &str) -> Option<&Node> {
        self.child_nodes().iter().find(|n| n.tag == tag)
    }

    /// All children with this tag.
    pub fn children_by_tag<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.child_nodes().iter().filter(move |n| n.tag == tag)
    }

    /// The first child node, whatever its tag.
    pub fn first_child(&self) -> Option<&Node> {
        self.child_nodes().first()
    }

    /// Walks a path of child tags, e.g. `["usync", "list"]`.
    pub fn get_path(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, tag| node.get_child(tag))
    }

    /// The content as bytes: raw bytes, or a string's UTF-8 (peers encode text either way).
    pub fn content_bytes(&self) -> Option<&[u8]> {
        match &self.content {
            Content::Bytes(b) => Some(b),
            Content::Str(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// The content as text, if it is a string or valid UTF-8 bytes.
    pub fn content_str(&self) -> Option<&str> {
        match &self.content {
            Content::Str(s) => Some(s),
            Content::Bytes(b) => std::str::from_utf8(b).ok(),
            _ => None,
        }
    }
}

impl fmt::Display for Node {
    /// An XML-like rendering for logs; bytes are shown as hex when not printable.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}", self.tag)?;
        for (key, value) in &self.attrs {
            write!(f, " {key}=\"{}\"", value.to_text())?;
        }
        match &self.content {
            Content::None => f.write_str("/>"),
            Content::Str(s) => write!(f, ">{s}</{}>", self.tag),
            Content::Bytes(b) => {
                f.write_str(">")?;
                match std::str::from_utf8(b) {
                    Ok(text) if text.chars().all(|c| !c.is_control()) => f.write_str(text)?,
                    _ => {
                        for byte in b {
                            write!(f, "{byte:02x}")?;
                        }
                    }
                }
                write!(f, "</{}>", self.tag)
            }
            Content::Nodes(nodes) => {
                f.write_str(">")?;
                for node in nodes {
                    write!(f, "{node}")?;
                }
                write!(f, "</{}>", self.tag)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_and_accessors() {
        let node = Node::new("iq")
            .attr("id", "1")
            .attr("to", Jid::server())
            .attr("type", "get")
            .attr("id", "2")
            .child(Node::new("ping"));
        assert_eq!(node.attr_plain("id"), Some("2"));
        assert_eq!(node.attrs.len(), 3);
        assert_eq!(node.attr_jid("to"), Some(Jid::server()));
        assert_eq!(node.attr_plain("to"), None);
        assert!(node.get_child("ping").is_some());
        assert_eq!(
            node.to_string(),
            "<iq id=\"2\" to=\"s.whatsapp.net\" type=\"get\"><ping/></iq>"
        );
    }
}
