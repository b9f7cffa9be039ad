//! Node → bytes (docs/PROTOCOL.md, Binary nodes).
//!
//! Strings use the shortest form in the order token, nibble-packed, hex-packed, raw bytes. JID
//! attribute values use JID tags; byte content is always BINARY_n.

use super::tag;
use super::token::{Dictionary, Token};
use crate::jid::{
    DEFAULT_USER_SERVER, HIDDEN_USER_SERVER, HOSTED_LID_SERVER, HOSTED_SERVER, INTEROP_SERVER, Jid,
    MESSENGER_SERVER,
};
use crate::node::{AttrValue, Content, Node};

/// Largest list a LIST_16 header can announce.
const MAX_LIST: usize = u16::MAX as usize;

/// Serializes a node with the leading flags byte `0x00` (uncompressed).
///
/// `Content::Str` follows the string rules, so a string that is no token and cannot be packed
/// goes out as BINARY_n and reads back as `Content::Bytes` (the wire does not tell them apart;
/// [`Node::content_str`] accepts both). An empty `Content::Str` is written as NIBBLE_8 0 and
/// reads back as a string.
///
/// Limits of the format: a node holds at most 32,767 attributes and 65,535 children, and a
/// string or byte field at most `u32::MAX` bytes. A node past a limit is refused with an
/// [`EncodeError`], never cut short. No real stanza comes near them (frames are capped at 16 MiB).
///
/// Tokens come from dictionary version 3; [`encode_with`] picks the version.
pub fn encode(node: &Node) -> Result<Vec<u8>, EncodeError> {
    encode_with(node, Dictionary::V3)
}

/// [`encode`] with the tokens of the given dictionary version.
pub fn encode_with(node: &Node, dictionary: Dictionary) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(64);
    encode_into_with(node, dictionary, &mut out)?;
    Ok(out)
}

/// Appends the serialized node (flags byte included) to `out`, so a buffer can be reused. On
/// error `out` is left as it was. Tokens come from dictionary version 3.
pub fn encode_into(node: &Node, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    encode_into_with(node, Dictionary::V3, out)
}

/// [`encode_into`] with the tokens of the given dictionary version.
pub fn encode_into_with(
    node: &Node,
    dictionary: Dictionary,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let start = out.len();
    out.push(0);
    let written = write_node(node, dictionary, out);
    if written.is_err() {
        out.truncate(start);
    }
    written
}

/// Why a node cannot be serialized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// More attributes than a list header can announce.
    #[error("<{tag}> has {count} attributes; a node holds at most 32,767")]
    TooManyAttributes {
        /// The node's tag.
        tag: String,
        /// How many attributes it has.
        count: usize,
    },
    /// More children than a LIST_16 header can announce.
    #[error("<{tag}> has {count} children; a node holds at most 65,535")]
    TooManyChildren {
        /// The node's tag.
        tag: String,
        /// How many children it has.
        count: usize,
    },
    /// A string or byte field longer than BINARY_32 can carry.
    #[error("a field of {len} bytes is longer than the format allows")]
    TooLong {
        /// The field's length in bytes.
        len: usize,
    },
}

fn write_node(node: &Node, dict: Dictionary, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let has_content = !matches!(node.content, Content::None);
    let size = 1 + 2 * node.attrs.len() + usize::from(has_content);
    if size > MAX_LIST {
        return Err(EncodeError::TooManyAttributes {
            tag: node.tag.to_string(),
            count: node.attrs.len(),
        });
    }
    write_list_start(size, out);
    write_string(&node.tag, dict, out)?;
    for (key, value) in &node.attrs {
        write_string(key, dict, out)?;
        match value {
            AttrValue::Str(text) => write_string(text, dict, out)?,
            AttrValue::Jid(jid) => write_jid(jid, dict, out)?,
        }
    }
    match &node.content {
        Content::None => {}
        Content::Bytes(bytes) => write_bytes(bytes, out)?,
        // An empty string would be BINARY_8 0, which reads back as bytes; NIBBLE_8 0 stays a
        // string (whatsmeow writes the same).
        Content::Str(text) if text.is_empty() => out.extend_from_slice(&[tag::NIBBLE_8, 0]),
        Content::Str(text) => write_string(text, dict, out)?,
        Content::Nodes(children) => {
            if children.len() > MAX_LIST {
                return Err(EncodeError::TooManyChildren {
                    tag: node.tag.to_string(),
                    count: children.len(),
                });
            }
            write_list_start(children.len(), out);
            for child in children {
                write_node(child, dict, out)?;
            }
        }
    }
    Ok(())
}

fn write_list_start(size: usize, out: &mut Vec<u8>) {
    match size {
        0 => out.push(tag::LIST_EMPTY),
        1..=255 => out.extend_from_slice(&[tag::LIST_8, size as u8]),
        _ => {
            let [hi, lo] = u16::try_from(size).unwrap_or(u16::MAX).to_be_bytes();
            out.extend_from_slice(&[tag::LIST_16, hi, lo]);
        }
    }
}

/// BINARY_8 / BINARY_20 / BINARY_32 with the bytes.
fn write_bytes(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let len = u32::try_from(bytes.len()).map_err(|_| EncodeError::TooLong { len: bytes.len() })?;
    let [b0, b1, b2, b3] = len.to_be_bytes();
    if len < 1 << 8 {
        out.extend_from_slice(&[tag::BINARY_8, b3]);
    } else if len < 1 << 20 {
        out.extend_from_slice(&[tag::BINARY_20, b1 & 0x0F, b2, b3]);
    } else {
        out.extend_from_slice(&[tag::BINARY_32, b0, b1, b2, b3]);
    }
    out.extend_from_slice(bytes);
    Ok(())
}

