//! A zero-copy view of a binary node: [`decode_ref`] reads the bytes once into a flat arena of
//! nodes and attributes. Byte content stays in the frame (a slice of it); tags, keys and string
//! values are dictionary tokens, kept as their number, or short strings copied into one text
//! buffer shared by the whole tree. Every string is an 8-byte handle, so the arena does not
//! borrow the frame and a [`Decoder`] reuses it from frame to frame without allocating. The view
//! accepts and refuses exactly what [`decode`](super::decode) does, with the same errors (except
//! frames over [`MAX_VIEW_LEN`]), and [`NodeRef::to_owned_node`] gives the same [`Node`].
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
//!
//! // A read loop keeps one decoder and reuses its arena for every frame.
//! let mut decoder = binary::Decoder::new();
//! for _ in 0..2 {
//!     assert_eq!(decoder.decode(&frame)?.tag(), "iq");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use compact_str::CompactString;

use super::decode::{
    DecodeError, Inner, MAX_VIEW_LEN, RawContent, RawJid, RawValue, Reader, Strings, TokenCode,
    token_text,
};
use super::token::Dictionary;
use crate::jid::JidRef;
use crate::node::{AttrValue, Content, Node};

/// Parses one uncompressed serialized node (flags byte, then exactly one node) into a borrowed
/// view, with dictionary version 3. Compressed input is [`DecodeError::Compressed`]: pass it
/// through [`inflate`](super::inflate) first. A read loop that decodes many frames should keep
/// a [`Decoder`] instead, which allocates only when a frame needs more room than any before.
pub fn decode_ref(frame: &[u8]) -> Result<DecodedRef<'_>, DecodeError> {
    decode_ref_with(frame, Dictionary::V3)
}

/// [`decode_ref`] with the tokens of the given dictionary version.
pub fn decode_ref_with(
    frame: &[u8],
    dictionary: Dictionary,
) -> Result<DecodedRef<'_>, DecodeError> {
    let mut arena = Arena::default();
    let body = arena.decode(frame, dictionary)?;
    Ok(DecodedRef { arena, body })
}

/// A reusable [`decode_ref`]: its arena keeps its room from frame to frame, so that a
/// connection's read loop decodes without allocating once it has seen its largest stanza (the
/// room of that stanza stays held until the decoder is dropped).
#[derive(Debug, Default)]
pub struct Decoder {
    arena: Arena,
}

impl Decoder {
    /// A decoder with an empty arena.
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// [`decode_ref`] into this decoder's arena: the root of the view, valid until the next
    /// decode.
    pub fn decode<'a>(&'a mut self, frame: &'a [u8]) -> Result<NodeRef<'a>, DecodeError> {
        self.decode_with(frame, Dictionary::V3)
    }

    /// [`Decoder::decode`] with the tokens of the given dictionary version.
    pub fn decode_with<'a>(
        &'a mut self,
        frame: &'a [u8],
        dictionary: Dictionary,
    ) -> Result<NodeRef<'a>, DecodeError> {
        let body = self.arena.decode(frame, dictionary)?;
        Ok(Tree {
            arena: &self.arena,
            body,
        }
        .node(0))
    }
}

/// A string of the tree in one 8-byte word: a token, or a range of the arena's text buffer.
/// The low half is the token's [`TokenCode`] or the range's start, the high half [`TOKEN`] or
/// the range's length. One word rather than two fields, so that it is written and read back
/// whole (two 4-byte stores read as one 8-byte load stall the CPU).
#[derive(Debug, Clone, Copy)]
struct Str(u64);

/// The high half of a token [`Str`] (text strings are far shorter: frames are at most
/// [`MAX_VIEW_LEN`] bytes and a byte unpacks to at most a few characters).
const TOKEN: u32 = u32::MAX;

impl Str {
    fn token(code: TokenCode) -> Str {
        Str(u64::from(TOKEN) << 32 | u64::from(code))
    }

    fn text(start: u32, len: u32) -> Str {
        Str(u64::from(len) << 32 | u64::from(start))
    }

    /// The token's number, if the string is a token.
    fn code(self) -> Option<TokenCode> {
        let code = TokenCode::try_from(self.0 & 0xFFFF_FFFF).unwrap_or(TokenCode::MAX);
        (self.0 >> 32 == u64::from(TOKEN)).then_some(code)
    }

    /// The range of the text buffer (meaningless for a token).
    fn range(self) -> std::ops::Range<usize> {
        let start = (self.0 & 0xFFFF_FFFF) as usize;
        start..start.saturating_add((self.0 >> 32) as usize)
    }
}

