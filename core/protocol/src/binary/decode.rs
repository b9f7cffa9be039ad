//! Bytes → node (docs/PROTOCOL.md, Binary nodes), liberal in what it accepts (Compatibility rules item 9) and bounded on any
//! input: every length is checked against the bytes that remain before anything is allocated,
//! nesting is limited, and compressed input inflates to at most [`MAX_INFLATED_LEN`] bytes.

use std::borrow::Cow;
use std::io::Read;

use compact_str::{CompactString, ToCompactString};

use super::tag;
use super::token::{Dictionary, DoubleTable, SingleTable};
use crate::jid::{DEFAULT_USER_SERVER, HIDDEN_USER_SERVER, HOSTED_LID_SERVER, HOSTED_SERVER, Jid};
use crate::node::{AttrValue, Content, Node};

/// Deepest node nesting accepted (the root is depth 1).
pub const MAX_DEPTH: usize = 64;

/// Largest payload a compressed node may inflate to (16 MiB, the frame size limit).
pub const MAX_INFLATED_LEN: usize = 16 << 20;

/// Longest frame (flags byte included) that [`decode_ref`](super::decode_ref) views: a flags
/// byte and [`MAX_INFLATED_LEN`] bytes, more than the transport carries in one frame.
pub const MAX_VIEW_LEN: usize = MAX_INFLATED_LEN + 1;

/// Why bytes are not a binary node. Positions are byte offsets into the node bytes with the
/// flags byte at offset 0 (for compressed input, offsets into flags byte + inflated payload).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input was empty: not even the flags byte.
    #[error("empty input: no flags byte")]
    Empty,
    /// The input ended inside a value.
    #[error("unexpected end of input at byte {pos}: {needed} more byte(s) needed")]
    UnexpectedEnd {
        /// Where the missing bytes should have started.
        pos: usize,
        /// How many bytes were needed.
        needed: usize,
    },
    /// A tag byte that cannot appear here (240–244 never can).
    #[error("invalid tag {tag} at byte {pos} (expected {expected})")]
    InvalidTag {
        /// The tag byte.
        tag: u8,
        /// Its offset.
        pos: usize,
        /// What was expected there.
        expected: &'static str,
    },
    /// A double-byte token index outside its dictionary.
    #[error("invalid token {dict}/{index} at byte {pos}")]
    InvalidToken {
        /// Dictionary number.
        dict: u8,
        /// Index byte.
        index: u8,
        /// Offset of the dictionary tag.
        pos: usize,
    },
    /// A nibble code that stands for no character (12–14, or the pad 15 before the end).
    #[error("invalid packed nibble {nibble} at byte {pos}")]
    InvalidNibble {
        /// The 4-bit code.
        nibble: u8,
        /// Offset of the byte holding it.
        pos: usize,
    },
    /// A list header of size 0 where a node was expected.
    #[error("node with no tag at byte {pos}")]
    EmptyNode {
        /// Offset of the list header.
        pos: usize,
    },
    /// A JID where a plain string is required (a tag, an attribute key, a JID's parts), or a JID
    /// pair with an empty server.
    #[error("invalid JID at byte {pos}")]
    InvalidJid {
        /// Offset of the JID tag or of the offending part.
        pos: usize,
    },
    /// Nodes nested deeper than [`MAX_DEPTH`].
    #[error("nodes nested deeper than {MAX_DEPTH} at byte {pos}")]
    TooDeep {
        /// Offset of the node that went too deep.
        pos: usize,
    },
    /// Bytes left after the root node.
    #[error("{count} trailing byte(s) after the node at byte {pos}")]
    TrailingBytes {
        /// Offset of the first extra byte.
        pos: usize,
        /// How many extra bytes.
        count: usize,
    },
    /// The compressed payload is not a valid zlib stream.
    #[error("invalid zlib payload: {0}")]
    Inflate(String),
    /// A compressed frame given to [`decode_ref`](super::decode_ref), which reads only
    /// uncompressed frames: inflate it with [`inflate`](super::inflate) first.
    #[error("compressed frame: inflate it before decoding a borrowed view")]
    Compressed,
    /// The compressed payload inflates past [`MAX_INFLATED_LEN`].
    #[error("compressed node inflates past {MAX_INFLATED_LEN} bytes")]
    InflatedTooLarge,
    /// A frame longer than [`MAX_VIEW_LEN`] given to [`decode_ref`](super::decode_ref) or a
    /// [`Decoder`](super::Decoder) (the owned [`decode`] takes any length).
    #[error("frame of {len} bytes is too large for a borrowed view (at most {MAX_VIEW_LEN})")]
    FrameTooLarge {
        /// The frame's length.
        len: usize,
    },
}

