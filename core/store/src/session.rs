//! [`SessionStore`] and [`SessionTx`]: the store seen by one session, so session-scoped calls
//! need no session id.
//!
//! Both are thin: every method forwards to the [`Store`] or [`StoreTx`] method of the same name
//! with the session id in front. Global operations (the event log as a whole, other sessions)
//! stay on [`Store`] ([`SessionStore::store`]) and [`StoreTx`] ([`SessionTx::tx`]).

use std::sync::Arc;

use crate::{
    AppStateKeyRecord, AppStateVersion, ChatFlag, ChatRecord, ContactRecord, DeviceCredentials,
    DeviceList, EventRecord, IdentityRecord, IncomingOutcome, InsertOutcome,
    LabelAssociationRecord, LabelRecord, MessagePage, MessageRecord, MessageStatus, PageDirection,
    PendingHistory, PollVoteRecord, QueuedSend, SendKeyClaim, SessionRecord, SignalChanges,
    StarredRecord, Store, StoreError, StoreTx, StoredPreKey, WriteFuture,
};

/// One session's view of a [`Store`]: the store and the session id. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SessionStore {
    store: Store,
    id: Arc<str>,
}

/// One session's view of a [`StoreTx`], for the writes of a unit of work (see
/// [`SessionStore::write`] and [`SessionStore::scope`]).
#[derive(Debug)]
pub struct SessionTx<'t> {
    tx: &'t mut StoreTx,
    id: Arc<str>,
}

impl Store {
    /// The store as seen by session `id` (which need not exist yet; see
    /// [`SessionStore::create`]).
    pub fn session(&self, id: &str) -> SessionStore {
        SessionStore {
            store: self.clone(),
            id: Arc::from(id),
        }
    }
}

/// Refuses a message record that belongs to another session than the handle's.
fn own_message(id: &str, message: &MessageRecord) -> Result<(), StoreError> {
    if message.session_id == id {
        Ok(())
    } else {
        Err(StoreError::InvalidArgument(format!(
            "message of session {:?} given to session {id:?}",
            message.session_id
        )))
    }
}

impl SessionStore {
    /// The session id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The whole store, for global operations.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// This session's view of a transaction begun with [`Store::begin`].
    pub fn scope<'t>(&self, tx: &'t mut StoreTx) -> SessionTx<'t> {
        SessionTx {
            tx,
            id: Arc::clone(&self.id),
        }
    }

    /// [`Store::write`] with the unit's transaction seen by this session.
    pub fn write<T, F, H>(
        &self,
        work: F,
        on_commit: H,
    ) -> impl std::future::Future<Output = Result<T, StoreError>> + Send + 'static + use<T, F, H>
    where
        T: Send + 'static,
        F: for<'a> Fn(SessionTx<'a>) -> WriteFuture<'a, T> + Send + 'static,
        H: FnOnce(&T) + Send + 'static,
    {
        let id = Arc::clone(&self.id);
        self.store.write(
            move |tx| {
                work(SessionTx {
                    tx,
                    id: Arc::clone(&id),
                })
            },
            on_commit,
        )
    }

    /// Creates the session; see [`Store::create_session`].
    pub async fn create(&self, state: &str) -> Result<SessionRecord, StoreError> {
        self.store.create_session(&self.id, state).await
    }

    /// The session's row; see [`Store::get_session`].
    pub async fn record(&self) -> Result<Option<SessionRecord>, StoreError> {
        self.store.get_session(&self.id).await
    }

    /// Sets the session's state label; see [`Store::set_session_state`].
    pub async fn set_state(&self, state: &str) -> Result<(), StoreError> {
        self.store.set_session_state(&self.id, state).await
    }

    /// Deletes the session and its data (not its events); see [`Store::delete_session`].
    pub async fn delete(&self) -> Result<bool, StoreError> {
        self.store.delete_session(&self.id).await
    }

    /// Stores a message of this session; see [`Store::insert_message`]. A record of another
    /// session is [`StoreError::InvalidArgument`].
    pub async fn insert_message(
        &self,
        message: &MessageRecord,
    ) -> Result<InsertOutcome, StoreError> {
        own_message(&self.id, message)?;
        self.store.insert_message(message).await
    }

    /// See [`Store::commit_incoming`]; a record of another session is
    /// [`StoreError::InvalidArgument`].
    pub async fn commit_incoming(
        &self,
        message: &MessageRecord,
        changes: &SignalChanges,
        event: Option<(&str, &serde_json::Value)>,
    ) -> Result<IncomingOutcome, StoreError> {
        own_message(&self.id, message)?;
        self.store.commit_incoming(message, changes, event).await
    }
}

