//! `openwa`: the OpenWA engine.
//!
//! One [`SessionManager`] per process runs many WhatsApp multi-device sessions on one tokio
//! runtime, one store and one event log. The public API is shaped for foreign-function bindings:
//! owned `Clone + Send + Sync` types, `Arc` handles, async methods returning
//! `Result<_, `[`Error`]`>`, no generics or lifetimes.

#![warn(missing_docs, unreachable_pub)]

mod app_state;
mod app_state_types;
mod bus;
mod changed;
mod chats;
mod config;
mod connection;
mod contacts;
mod content;
mod context;
mod credentials;
mod error;
mod event;
mod fault;
mod features;
#[cfg(feature = "uniffi")]
mod ffi;
mod group_types;
mod groups;
mod history;
mod history_types;
mod ids;
mod lifecycle;
mod manager;
mod media;
mod messaging;
mod persist;
mod prekeys;
mod presence;
#[cfg(feature = "qr")]
mod qr;
mod receive;
mod runtime;
mod session;
mod signal_store;
mod tasks;
mod transport;

pub use app_state_types::{ChatSetting, Label, StarredMessage};
pub use bus::{EventStream, MAX_REPLAY_PAGE};
pub use chats::{Chat, Contact, MAX_LIST_PAGE};
pub use config::{
    AtRestKey, BrowserInfo, DEFAULT_MAX_MEDIA_BYTES, DEFAULT_SERVER_URL, MAX_PACING_MS,
    ManagerConfig, ProxyConfig, ProxyKind, ReconnectPolicy, SendPacing, SessionOptions,
    StoreBackend, StoreConfig, WHATSAPP_TRUST_ROOT,
};
pub use contacts::{MAX_NUMBERS_PER_CHECK, NumberStatus};
pub use error::{Error, ErrorCode};
pub use event::{
    ChatState, ConnectionState, ContactCard, Event, EventKind, Location, Message, MessageContent,
    MessageStatus, MessageType, QuotedMessage, ReceiptKind, StateReason,
};
pub use groups::{
    AddressingMode, GroupChange, GroupInfo, GroupJoin, GroupJoinRequest, GroupParticipant,
    GroupSetting, GroupSettings, MAX_GROUP_DESCRIPTION_CHARS, MAX_GROUP_SUBJECT_CHARS,
    MemberAddMode, MembershipChange, ParticipantAction, ParticipantRole, ParticipantUpdate,
};
pub use history_types::{HistoryPolicy, HistorySyncType};
pub use ids::{ChatKind, chat_kind_of, normalize_chat_id, parse_phone_number};
pub use manager::{MAX_SESSION_ID_LEN, SessionManager};
pub use media::{MediaFile, MediaKind, MediaSource, OutgoingMedia};
pub use messaging::MessagePage;
pub use messaging::compose::{MAX_CONTACT_CARDS, MAX_VCARD_LEN};
pub use messaging::polls::{PollOptionVotes, PollResults};
pub use messaging::send::{MAX_IDEMPOTENCY_KEY_LEN, SendOptions};
#[cfg(feature = "qr")]
pub use qr::{qr_png, qr_terminal};
pub use session::{Session, SessionInfo};

// UniFFI scaffolding of the plain API types (the `uniffi` feature): the derives on those types
// need the crate's `UniFfiTag`, which this macro defines at the crate root.
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

#[cfg(test)]
mod e2e_tests;
#[cfg(test)]
mod testing;