/// How a string may be packed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Packing {
    Nibble,
    Hex,
}

fn packing_for(text: &str) -> Option<Packing> {
    if text.is_empty() || text.len() > tag::PACKED_MAX {
        return None;
    }
    let (mut nibble, mut hex) = (true, true);
    for &b in text.as_bytes() {
        match b {
            b'0'..=b'9' => {}
            b'-' | b'.' => hex = false,
            b'A'..=b'F' => nibble = false,
            _ => return None,
        }
    }
    if nibble {
        Some(Packing::Nibble)
    } else if hex {
        Some(Packing::Hex)
    } else {
        None
    }
}

fn write_string(text: &str, dict: Dictionary, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if text.is_empty() {
        out.extend_from_slice(&[tag::BINARY_8, 0]);
        return Ok(());
    }
    match dict.index_of(text) {
        Some(Token::Single(byte)) => out.push(byte),
        Some(Token::Double { dict, index }) => {
            out.extend_from_slice(&[tag::DICTIONARY_0 + dict, index])
        }
        None => match packing_for(text) {
            Some(packing) => write_packed(text.as_bytes(), packing, out),
            None => return write_bytes(text.as_bytes(), out),
        },
    }
    Ok(())
}

/// Writes a string already checked by [`packing_for`].
fn write_packed(text: &[u8], packing: Packing, out: &mut Vec<u8>) {
    let code = |b: u8| -> u8 {
        match b {
            b'0'..=b'9' => b - b'0',
            b'-' => 10,
            b'.' => 11,
            b'A'..=b'F' => b - b'A' + 10,
            _ => 15,
        }
    };
    let odd = text.len() % 2 == 1;
    let pairs = text.len().div_ceil(2) as u8;
    out.push(match packing {
        Packing::Nibble => tag::NIBBLE_8,
        Packing::Hex => tag::HEX_8,
    });
    out.push(pairs | if odd { 0x80 } else { 0 });
    let mut chunks = text.chunks_exact(2);
    for pair in &mut chunks {
        if let [hi, lo] = pair {
            out.push(code(*hi) << 4 | code(*lo));
        }
    }
    if let [last] = chunks.remainder() {
        out.push(code(*last) << 4 | 15);
    }
}

/// The AD_JID domain byte for a JID, when AD_JID can carry it exactly.
fn ad_domain(jid: &Jid) -> Option<u8> {
    let domain = match jid.server.as_str() {
        DEFAULT_USER_SERVER => match jid.agent {
            // Agents equal to the other domains' bytes would read back as those servers.
            tag::DOMAIN_LID | tag::DOMAIN_HOSTED | tag::DOMAIN_HOSTED_LID => return None,
            agent => agent,
        },
        HIDDEN_USER_SERVER if jid.agent == 0 => tag::DOMAIN_LID,
        HOSTED_SERVER if jid.agent == 0 => tag::DOMAIN_HOSTED,
        HOSTED_LID_SERVER if jid.agent == 0 => tag::DOMAIN_HOSTED_LID,
        _ => return None,
    };
    (jid.integrator == 0 && jid.device <= u16::from(u8::MAX)).then_some(domain)
}

/// JID_PAIR for plain JIDs, AD_JID for devices/agents/hosted servers, FB_JID for `msgr`,
/// INTEROP_JID for `interop`. A JID none of them can carry exactly (e.g. an agent on a LID) is
/// written as its text.
fn write_jid(jid: &Jid, dict: Dictionary, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let plain = jid.device == 0 && jid.agent == 0 && jid.integrator == 0;
    let hosted = jid.server == HOSTED_SERVER || jid.server == HOSTED_LID_SERVER;
    if jid.server == MESSENGER_SERVER && jid.agent == 0 && jid.integrator == 0 {
        write_fb_jid(jid, dict, out)
    } else if jid.server == INTEROP_SERVER && jid.agent == 0 {
        write_interop_jid(jid, dict, out)
    } else if let Some(domain) = ad_domain(jid).filter(|_| !plain || hosted) {
        out.extend_from_slice(&[tag::AD_JID, domain, jid.device as u8]);
        write_string(&jid.user, dict, out)
    } else if plain && !jid.server.is_empty() {
        out.push(tag::JID_PAIR);
        if jid.user.is_empty() {
            out.push(tag::LIST_EMPTY);
        } else {
            write_string(&jid.user, dict, out)?;
        }
        write_string(&jid.server, dict, out)
    } else if jid.agent == 0 && jid.integrator != 0 {
        write_interop_jid(jid, dict, out)
    } else if jid.agent == 0 {
        write_fb_jid(jid, dict, out)
    } else {
        write_string(&jid.to_string(), dict, out)
    }
}

fn write_fb_jid(jid: &Jid, dict: Dictionary, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    out.push(tag::FB_JID);
    write_string(&jid.user, dict, out)?;
    out.extend_from_slice(&jid.device.to_be_bytes());
    write_string(&jid.server, dict, out)
}

fn write_interop_jid(jid: &Jid, dict: Dictionary, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    out.push(tag::INTEROP_JID);
    write_string(&jid.user, dict, out)?;
    out.extend_from_slice(&jid.device.to_be_bytes());
    out.extend_from_slice(&jid.integrator.to_be_bytes());
    write_string(&jid.server, dict, out)
}
