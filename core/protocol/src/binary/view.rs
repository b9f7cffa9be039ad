//! A zero-copy view of a binary node: [`decode_ref`] reads the bytes once into a flat arena of
//! nodes and attributes whose strings are dictionary tokens (`&'static str`) or slices of the
//! frame; only nibble/hex-packed strings, invalid UTF-8 and JIDs given as content are written
//! out, into one string buffer shared by the whole tree. It accepts and refuses exactly what
//! [`decode`](super::decode) does, with the same errors, and
//! [`NodeRef::to_owned_node`] gives the same [`Node`].
//!
//! Compressed frames (flags byte `& 2`) are not inflated here, because the view borrows from the
//! bytes it reads: [`decode_ref`] refuses them with [`DecodeError::Compressed`], and the caller
//! inflates first with [`inflate`](super::inflate), which returns uncompressed frames as they are:
//!
//! ```
//! use openwa_protocol::{Node, binary};
//!
//! let bytes = binary::encode(&Node::new("iq").attr("id", "1"))?;
//! let frame = binary::inflate(&bytes)?;
//! let decoded = binary::decode_ref(&frame)?;
//! let root = decoded.root();
//! assert_eq!(root.tag(), "iq");
//! assert_eq!(root.attr("id").and_then(|v| v.as_str()), Some("1"));
//! assert_eq!(root.to_owned_node(), binary::decode(&bytes)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use compact_str::CompactString;

use super::decode::{DecodeError, Inner, RawContent, RawJid, RawValue, Reader, Strings};
use super::token::Dictionary;
use crate::jid::JidRef;
use crate::node::{AttrValue, Content, Node};

/// Parses one uncompressed serialized node (flags byte, then exactly one node) into a borrowed
/// view, with dictionary version 3. Compressed input is [`DecodeError::Compressed`]: pass it
/// through [`inflate`](super::inflate) first.
pub fn decode_ref(frame: &[u8]) -> Result<DecodedRef<'_>, DecodeError> {
    decode_ref_with(frame, Dictionary::V3)
}

/// [`decode_ref`] with the tokens of the given dictionary version.
pub fn decode_ref_with(
    frame: &[u8],
    dictionary: Dictionary,
) -> Result<DecodedRef<'_>, DecodeError> {
    let (&flags, body) = frame.split_first().ok_or(DecodeError::Empty)?;
    if flags & 2 != 0 {
        return Err(DecodeError::Compressed);
    }
    let mut reader = Reader::new(body, dictionary);
    // A guess from real stanzas (a node per 15–140 bytes, an attribute per 13–100), so that
    // most decodes allocate each list once; never more than the input can justify (a node
    // takes at least three bytes, an attribute two).
    let mut arena = Arena {
        nodes: Vec::with_capacity(body.len() / 16 + 1),
        attrs: Vec::with_capacity(body.len() / 16 + 4),
        text: String::new(),
        text_hint: body.len() / 4 + 64,
    };
    arena.node(&mut reader, 1).map_err(|e| *e)?;
    reader.finish()?;
    Ok(DecodedRef { arena })
}

/// A string in the arena: a token or frame slice, or a range of the arena's text buffer.
#[derive(Debug, Clone, Copy)]
enum Str<'a> {
    /// A token or a slice of the frame.
    Direct(&'a str),
    /// `text[start..end]` of the arena.
    Buffer(u32, u32),
}

#[derive(Debug, Clone, Copy)]
enum Body<'a> {
    None,
    Bytes(&'a [u8]),
    Str(Str<'a>),
    /// Child count and the index of the first child (siblings are linked by `next`).
    Nodes {
        count: u32,
        first: u32,
    },
}

/// Marks "no next sibling".
const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct RawNode<'a> {
    tag: Str<'a>,
    /// `attrs[attrs_start..attrs_end]` of the arena.
    attrs_start: u32,
    attrs_end: u32,
    body: Body<'a>,
    /// The next sibling, or [`NONE`].
    next: u32,
}

#[derive(Debug)]
struct Arena<'a> {
    /// Nodes in document order; the root is the first.
    nodes: Vec<RawNode<'a>>,
    attrs: Vec<(Str<'a>, RawValue<Str<'a>>)>,
    /// Strings that are not in the frame.
    text: String,
    /// What the text buffer reserves when its first string arrives (a packed string unpacks
    /// to at most twice its bytes).
    text_hint: usize,
}

/// An index into the arena (the arena never holds more entries than the frame has bytes, and
/// frames are far below 4 GiB; a larger index saturates and then reads as missing).
fn index(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(NONE)
}

