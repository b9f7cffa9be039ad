//! `openwa-store`: the persistent state of every OpenWA session, in one database.
//!
//! - Backends: SQLite (embedded default, WAL, one writer + pooled readers), memory (the same
//!   SQLite code on a database in process memory, gone when the store closes) and PostgreSQL
//!   (the `postgres` feature, on by default), behind one API ([`Store`], [`StoreTx`]) and one
//!   set of migrations.
//! - Data, scoped by session id: device credentials, Signal state (identities, prekeys, signed
//!   prekeys, sessions, sender keys) as opaque records, PN↔LID mappings, device-list cache,
//!   messages with status and per-chat pagination (an outgoing message's payload is what a
//!   retry re-encrypts), idempotency keys of sends, a per-session key/value table; plus the
//!   global event log with a strictly increasing `seq` and a payload format version per event,
//!   and durable named consumers of that log (a position that only moves forward).
//! - Session handles: [`Store::session`] gives a [`SessionStore`] whose methods need no session
//!   id; [`SessionTx`] is the same for a transaction.
//! - Features: `postgres` (default) builds the PostgreSQL backend; `testing` builds
//!   the `testing` module, the fixtures of the store's test suite.
//! - Encryption at rest: every secret is AES-256-GCM encrypted under a configured key (or a key
//!   file created 0600), bound to its table, session and key. A wrong key is
//!   [`StoreError::WrongKey`] at [`Store::open`].
//! - Atomicity: [`StoreTx`] (or [`Store::commit_incoming`]) commits a message together with the
//!   Signal state change it caused, so the engine can persist first and acknowledge after.
//! - Group commit: [`Store::write`] queues a unit of work for the store's one writer task, which
//!   commits the units queued by every session together (a failing unit is rolled back alone),
//!   so one commit serves many messages.

mod backend;
mod crypto;
mod error;
mod exclusive;
mod lite;
mod migrate;
mod ops;
#[cfg(feature = "postgres")]
mod pg;
mod session;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod tx;
mod types;
mod writer;

pub use backend::{Database, Dialect};
pub use crypto::StoreKey;
pub use error::{BackendError, StoreError};
pub use exclusive::ExclusiveLock;
pub use migrate::SCHEMA_VERSION;
pub use ops::{MAX_PREKEY_ID, MAX_SEND_KEY_LEN, SEND_KEY_TTL_MS};
pub use session::{SessionStore, SessionTx};
pub use store::{IncomingOutcome, KeySource, SenderKeyChange, SignalChanges, Store, StoreConfig};
pub use tx::StoreTx;
pub use types::{
    AppStateKeyRecord, AppStateVersion, ChatFlag, ChatRecord, ContactRecord, DeviceCredentials,
    DeviceList, EventRecord, IdentityRecord, InsertOutcome, KeyPair, LabelAssociationRecord,
    LabelRecord, MessageCursor, MessagePage, MessageRecord, MessageStatus, PageDirection,
    PendingHistory, PollVoteRecord, QueuedSend, SendKeyClaim, SessionRecord, SignedPreKey,
    StarredRecord, StoredPreKey, TrustLevel,
};
pub use writer::WriteFuture;

/// Wall-clock time in Unix milliseconds (0 if the clock is before 1970).
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
