//! [`Store`]: the handle the engine holds, shared by every session of one manager.

use std::path::PathBuf;
use std::sync::Arc;

use crate::backend::{Database, Dialect, Pools, args};
use crate::crypto::{Cipher, Slot, StoreKey};
use crate::tx::{SeqCounter, StoreTx};
use crate::writer::{WriteFuture, Writer};
use crate::{
    AppStateKeyRecord, AppStateVersion, ChatFlag, ChatRecord, ContactRecord, DeviceCredentials,
    DeviceList, EventRecord, IdentityRecord, InsertOutcome, LabelAssociationRecord, LabelRecord,
    MessagePage, MessageRecord, MessageStatus, PageDirection, PendingHistory, PollVoteRecord,
    QueuedSend, SendKeyClaim, SessionRecord, StarredRecord, StoreError, StoredPreKey, migrate,
};

/// Where the encryption key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// A key given by configuration.
    Key(StoreKey),
    /// A key file holding 64 hex digits; created with a fresh key and 0600 permissions if missing.
    File(PathBuf),
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// The database.
    pub database: Database,
    /// The encryption-at-rest key.
    pub key: KeySource,
    /// Pool size (PostgreSQL connections, or SQLite reader connections; SQLite has one writer).
    pub max_connections: u32,
}

impl StoreConfig {
    /// A configuration with the default pool size (8).
    pub fn new(database: Database, key: KeySource) -> Self {
        StoreConfig {
            database,
            key,
            max_connections: 8,
        }
    }
}

/// Plaintext of the key-check value stored at creation; decrypting it proves the key is right.
const KEY_CHECK: &[u8] = b"openwa-store key check v1";
const KEY_CHECK_SLOT: Slot<'static> = Slot {
    table: "store_meta",
    session: "",
    key: "key_check",
};

/// Signal state changes caused by decrypting one message, committed with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignalChanges {
    /// `(address, record)` of Signal sessions created or advanced.
    pub sessions: Vec<(String, Vec<u8>)>,
    /// Sender keys created or advanced.
    pub sender_keys: Vec<SenderKeyChange>,
    /// `(address, identity)` of remote identities learned or changed.
    pub identities: Vec<(String, IdentityRecord)>,
    /// One-time prekeys consumed (to delete).
    pub consumed_prekeys: Vec<u32>,
}

/// One sender-key record to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderKeyChange {
    /// Group JID.
    pub group_id: String,
    /// Sender's Signal address.
    pub sender: String,
    /// Opaque serialized record.
    pub record: Vec<u8>,
}

/// What [`Store::commit_incoming`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncomingOutcome {
    /// Whether the message was new or a redelivery.
    pub message: InsertOutcome,
    /// Seq of the appended event (`None` for a duplicate or when no event was given).
    pub event_seq: Option<u64>,
}

/// The persistent store: one database shared by every session, cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pools: Pools,
    cipher: Arc<Cipher>,
    writer: Writer,
}

impl Store {
    /// Opens (creating if needed) the database, applies migrations and checks the key.
    /// A key that does not open an existing database is [`StoreError::WrongKey`].
    pub async fn open(config: StoreConfig) -> Result<Store, StoreError> {
        let key = match &config.key {
            KeySource::Key(key) => key.clone(),
            KeySource::File(path) => StoreKey::load_or_create_file(path)?,
        };
        let cipher = Arc::new(Cipher::new(&key));
        let pools = Pools::connect(&config.database, config.max_connections).await?;
        let writer = Writer::spawn(pools.clone(), Arc::clone(&cipher))?;
        let store = Store {
            pools,
            cipher,
            writer,
        };
        if let Err(e) = store.prepare().await {
            store.close().await;
            return Err(e);
        }
        Ok(store)
    }

    /// Migrates and checks (or, on a new database, records) the key-check value, atomically.
    async fn prepare(&self) -> Result<(), StoreError> {
        let mut handle = self.pools.begin().await?;
        migrate::run(&mut handle, self.pools.dialect()).await?;
        let stored = handle
            .fetch_optional(
                "SELECT value FROM store_meta WHERE name = 'key_check'",
                args![],
            )
            .await?
            .map(|row| row.bytes("value"))
            .transpose()?;
        match stored {
            Some(value) => match self.cipher.open(KEY_CHECK_SLOT, &value) {
                Ok(plain) if plain == KEY_CHECK => {}
                _ => return Err(StoreError::WrongKey),
            },
            None => {
                let value = self.cipher.seal(KEY_CHECK_SLOT, KEY_CHECK)?;
                handle
                    .execute(
                        "INSERT INTO store_meta (name, value) VALUES ('key_check', $1)",
                        args![value.as_slice()],
                    )
                    .await?;
            }
        }
        handle.commit().await
    }