impl<'a> Arena<'a> {
    /// Reads one node and its subtree; returns its index.
    fn node(&mut self, reader: &mut Reader<'a>, depth: usize) -> Inner<u32> {
        let size = reader.node_header(depth)?;
        let tag = reader.plain_string(self)?;
        let attrs_start = index(self.attrs.len());
        for _ in 0..(size - 1) / 2 {
            let key = reader.plain_string(self)?;
            let value = reader.attr_value(self)?;
            self.attrs.push((key, value));
        }
        let attrs_end = index(self.attrs.len());
        let me = index(self.nodes.len());
        self.nodes.push(RawNode {
            tag,
            attrs_start,
            attrs_end,
            body: Body::None,
            next: NONE,
        });
        if size % 2 == 0 {
            let body = match reader.content(self)? {
                RawContent::Nodes(count) => {
                    let first = index(self.nodes.len());
                    let mut previous = NONE;
                    for _ in 0..count {
                        let child = self.node(reader, depth + 1)?;
                        if let Some(node) = self.nodes.get_mut(previous as usize) {
                            node.next = child;
                        }
                        previous = child;
                    }
                    Body::Nodes {
                        count: index(count),
                        first,
                    }
                }
                RawContent::Bytes(bytes) => Body::Bytes(bytes),
                RawContent::Str(text) => Body::Str(text),
                RawContent::Jid(jid) => {
                    // JID content is its text, as in the owned tree (rare: one allocation).
                    let text = self.jid(jid).to_string();
                    Body::Str(self.push(&text))
                }
            };
            if let Some(node) = self.nodes.get_mut(me as usize) {
                node.body = body;
            }
        }
        Ok(me)
    }

    /// Copies a string into the text buffer.
    fn push(&mut self, text: &str) -> Str<'a> {
        if self.text.capacity() == 0 {
            self.text.reserve(self.text_hint.max(text.len()));
        }
        let start = index(self.text.len());
        self.text.push_str(text);
        Str::Buffer(start, index(self.text.len()))
    }

    fn jid(&self, jid: RawJid<Str<'a>>) -> JidRef<'_> {
        JidRef {
            user: self.str(jid.user),
            agent: jid.agent,
            device: jid.device,
            integrator: jid.integrator,
            server: self.str(jid.server),
        }
    }

    fn str(&self, text: Str<'a>) -> &str {
        match text {
            Str::Direct(text) => text,
            Str::Buffer(start, end) => self
                .text
                .get(start as usize..end as usize)
                .unwrap_or_default(),
        }
    }
}

impl<'a> Strings<'a> for Arena<'a> {
    type Str = Str<'a>;

    fn token(&mut self, token: &'static str) -> Str<'a> {
        Str::Direct(token)
    }

    fn bytes(&mut self, bytes: &'a [u8]) -> Str<'a> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Str::Direct(text),
            Err(_) => self.push(&String::from_utf8_lossy(bytes)),
        }
    }

    fn packed(&mut self, text: &[u8]) -> Str<'a> {
        // Unpacked codes are ASCII.
        self.push(std::str::from_utf8(text).unwrap_or_default())
    }

    fn is_empty(&self, text: &Str<'a>) -> bool {
        match *text {
            Str::Direct(text) => text.is_empty(),
            Str::Buffer(start, end) => start == end,
        }
    }
}

/// The result of [`decode_ref`]: the arena holding the tree; [`DecodedRef::root`] views it.
#[derive(Debug)]
pub struct DecodedRef<'a> {
    arena: Arena<'a>,
}

impl<'a> DecodedRef<'a> {
    /// The root node.
    pub fn root(&self) -> NodeRef<'_> {
        NodeRef {
            arena: &self.arena,
            index: 0,
        }
    }

    /// How many nodes the tree has.
    pub fn node_count(&self) -> usize {
        self.arena.nodes.len()
    }
}

/// A node of a [`DecodedRef`], borrowed. Cheap to copy.
#[derive(Clone, Copy)]
pub struct NodeRef<'a> {
    arena: &'a Arena<'a>,
    index: u32,
}

