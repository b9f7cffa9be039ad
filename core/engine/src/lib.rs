//! `openwa`: the OpenWA engine.
//!
//! One [`SessionManager`] per process runs many WhatsApp multi-device sessions on one tokio
//! runtime, one store and one event log. The public API is shaped for foreign-function bindings:
//! owned `Clone + Send + Sync` types, `Arc` handles, async methods returning
//! `Result<_, `[`Error`]`>`, no generics or lifetimes.

pub mod bus;
pub mod config;
pub(crate) mod connection;
pub(crate) mod context;
pub(crate) mod credentials;
pub mod error;
pub mod event;
pub(crate) mod fault;
pub(crate) mod features;
pub mod ids;
pub mod manager;
pub(crate) mod messaging;
pub(crate) mod persist;
pub(crate) mod prekeys;
#[cfg(feature = "qr")]
pub mod qr;
pub(crate) mod receive;
pub(crate) mod session;
// Used by the send and receive pipelines, which land next.
#[allow(dead_code)]
pub(crate) mod signal_store;
pub(crate) mod tasks;
pub mod transport;

pub use bus::EventStream;
pub use config::{
    AtRestKey, BrowserInfo, DEFAULT_SERVER_URL, ManagerConfig, ProxyConfig, ProxyKind,
    SessionOptions, StoreBackend, StoreConfig, WHATSAPP_TRUST_ROOT,
};
pub use error::{Error, ErrorCode};
pub use event::{
    ConnectionState, Event, EventKind, Message, MessageStatus, ReceiptKind, StateReason,
};
pub use ids::{ChatKind, parse_chat_id, parse_phone_number};
pub use manager::SessionManager;
pub use messaging::MessagePage;
pub use messaging::send::SendOptions;
#[cfg(feature = "qr")]
pub use qr::{qr_png, qr_terminal};
pub use session::{Session, SessionInfo};

#[cfg(test)]
mod e2e_tests;
/// The store's two-backend test harness (fresh SQLite file / PostgreSQL database per test).
#[cfg(test)]
#[path = "../../store/tests/common/mod.rs"]
mod store_testdb;
#[cfg(test)]
mod testing;