    /// The URI of a memory store's database (for [`crate::testing::memory_uri`]).
    #[cfg(feature = "testing")]
    pub(crate) fn memory_target(&self) -> Option<String> {
        match &self.pools {
            Pools::Sqlite(lite) if lite.is_memory() => {
                Some(lite.target().to_string_lossy().into_owned())
            }
            _ => None,
        }
    }

    /// The backend's SQL dialect.
    pub fn dialect(&self) -> Dialect {
        self.pools.dialect()
    }

    /// Starts a write transaction; see [`StoreTx`].
    pub async fn begin(&self) -> Result<StoreTx, StoreError> {
        Ok(StoreTx::new(
            self.pools.begin().await?,
            &self.cipher,
            SeqCounter::PerAppend,
        ))
    }

    /// Runs `work` as one unit of the next group commit (see the `writer` module docs): its
    /// writes are committed together with other queued units and the answered future resolves
    /// once they are durable (or failed, then none of them happened; another unit's failure
    /// never fails this one). The unit is queued by this call, not when the future is first
    /// polled: units are committed, and their hooks run, in the order of the calls. `work` may run more than once (a group with a failing unit is retried with a
    /// savepoint per unit), so it must only write to the transaction it is given. `on_commit`
    /// runs on the writer task right after the commit, before any later unit's hook, so hooks
    /// observe commits in commit order; keep it short and non-blocking.
    ///
    /// Never call this while holding a [`StoreTx`] of this store: on SQLite both need the one
    /// writer connection.
    pub fn write<T, F, H>(
        &self,
        work: F,
        on_commit: H,
    ) -> impl std::future::Future<Output = Result<T, StoreError>> + Send + 'static + use<T, F, H>
    where
        T: Send + 'static,
        F: for<'a> Fn(&'a mut StoreTx) -> WriteFuture<'a, T> + Send + 'static,
        H: FnOnce(&T) + Send + 'static,
    {
        self.writer.write(work, on_commit)
    }

    /// A read connection (no transaction) wrapped as a `StoreTx` for the read methods.
    async fn reader(&self) -> Result<StoreTx, StoreError> {
        Ok(StoreTx::new(
            self.pools.read().await?,
            &self.cipher,
            SeqCounter::PerAppend,
        ))
    }

    /// Closes every connection; later calls fail with [`StoreError::Unavailable`].
    pub async fn close(&self) {
        self.pools.close().await;
    }

    /// "Persist, then ack" for one incoming message: stores the message, the Signal state change
    /// its decryption caused and (for a new message) its event, in one transaction. When this
    /// returns `Ok`, all of it is durable and the receipt may be sent. The Signal changes are
    /// applied for a duplicate too (decrypting it advanced the ratchet).
    pub async fn commit_incoming(
        &self,
        message: &MessageRecord,
        changes: &SignalChanges,
        event: Option<(&str, &serde_json::Value)>,
    ) -> Result<IncomingOutcome, StoreError> {
        let message = message.clone();
        let changes = changes.clone();
        let event = event.map(|(kind, payload)| (kind.to_owned(), payload.clone()));
        self.write(
            move |tx| {
                let (message, changes, event) = (message.clone(), changes.clone(), event.clone());
                Box::pin(async move {
                    let outcome = tx.insert_message(&message).await?;
                    tx.apply_signal_changes(&message.session_id, &changes)
                        .await?;
                    let event_seq = match (outcome, event) {
                        (InsertOutcome::Inserted, Some((kind, payload))) => Some(
                            tx.append_event(&message.session_id, &kind, &payload)
                                .await?,
                        ),
                        _ => None,
                    };
                    Ok(IncomingOutcome {
                        message: outcome,
                        event_seq,
                    })
                })
            },
            |_| {},
        )
        .await
    }
}

