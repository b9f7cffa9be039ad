//! The store's operations, one module per table family, all as methods of [`crate::StoreTx`].

mod consumers;
mod device;
mod events;
mod kv;
mod mappings;
mod messages;
mod sessions;
mod signal;

pub use signal::MAX_PREKEY_ID;