type Result<T> = std::result::Result<T, DecodeError>;

/// The reader's own result: the error boxed, so that the hot functions return their values in
/// registers instead of through a large `Result` in memory.
pub(super) type Inner<T> = std::result::Result<T, Box<DecodeError>>;

/// A failed read (kept out of the hot path).
#[cold]
fn fail<T>(error: DecodeError) -> Inner<T> {
    Err(Box::new(error))
}

/// Parses one serialized node: the flags byte (`flags & 2` = zlib-compressed rest), then exactly
/// one node and nothing after it. Tokens are read with dictionary version 3; [`decode_with`] picks
/// the version.
pub fn decode(input: &[u8]) -> Result<Node> {
    decode_with(input, Dictionary::V3)
}

/// [`decode`] with the tokens of the given dictionary version.
pub fn decode_with(input: &[u8], dictionary: Dictionary) -> Result<Node> {
    let (&flags, body) = input.split_first().ok_or(DecodeError::Empty)?;
    if flags & 2 == 0 {
        return decode_body(body, dictionary);
    }
    decode_body(&inflate_body(body)?, dictionary)
}

/// A serialized node with its zlib payload inflated: uncompressed input is returned as is,
/// compressed input as a new frame (flags byte without the compression bit, then the inflated
/// payload), so that byte offsets in errors stay those of [`decode`].
pub fn inflate(input: &[u8]) -> Result<Cow<'_, [u8]>> {
    let (&flags, body) = input.split_first().ok_or(DecodeError::Empty)?;
    if flags & 2 == 0 {
        return Ok(Cow::Borrowed(input));
    }
    let inflated = inflate_body(body)?;
    let mut frame = Vec::with_capacity(inflated.len() + 1);
    frame.push(flags & !2);
    frame.extend_from_slice(&inflated);
    Ok(Cow::Owned(frame))
}

/// Inflates a compressed payload, at most [`MAX_INFLATED_LEN`] bytes.
fn inflate_body(body: &[u8]) -> Result<Vec<u8>> {
    let mut inflated = Vec::new();
    flate2::read::ZlibDecoder::new(body)
        .take(MAX_INFLATED_LEN as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| DecodeError::Inflate(e.to_string()))?;
    if inflated.len() > MAX_INFLATED_LEN {
        return Err(DecodeError::InflatedTooLarge);
    }
    Ok(inflated)
}

fn decode_body(body: &[u8], dictionary: Dictionary) -> Result<Node> {
    let mut reader = Reader::new(body, dictionary);
    let node = owned_node(&mut reader, 1).map_err(|e| *e)?;
    reader.finish()?;
    Ok(node)
}

/// Builds the strings of the owned tree.
struct Owned;

impl Strings<'_> for Owned {
    type Str = CompactString;

    fn token(&mut self, _code: TokenCode, token: &'static str) -> CompactString {
        token_string(token)
    }

    fn bytes(&mut self, bytes: &[u8]) -> CompactString {
        text_lossy(bytes)
    }

    fn packed(&mut self, text: &[u8]) -> CompactString {
        text_lossy(text)
    }

    fn is_empty(&self, text: &CompactString) -> bool {
        text.is_empty()
    }
}

/// One node and its subtree, owned.
fn owned_node(reader: &mut Reader<'_>, depth: usize) -> Inner<Node> {
    let size = reader.node_header(depth)?;
    let tag = reader.plain_string(&mut Owned)?;
    let attr_count = (size - 1) / 2;
    // Each attribute takes at least two bytes: never reserve more than the input can hold.
    let mut attrs = Vec::with_capacity(attr_count.min(reader.remaining() / 2));
    for _ in 0..attr_count {
        let key = reader.plain_string(&mut Owned)?;
        let value = match reader.attr_value(&mut Owned)? {
            RawValue::Str(text) => AttrValue::Str(text),
            RawValue::Jid(jid) => AttrValue::Jid(jid.into_jid()),
        };
        attrs.push((key, value));
    }
    let content = if size % 2 == 0 {
        match reader.content(&mut Owned)? {
            RawContent::Nodes(count) => {
                // A node takes at least three bytes (header, size, tag).
                let mut children = Vec::with_capacity(count.min(reader.remaining() / 3));
                for _ in 0..count {
                    children.push(owned_node(reader, depth + 1)?);
                }
                Content::Nodes(children)
            }
            RawContent::Bytes(bytes) => Content::Bytes(bytes.to_vec()),
            RawContent::Str(text) => Content::Str(text),
            RawContent::Jid(jid) => Content::Str(jid.into_jid().to_compact_string()),
        }
    } else {
        Content::None
    };
    Ok(Node {
        tag,
        attrs,
        content,
    })
}

