//! `openwa-swift`: the UniFFI library behind the `OpenWA` Swift package.
//!
//! Thin delegates over the `openwa` engine, declared with UniFFI proc-macros (no UDL): the
//! objects [`SessionManager`], [`Session`] and [`EventStream`] with async methods, one error
//! enum with a case per engine error code ([`OpenWaError`]), and the engine's own plain types
//! (events, messages, options, group types), which derive their UniFFI traits in the engine
//! behind its `uniffi` feature. The engine runs its own tokio runtime and every public call hops
//! onto it, so the foreign executor (Swift's, or Python's asyncio in the CI proof) only polls.
//!
//! Swift sources, headers and the modulemap are generated from the built library by
//! `uniffi-bindgen-swift` (tools/uniffi-bindgen) and committed (bindings-swift/Sources,
//! bindings-swift/Headers); `bindings-swift/scripts/check-generated.sh` fails on drift.

mod app_state;
mod error;
mod manager;
mod session;
mod stream;

pub use error::OpenWaError;
pub use manager::SessionManager;
pub use session::Session;
pub use stream::EventStream;

uniffi::setup_scaffolding!();

/// The engine's default manager configuration (real WhatsApp, in-memory store): change the
/// fields you need and pass it to `SessionManager.open`.
#[uniffi::export]
pub fn default_manager_config() -> openwa::ManagerConfig {
    openwa::ManagerConfig::default()
}

/// The engine's default session options (real WhatsApp's server and trust root).
#[uniffi::export]
pub fn default_session_options() -> openwa::SessionOptions {
    openwa::SessionOptions::default()
}

/// The `store` of a manager configuration for one SQLite file, its secrets encrypted with the
/// key in `key_file` (default: `<path>.key`, created with mode 0600 if missing). The Python and
/// Node packages have the same helper: a candidate for the engine (`StoreConfig::sqlite`).
#[uniffi::export(default(key_file = None))]
pub fn sqlite_store(path: String, key_file: Option<String>) -> openwa::StoreConfig {
    let key = key_file.unwrap_or_else(|| format!("{path}.key"));
    openwa::StoreConfig {
        backend: openwa::StoreBackend::Sqlite { path: path.into() },
        at_rest_key: Some(openwa::AtRestKey::File { path: key.into() }),
    }
}

/// The canonical JID of a chat id (`15551234567` → `15551234567@s.whatsapp.net`); a bad id is
/// `InvalidArgument`.
#[uniffi::export]
pub fn normalize_chat_id(chat: String) -> Result<String, OpenWaError> {
    Ok(openwa::normalize_chat_id(&chat)?)
}

/// What kind of chat an id names (user, group, lid, newsletter, status).
#[uniffi::export]
pub fn chat_kind_of(chat: String) -> Result<openwa::ChatKind, OpenWaError> {
    Ok(openwa::chat_kind_of(&chat)?)
}

/// The engine's name of an event kind (`message_received`, `qr`…), as in the JSON of the
/// server and the other bindings.
#[uniffi::export]
pub fn event_name(kind: &openwa::EventKind) -> String {
    kind.name().to_owned()
}

/// A QR code as text for a terminal (two rows per line of block characters).
#[uniffi::export]
pub fn qr_terminal(code: String) -> Result<String, OpenWaError> {
    Ok(openwa::qr_terminal(&code)?)
}

/// The version of this library.
#[uniffi::export]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
