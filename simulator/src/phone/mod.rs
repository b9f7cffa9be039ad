//! The simulated phones: device 0 of every account, a full Signal participant run by the
//! simulator. It publishes its prekeys like any device ([`crate::state::PhoneKeys`]), keeps
//! sessions and sender keys ([`store`]), decrypts what is routed to it into a timeline
//! ([`receive`], [`timeline`]), answers with delivery or retry receipts, notes the receipts for
//! what it sent and answers retry requests ([`receipts`]), sends text, media and reactions to
//! users and groups on request of the admin API ([`send`], [`read`]), and gives the companions
//! it links its app-state sync key ([`welcome`]); it keeps the account's app state and serves
//! it to companions ([`app_state`]).

pub mod app_state;
pub mod content;
pub mod details;
pub mod handler;
pub mod history;
pub mod history_sync;
pub mod media_retry;
pub mod polls;
pub mod read;
pub mod receipts;
pub mod receive;
pub mod records;
pub mod send;
pub mod store;
pub mod timeline;
pub mod welcome;

use openwa_protocol::Jid;
use openwa_protocol::jid::DEFAULT_USER_SERVER;
use openwa_protocol::message::PaddingError;
use openwa_protocol::signal::{ProtocolAddress, SignalError};

use crate::device::DeviceRef;
use crate::state::{State, StateError};

pub use content::{MediaRef, ReactionRef};
pub use records::PhoneSignal;
pub use send::{Body, MEDIA_KINDS, MediaBody, Sent};
pub use store::PhoneStore;
pub use timeline::{Timeline, TimelineEntry};

/// Why a phone operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PhoneError {
    /// No such account or group.
    #[error(transparent)]
    State(#[from] StateError),
    /// The recipient is not an account of this simulator.
    #[error("unknown recipient {0:?}: not an account or group of this simulator")]
    UnknownRecipient(String),
    /// The request makes no sense (empty content, not a member, …).
    #[error("{0}")]
    BadRequest(String),
    /// No message with that id on the phone's timeline (or it has no media).
    #[error("{0}")]
    NotFound(String),
    /// Encryption or decryption failed.
    #[error("signal: {0}")]
    Signal(#[from] SignalError),
    /// The decrypted plaintext is not padded correctly.
    #[error("bad padding: {0}")]
    Padding(#[from] PaddingError),
    /// The decrypted plaintext is not a `Message` protobuf.
    #[error("bad message protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// Media could not be stored or decrypted.
    #[error("media: {0}")]
    Media(String),
}

/// The phone of `phone` as a sending device (device 0).
pub fn phone_ref(state: &State, phone: &str) -> Result<DeviceRef, StateError> {
    let account = state.account(phone)?;
    Ok(DeviceRef {
        phone: account.phone.clone(),
        device: 0,
        lid: account.lid.clone(),
        push_name: Some(account.name.clone()),
    })
}

/// The phone's Signal address for a peer device: always the peer's phone number (PN form),
/// whichever namespace (PN or LID) the peer's JID is in, so one session serves both.
pub fn peer_address(peer_phone: &str, device: u16) -> ProtocolAddress {
    ProtocolAddress::new(peer_phone, u32::from(device))
}

/// `PHONE:DEVICE@s.whatsapp.net`.
pub fn pn_device(phone: &str, device: u16) -> Jid {
    Jid::with_device(phone, DEFAULT_USER_SERVER, device)
}