/// True for the four tags that start a JID.
fn is_jid_tag(tag: u8) -> bool {
    matches!(
        tag,
        tag::JID_PAIR | tag::AD_JID | tag::FB_JID | tag::INTEROP_JID
    )
}

/// A token's number, for builders that store tokens by number: the tag byte of a single-byte
/// token (0 is the empty string of LIST_EMPTY), `256 * (1 + dict) + index` for a double-byte
/// one, [`SERVER_CODE`] + n for the n-th of [`AD_SERVERS`]. [`token_text`] turns it back.
pub(super) type TokenCode = u16;

/// The servers an AD_JID's domain byte names (domains 0, 1, 128 and 129).
const AD_SERVERS: [&str; 4] = [
    DEFAULT_USER_SERVER,
    HIDDEN_USER_SERVER,
    HOSTED_SERVER,
    HOSTED_LID_SERVER,
];

/// The [`TokenCode`] of the first of [`AD_SERVERS`] (after the four double-byte dictionaries).
const SERVER_CODE: TokenCode = 256 * 5;

fn double_code(dict: u8, index: u8) -> TokenCode {
    256 * (1 + TokenCode::from(dict)) + TokenCode::from(index)
}

/// The text of a [`TokenCode`] in a dictionary (the empty string for a number that is none).
pub(super) fn token_text(dictionary: Dictionary, code: TokenCode) -> &'static str {
    let (single, double) = dictionary.tables();
    let index = usize::from(code % 256);
    let text = match code / 256 {
        0 => single.get(index),
        table @ 1..=4 => double
            .get(usize::from(table - 1))
            .and_then(|table| table.get(index)),
        _ => AD_SERVERS.get(usize::from(code - SERVER_CODE)),
    };
    text.copied().unwrap_or_default()
}

/// How a decoder stores the strings the [`Reader`] finds: the owned decoder makes
/// [`CompactString`]s, the borrowed view keeps references into the frame.
pub(super) trait Strings<'a> {
    /// A stored string.
    type Str;
    /// A dictionary token (or the empty string of LIST_EMPTY, or an AD_JID's server): its
    /// number and its text.
    fn token(&mut self, code: TokenCode, token: &'static str) -> Self::Str;
    /// The bytes of a BINARY_n string, maybe invalid UTF-8 (to be replaced with U+FFFD).
    fn bytes(&mut self, bytes: &'a [u8]) -> Self::Str;
    /// An unpacked nibble/hex string, checked to be ASCII.
    fn packed(&mut self, text: &[u8]) -> Self::Str;
    /// Whether a stored string is empty.
    fn is_empty(&self, text: &Self::Str) -> bool;
}

/// A JID as read, its parts stored by a [`Strings`].
#[derive(Debug, Clone, Copy)]
pub(super) struct RawJid<S> {
    pub(super) user: S,
    pub(super) agent: u8,
    pub(super) device: u16,
    pub(super) integrator: u16,
    pub(super) server: S,
}

impl<S> RawJid<S> {
    fn new(user: S, server: S) -> Self {
        RawJid {
            user,
            agent: 0,
            device: 0,
            integrator: 0,
            server,
        }
    }
}

impl RawJid<CompactString> {
    /// The owned JID.
    pub(super) fn into_jid(self) -> Jid {
        Jid {
            agent: self.agent,
            device: self.device,
            integrator: self.integrator,
            ..Jid::new(self.user, self.server)
        }
    }
}

/// An attribute value as read.
#[derive(Debug, Clone, Copy)]
pub(super) enum RawValue<S> {
    Str(S),
    Jid(RawJid<S>),
}

/// A node's content as read; for child nodes, their count (the nodes follow).
#[derive(Debug, Clone, Copy)]
pub(super) enum RawContent<'a, S> {
    Nodes(usize),
    Bytes(&'a [u8]),
    Str(S),
    Jid(RawJid<S>),
}

/// The cursor over a node's bytes (after the flags byte), shared by the owned decoder and the
/// borrowed view: it reads headers, strings and JIDs; the callers build their trees.
pub(super) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// The single-byte tokens of the dictionary the bytes were written with.
    single: &'static SingleTable,
    /// Its double-byte tokens.
    double: &'static DoubleTable,
}