/// A range of the frame's bytes after the flags byte.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

#[derive(Debug, Clone, Copy)]
enum Body {
    None,
    Bytes(Span),
    Str(Str),
    /// Child count and the index of the first child (siblings are linked by `next`).
    Nodes {
        count: u32,
        first: u32,
    },
}

/// Marks "no next sibling".
const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct RawNode {
    tag: Str,
    /// `attrs[attrs_start..attrs_end]` of the arena.
    attrs_start: u32,
    attrs_end: u32,
    body: Body,
    /// The next sibling, or [`NONE`].
    next: u32,
}

/// The decoded tree, without the frame it points into.
#[derive(Debug, Default)]
struct Arena {
    /// Nodes in document order; the root is the first.
    nodes: Vec<RawNode>,
    attrs: Vec<(Str, RawValue<Str>)>,
    /// Strings that are not tokens.
    text: String,
    /// The text buffer while a frame is read (it holds `text`'s allocation then): every string
    /// goes in as valid UTF-8, and the whole is checked once at the end and becomes `text`.
    raw: Vec<u8>,
    /// The dictionary the tokens were read with.
    dictionary: Dictionary,
}

/// An index into the arena or a length (frames are at most [`MAX_VIEW_LEN`] bytes, so every
/// index fits; a larger one would saturate and then read as missing).
fn index(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(NONE)
}

impl Arena {
    /// Empties the arena and reads `frame` into it; returns the bytes after the flags byte.
    fn decode<'a>(
        &mut self,
        frame: &'a [u8],
        dictionary: Dictionary,
    ) -> Result<&'a [u8], DecodeError> {
        let (&flags, body) = frame.split_first().ok_or(DecodeError::Empty)?;
        if flags & 2 != 0 {
            return Err(DecodeError::Compressed);
        }
        if frame.len() > MAX_VIEW_LEN {
            return Err(DecodeError::FrameTooLarge { len: frame.len() });
        }
        self.nodes.clear();
        self.attrs.clear();
        self.raw = std::mem::take(&mut self.text).into_bytes();
        self.raw.clear();
        self.dictionary = dictionary;
        // A guess from real stanzas (a node per 15–140 bytes, an attribute per 13–100, a copied
        // string byte per 4), so that most decodes allocate each list at most once; never more
        // than the input can justify. A reused arena already has the room.
        self.nodes.reserve(body.len() / 16 + 1);
        self.attrs.reserve(body.len() / 16 + 4);
        self.raw.reserve(body.len() / 4 + 64);
        let mut reader = Reader::new(body, dictionary);
        let read = self.node(&mut reader, 1).map_err(|e| *e);
        let raw = std::mem::take(&mut self.raw);
        // Valid by construction; a copy with U+FFFD would only hide a bug.
        self.text = String::from_utf8(raw)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        read?;
        reader.finish()?;
        Ok(body)
    }

    /// Reads one node and its subtree; returns its index.
    fn node(&mut self, reader: &mut Reader<'_>, depth: usize) -> Inner<u32> {
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
                RawContent::Bytes(bytes) => Body::Bytes(Span {
                    // The bytes end where the reader stands.
                    start: index(reader.position().saturating_sub(bytes.len())),
                    len: index(bytes.len()),
                }),
                RawContent::Str(text) => Body::Str(text),
                RawContent::Jid(jid) => {
                    // JID content is its text, as in the owned tree (rare: one allocation).
                    let text = jid_ref(jid, |part| self.raw_str(part)).to_string();
                    Body::Str(self.push(text.as_bytes()))
                }
            };
            if let Some(node) = self.nodes.get_mut(me as usize) {
                node.body = body;
            }
        }
        Ok(me)
    }

    /// Copies a string (valid UTF-8) into the text buffer.
    fn push(&mut self, text: &[u8]) -> Str {
        let start = index(self.raw.len());
        self.raw.extend_from_slice(text);
        Str::text(start, index(text.len()))
    }

    fn jid(&self, jid: RawJid<Str>) -> JidRef<'_> {
        jid_ref(jid, |part| self.str(part))
    }

    /// The token of a [`Str`], if it is one.
    fn token(&self, text: Str) -> Option<&'static str> {
        text.code().map(|code| token_text(self.dictionary, code))
    }

    /// A string of the decoded tree.
    fn str(&self, text: Str) -> &str {
        self.token(text)
            .unwrap_or_else(|| self.text.get(text.range()).unwrap_or_default())
    }

    /// A string read so far, while the frame is read (rare: JID content).
    fn raw_str(&self, text: Str) -> &str {
        self.token(text).unwrap_or_else(|| {
            self.raw
                .get(text.range())
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .unwrap_or_default()
        })
    }
}

