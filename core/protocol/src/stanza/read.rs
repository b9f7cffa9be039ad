//! Liberal readers used by every parser (docs/PROTOCOL.md, Compatibility rules item 9): attributes may be strings or
//! JIDs, text content may be bytes or a string, and a missing or bad item is a typed error.

use std::str::FromStr;

use super::error::StanzaError;
use crate::jid::Jid;
use crate::node::Node;

/// Checked accessors on [`Node`] returning [`StanzaError`]s.
pub(crate) trait NodeRead {
    /// The node itself if its tag is `tag`.
    fn expect_tag(&self, tag: &'static str) -> Result<&Node, StanzaError>;
    /// A required attribute, as text (a JID value is formatted).
    fn text_attr(&self, attr: &'static str) -> Result<String, StanzaError>;
    /// A required JID attribute (a JID value, or a string that parses as one).
    fn jid_attr(&self, attr: &'static str) -> Result<Jid, StanzaError>;
    /// An optional JID attribute; present but unparseable is an error.
    fn opt_jid_attr(&self, attr: &'static str) -> Result<Option<Jid>, StanzaError>;
    /// A required numeric attribute.
    fn num_attr<T: FromStr>(&self, attr: &'static str) -> Result<T, StanzaError>;
    /// An optional numeric attribute; present but unparseable is an error.
    fn opt_num_attr<T: FromStr>(&self, attr: &'static str) -> Result<Option<T>, StanzaError>;
    /// An optional boolean attribute (`"true"`/`"false"`, also `"1"`/`"0"`).
    fn opt_bool_attr(&self, attr: &'static str) -> Result<Option<bool>, StanzaError>;
    /// A required child.
    fn req_child(&self, tag: &'static str) -> Result<&Node, StanzaError>;
    /// The content as bytes (bytes, or a string's UTF-8); absent content is an error.
    fn req_bytes(&self) -> Result<Vec<u8>, StanzaError>;
    /// The content as text (a string, or UTF-8 bytes); absent content is an error.
    fn req_text(&self) -> Result<String, StanzaError>;
    /// The content as exactly `N` bytes.
    fn fixed_bytes<const N: usize>(&self) -> Result<[u8; N], StanzaError>;
    /// The content as a big-endian unsigned integer of exactly `width` bytes (at most 4).
    fn be_uint(&self, width: usize) -> Result<u32, StanzaError>;
    /// The bytes of a required child.
    fn child_bytes(&self, tag: &'static str) -> Result<Vec<u8>, StanzaError>;
    /// The bytes of an optional child (present without content is an error).
    fn opt_child_bytes(&self, tag: &'static str) -> Result<Option<Vec<u8>>, StanzaError>;
}

impl NodeRead for Node {
    fn expect_tag(&self, tag: &'static str) -> Result<&Node, StanzaError> {
        if self.tag == tag {
            Ok(self)
        } else {
            Err(StanzaError::UnexpectedTag {
                expected: tag,
                found: self.tag.to_string(),
            })
        }
    }

    fn text_attr(&self, attr: &'static str) -> Result<String, StanzaError> {
        self.attr_str(attr).ok_or_else(|| missing_attr(self, attr))
    }

    fn jid_attr(&self, attr: &'static str) -> Result<Jid, StanzaError> {
        self.opt_jid_attr(attr)?
            .ok_or_else(|| missing_attr(self, attr))
    }

    fn opt_jid_attr(&self, attr: &'static str) -> Result<Option<Jid>, StanzaError> {
        match self.get_attr(attr) {
            None => Ok(None),
            Some(value) => value
                .to_jid()
                .map(Some)
                .ok_or_else(|| bad_attr(self, attr, value.to_text())),
        }
    }

    fn num_attr<T: FromStr>(&self, attr: &'static str) -> Result<T, StanzaError> {
        self.opt_num_attr(attr)?
            .ok_or_else(|| missing_attr(self, attr))
    }

    fn opt_num_attr<T: FromStr>(&self, attr: &'static str) -> Result<Option<T>, StanzaError> {
        match self.attr_str(attr) {
            None => Ok(None),
            Some(text) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| bad_attr(self, attr, text)),
        }
    }

    fn opt_bool_attr(&self, attr: &'static str) -> Result<Option<bool>, StanzaError> {
        match self.attr_str(attr).as_deref() {
            None => Ok(None),
            Some("true" | "1") => Ok(Some(true)),
            Some("false" | "0") => Ok(Some(false)),
            Some(other) => Err(bad_attr(self, attr, other.to_owned())),
        }
    }

    fn req_child(&self, tag: &'static str) -> Result<&Node, StanzaError> {
        self.get_child(tag)
            .ok_or_else(|| StanzaError::MissingChild {
                tag: self.tag.to_string(),
                child: tag,
            })
    }

    fn req_bytes(&self) -> Result<Vec<u8>, StanzaError> {
        self.content_bytes()
            .map(<[u8]>::to_vec)
            .ok_or_else(|| bad_content(self, "expected bytes or text"))
    }

    fn req_text(&self) -> Result<String, StanzaError> {
        self.content_str()
            .map(str::to_owned)
            .ok_or_else(|| bad_content(self, "expected UTF-8 text"))
    }

    fn fixed_bytes<const N: usize>(&self) -> Result<[u8; N], StanzaError> {
        let bytes = self.req_bytes()?;
        let len = bytes.len();
        bytes
            .try_into()
            .map_err(|_| bad_content(self, format!("expected {N} bytes, found {len}")))
    }

    fn be_uint(&self, width: usize) -> Result<u32, StanzaError> {
        let bytes = self.req_bytes()?;
        if bytes.len() != width || width > 4 {
            return Err(bad_content(
                self,
                format!(
                    "expected a {width}-byte integer, found {} bytes",
                    bytes.len()
                ),
            ));
        }
        Ok(bytes
            .iter()
            .fold(0u32, |acc, byte| (acc << 8) | u32::from(*byte)))
    }

    fn child_bytes(&self, tag: &'static str) -> Result<Vec<u8>, StanzaError> {
        self.req_child(tag)?.req_bytes()
    }

    fn opt_child_bytes(&self, tag: &'static str) -> Result<Option<Vec<u8>>, StanzaError> {
        self.get_child(tag).map(NodeRead::req_bytes).transpose()
    }
}

/// The error for an absent attribute.
pub(crate) fn missing_attr(node: &Node, attr: &'static str) -> StanzaError {
    StanzaError::MissingAttr {
        tag: node.tag.to_string(),
        attr,
    }
}

/// The error for an unacceptable attribute value.
pub(crate) fn bad_attr(node: &Node, attr: &'static str, value: impl Into<String>) -> StanzaError {
    StanzaError::BadAttr {
        tag: node.tag.to_string(),
        attr,
        value: value.into(),
    }
}

/// The error for unacceptable content.
pub(crate) fn bad_content(node: &Node, reason: impl Into<String>) -> StanzaError {
    StanzaError::BadContent {
        tag: node.tag.to_string(),
        reason: reason.into(),
    }
}

/// `value` as `width` big-endian bytes (the low bytes; registration ids are 4, prekey ids 3).
pub(crate) fn be_bytes(value: u32, width: usize) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    bytes
        .get(bytes.len().saturating_sub(width)..)
        .unwrap_or(&bytes)
        .to_vec()
}

/// A node whose content is raw bytes (BINARY_n on the wire, docs/PROTOCOL.md, Compatibility rules item 2).
pub(crate) fn bytes_node(tag: &str, bytes: impl Into<Vec<u8>>) -> Node {
    Node::new(tag).bytes(bytes)
}

/// `"true"` or `"false"`.
pub(crate) fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// Declares a string-valued enum with a fallback `Other` variant, so parsers stay liberal about
/// values this crate does not know yet.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this crate does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Other(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $( $text => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

/// Implements `TryFrom<&Node>` and `From<&T> for Node` via a type's `from_node` / `to_node`.
macro_rules! node_conversions {
    ($($ty:ty),* $(,)?) => {
        $(
            impl TryFrom<&crate::node::Node> for $ty {
                type Error = crate::stanza::StanzaError;

                fn try_from(node: &crate::node::Node) -> Result<Self, Self::Error> {
                    Self::from_node(node)
                }
            }

            impl From<&$ty> for crate::node::Node {
                fn from(value: &$ty) -> Self {
                    value.to_node()
                }
            }
        )*
    };
}
pub(crate) use node_conversions;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_are_liberal_and_typed() {
        let node = Node::new("user")
            .attr("jid", "15551234567:2@s.whatsapp.net")
            .attr("n", " 7")
            .attr("flag", "1")
            .text("abc");
        assert_eq!(
            node.jid_attr("jid").unwrap(),
            Jid::with_device("15551234567", "s.whatsapp.net", 2)
        );
        assert_eq!(node.num_attr::<u32>("n").unwrap(), 7);
        assert_eq!(node.opt_bool_attr("flag").unwrap(), Some(true));
        assert_eq!(node.req_bytes().unwrap(), b"abc");
        assert_eq!(node.be_uint(3).unwrap(), 0x61_62_63);
        assert_eq!(
            node.num_attr::<u32>("missing"),
            Err(StanzaError::MissingAttr {
                tag: "user".into(),
                attr: "missing"
            })
        );
        assert!(matches!(
            node.fixed_bytes::<4>(),
            Err(StanzaError::BadContent { .. })
        ));
        assert!(matches!(
            node.be_uint(2),
            Err(StanzaError::BadContent { .. })
        ));
        assert!(matches!(
            Node::new("x").attr("jid", "a@b@c").jid_attr("jid"),
            Err(StanzaError::BadAttr { attr: "jid", .. })
        ));
        assert!(matches!(
            Node::new("x").attr("n", "x1").num_attr::<u8>("n"),
            Err(StanzaError::BadAttr { attr: "n", .. })
        ));
    }

    #[test]
    fn big_endian_widths() {
        assert_eq!(be_bytes(0x0102_0304, 4), [1, 2, 3, 4]);
        assert_eq!(be_bytes(0x0001_0203, 3), [1, 2, 3]);
        let node = bytes_node("id", be_bytes(0x00AB_CDEF, 3));
        assert_eq!(node.be_uint(3).unwrap(), 0x00AB_CDEF);
    }
}