impl<'a> Reader<'a> {
    pub(super) fn new(data: &'a [u8], dictionary: Dictionary) -> Self {
        let (single, double) = dictionary.tables();
        Reader {
            data,
            pos: 0,
            single,
            double,
        }
    }

    /// Checks that the root node ended the input.
    pub(super) fn finish(&self) -> Result<()> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(DecodeError::TrailingBytes {
                pos: self.offset(),
                count,
            }),
        }
    }

    /// Offset of the cursor counting the flags byte.
    fn offset(&self) -> usize {
        self.pos + 1
    }

    /// Offset of the cursor in the bytes after the flags byte.
    pub(super) fn position(&self) -> usize {
        self.pos
    }

    pub(super) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// The input ended `needed` bytes too early.
    #[cold]
    fn end<T>(&self, needed: usize) -> Inner<T> {
        fail(DecodeError::UnexpectedEnd {
            pos: self.offset(),
            needed,
        })
    }

    fn byte(&mut self) -> Inner<u8> {
        match self.data.get(self.pos) {
            Some(&byte) => {
                self.pos += 1;
                Ok(byte)
            }
            None => self.end(1),
        }
    }

    fn take(&mut self, len: usize) -> Inner<&'a [u8]> {
        let bytes = self
            .pos
            .checked_add(len)
            .and_then(|end| self.data.get(self.pos..end));
        match bytes {
            Some(bytes) => {
                self.pos += len;
                Ok(bytes)
            }
            None => self.end(len.saturating_sub(self.remaining())),
        }
    }

    fn array<const N: usize>(&mut self) -> Inner<[u8; N]> {
        let bytes = self.take(N)?;
        let mut array = [0u8; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }

    fn u16(&mut self) -> Inner<u16> {
        self.array().map(u16::from_be_bytes)
    }

    /// Length that follows a BINARY_n tag.
    fn binary_len(&mut self, tag: u8) -> Inner<usize> {
        Ok(match tag {
            tag::BINARY_8 => usize::from(self.byte()?),
            tag::BINARY_20 => {
                let [a, b, c] = self.array()?;
                usize::from(a & 0x0F) << 16 | usize::from(b) << 8 | usize::from(c)
            }
            _ => u32::from_be_bytes(self.array()?) as usize,
        })
    }

    /// Size that follows a list tag, or `None` if the tag is not a list.
    #[inline(always)]
    fn list_size(&mut self, tag: u8) -> Inner<Option<usize>> {
        Ok(match tag {
            tag::LIST_EMPTY => Some(0),
            tag::LIST_8 => Some(usize::from(self.byte()?)),
            tag::LIST_16 => Some(usize::from(self.u16()?)),
            _ => None,
        })
    }

    /// A node's list header at nesting `depth`: its size (≥ 1). The tag follows, then
    /// `(size - 1) / 2` attributes, then content if the size is even.
    #[inline(always)]
    pub(super) fn node_header(&mut self, depth: usize) -> Inner<usize> {
        let start = self.offset();
        if depth > MAX_DEPTH {
            return fail(DecodeError::TooDeep { pos: start });
        }
        let header = self.byte()?;
        let Some(size) = self.list_size(header)? else {
            return fail(DecodeError::InvalidTag {
                tag: header,
                pos: start,
                expected: "a list header starting a node",
            });
        };
        if size == 0 {
            return fail(DecodeError::EmptyNode { pos: start });
        }
        Ok(size)
    }

    /// A node's content (the node's size was even).
    #[inline(always)]
    pub(super) fn content<B: Strings<'a>>(&mut self, b: &mut B) -> Inner<RawContent<'a, B::Str>> {
        let tag = self.byte()?;
        if let Some(count) = self.list_size(tag)? {
            return Ok(RawContent::Nodes(count));
        }
        if matches!(tag, tag::BINARY_8 | tag::BINARY_20 | tag::BINARY_32) {
            let len = self.binary_len(tag)?;
            return self.take(len).map(RawContent::Bytes);
        }
        if is_jid_tag(tag) {
            return self.jid(tag, b).map(RawContent::Jid);
        }
        self.text(tag, b).map(RawContent::Str)
    }

    /// An attribute value: a string, or a JID when it came with a JID tag.
    #[inline]
    pub(super) fn attr_value<B: Strings<'a>>(&mut self, b: &mut B) -> Inner<RawValue<B::Str>> {
        let tag = self.byte()?;
        if is_jid_tag(tag) {
            return self.jid(tag, b).map(RawValue::Jid);
        }
        self.text(tag, b).map(RawValue::Str)
    }

    /// A string that may not be a JID: tags, attribute keys, a JID's own parts.
    #[inline]
    pub(super) fn plain_string<B: Strings<'a>>(&mut self, b: &mut B) -> Inner<B::Str> {
        let tag = self.byte()?;
        // A JID tag fails in `text` before anything after it is read: a JID's parts are plain
        // strings, so reading a nested JID here would recurse once per input byte (a stack
        // overflow on crafted input).
        self.text(tag, b)
    }

    /// A string value after its tag byte (the tag has been read; a JID tag is refused).
    #[inline]
    fn text<B: Strings<'a>>(&mut self, tag: u8, b: &mut B) -> Inner<B::Str> {
        let start = self.pos; // offset() of the tag byte
        match tag {
            tag::LIST_EMPTY => Ok(b.token(0, "")),
            1..tag::DICTIONARY_0 => match self.single.get(usize::from(tag)) {
                Some(token) => Ok(b.token(TokenCode::from(tag), token)),
                None => fail(DecodeError::InvalidTag {
                    tag,
                    pos: start,
                    expected: "a string",
                }),
            },
            tag::DICTIONARY_0..=tag::DICTIONARY_3 => {
                let dict = tag - tag::DICTIONARY_0;
                let index = self.byte()?;
                let token = self
                    .double
                    .get(usize::from(dict))
                    .and_then(|table| table.get(usize::from(index)));
                match token {
                    Some(token) => Ok(b.token(double_code(dict, index), token)),
                    None => fail(DecodeError::InvalidToken {
                        dict,
                        index,
                        pos: start,
                    }),
                }
            }
            tag::BINARY_8 | tag::BINARY_20 | tag::BINARY_32 => {
                let len = self.binary_len(tag)?;
                self.take(len).map(|bytes| b.bytes(bytes))
            }
            tag::NIBBLE_8 | tag::HEX_8 => self.packed(tag, b),
            // Only plain strings get here with a JID tag (values and content read JIDs first).
            _ if is_jid_tag(tag) => fail(DecodeError::InvalidJid { pos: start }),
            _ => fail(DecodeError::InvalidTag {
                tag,
                pos: start,
                expected: "a string",
            }),
        }
    }

    /// A JID after its tag byte (one of the four JID tags).
    #[inline]
    fn jid<B: Strings<'a>>(&mut self, tag: u8, b: &mut B) -> Inner<RawJid<B::Str>> {
        let start = self.pos; // offset() of the tag byte
        match tag {
            tag::JID_PAIR => {
                let user = self.plain_string(b)?;
                let server = self.plain_string(b)?;
                if b.is_empty(&server) {
                    return fail(DecodeError::InvalidJid { pos: start });
                }
                Ok(RawJid::new(user, server))
            }
            tag::AD_JID => self.ad_jid(b),
            tag::FB_JID => {
                let user = self.plain_string(b)?;
                let device = self.u16()?;
                let server = self.plain_string(b)?;
                Ok(RawJid {
                    device,
                    ..RawJid::new(user, server)
                })
            }
            _ => {
                let user = self.plain_string(b)?;
                let device = self.u16()?;
                let integrator = self.u16()?;
                let server = self.plain_string(b)?;
                Ok(RawJid {
                    device,
                    integrator,
                    ..RawJid::new(user, server)
                })
            }
        }
    }

    /// AD_JID: domain byte (0/1/128/129 = server, anything else = agent on s.whatsapp.net),
    /// device byte (0 = no device), user.
    fn ad_jid<B: Strings<'a>>(&mut self, b: &mut B) -> Inner<RawJid<B::Str>> {
        let [domain, device] = self.array()?;
        let user = self.plain_string(b)?;
        let (server, agent) = match domain {
            tag::DOMAIN_WHATSAPP => (0, 0),
            tag::DOMAIN_LID => (1, 0),
            tag::DOMAIN_HOSTED => (2, 0),
            tag::DOMAIN_HOSTED_LID => (3, 0),
            agent => (0, agent),
        };
        let text = AD_SERVERS
            .get(usize::from(server))
            .copied()
            .unwrap_or_default();
        Ok(RawJid {
            agent,
            device: u16::from(device),
            ..RawJid::new(user, b.token(SERVER_CODE + server, text))
        })
    }

    /// NIBBLE_8 / HEX_8: a length byte (`pairs | 0x80 if odd`), then two codes per byte. Kept
    /// out of line: its stack buffer would otherwise weigh on every token read by [`Reader::text`].
    #[inline(never)]
    fn packed<B: Strings<'a>>(&mut self, tag: u8, b: &mut B) -> Inner<B::Str> {
        let len_byte = self.byte()?;
        let odd = len_byte & 0x80 != 0;
        let bytes_start = self.offset();
        let bytes = self.take(usize::from(len_byte & 0x7F))?;
        // At most 127 bytes → 254 ASCII characters, unpacked on the stack.
        let pairs = if tag == tag::HEX_8 {
            &HEX_PAIRS
        } else {
            &NIBBLE_PAIRS
        };
        let mut text = [0u8; 2 * tag::PACKED_MAX];
        for (&byte, out) in bytes.iter().zip(text.chunks_exact_mut(2)) {
            if let (Some(pair), [high, low]) = (pairs.get(usize::from(byte)), out) {
                [*high, *low] = *pair;
            }
        }
        // The dropped padding of an odd string may be any code.
        let len = 2 * bytes.len() - usize::from(odd && !bytes.is_empty());
        let text = text.get(..len).unwrap_or_default();
        // Valid codes are ASCII and INVALID is not: one pass without early exit finds out.
        if text.iter().fold(0, |all, &c| all | c) >= 0x80 {
            return invalid_nibble(text, bytes, bytes_start);
        }
        Ok(b.packed(text))
    }
}

