//! Typed stanza builders and parsers: pure request/response specs, no I/O (docs/PROTOCOL.md, Pairing
//! onwards).
//!
//! Every stanza is a Rust value with `to_node` and `from_node` (`TryFrom<&Node>` for the
//! top-level ones); every IQ exchange is an [`IqSpec`] giving both directions: the client builds
//! the request and parses the response, the server parses the request and builds the response.
//! Parsers are liberal (Compatibility rules item 9): attribute order is irrelevant, JIDs may arrive as strings,
//! text content as bytes or strings, and optional attributes may be absent. Builders are strict:
//! JID-valued attributes are [`AttrValue::Jid`](crate::AttrValue::Jid) and byte content is
//! [`Content::Bytes`](crate::Content::Bytes) (Compatibility rules items 1–2). Ids and timestamps are always
//! parameters: nothing here reads a clock or an RNG.
//!
//! Modules, by concern:
//! - [`iq`] — the `<iq>` envelope, [`IqSpec`], [`IqError`];
//! - [`connection`] — `<success>`, `<failure>`, `<stream:error>`, `<xmlstreamend/>`, `<ib>`,
//!   passive/active;
//! - [`pairing`] — `pair-device`, `pair-success`, `pair-device-sign`, link-code stages, logout;
//! - [`keepalive`] — ping;
//! - [`prekeys`] — `encrypt` IQs: upload, count, bundle fetch, digest, rotate;
//! - [`usync`] — device lists, LIDs, contact lookups;
//! - [`message`] — outgoing and delivered `<message>`, `<enc>`;
//! - [`receipt`] — `<receipt>` of every type, retry receipts;
//! - [`ack`] — `<ack>` both ways;
//! - [`addressing`] — [`Peer`] (to/from) and [`AddressingMode`];
//! - [`group`] — `w:g2` IQs and the `<group>` metadata node;
//! - [`notification`] — `w:gp2`, `devices`, `encrypt`, `link_code_companion_reg` pushes;
//! - [`media_conn`] — media upload credentials;
//! - [`presence`], [`chatstate`] — availability and typing;
//! - [`account`] — post-login queries: A/B props, privacy settings, block list;
//! - [`app_state`] — app-state sync requests and (empty) answers;
//! - [`newsletter`] — `w:mex` newsletter queries, live updates, history and plaintext posts.

pub mod account;
pub mod ack;
pub mod addressing;
pub mod app_state;
pub mod chatstate;
pub mod connection;
mod error;
pub mod group;
pub mod iq;
pub mod keepalive;
pub mod media_conn;
pub mod media_retry;
pub mod message;
pub mod newsletter;
pub mod notification;
pub mod pairing;
pub mod prekeys;
pub mod presence;
mod read;
pub mod receipt;
#[cfg(test)]
mod robustness_tests;
pub mod usync;
#[cfg(test)]
mod wire_tests;

pub use account::{AbProp, AbProps, GetAbProps, GetBlocklist, GetPrivacySettings, PrivacySetting};
pub use ack::{Ack, AckClass};
pub use addressing::{AddressingMode, Peer};
pub use app_state::{CollectionPatches, CollectionRequest, SyncAppState};
pub use chatstate::{ChatState, ChatStateKind};
pub use connection::{Failure, Ib, SetPassive, StreamEnd, StreamError, Success};
pub use error::StanzaError;
pub use group::{GroupInfo, GroupParticipant, ParticipantRole};
pub use iq::{IqError, IqHeader, IqSpec, IqType, Origin};
pub use keepalive::Ping;
pub use media_conn::{MediaConn, MediaConnRequest, MediaHost};
pub use message::{
    DeviceEnc, Enc, EncKind, IncomingMessage, MessageType, OutgoingMessage, participant_hash,
};
pub use newsletter::{FetchPosts, LiveUpdates, MexQuery, OutgoingPost, Post, PostBody};
pub use notification::{
    DeviceChange, DevicesNotification, GroupChange, GroupNotification, MembershipChange,
    Notification, NotificationBody, NotifiedDevice,
};
pub use pairing::{
    LinkCodeCompanionFinish, LinkCodeCompanionHello, LinkCodePrimaryHello, PairDevice,
    PairDeviceSign, PairSuccess, RemoveCompanionDevice,
};
pub use prekeys::{
    FetchPreKeys, GetKeyDigest, KeyDigest, KeyRequest, PreKey, PreKeyBundle, PreKeyCount,
    RotateSignedPreKey, SignedPreKey, UploadPreKeys, UserPreKeys,
};
pub use presence::{LastSeen, Presence};
pub use receipt::{Receipt, ReceiptType, RetryKeys, RetryRequest};
pub use usync::{
    ContactResult, DeviceEntry, DeviceList, KeyIndexList, UsyncContext, UsyncMode, UsyncProtocols,
    UsyncQuery, UsyncUser, UsyncUserResult,
};

#[cfg(test)]
pub(crate) mod testing {
    use std::fmt::Debug;

    use super::*;
    use crate::node::Node;

    /// Checks both directions of an IQ exchange: the request survives build → parse, the response
    /// survives build → parse with the id echoed, and an error answer becomes
    /// [`StanzaError::Iq`].
    pub(crate) fn assert_iq_round_trip<S>(spec: &S, response: &S::Response)
    where
        S: IqSpec + PartialEq + Debug,
        S::Response: PartialEq + Debug,
    {
        let request = spec.request_with_id("req-1");
        assert!(request.get_attr("id").is_some());
        assert!(spec.request().get_attr("id").is_none());
        let (header, parsed) = S::parse_request(&request).expect("request parses");
        assert_eq!(&parsed, spec, "request round trip");
        assert_eq!(header.id, "req-1");
        assert_eq!(header.origin, S::ORIGIN);
        let reply = S::response(&header, response);
        assert_eq!(reply.attr_str("id").as_deref(), Some("req-1"));
        assert_eq!(reply.attr_str("type").as_deref(), Some("result"));
        let peer = reply.get_attr(S::ORIGIN.response_peer_attr());
        assert!(matches!(peer, Some(crate::AttrValue::Jid(_))));
        assert_eq!(
            &S::parse_response(&reply).expect("response parses"),
            response
        );
        let error = header.error(&IqError::not_found());
        assert_eq!(
            S::parse_response(&error),
            Err(StanzaError::Iq(IqError::not_found()))
        );
        assert!(matches!(
            S::parse_response(&Node::new("message")),
            Err(StanzaError::UnexpectedTag { .. })
        ));
        assert!(S::parse_request(&Node::new("iq")).is_err());
    }
}
