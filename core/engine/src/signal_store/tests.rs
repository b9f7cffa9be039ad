//! The adapter on every backend (a fresh database per test).

use std::sync::Arc;

use openwa_protocol::crypto::KeyPair;
use openwa_protocol::signal::{
    self, IdentityChange, InMemorySignalStore, MessageType, PreKeyBundle, PreKeyRecord,
    PreKeyStore, ProtocolAddress, SessionStore, SignedPreKeyRecord, TrustPolicy,
};
use openwa_store::{MessageRecord, MessageStatus, Store};
use rand::rngs::OsRng;

use super::{LocalKeys, SignalStore};
use crate::event::EventKind;
use crate::persist::{PendingEvent, store_incoming};
use openwa_store::testing::{Backend, TestDb};

const SESSION: &str = "alice";

fn local_keys() -> LocalKeys {
    let identity = KeyPair::generate(&mut OsRng);
    let signed_pre_key = SignedPreKeyRecord::generate(1, &identity, 1_700_000_000, &mut OsRng);
    LocalKeys {
        identity,
        registration_id: 77,
        signed_pre_key,
    }
}

/// The store of `db`, opened, with the session [`SESSION`] created.
async fn open_with_session(db: &TestDb) -> Store {
    let store = db.open().await;
    store.create_session(SESSION, "new").await.unwrap();
    store
}

/// A new process on the same data: the store closed and opened again; on the memory backend
/// (which cannot be reopened) the same store, so only the adapter's cache is new.
async fn restart(db: &TestDb, store: Store) -> Store {
    if db.kind == Backend::Memory {
        return store;
    }
    store.close().await;
    db.open().await
}

openwa_store::on_every_backend!(all: [
    pkmsg_then_msg_survive_a_reopen,
    an_uncommitted_batch_changes_nothing,
    learning_a_mapping_moves_pn_sessions_to_the_lid,
    incoming_commit_is_atomic_and_deduplicated,
    a_failed_unit_drops_the_written_ahead_state,
]);

/// Bob: an in-memory Signal peer.
struct Peer {
    store: InMemorySignalStore,
    address: ProtocolAddress,
}

impl Peer {
    fn new(name: &str) -> Peer {
        Peer {
            store: InMemorySignalStore::new(
                KeyPair::generate(&mut OsRng),
                5,
                TrustPolicy::AlwaysTrust,
            ),
            address: ProtocolAddress::new(name, 0),
        }
    }

    /// Starts a session with Alice from her bundle (one one-time prekey, stored on her side).
    async fn start_with(&self, alice: &SignalStore, prekey_id: u32) {
        let prekey = PreKeyRecord::generate(prekey_id, &mut OsRng);
        let batch = alice.begin().await;
        batch.store_pre_key(&prekey).await.unwrap();
        batch.commit().await.unwrap();
        let keys = alice.local_keys();
        let bundle = PreKeyBundle::new(
            keys.registration_id,
            1,
            &keys.identity,
            &keys.signed_pre_key,
            Some(&prekey),
        );
        signal::process_bundle(&self.store, &alice_address(), &bundle, &mut OsRng)
            .await
            .unwrap();
    }

    async fn encrypt(&self, text: &[u8]) -> (MessageType, Vec<u8>) {
        signal::encrypt(&self.store, &alice_address(), text)
            .await
            .unwrap()
    }
}

fn alice_address() -> ProtocolAddress {
    ProtocolAddress::new("100000000000001_1", 1)
}

async fn decrypt(
    alice: &SignalStore,
    from: &ProtocolAddress,
    (kind, bytes): &(MessageType, Vec<u8>),
) -> Result<(Vec<u8>, super::SignalBatch), signal::SignalError> {
    let batch = alice.begin().await;
    let out = signal::decrypt(&batch, from, *kind, bytes, &mut OsRng).await?;
    Ok((out.plaintext, batch))
}

/// `message` decrypts to `text` and commits; the same message again is a duplicate, not a
/// second plaintext.
async fn decrypts_once(
    alice: &SignalStore,
    from: &ProtocolAddress,
    message: &(MessageType, Vec<u8>),
    text: &[u8],
) {
    let (plain, batch) = decrypt(alice, from, message).await.unwrap();
    assert_eq!(plain, text);
    batch.commit().await.unwrap();
    assert!(matches!(
        decrypt(alice, from, message).await,
        Err(signal::SignalError::DuplicateMessage { .. })
    ));
}