impl SessionTx<'_> {
    /// The session id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Records the session's connection state; see [`StoreTx::set_session_state`].
    pub async fn set_state(&mut self, state: &str) -> Result<(), StoreError> {
        self.tx.set_session_state(&self.id, state).await
    }

    /// The whole transaction, for global operations.
    pub fn tx(&mut self) -> &mut StoreTx {
        &mut *self.tx
    }

    /// Stores a message of this session; see [`StoreTx::insert_message`]. A record of another
    /// session is [`StoreError::InvalidArgument`].
    pub async fn insert_message(
        &mut self,
        message: &MessageRecord,
    ) -> Result<InsertOutcome, StoreError> {
        own_message(&self.id, message)?;
        self.tx.insert_message(message).await
    }
}

/// Generates, for each listed session-scoped operation, a [`SessionStore`] method forwarding to
/// the [`Store`] method and a [`SessionTx`] method forwarding to the [`StoreTx`] method, both
/// with the session id as first argument.
macro_rules! scoped {
    ($( $(#[$doc:meta])* $name:ident($($arg:ident : $ty:ty),*) -> $ret:ty; )*) => {
        impl SessionStore {
            $(
                $(#[$doc])*
                pub async fn $name(&self, $($arg: $ty),*) -> Result<$ret, StoreError> {
                    self.store.$name(&self.id, $($arg),*).await
                }
            )*
        }
        impl SessionTx<'_> {
            $(
                $(#[$doc])*
                pub async fn $name(&mut self, $($arg: $ty),*) -> Result<$ret, StoreError> {
                    self.tx.$name(&self.id, $($arg),*).await
                }
            )*
        }
    };
}

scoped! {
    /// See [`StoreTx::put_device`].
    put_device(device: &DeviceCredentials) -> ();
    /// See [`StoreTx::get_device`].
    get_device() -> Option<DeviceCredentials>;
    /// See [`StoreTx::delete_device`].
    delete_device() -> bool;

    /// See [`StoreTx::put_identity`].
    put_identity(address: &str, identity: &IdentityRecord) -> ();
    /// See [`StoreTx::get_identity`].
    get_identity(address: &str) -> Option<IdentityRecord>;
    /// See [`StoreTx::delete_identity`].
    delete_identity(address: &str) -> bool;

    /// See [`StoreTx::allocate_prekey_ids`].
    allocate_prekey_ids(count: u32) -> Vec<u32>;
    /// See [`StoreTx::put_prekeys`].
    put_prekeys(prekeys: &[(u32, Vec<u8>)]) -> ();
    /// See [`StoreTx::get_prekey`].
    get_prekey(id: u32) -> Option<StoredPreKey>;
    /// See [`StoreTx::remove_prekey`].
    remove_prekey(id: u32) -> bool;
    /// See [`StoreTx::mark_prekeys_uploaded`].
    mark_prekeys_uploaded(ids: &[u32]) -> ();
    /// See [`StoreTx::mark_prekeys_uploaded_with_publics`].
    mark_prekeys_uploaded_with_publics(prekeys: &[(u32, Vec<u8>)]) -> ();
    /// See [`StoreTx::uploaded_prekey_publics`].
    uploaded_prekey_publics() -> Vec<(u32, Option<Vec<u8>>)>;
    /// See [`StoreTx::unuploaded_prekey_ids`].
    unuploaded_prekey_ids(max: u32) -> Vec<u32>;
    /// See [`StoreTx::uploaded_prekey_ids`].
    uploaded_prekey_ids() -> Vec<u32>;
    /// See [`StoreTx::prekey_counts`].
    prekey_counts() -> (u64, u64);

    /// See [`StoreTx::put_signed_prekey`].
    put_signed_prekey(id: u32, record: &[u8]) -> ();
    /// See [`StoreTx::get_signed_prekey`].
    get_signed_prekey(id: u32) -> Option<Vec<u8>>;
    /// See [`StoreTx::list_signed_prekeys`].
    list_signed_prekeys() -> Vec<(u32, Vec<u8>)>;
    /// See [`StoreTx::remove_signed_prekey`].
    remove_signed_prekey(id: u32) -> bool;

    /// See [`StoreTx::put_signal_session`].
    put_signal_session(address: &str, record: &[u8]) -> ();
    /// See [`StoreTx::get_signal_session`].
    get_signal_session(address: &str) -> Option<Vec<u8>>;
    /// See [`StoreTx::list_signal_session_addresses`].
    list_signal_session_addresses(prefix: &str) -> Vec<String>;
    /// See [`StoreTx::delete_signal_session`].
    delete_signal_session(address: &str) -> bool;

    /// See [`StoreTx::put_sender_key`].
    put_sender_key(group_id: &str, sender: &str, record: &[u8]) -> ();
    /// See [`StoreTx::get_sender_key`].
    get_sender_key(group_id: &str, sender: &str) -> Option<Vec<u8>>;
    /// See [`StoreTx::delete_sender_keys`].
    delete_sender_keys(group_id: &str, sender: Option<&str>) -> u64;

    /// See [`StoreTx::put_lid_mapping`].
    put_lid_mapping(lid: &str, pn: &str) -> ();
    /// See [`StoreTx::lid_for_pn`].
    lid_for_pn(pn: &str) -> Option<String>;
    /// See [`StoreTx::pn_for_lid`].
    pn_for_lid(lid: &str) -> Option<String>;

    /// See [`StoreTx::put_device_list`].
    put_device_list(user: &str, list: &DeviceList) -> ();
    /// See [`StoreTx::get_device_list`].
    get_device_list(user: &str) -> Option<DeviceList>;
    /// See [`StoreTx::delete_device_list`].
    delete_device_list(user: &str) -> bool;

    /// See [`StoreTx::get_message`].
    get_message(chat: &str, id: &str) -> Option<MessageRecord>;
    /// See [`StoreTx::get_message_across`].
    get_message_across(chats: &[String], id: &str) -> Option<MessageRecord>;
    /// See [`StoreTx::update_message_status`].
    update_message_status(chat: &str, id: &str, status: MessageStatus) -> bool;
    /// See [`StoreTx::update_message_content`].
    update_message_content(chat: &str, id: &str, msg_type: &str, body: Option<&str>, payload: Option<&[u8]>) -> bool;
    /// See [`StoreTx::note_chat_message`].
    note_chat_message(chat: &str, message_id: &str, at: i64, unread: bool) -> ();
    /// See [`StoreTx::put_chat`].
    put_chat(chat: &ChatRecord) -> ();
    /// See [`StoreTx::delete_chat`].
    delete_chat(chat: &str, up_to: Option<i64>) -> bool;
    /// See [`StoreTx::clear_chat`].
    clear_chat(chat: &str, starred: bool, up_to: Option<i64>) -> bool;
    /// See [`StoreTx::mark_chat_read`].
    mark_chat_read(chat: &str) -> bool;
    /// See [`StoreTx::get_chat`].
    get_chat(chat: &str) -> Option<ChatRecord>;
    /// See [`StoreTx::chat_page`].
    chat_page(page_size: u32, offset: u32) -> Vec<ChatRecord>;
    /// See [`StoreTx::put_push_name`].
    put_push_name(jid: &str, push_name: &str) -> ();
    /// See [`StoreTx::get_contact`].
    get_contact(jid: &str) -> Option<ContactRecord>;
    /// See [`StoreTx::contact_page`].
    contact_page(page_size: u32, offset: u32) -> Vec<ContactRecord>;
    /// See [`StoreTx::put_app_state_key`].
    put_app_state_key(key: &AppStateKeyRecord) -> ();
    /// See [`StoreTx::get_app_state_key`].
    get_app_state_key(key_id: &[u8]) -> Option<AppStateKeyRecord>;
    /// See [`StoreTx::latest_app_state_key`].
    latest_app_state_key() -> Option<AppStateKeyRecord>;
    /// See [`StoreTx::get_app_state_version`].
    get_app_state_version(collection: &str) -> Option<AppStateVersion>;
    /// See [`StoreTx::put_app_state_version`].
    put_app_state_version(collection: &str, version: &AppStateVersion) -> ();
    /// See [`StoreTx::get_app_state_mac`].
    get_app_state_mac(collection: &str, index_mac: &[u8]) -> Option<Vec<u8>>;
    /// See [`StoreTx::app_state_macs`].
    app_state_macs(collection: &str) -> Vec<(Vec<u8>, Vec<u8>)>;
    /// See [`StoreTx::put_app_state_mac`].
    put_app_state_mac(collection: &str, index_mac: &[u8], value_mac: Option<&[u8]>) -> ();
    /// See [`StoreTx::reset_app_state`].
    reset_app_state(collection: &str) -> ();
    /// See [`StoreTx::clear_app_state_effects`].
    clear_app_state_effects(collection: &str) -> ();
    /// See [`StoreTx::set_chat_flag`].
    set_chat_flag(chat: &str, flag: ChatFlag) -> ();
    /// See [`StoreTx::put_contact_name`].
    put_contact_name(jid: &str, full_name: Option<&str>) -> ();
    /// See [`StoreTx::put_label`].
    put_label(label: &LabelRecord) -> ();
    /// See [`StoreTx::get_label`].
    get_label(id: &str) -> Option<LabelRecord>;
    /// See [`StoreTx::labels`].
    labels() -> Vec<LabelRecord>;
    /// See [`StoreTx::set_label_association`].
    set_label_association(association: &LabelAssociationRecord, labeled: bool) -> ();
    /// See [`StoreTx::label_associations`].
    label_associations(chat: Option<&str>) -> Vec<LabelAssociationRecord>;
    /// See [`StoreTx::set_starred`].
    set_starred(star: &StarredRecord, starred: bool) -> ();
    /// See [`StoreTx::starred_page`].
    starred_page(page_size: u32, offset: u32) -> Vec<StarredRecord>;
    /// See [`StoreTx::put_pending_history`].
    put_pending_history(pending: &PendingHistory) -> ();
    /// See [`StoreTx::pending_history`].
    pending_history() -> Vec<PendingHistory>;
    /// See [`StoreTx::delete_pending_history`].
    delete_pending_history(id: &str) -> bool;

    /// See [`StoreTx::message_page`].
    message_page(chat: &str, direction: &PageDirection, page_size: u32) -> MessagePage;
    /// See [`StoreTx::message_page_across`].
    message_page_across(chats: &[String], direction: &PageDirection, page_size: u32) -> MessagePage;
    /// See [`StoreTx::message_count_across`].
    message_count_across(chats: &[String]) -> u64;
    /// See [`StoreTx::delete_message`].
    delete_message(chat: &str, id: &str) -> bool;

    /// See [`StoreTx::append_event`].
    append_event(kind: &str, payload: &serde_json::Value) -> u64;
    /// See [`StoreTx::append_event_json`].
    append_event_json(kind: &str, payload: &str) -> u64;
    /// See [`StoreTx::append_versioned_event_json`].
    append_versioned_event_json(kind: &str, version: u32, payload: &str) -> u64;
    /// See [`StoreTx::events_since_for_session`].
    events_since_for_session(after: u64, max: u32) -> Vec<EventRecord>;
    /// See [`StoreTx::session_events_since`].
    session_events_since(after: u64, max: u32) -> Vec<EventRecord>;

    /// See [`StoreTx::claim_send_key`].
    claim_send_key(key: &str, chat: &str, message_id: &str) -> SendKeyClaim;
    /// See [`StoreTx::send_key`].
    send_key(key: &str) -> Option<(String, String)>;
    /// See [`StoreTx::queue_send`].
    queue_send(chat: &str, message_id: &str) -> i64;
    /// See [`StoreTx::queued_sends`].
    queued_sends(after: i64, max: u32) -> Vec<QueuedSend>;
    /// See [`StoreTx::unqueue_send`].
    unqueue_send(chat: &str, message_id: &str) -> bool;

    /// See [`StoreTx::sender_key_holders`].
    sender_key_holders(group_id: &str) -> Vec<String>;
    /// See [`StoreTx::add_sender_key_holders`].
    add_sender_key_holders(group_id: &str, devices: &[String]) -> ();
    /// See [`StoreTx::clear_sender_key_holders`].
    clear_sender_key_holders(group_id: &str) -> u64;

    /// See [`StoreTx::put_poll_vote`].
    put_poll_vote(vote: &PollVoteRecord) -> bool;
    /// See [`StoreTx::poll_votes`].
    poll_votes(chat: &str, poll_id: &str) -> Vec<PollVoteRecord>;

    /// See [`StoreTx::put_kv`].
    put_kv(name: &str, value: &[u8]) -> ();
    /// See [`StoreTx::get_kv`].
    get_kv(name: &str) -> Option<Vec<u8>>;
    /// See [`StoreTx::delete_kv`].
    delete_kv(name: &str) -> bool;
}

impl SessionTx<'_> {
    /// See [`StoreTx::apply_signal_changes`].
    pub async fn apply_signal_changes(
        &mut self,
        changes: &SignalChanges,
    ) -> Result<(), StoreError> {
        self.tx.apply_signal_changes(&self.id, changes).await
    }
}
