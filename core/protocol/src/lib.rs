//! `openwa-protocol`: the sans-io core of OpenWA.
//!
//! Everything the engine and the simulator put on the wire goes through this crate: binary nodes,
//! JIDs, the Noise XX handshake and transport, protobuf types, the Signal protocol, pairing and
//! media crypto, and stanza builders/parsers. It does no I/O, reads no clock and owns no RNG:
//! time and randomness are passed in by the caller.

pub mod actions;
pub mod appstate;
pub mod binary;
pub mod content;
pub mod crypto;
pub mod history;
pub mod jid;
pub mod media;
pub mod media_retry;
pub mod message;
pub mod node;
pub mod noise;
pub mod pairing;
pub mod payload;
pub mod poll;
pub mod proto;
pub mod signal;
pub mod stanza;

pub use compact_str::CompactString;
pub use jid::{Jid, JidError, JidRef};
pub use node::{AttrValue, Content, Node};