async fn pkmsg_then_msg_survive_a_reopen(db: Arc<TestDb>) {
    let store = open_with_session(&db).await;
    let keys = local_keys();
    let alice = SignalStore::new(store.session(SESSION), keys.clone());
    let bob = Peer::new("200000000000002_1");
    bob.start_with(&alice, 31).await;

    let first = bob.encrypt(b"one").await;
    assert_eq!(first.0, MessageType::PreKey);
    let (plain, batch) = decrypt(&alice, &bob.address, &first).await.unwrap();
    assert_eq!(plain, b"one");
    let changes = batch.changes();
    assert_eq!(changes.consumed_prekeys, vec![31]);
    assert_eq!(changes.sessions.len(), 1);
    assert_eq!(changes.identities.len(), 1);
    batch.commit().await.unwrap();
    assert!(store.get_prekey(SESSION, 31).await.unwrap().is_none());

    // Alice answers, so Bob switches to `msg`.
    let batch = alice.begin().await;
    let reply = signal::encrypt(&batch, &bob.address, b"pong")
        .await
        .unwrap();
    batch.commit().await.unwrap();
    signal::decrypt(&bob.store, &alice_address(), reply.0, &reply.1, &mut OsRng)
        .await
        .unwrap();
    let second = bob.encrypt(b"two").await;
    assert_eq!(second.0, MessageType::Whisper);

    // A new process: same database, empty cache.
    let reopened = restart(&db, store).await;
    let alice = SignalStore::new(reopened.session(SESSION), keys);
    decrypts_once(&alice, &bob.address, &second, b"two").await;
    reopened.close().await;
}

async fn an_uncommitted_batch_changes_nothing(db: Arc<TestDb>) {
    let store = open_with_session(&db).await;
    let alice = SignalStore::new(store.session(SESSION), local_keys());
    let bob = Peer::new("200000000000002_1");
    bob.start_with(&alice, 5).await;
    let first = bob.encrypt(b"hello").await;
    {
        let (plain, batch) = decrypt(&alice, &bob.address, &first).await.unwrap();
        assert_eq!(plain, b"hello");
        assert!(!batch.is_empty());
        // Dropped: a crash between decrypt and commit.
    }
    assert!(store.get_prekey(SESSION, 5).await.unwrap().is_some());
    assert!(
        store
            .get_signal_session(SESSION, &bob.address.to_string())
            .await
            .unwrap()
            .is_none()
    );
    // The redelivered message still decrypts (the prekey was not consumed, state not advanced).
    let (plain, batch) = decrypt(&alice, &bob.address, &first).await.unwrap();
    assert_eq!(plain, b"hello");
    batch.commit().await.unwrap();
    assert!(
        store
            .get_signal_session(SESSION, &bob.address.to_string())
            .await
            .unwrap()
            .is_some()
    );
    store.close().await;
}

async fn learning_a_mapping_moves_pn_sessions_to_the_lid(db: Arc<TestDb>) {
    let store = open_with_session(&db).await;
    let keys = local_keys();
    let alice = SignalStore::new(store.session(SESSION), keys.clone());
    let pn = ProtocolAddress::new("15550000002", 3);
    let lid = ProtocolAddress::new("200000000000002_1", 3);
    let bob = Peer {
        address: pn.clone(),
        ..Peer::new("x")
    };
    bob.start_with(&alice, 9).await;
    let first = bob.encrypt(b"via pn").await;
    let (_, batch) = decrypt(&alice, &pn, &first).await.unwrap();
    batch.commit().await.unwrap();
    assert!(
        store
            .get_signal_session(SESSION, "15550000002.3")
            .await
            .unwrap()
            .is_some()
    );

    assert!(
        alice
            .learn_mapping("15550000002", "200000000000002")
            .await
            .unwrap()
    );
    assert!(
        !alice
            .learn_mapping("15550000002", "200000000000002")
            .await
            .unwrap()
    );
    assert!(
        store
            .get_signal_session(SESSION, "15550000002.3")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .get_signal_session(SESSION, "200000000000002_1.3")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .get_identity(SESSION, "200000000000002_1.3")
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store
            .lid_for_pn(SESSION, "15550000002")
            .await
            .unwrap()
            .as_deref(),
        Some("200000000000002")
    );

    // Both forms reach the same session, also after a restart.
    let second = bob.encrypt(b"next").await;
    let reopened = restart(&db, store).await;
    let alice = SignalStore::new(reopened.session(SESSION), keys);
    assert_eq!(alice.resolve(&pn).await.unwrap(), lid);
    let batch = alice.begin().await;
    assert!(batch.load_session(&lid).await.unwrap().is_some());
    assert_eq!(
        batch.load_session(&pn).await.unwrap(),
        batch.load_session(&lid).await.unwrap()
    );
    let out = signal::decrypt(&batch, &lid, second.0, &second.1, &mut OsRng)
        .await
        .unwrap();
    assert_eq!(out.plaintext, b"next");
    assert_eq!(out.identity, IdentityChange::Unchanged);
    batch.commit().await.unwrap();
    reopened.close().await;
}

