//! Binary node codec ("WABinary", docs/PROTOCOL.md, Binary nodes): token tables, encoder, decoder.
//!
//! ```
//! use openwa_protocol::{Jid, Node, binary};
//!
//! let ping = Node::new("iq")
//!     .attr("id", "1")
//!     .attr("to", Jid::server())
//!     .attr("type", "get")
//!     .attr("xmlns", "w:p")
//!     .child(Node::new("ping"));
//! let bytes = binary::encode(&ping)?;
//! assert_eq!(bytes[..4], [0x00, 0xF8, 0x0A, 0x19]);
//! assert_eq!(binary::decode(&bytes)?, ping);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod decode;
mod encode;
mod tag;
pub mod token;
mod tokens;
mod tokens_v2;
mod view;

pub use decode::{
    DecodeError, MAX_DEPTH, MAX_INFLATED_LEN, MAX_VIEW_LEN, decode, decode_with, inflate,
};
pub use encode::{EncodeError, encode, encode_into, encode_into_with, encode_with};
pub use token::Dictionary;
pub use view::{
    AttrRef, Attrs, Children, DecodedRef, Decoder, NodeRef, decode_ref, decode_ref_with,
};

pub use crate::jid::JidRef;

#[cfg(test)]
mod tests;