/// A JID of the arena, its parts looked up with `str`.
fn jid_ref<'s>(jid: RawJid<Str>, str: impl Fn(Str) -> &'s str) -> JidRef<'s> {
    JidRef {
        user: str(jid.user),
        agent: jid.agent,
        device: jid.device,
        integrator: jid.integrator,
        server: str(jid.server),
    }
}

impl<'a> Strings<'a> for Arena {
    type Str = Str;

    fn token(&mut self, code: TokenCode, _token: &'static str) -> Str {
        Str::token(code)
    }

    fn bytes(&mut self, bytes: &'a [u8]) -> Str {
        match std::str::from_utf8(bytes) {
            Ok(_) => self.push(bytes),
            Err(_) => self.push(String::from_utf8_lossy(bytes).as_bytes()),
        }
    }

    fn packed(&mut self, text: &[u8]) -> Str {
        self.push(text)
    }

    fn is_empty(&self, text: &Str) -> bool {
        self.token(*text)
            .map_or(text.range().is_empty(), str::is_empty)
    }
}

/// The result of [`decode_ref`]: the arena holding the tree; [`DecodedRef::root`] views it.
#[derive(Debug)]
pub struct DecodedRef<'a> {
    arena: Arena,
    body: &'a [u8],
}

impl DecodedRef<'_> {
    /// The root node.
    pub fn root(&self) -> NodeRef<'_> {
        Tree {
            arena: &self.arena,
            body: self.body,
        }
        .node(0)
    }

    /// How many nodes the tree has.
    pub fn node_count(&self) -> usize {
        self.arena.nodes.len()
    }
}

/// The arena and the frame bytes it points into.
#[derive(Debug, Clone, Copy)]
struct Tree<'a> {
    arena: &'a Arena,
    body: &'a [u8],
}

impl<'a> Tree<'a> {
    fn node(self, index: u32) -> NodeRef<'a> {
        NodeRef { tree: self, index }
    }

    fn str(self, text: Str) -> &'a str {
        self.arena.str(text)
    }

    fn bytes(self, span: Span) -> &'a [u8] {
        let start = span.start as usize;
        self.body
            .get(start..start.saturating_add(span.len as usize))
            .unwrap_or_default()
    }
}

/// A node of a decoded view ([`DecodedRef`] or [`Decoder`]), borrowed. Cheap to copy.
#[derive(Clone, Copy)]
pub struct NodeRef<'a> {
    tree: Tree<'a>,
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
    fn raw(&self) -> Option<&'a RawNode> {
        self.tree.arena.nodes.get(self.index as usize)
    }

    /// The tag, e.g. `iq`.
    pub fn tag(&self) -> &'a str {
        self.raw().map_or("", |node| self.tree.str(node.tag))
    }

    /// The attributes in wire order.
    pub fn attrs(&self) -> Attrs<'a> {
        let range = self.raw().map_or(&[][..], |node| {
            self.tree
                .arena
                .attrs
                .get(node.attrs_start as usize..node.attrs_end as usize)
                .unwrap_or_default()
        });
        Attrs {
            tree: self.tree,
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
            tree: self.tree,
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
            Body::Bytes(span) => Some(self.tree.bytes(span)),
            Body::Str(text) => Some(self.tree.str(text).as_bytes()),
            Body::None | Body::Nodes { .. } => None,
        }
    }

    /// The content as a string: string content, or byte content that is valid UTF-8.
    pub fn content_str(&self) -> Option<&'a str> {
        match self.raw()?.body {
            Body::Bytes(span) => std::str::from_utf8(self.tree.bytes(span)).ok(),
            Body::Str(text) => Some(self.tree.str(text)),
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
            Some(Body::Bytes(span)) => Content::Bytes(self.tree.bytes(span).to_vec()),
            Some(Body::Str(text)) => Content::Str(CompactString::new(self.tree.str(text))),
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
    tree: Tree<'a>,
    inner: std::slice::Iter<'a, (Str, RawValue<Str>)>,
}

impl<'a> Iterator for Attrs<'a> {
    type Item = (&'a str, AttrRef<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let &(key, value) = self.inner.next()?;
        let arena = self.tree.arena;
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
    tree: Tree<'a>,
    next: u32,
    left: u32,
}

impl<'a> Iterator for Children<'a> {
    type Item = NodeRef<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let node = self.tree.arena.nodes.get(self.next as usize)?;
        let current = self.tree.node(self.next);
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