impl fmt::Debug for NodeRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeRef")
            .field("tag", &self.tag())
            .field("attrs", &self.attrs().collect::<Vec<_>>())
            .field("children", &self.children().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<'a> NodeRef<'a> {
    fn raw(&self) -> Option<&'a RawNode<'a>> {
        self.arena.nodes.get(self.index as usize)
    }

    /// The tag, e.g. `iq`.
    pub fn tag(&self) -> &'a str {
        let arena = self.arena;
        self.raw().map_or("", |node| arena.str(node.tag))
    }

    /// The attributes in wire order.
    pub fn attrs(&self) -> Attrs<'a> {
        let range = self.raw().map_or(&[][..], |node| {
            self.arena
                .attrs
                .get(node.attrs_start as usize..node.attrs_end as usize)
                .unwrap_or_default()
        });
        Attrs {
            arena: self.arena,
            inner: range.iter(),
        }
    }

    /// The value of the first attribute named `key`.
    pub fn attr(&self, key: &str) -> Option<AttrRef<'a>> {
        self.attrs().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The child nodes (none unless the content is a node list).
    pub fn children(&self) -> Children<'a> {
        let (next, left) = match self.raw().map(|node| node.body) {
            Some(Body::Nodes { count, first }) if count > 0 => (first, count),
            _ => (NONE, 0),
        };
        Children {
            arena: self.arena,
            next,
            left,
        }
    }

    /// The first child with this tag.
    pub fn child(&self, tag: &str) -> Option<NodeRef<'a>> {
        self.children().find(|child| child.tag() == tag)
    }

    /// The content as bytes: byte content as is, string content as its UTF-8.
    pub fn content_bytes(&self) -> Option<&'a [u8]> {
        match self.raw()?.body {
            Body::Bytes(bytes) => Some(bytes),
            Body::Str(text) => Some(self.arena.str(text).as_bytes()),
            Body::None | Body::Nodes { .. } => None,
        }
    }

    /// The content as a string: string content, or byte content that is valid UTF-8.
    pub fn content_str(&self) -> Option<&'a str> {
        match self.raw()?.body {
            Body::Bytes(bytes) => std::str::from_utf8(bytes).ok(),
            Body::Str(text) => Some(self.arena.str(text)),
            Body::None | Body::Nodes { .. } => None,
        }
    }

    /// The node and its subtree as an owned [`Node`], equal to what
    /// [`decode`](super::decode) returns for the same bytes.
    pub fn to_owned_node(&self) -> Node {
        let attrs = self
            .attrs()
            .map(|(key, value)| (CompactString::new(key), value.to_attr_value()))
            .collect();
        let content = match self.raw().map(|node| node.body) {
            None | Some(Body::None) => Content::None,
            Some(Body::Bytes(bytes)) => Content::Bytes(bytes.to_vec()),
            Some(Body::Str(text)) => Content::Str(CompactString::new(self.arena.str(text))),
            Some(Body::Nodes { .. }) => {
                Content::Nodes(self.children().map(|child| child.to_owned_node()).collect())
            }
        };
        Node {
            tag: CompactString::new(self.tag()),
            attrs,
            content,
        }
    }
}

/// Iterator over a node's attributes: `(key, value)`.
#[derive(Debug, Clone)]
pub struct Attrs<'a> {
    arena: &'a Arena<'a>,
    inner: std::slice::Iter<'a, (Str<'a>, RawValue<Str<'a>>)>,
}

impl<'a> Iterator for Attrs<'a> {
    type Item = (&'a str, AttrRef<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let &(key, value) = self.inner.next()?;
        let arena = self.arena;
        let value = match value {
            RawValue::Str(text) => AttrRef::Str(arena.str(text)),
            RawValue::Jid(jid) => AttrRef::Jid(arena.jid(jid)),
        };
        Some((arena.str(key), value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

/// Iterator over a node's children.
#[derive(Debug, Clone)]
pub struct Children<'a> {
    arena: &'a Arena<'a>,
    next: u32,
    left: u32,
}

impl<'a> Iterator for Children<'a> {
    type Item = NodeRef<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let node = self.arena.nodes.get(self.next as usize)?;
        let current = NodeRef {
            arena: self.arena,
            index: self.next,
        };
        self.next = node.next;
        self.left -= 1;
        Some(current)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left as usize))
    }
}

/// A borrowed attribute value: a string, or a JID when it came with a JID tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrRef<'a> {
    /// A plain string.
    Str(&'a str),
    /// A JID.
    Jid(JidRef<'a>),
}

impl<'a> AttrRef<'a> {
    /// The string, if the value is not a JID.
    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            AttrRef::Str(text) => Some(text),
            AttrRef::Jid(_) => None,
        }
    }

    /// The JID, if the value is one.
    pub fn as_jid(&self) -> Option<JidRef<'a>> {
        match self {
            AttrRef::Jid(jid) => Some(*jid),
            AttrRef::Str(_) => None,
        }
    }

    /// The owned value.
    pub fn to_attr_value(&self) -> AttrValue {
        match self {
            AttrRef::Str(text) => AttrValue::Str(CompactString::new(text)),
            AttrRef::Jid(jid) => AttrValue::Jid(jid.to_jid()),
        }
    }
}

impl fmt::Display for AttrRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrRef::Str(text) => f.write_str(text),
            AttrRef::Jid(jid) => jid.fmt(f),
        }
    }
}
