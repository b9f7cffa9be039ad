//! The store's operations, one module per table family, all as methods of [`crate::StoreTx`].

mod app_state;
mod chats;
mod consumers;
mod device;
mod events;
mod groups;
mod history;
mod kv;
mod labels;
mod mappings;
mod messages;
mod polls;
mod send_keys;
mod send_queue;
mod sessions;
mod signal;

pub use send_keys::{MAX_SEND_KEY_LEN, SEND_KEY_TTL_MS};
pub use signal::MAX_PREKEY_ID;