fn message(id: &str) -> MessageRecord {
    MessageRecord {
        session_id: SESSION.into(),
        chat: "15550000002@s.whatsapp.net".into(),
        id: id.into(),
        sender: "15550000002@s.whatsapp.net".into(),
        from_me: false,
        timestamp: 1_700_000_000,
        msg_type: "text".into(),
        body: Some("hello".into()),
        payload: None,
        status: MessageStatus::Delivered,
    }
}

/// Commits `batch` with the incoming message `id` and its event, as the receive pipeline does;
/// answers whether the message was new.
async fn commit_incoming(batch: super::SignalBatch, id: &str) -> bool {
    let record = message(id);
    let event = PendingEvent::new(EventKind::PairingCode {
        code: id.to_owned(),
    })
    .unwrap();
    batch
        .commit_with(None, move |mut tx| {
            let (record, event) = (record.clone(), event.clone());
            Box::pin(async move { store_incoming(&mut tx, &record, event).await })
        })
        .await
        .unwrap()
}

async fn incoming_commit_is_atomic_and_deduplicated(db: Arc<TestDb>) {
    let store = open_with_session(&db).await;
    let alice = SignalStore::new(store.session(SESSION), local_keys());
    let bob = Peer::new("200000000000002_1");
    bob.start_with(&alice, 11).await;
    let first = bob.encrypt(b"hello").await;
    let (_, batch) = decrypt(&alice, &bob.address, &first).await.unwrap();
    assert!(commit_incoming(batch, "M1").await, "new");
    let seq = store.last_event_seq().await.unwrap();
    assert_eq!(seq, 1);
    assert!(
        store
            .get_message(SESSION, "15550000002@s.whatsapp.net", "M1")
            .await
            .unwrap()
            .is_some()
    );
    assert!(store.get_prekey(SESSION, 11).await.unwrap().is_none());

    // A redelivery: the Signal writes are kept, no second event.
    let second = bob.encrypt(b"again").await;
    let (_, batch) = decrypt(&alice, &bob.address, &second).await.unwrap();
    assert!(!commit_incoming(batch, "M1").await, "duplicate");
    assert_eq!(store.last_event_seq().await.unwrap(), seq);
    assert!(
        matches!(
            decrypt(&alice, &bob.address, &second).await,
            Err(signal::SignalError::DuplicateMessage { .. })
        ),
        "the redelivery's ratchet step was kept"
    );
    store.close().await;
}

/// A batch's writes reach the cache when its unit is queued (the next batch builds on them
/// before the commit). If the unit then fails, the cache is dropped: the next batch reads the
/// durable state, so the message whose unit failed decrypts again when redelivered.
async fn a_failed_unit_drops_the_written_ahead_state(db: Arc<TestDb>) {
    let store = open_with_session(&db).await;
    let alice = SignalStore::new(store.session(SESSION), local_keys());
    let bob = Peer::new("200000000000002_1");
    bob.start_with(&alice, 9).await;
    let first = bob.encrypt(b"one").await;
    let (_, batch) = decrypt(&alice, &bob.address, &first).await.unwrap();
    batch.commit().await.unwrap();

    let second = bob.encrypt(b"two").await;
    let (plain, batch) = decrypt(&alice, &bob.address, &second).await.unwrap();
    assert_eq!(plain, b"two");
    let refused = batch
        .commit_with(None, |_| {
            Box::pin(async {
                Err::<((), Option<crate::event::Event>), _>(
                    openwa_store::StoreError::InvalidArgument("refused by the test".into()),
                )
            })
        })
        .await;
    assert!(refused.is_err());
    // Without the recovery the cache would hold the advanced ratchet: a duplicate.
    decrypts_once(&alice, &bob.address, &second, b"two").await;
    store.close().await;
}