/// The error for the first [`INVALID`] code of an unpacked string (`bytes` from offset
/// `bytes_start`).
#[cold]
fn invalid_nibble<T>(text: &[u8], bytes: &[u8], bytes_start: usize) -> Inner<T> {
    let bad = text.iter().position(|&c| c == INVALID).unwrap_or_default();
    let byte = bytes.get(bad / 2).copied().unwrap_or_default();
    let nibble = if bad % 2 == 0 { byte >> 4 } else { byte & 0x0F };
    fail(DecodeError::InvalidNibble {
        nibble,
        pos: bytes_start + bad / 2,
    })
}

/// A token as a string: short ones are copied inline with one `memcpy` (`const_new` copies them
/// byte by byte), long ones keep pointing at the static table.
fn token_string(token: &'static str) -> CompactString {
    if token.len() <= std::mem::size_of::<CompactString>() {
        CompactString::new(token)
    } else {
        CompactString::const_new(token)
    }
}

/// Bytes as a string, invalid UTF-8 replaced with U+FFFD (as Baileys does) rather than failing
/// the stanza. Valid input (the common case) takes the fast path: one validation and one copy
/// (compact_str's own lossy conversion goes char by char).
fn text_lossy(bytes: &[u8]) -> CompactString {
    match std::str::from_utf8(bytes) {
        Ok(text) => CompactString::new(text),
        Err(_) => CompactString::from(String::from_utf8_lossy(bytes)),
    }
}

/// Marks a 4-bit code that stands for no character in an unpacking table.
const INVALID: u8 = 0xFF;

/// NIBBLE_8 codes: digits, `-`, `.`; 12–15 are invalid (15 is only the padding of odd strings).
const NIBBLE: [u8; 16] = *b"0123456789-.\xFF\xFF\xFF\xFF";

/// HEX_8 codes: digits and `A`–`F`.
const HEX: [u8; 16] = *b"0123456789ABCDEF";

/// The two characters of every NIBBLE_8 byte.
static NIBBLE_PAIRS: [[u8; 2]; 256] = pairs(&NIBBLE);

/// The two characters of every HEX_8 byte.
static HEX_PAIRS: [[u8; 2]; 256] = pairs(&HEX);

/// The characters of a byte's two codes, for every byte (run at compile time only, where an
/// index out of bounds would fail the build; both indices are below 16 anyway).
const fn pairs(table: &[u8; 16]) -> [[u8; 2]; 256] {
    let mut pairs = [[0; 2]; 256];
    let mut byte = 0;
    while byte < 256 {
        pairs[byte] = [table[byte >> 4], table[byte & 0x0F]];
        byte += 1;
    }
    pairs
}