impl StoreTx {
    /// Applies a batch of Signal state changes.
    pub async fn apply_signal_changes(
        &mut self,
        session_id: &str,
        changes: &SignalChanges,
    ) -> Result<(), StoreError> {
        for (address, record) in &changes.sessions {
            self.put_signal_session(session_id, address, record).await?;
        }
        for change in &changes.sender_keys {
            self.put_sender_key(session_id, &change.group_id, &change.sender, &change.record)
                .await?;
        }
        for (address, identity) in &changes.identities {
            self.put_identity(session_id, address, identity).await?;
        }
        for id in &changes.consumed_prekeys {
            self.remove_prekey(session_id, *id).await?;
        }
        Ok(())
    }
}

/// Generates `Store` methods that run one `StoreTx` method: reads on a read connection, writes in
/// their own transaction.
macro_rules! delegate {
    ($( $(#[$doc:meta])* $kind:ident $name:ident($($arg:ident : $ty:ty),*) -> $ret:ty; )*) => {
        impl Store {
            $(
                $(#[$doc])*
                pub async fn $name(&self, $($arg: $ty),*) -> Result<$ret, StoreError> {
                    delegate!(@run $kind self, $name($($arg),*))
                }
            )*
        }
    };
    (@run read $self:ident, $name:ident($($arg:ident),*)) => {{
        let mut handle = $self.reader().await?;
        handle.$name($($arg),*).await
    }};
    (@run write $self:ident, $name:ident($($arg:ident),*)) => {{
        let mut tx = $self.begin().await?;
        let out = tx.$name($($arg),*).await?;
        tx.commit().await?;
        Ok(out)
    }};
}

delegate! {
    /// See [`StoreTx::create_session`].
    write create_session(id: &str, state: &str) -> SessionRecord;
    /// See [`StoreTx::get_session`].
    read get_session(id: &str) -> Option<SessionRecord>;
    /// See [`StoreTx::list_sessions`].
    read list_sessions() -> Vec<SessionRecord>;
    /// See [`StoreTx::set_session_state`].
    write set_session_state(id: &str, state: &str) -> ();
    /// See [`StoreTx::delete_session`].
    write delete_session(id: &str) -> bool;

    /// See [`StoreTx::put_device`].
    write put_device(session_id: &str, device: &DeviceCredentials) -> ();
    /// See [`StoreTx::get_device`].
    read get_device(session_id: &str) -> Option<DeviceCredentials>;
    /// See [`StoreTx::delete_device`].
    write delete_device(session_id: &str) -> bool;

    /// See [`StoreTx::put_identity`].
    write put_identity(session_id: &str, address: &str, identity: &IdentityRecord) -> ();
    /// See [`StoreTx::get_identity`].
    read get_identity(session_id: &str, address: &str) -> Option<IdentityRecord>;
    /// See [`StoreTx::delete_identity`].
    write delete_identity(session_id: &str, address: &str) -> bool;

    /// See [`StoreTx::allocate_prekey_ids`].
    write allocate_prekey_ids(session_id: &str, count: u32) -> Vec<u32>;
    /// See [`StoreTx::put_prekeys`].
    write put_prekeys(session_id: &str, prekeys: &[(u32, Vec<u8>)]) -> ();
    /// See [`StoreTx::get_prekey`].
    read get_prekey(session_id: &str, id: u32) -> Option<StoredPreKey>;
    /// See [`StoreTx::remove_prekey`].
    write remove_prekey(session_id: &str, id: u32) -> bool;
    /// See [`StoreTx::mark_prekeys_uploaded`].
    write mark_prekeys_uploaded(session_id: &str, ids: &[u32]) -> ();
    /// See [`StoreTx::mark_prekeys_uploaded_with_publics`].
    write mark_prekeys_uploaded_with_publics(session_id: &str, prekeys: &[(u32, Vec<u8>)]) -> ();
    /// See [`StoreTx::uploaded_prekey_publics`].
    read uploaded_prekey_publics(session_id: &str) -> Vec<(u32, Option<Vec<u8>>)>;
    /// See [`StoreTx::unuploaded_prekey_ids`].
    read unuploaded_prekey_ids(session_id: &str, max: u32) -> Vec<u32>;
    /// See [`StoreTx::uploaded_prekey_ids`].
    read uploaded_prekey_ids(session_id: &str) -> Vec<u32>;
    /// See [`StoreTx::prekey_counts`].
    read prekey_counts(session_id: &str) -> (u64, u64);

    /// See [`StoreTx::put_signed_prekey`].
    write put_signed_prekey(session_id: &str, id: u32, record: &[u8]) -> ();
    /// See [`StoreTx::get_signed_prekey`].
    read get_signed_prekey(session_id: &str, id: u32) -> Option<Vec<u8>>;
    /// See [`StoreTx::list_signed_prekeys`].
    read list_signed_prekeys(session_id: &str) -> Vec<(u32, Vec<u8>)>;
    /// See [`StoreTx::remove_signed_prekey`].
    write remove_signed_prekey(session_id: &str, id: u32) -> bool;

    /// See [`StoreTx::put_signal_session`].
    write put_signal_session(session_id: &str, address: &str, record: &[u8]) -> ();
    /// See [`StoreTx::get_signal_session`].
    read get_signal_session(session_id: &str, address: &str) -> Option<Vec<u8>>;
    /// See [`StoreTx::list_signal_session_addresses`].
    read list_signal_session_addresses(session_id: &str, prefix: &str) -> Vec<String>;
    /// See [`StoreTx::delete_signal_session`].
    write delete_signal_session(session_id: &str, address: &str) -> bool;

    /// See [`StoreTx::put_sender_key`].
    write put_sender_key(session_id: &str, group_id: &str, sender: &str, record: &[u8]) -> ();
    /// See [`StoreTx::get_sender_key`].
    read get_sender_key(session_id: &str, group_id: &str, sender: &str) -> Option<Vec<u8>>;
    /// See [`StoreTx::delete_sender_keys`].
    write delete_sender_keys(session_id: &str, group_id: &str, sender: Option<&str>) -> u64;

    /// See [`StoreTx::put_lid_mapping`].
    write put_lid_mapping(session_id: &str, lid: &str, pn: &str) -> ();
    /// See [`StoreTx::lid_for_pn`].
    read lid_for_pn(session_id: &str, pn: &str) -> Option<String>;
    /// See [`StoreTx::pn_for_lid`].
    read pn_for_lid(session_id: &str, lid: &str) -> Option<String>;

    /// See [`StoreTx::put_device_list`].
    write put_device_list(session_id: &str, user: &str, list: &DeviceList) -> ();
    /// See [`StoreTx::get_device_list`].
    read get_device_list(session_id: &str, user: &str) -> Option<DeviceList>;
    /// See [`StoreTx::delete_device_list`].
    write delete_device_list(session_id: &str, user: &str) -> bool;

    /// See [`StoreTx::insert_message`].
    write insert_message(message: &MessageRecord) -> InsertOutcome;
    /// See [`StoreTx::get_message`].
    read get_message(session_id: &str, chat: &str, id: &str) -> Option<MessageRecord>;
    /// See [`StoreTx::get_message_across`].
    read get_message_across(session_id: &str, chats: &[String], id: &str) -> Option<MessageRecord>;
    /// See [`StoreTx::update_message_status`].
    write update_message_status(session_id: &str, chat: &str, id: &str, status: MessageStatus) -> bool;
    /// See [`StoreTx::update_message_content`].
    write update_message_content(session_id: &str, chat: &str, id: &str, msg_type: &str, body: Option<&str>, payload: Option<&[u8]>) -> bool;
    /// See [`StoreTx::message_page`].
    read message_page(session_id: &str, chat: &str, direction: &PageDirection, page_size: u32) -> MessagePage;
    /// See [`StoreTx::message_page_across`].
    read message_page_across(session_id: &str, chats: &[String], direction: &PageDirection, page_size: u32) -> MessagePage;
    /// See [`StoreTx::message_count_across`].
    read message_count_across(session_id: &str, chats: &[String]) -> u64;
    /// See [`StoreTx::delete_message`].
    write delete_message(session_id: &str, chat: &str, id: &str) -> bool;


    /// See [`StoreTx::note_chat_message`].
    write note_chat_message(session_id: &str, chat: &str, message_id: &str, at: i64, unread: bool) -> ();
    /// See [`StoreTx::put_chat`].
    write put_chat(session_id: &str, chat: &ChatRecord) -> ();
    /// See [`StoreTx::delete_chat`].
    write delete_chat(session_id: &str, chat: &str, up_to: Option<i64>) -> bool;
    /// See [`StoreTx::clear_chat`].
    write clear_chat(session_id: &str, chat: &str, starred: bool, up_to: Option<i64>) -> bool;
    /// See [`StoreTx::mark_chat_read`].
    write mark_chat_read(session_id: &str, chat: &str) -> bool;
    /// See [`StoreTx::get_chat`].
    read get_chat(session_id: &str, chat: &str) -> Option<ChatRecord>;
    /// See [`StoreTx::chat_page`].
    read chat_page(session_id: &str, page_size: u32, offset: u32) -> Vec<ChatRecord>;
    /// See [`StoreTx::put_push_name`].
    write put_push_name(session_id: &str, jid: &str, push_name: &str) -> ();
    /// See [`StoreTx::get_contact`].
    read get_contact(session_id: &str, jid: &str) -> Option<ContactRecord>;
    /// See [`StoreTx::contact_page`].
    read contact_page(session_id: &str, page_size: u32, offset: u32) -> Vec<ContactRecord>;
    /// See [`StoreTx::put_app_state_key`].
    write put_app_state_key(session_id: &str, key: &AppStateKeyRecord) -> ();
    /// See [`StoreTx::get_app_state_key`].
    read get_app_state_key(session_id: &str, key_id: &[u8]) -> Option<AppStateKeyRecord>;
    /// See [`StoreTx::latest_app_state_key`].
    read latest_app_state_key(session_id: &str) -> Option<AppStateKeyRecord>;
    /// See [`StoreTx::get_app_state_version`].
    read get_app_state_version(session_id: &str, collection: &str) -> Option<AppStateVersion>;
    /// See [`StoreTx::put_app_state_version`].
    write put_app_state_version(session_id: &str, collection: &str, version: &AppStateVersion) -> ();
    /// See [`StoreTx::get_app_state_mac`].
    read get_app_state_mac(session_id: &str, collection: &str, index_mac: &[u8]) -> Option<Vec<u8>>;
    /// See [`StoreTx::app_state_macs`].
    read app_state_macs(session_id: &str, collection: &str) -> Vec<(Vec<u8>, Vec<u8>)>;
    /// See [`StoreTx::put_app_state_mac`].
    write put_app_state_mac(session_id: &str, collection: &str, index_mac: &[u8], value_mac: Option<&[u8]>) -> ();
    /// See [`StoreTx::reset_app_state`].
    write reset_app_state(session_id: &str, collection: &str) -> ();
    /// See [`StoreTx::clear_app_state_effects`].
    write clear_app_state_effects(session_id: &str, collection: &str) -> ();
    /// See [`StoreTx::set_chat_flag`].
    write set_chat_flag(session_id: &str, chat: &str, flag: ChatFlag) -> ();
    /// See [`StoreTx::put_contact_name`].
    write put_contact_name(session_id: &str, jid: &str, full_name: Option<&str>) -> ();
    /// See [`StoreTx::put_label`].
    write put_label(session_id: &str, label: &LabelRecord) -> ();
    /// See [`StoreTx::get_label`].
    read get_label(session_id: &str, id: &str) -> Option<LabelRecord>;
    /// See [`StoreTx::labels`].
    read labels(session_id: &str) -> Vec<LabelRecord>;
    /// See [`StoreTx::set_label_association`].
    write set_label_association(session_id: &str, association: &LabelAssociationRecord, labeled: bool) -> ();
    /// See [`StoreTx::label_associations`].
    read label_associations(session_id: &str, chat: Option<&str>) -> Vec<LabelAssociationRecord>;
    /// See [`StoreTx::set_starred`].
    write set_starred(session_id: &str, star: &StarredRecord, starred: bool) -> ();
    /// See [`StoreTx::starred_page`].
    read starred_page(session_id: &str, page_size: u32, offset: u32) -> Vec<StarredRecord>;
    /// See [`StoreTx::put_pending_history`].
    write put_pending_history(session_id: &str, pending: &PendingHistory) -> ();
    /// See [`StoreTx::pending_history`].
    read pending_history(session_id: &str) -> Vec<PendingHistory>;
    /// See [`StoreTx::delete_pending_history`].
    write delete_pending_history(session_id: &str, id: &str) -> bool;

    /// See [`StoreTx::append_event`].
    write append_event(session_id: &str, kind: &str, payload: &serde_json::Value) -> u64;
    /// See [`StoreTx::append_event_json`].
    write append_event_json(session_id: &str, kind: &str, payload: &str) -> u64;
    /// See [`StoreTx::append_versioned_event_json`].
    write append_versioned_event_json(session_id: &str, kind: &str, version: u32, payload: &str) -> u64;
    /// See [`StoreTx::events_since`].
    read events_since(after: u64, max: u32) -> Vec<EventRecord>;
    /// See [`StoreTx::events_since_for_session`].
    read events_since_for_session(session_id: &str, after: u64, max: u32) -> Vec<EventRecord>;
    /// See [`StoreTx::session_events_since`].
    read session_events_since(session_id: &str, after: u64, max: u32) -> Vec<EventRecord>;
    /// See [`StoreTx::last_event_seq`].
    read last_event_seq() -> u64;
    /// See [`StoreTx::prune_events`].
    write prune_events(up_to: u64) -> u64;

    /// See [`StoreTx::consumer_position`].
    read consumer_position(name: &str) -> Option<(Option<String>, u64)>;
    /// See [`StoreTx::register_consumer`].
    write register_consumer(name: &str, session: Option<&str>, start: u64) -> u64;
    /// See [`StoreTx::ack_consumer`]; durable when it returns.
    write ack_consumer(name: &str, seq: u64) -> u64;
    /// See [`StoreTx::delete_consumer`].
    write delete_consumer(name: &str) -> bool;

    /// See [`StoreTx::claim_send_key`].
    write claim_send_key(session_id: &str, key: &str, chat: &str, message_id: &str) -> SendKeyClaim;
    /// See [`StoreTx::send_key`].
    read send_key(session_id: &str, key: &str) -> Option<(String, String)>;
    /// See [`StoreTx::prune_send_keys`].
    write prune_send_keys(older_than_ms: i64) -> u64;
    /// See [`StoreTx::queue_send`].
    write queue_send(session_id: &str, chat: &str, message_id: &str) -> i64;
    /// See [`StoreTx::queued_sends`].
    read queued_sends(session_id: &str, after: i64, max: u32) -> Vec<QueuedSend>;
    /// See [`StoreTx::unqueue_send`].
    write unqueue_send(session_id: &str, chat: &str, message_id: &str) -> bool;

    /// See [`StoreTx::sender_key_holders`].
    read sender_key_holders(session_id: &str, group_id: &str) -> Vec<String>;
    /// See [`StoreTx::add_sender_key_holders`].
    write add_sender_key_holders(session_id: &str, group_id: &str, devices: &[String]) -> ();
    /// See [`StoreTx::clear_sender_key_holders`].
    write clear_sender_key_holders(session_id: &str, group_id: &str) -> u64;

    /// See [`StoreTx::put_poll_vote`].
    write put_poll_vote(session_id: &str, vote: &PollVoteRecord) -> bool;
    /// See [`StoreTx::poll_votes`].
    read poll_votes(session_id: &str, chat: &str, poll_id: &str) -> Vec<PollVoteRecord>;

    /// See [`StoreTx::put_kv`].
    write put_kv(session_id: &str, name: &str, value: &[u8]) -> ();
    /// See [`StoreTx::get_kv`].
    read get_kv(session_id: &str, name: &str) -> Option<Vec<u8>>;
    /// See [`StoreTx::delete_kv`].
    write delete_kv(session_id: &str, name: &str) -> bool;
}

#[cfg(test)]
mod send_check {
    use super::*;

    fn assert_send<T: Send>(_: T) {}

    #[allow(dead_code)]
    fn open_is_send(config: StoreConfig, store: Store) {
        assert_send(Store::open(config));
        let other = store.clone();
        assert_send(async move { other.prepare().await });
        assert_send(async move {
            let mut h = store.pools.begin().await?;
            migrate::run(&mut h, Dialect::Sqlite).await
        });
    }

    #[allow(dead_code)]
    fn futures_are_send(store: Store, m: MessageRecord) {
        assert_send(async move {
            let _ = store.get_message("s", "c", "i").await;
            let _ = store.insert_message(&m).await;
            let _ = store.events_since(0, 1).await;
            let _ = store.put_signal_session("s", "a", b"r").await;
            let _ = store
                .commit_incoming(&m, &SignalChanges::default(), None)
                .await;
            let mut tx = store.begin().await?;
            tx.put_kv("s", "k", b"v").await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        });
    }
}
