//! The receive pipeline and prekey maintenance against the in-process simulator and an
//! unmodified Baileys 7, on SQLite and on PostgreSQL: texts from Baileys arrive as
//! `MessageReceived` events, are stored, and Baileys sees them delivered; redeliveries give no
//! second event; messages sent while the engine is offline arrive in order, exactly once; group
//! messages (sender keys) decrypt; prekeys are uploaded, refilled and re-uploaded on a digest
//! mismatch (foreign ids, or right ids with a wrong SHA-1), and a matching digest uploads nothing.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::sync::Arc;
use std::time::Duration;

use openwa::{ConnectionState, Event, EventKind, EventStream, Message, Session, SessionManager};
use openwa_protocol::signal::SignedPreKeyRecord;
use openwa_protocol::stanza::{Enc, EncKind, IncomingMessage, MessageType};
use openwa_protocol::{Jid, Node};
use openwa_simulator::{PairedDevice, SimulatorHandle};
use openwa_store::{PageDirection, Store};
use openwa_testkit::{
    BAILEYS7, Baileys, has_status, pair_by_qr, require_node_modules, temp_auth_dir,
};
use openwa_testkit::{TestStore, WAIT, link_by_qr, next_matching, sim_options, simulator};

const ENGINE: &str = "15550002001";
const PEER: &str = "15550002002";

fn chat_jid(phone: &str) -> String {
    format!("{phone}@s.whatsapp.net")
}

/// How many one-time prekeys the simulator holds for `phone`'s device `device`.
fn server_prekeys(sim: &SimulatorHandle, phone: &str, device: u16) -> usize {
    sim.sim().read(|s| {
        s.accounts
            .get(phone)
            .and_then(|a| a.devices.get(&device))
            .map_or(0, |d| d.prekeys.len())
    })
}

/// Polls `probe` until it answers `Ok`; after [`WAIT`] fails with `what` and the last `Err`
/// (what was observed instead).
async fn eventually<T, V, F, Fut>(what: &str, mut probe: F) -> T
where
    V: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, V>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match probe().await {
            Ok(done) => return done,
            Err(seen) => assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: still {seen:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the simulator holds `count` prekeys for the device.
async fn wait_server_prekeys(sim: &SimulatorHandle, phone: &str, device: u16, count: usize) {
    eventually(&format!("{count} prekeys on the server"), || async {
        let now = server_prekeys(sim, phone, device);
        if now == count { Ok(()) } else { Err(now) }
    })
    .await;
}

/// Waits until the simulator holds nothing unacknowledged for the engine's device.
async fn wait_queue_empty(sim: &SimulatorHandle, device: u16) {
    eventually("every stanza acknowledged", || async {
        let pending: Vec<String> = sim.sim().read(|s| {
            s.pending_for(ENGINE, device)
                .into_iter()
                .map(|p| p.id)
                .collect()
        });
        if pending.is_empty() {
            Ok(())
        } else {
            Err(pending)
        }
    })
    .await;
}

/// Waits until the engine's store holds `expected` prekeys (total, uploaded): the engine marks
/// them uploaded right after the server's answer.
async fn wait_local_prekeys(raw: &Store, expected: (u64, u64)) {
    eventually(&format!("{expected:?} local prekeys"), || async {
        let now = raw.prekey_counts("alice").await.unwrap();
        if now == expected { Ok(()) } else { Err(now) }
    })
    .await;
}

/// Waits until Baileys shows message `id` as delivered (status 3); the receipt may have
/// arrived before Baileys reported the send.
async fn wait_delivered(baileys: &mut Baileys, id: &str) {
    let id = serde_json::Value::from(id);
    if !baileys.seen().iter().any(|e| has_status(e, &id, 3)) {
        baileys
            .wait_for("delivered", |e| has_status(e, &id, 3))
            .await;
    }
}

/// Waits until the engine recorded a key-digest check.
async fn wait_digest_recorded(raw: &Store) {
    eventually("digest check recorded", || async {
        raw.get_kv("alice", "prekeys.digest_checked_at")
            .await
            .unwrap()
            .ok_or(())
    })
    .await;
}

/// The next `MessageReceived` of `events`.
async fn next_message(events: &EventStream) -> Message {
    match next_matching(events, |k| matches!(k, EventKind::MessageReceived { .. })).await {
        EventKind::MessageReceived { message } => message,
        _ => unreachable!(),
    }
}

fn received(events: &[Event]) -> Vec<Message> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::MessageReceived { message } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

struct Setup {
    sim: SimulatorHandle,
    manager: Arc<SessionManager>,
    session: Arc<Session>,
    engine: PairedDevice,
    baileys: Baileys,
    baileys_lid: String,
}

/// Simulator, an engine session linked to `ENGINE` (initial prekeys uploaded) and Baileys 7
/// linked to `PEER`.
async fn setup(store: &TestStore) -> Setup {
    require_node_modules();
    let sim = simulator().await;
    sim.create_account(ENGINE, "Engine").unwrap();
    let peer = sim.create_account(PEER, "Peer").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let engine = link_by_qr(&sim, &session, ENGINE).await;
    wait_server_prekeys(&sim, ENGINE, engine.device, 812).await;
    let auth = temp_auth_dir("erecv");
    let (baileys, _) =
        pair_by_qr(&sim.info.ws_url, &sim.info.admin_url, BAILEYS7, PEER, &auth).await;
    Setup {
        sim,
        manager,
        session,
        engine,
        baileys: baileys.owning(auth),
        baileys_lid: peer.lid,
    }
}

/// A `<message>` from `from` with an `<enc>` nobody can decrypt.
fn garbage_message(id: &str, from: &str) -> Node {
    let mut message = IncomingMessage::new(
        id,
        from.parse::<Jid>().unwrap(),
        1_700_000_000,
        MessageType::from("text"),
    );
    message.encs = vec![Enc::new(EncKind::Msg, vec![0x33; 60])];
    message.to_node()
}

async fn texts_arrive_stored_delivered_once_and_in_order(store: Arc<TestStore>) {
    let Setup {
        sim,
        manager,
        session,
        engine,
        mut baileys,
        baileys_lid,
    } = setup(&store).await;
    let events = session.events();
    let start = manager.last_seq();

    // First contact (pkmsg): event, delivery seen by Baileys, message stored.
    let first = baileys.send_text(&chat_jid(ENGINE), "hello engine").await;
    let message = next_message(&events).await;
    assert_eq!(message.id, first);
    assert_eq!(message.text.as_deref(), Some("hello engine"));
    assert_eq!(message.chat, chat_jid(PEER));
    assert_eq!(message.sender, chat_jid(PEER));
    assert_eq!(message.sender_alt.as_deref(), Some(baileys_lid.as_str()));
    assert_eq!(message.message_type, openwa::MessageType::Text);
    assert_eq!(
        message.content,
        openwa::MessageContent::Text {
            text: "hello engine".into()
        }
    );
    assert!(!message.from_me);
    wait_delivered(&mut baileys, &first).await;

    // The one-time prekey it used is gone from the engine's store.
    let raw = store.open_raw().await;
    let stored = raw
        .get_message("alice", &chat_jid(PEER), &first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.body.as_deref(), Some("hello engine"));
    assert_eq!(stored.msg_type, "text");
    assert!(!stored.from_me);
    assert_eq!(raw.prekey_counts("alice").await.unwrap(), (811, 811));

    // Second message on the same session: no further prekey consumed.
    let second = baileys.send_text(&chat_jid(ENGINE), "second").await;
    assert_eq!(next_message(&events).await.id, second);
    assert_eq!(raw.prekey_counts("alice").await.unwrap(), (811, 811));

    // A redelivery of a stored message (same id) is acknowledged again without a new event;
    // an undecryptable message is acknowledged (retry receipt + ack) and the session lives on.
    let baileys_device = format!("{PEER}:{}@s.whatsapp.net", {
        let devices = sim.devices(PEER).unwrap();
        devices.iter().find(|d| d.device != 0).unwrap().device
    });
    sim.sim().deliver(
        ENGINE,
        engine.device,
        garbage_message(&first, &baileys_device),
    );
    sim.sim().deliver(
        ENGINE,
        engine.device,
        garbage_message("BAD1", &baileys_device),
    );
    let third = baileys.send_text(&chat_jid(ENGINE), "third").await;
    assert_eq!(next_message(&events).await.id, third);
    wait_queue_empty(&sim, engine.device).await;
    // The engine answers in stanza order: by the time BAD1's retry receipt reaches Baileys, one
    // for the redelivered stored message would have come first. It was answered as delivered.
    let retry_for =
        |e: &serde_json::Value, id: &str| e["event"] == "retry_receipt" && e["id"] == id;
    if !baileys.seen().iter().any(|e| retry_for(e, "BAD1")) {
        baileys
            .wait_for("the retry receipt for BAD1", |e| retry_for(e, "BAD1"))
            .await;
    }
    assert!(
        !baileys.seen().iter().any(|e| retry_for(e, &first)),
        "a stored message was asked for again: {:?}",
        baileys.seen()
    );

    // Sent while the engine is offline: delivered after it reconnects, in order, once each.
    session.disconnect().await.unwrap();
    let mut offline = Vec::new();
    for n in 0..3 {
        offline.push(
            baileys
                .send_text(&chat_jid(ENGINE), &format!("offline {n}"))
                .await,
        );
    }
    session.connect().await.unwrap();
    for expected in &offline {
        let message = next_message(&events).await;
        assert_eq!(&message.id, expected);
    }
    for expected in &offline {
        wait_delivered(&mut baileys, expected).await;
    }

    // Exactly once each, in the event log and in the chat history.
    let logged: Vec<String> = received(&manager.events_since(start, 1000).await.unwrap())
        .into_iter()
        .map(|m| m.id)
        .collect();
    let mut expected = vec![first, second, third];
    expected.extend(offline);
    assert_eq!(logged, expected);
    let page = raw
        .message_page("alice", &chat_jid(PEER), &PageDirection::Newer(None), 100)
        .await
        .unwrap();
    assert_eq!(page.messages.len(), expected.len());
    raw.close().await;
    baileys.quit().await;
    manager.close().await.unwrap();
}

async fn group_messages_decrypt_with_sender_keys(store: Arc<TestStore>) {
    let Setup {
        manager,
        session,
        mut baileys,
        baileys_lid,
        ..
    } = setup(&store).await;
    let events = session.events();
    let created = baileys
        .group(
            "groupCreate",
            serde_json::json!(["Receive", [chat_jid(ENGINE)]]),
        )
        .await;
    let group = created["id"].as_str().unwrap().to_owned();
    for text in ["group one", "group two"] {
        let id = baileys.send_text(&group, text).await;
        let message = next_message(&events).await;
        assert_eq!(message.id, id);
        assert_eq!(message.chat, group);
        assert_eq!(message.text.as_deref(), Some(text));
        // LID-addressed group: the sender is Baileys' LID, its phone number the alternate id.
        assert_eq!(message.sender, baileys_lid);
        assert_eq!(message.sender_alt.as_deref(), Some(chat_jid(PEER).as_str()));
    }
    baileys.quit().await;
    manager.close().await.unwrap();
}

async fn prekeys_refill_and_digest_mismatch(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(ENGINE, "Engine").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let engine = link_by_qr(&sim, &session, ENGINE).await;
    wait_server_prekeys(&sim, ENGINE, engine.device, 812).await;
    let raw = store.open_raw().await;
    wait_local_prekeys(&raw, (812, 812)).await;

    // The server ran low (bundle fetches) and says so: the engine refills.
    server_runs_low(&sim, engine.device, 2);
    wait_server_prekeys(&sim, ENGINE, engine.device, 52).await;

    // The server's keys no longer match ours (it lists a prekey we never issued): at the next
    // login after the daily digest check is due again (the initial upload counted as one), the
    // engine notices and uploads again.
    wait_digest_recorded(&raw).await;
    raw.delete_kv("alice", "prekeys.digest_checked_at")
        .await
        .unwrap();
    edit_server_device(&sim, engine.device, |device| {
        if let Some(key) = device.prekeys.front_mut() {
            key.id = 0xAB_CDEF;
        }
    });
    relogin(&session).await;
    wait_server_prekeys(&sim, ENGINE, engine.device, 102).await;
    wait_local_prekeys(&raw, (912, 912)).await;
    // The check is remembered: the next one is due in a day, not at every login.
    wait_digest_recorded(&raw).await;

    // Once the server drops the foreign key, its digest matches (ids and SHA-1): nothing is
    // uploaded at the next due check. The keys the server lists are stored as before schema 2
    // (no public key kept): the engine derives those once from the records and keeps them.
    raw.delete_kv("alice", "prekeys.digest_checked_at")
        .await
        .unwrap();
    edit_server_device(&sim, engine.device, |device| {
        device.prekeys.retain(|key| key.id != 0xAB_CDEF);
    });
    let listed: Vec<u32> = sim.sim().read(|s| {
        s.accounts[ENGINE].devices[&engine.device]
            .prekeys
            .iter()
            .map(|k| k.id)
            .collect()
    });
    for id in &listed {
        let stored = raw.get_prekey("alice", *id).await.unwrap().unwrap();
        raw.remove_prekey("alice", *id).await.unwrap();
        raw.put_prekeys("alice", &[(*id, stored.record)])
            .await
            .unwrap();
    }
    raw.mark_prekeys_uploaded("alice", &listed).await.unwrap();
    let unrecorded = |publics: &[(u32, Option<Vec<u8>>)]| {
        publics
            .iter()
            .filter(|(id, public)| listed.contains(id) && public.is_none())
            .count()
    };
    let publics = raw.uploaded_prekey_publics("alice").await.unwrap();
    assert_eq!(unrecorded(&publics), listed.len());
    relogin(&session).await;
    wait_digest_recorded(&raw).await;
    assert_eq!(server_prekeys(&sim, ENGINE, engine.device), 101);
    assert_eq!(raw.prekey_counts("alice").await.unwrap(), (912, 912));
    let publics = raw.uploaded_prekey_publics("alice").await.unwrap();
    assert_eq!(unrecorded(&publics), 0);

    // Every id is ours but one public key is not (only the SHA-1 differs): a mismatch too.
    raw.delete_kv("alice", "prekeys.digest_checked_at")
        .await
        .unwrap();
    edit_server_device(&sim, engine.device, |device| {
        if let Some(key) = device.prekeys.back_mut() {
            key.public[7] ^= 0x55;
        }
    });
    relogin(&session).await;
    wait_server_prekeys(&sim, ENGINE, engine.device, 151).await;
    wait_local_prekeys(&raw, (962, 962)).await;
    wait_digest_recorded(&raw).await;

    raw.close().await;
    manager.close().await.unwrap();
}

/// Disconnects and logs in again (prekey maintenance runs after the login).
async fn relogin(session: &Session) {
    session.disconnect().await.unwrap();
    session.connect().await.unwrap();
    session
        .wait_for_state(ConnectionState::Connected, 30_000)
        .await
        .unwrap();
}

/// Changes what the simulator holds for the engine's device (as if the server lost or changed
/// keys).
fn edit_server_device(
    sim: &SimulatorHandle,
    device: u16,
    edit: impl FnOnce(&mut openwa_simulator::state::model::Device),
) {
    sim.sim().write(|s| {
        edit(
            s.accounts
                .get_mut(ENGINE)
                .unwrap()
                .devices
                .get_mut(&device)
                .unwrap(),
        )
    });
}

/// The simulator keeps only `left` of the engine's prekeys and tells the engine with an
/// `encrypt` notification, as the server does when it runs low.
fn server_runs_low(sim: &SimulatorHandle, device: u16, left: usize) {
    edit_server_device(sim, device, |d| d.prekeys.truncate(left));
    let notification = Node::new("notification")
        .attr("from", Jid::server())
        .attr("id", format!("enc-{left}"))
        .attr("type", "encrypt")
        .child(Node::new("count").attr("value", left.to_string()));
    sim.sim().deliver(ENGINE, device, notification);
}

/// The id of the signed prekey the simulator holds for the device.
fn server_signed_prekey(sim: &SimulatorHandle, phone: &str, device: u16) -> u32 {
    sim.sim()
        .read(|s| s.accounts[phone].devices[&device].signed_prekey.id)
}

async fn signed_prekey_rotates_and_the_old_one_keeps_decrypting(store: Arc<TestStore>) {
    let Setup {
        sim,
        manager,
        session,
        engine,
        mut baileys,
        ..
    } = setup(&store).await;
    let events = session.events();
    let first = baileys
        .send_text(&chat_jid(ENGINE), "before rotation")
        .await;
    assert_eq!(next_message(&events).await.id, first);
    assert_eq!(server_signed_prekey(&sim, ENGINE, engine.device), 1);

    // The engine recorded when it first saw signed prekey 1; pretend that was 8 days ago.
    let raw = store.open_raw().await;
    let stored = eventually("signed prekey 1 recorded", || async {
        raw.get_signed_prekey("alice", 1).await.unwrap().ok_or(())
    })
    .await;
    let mut record = SignedPreKeyRecord::deserialize(&stored).unwrap();
    assert!(record.timestamp > 0);
    record.timestamp -= 8 * 24 * 3600;
    raw.put_signed_prekey("alice", 1, &record.serialize())
        .await
        .unwrap();

    // The next login rotates: the server gets key 2, the credentials keep it, key 1 stays.
    session.disconnect().await.unwrap();
    session.connect().await.unwrap();
    eventually("signed prekey 2 on the server", || async {
        match server_signed_prekey(&sim, ENGINE, engine.device) {
            2 => Ok(()),
            other => Err(other),
        }
    })
    .await;
    let device = raw.get_device("alice").await.unwrap().unwrap();
    assert_eq!(device.signed_prekey.id, 2);
    assert!(raw.get_signed_prekey("alice", 1).await.unwrap().is_some());
    assert!(raw.get_signed_prekey("alice", 2).await.unwrap().is_some());

    // Baileys' session was built on key 1 (and it still sends pkmsg naming it): it decrypts.
    let second = baileys.send_text(&chat_jid(ENGINE), "after rotation").await;
    let message = next_message(&events).await;
    assert_eq!(message.id, second);
    assert_eq!(message.text.as_deref(), Some("after rotation"));
    raw.close().await;
    baileys.quit().await;
    manager.close().await.unwrap();
}

/// A message another device of our own account (a Baileys companion on the same phone
/// number) sends to someone else reaches the engine as a device-sent copy: unwrapped, marked
/// from us, filed under the recipient's chat, and answered with a `sender` receipt.
async fn own_device_messages_unwrap_as_sent_by_us(store: Arc<TestStore>) {
    require_node_modules();
    let sim = simulator().await;
    sim.create_account(ENGINE, "Engine").unwrap();
    sim.create_account(PEER, "Peer").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let engine = link_by_qr(&sim, &session, ENGINE).await;
    wait_server_prekeys(&sim, ENGINE, engine.device, 812).await;
    let auth = temp_auth_dir("erecv-own");
    let (mut companion, _) = pair_by_qr(
        &sim.info.ws_url,
        &sim.info.admin_url,
        BAILEYS7,
        ENGINE,
        &auth,
    )
    .await;
    let events = session.events();
    let id = companion
        .send_text(&chat_jid(PEER), "from my other device")
        .await;
    let message = next_message(&events).await;
    assert_eq!(message.id, id);
    assert!(message.from_me);
    assert_eq!(message.chat, chat_jid(PEER));
    assert_eq!(message.sender, chat_jid(ENGINE));
    assert_eq!(message.text.as_deref(), Some("from my other device"));
    let raw = store.open_raw().await;
    let stored = raw
        .get_message("alice", &chat_jid(PEER), &id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.from_me);
    wait_queue_empty(&sim, engine.device).await;
    raw.close().await;
    companion.quit().await;
    manager.close().await.unwrap();
}

/// A message the engine cannot decrypt (its Signal session with the sender is gone and the
/// one-time prekey the sender still names was used up) is answered with a retry receipt;
/// Baileys re-encrypts it for the engine's device on a fresh session and the message arrives,
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_receipts_get_an_undecryptable_message_resent() {
    let store = Arc::new(TestStore::create(openwa_testkit::Backend::Sqlite).await);
    let Setup {
        sim,
        manager,
        session,
        mut baileys,
        ..
    } = setup(&store).await;
    let events = session.events();
    let first = baileys.send_text(&chat_jid(ENGINE), "first").await;
    assert_eq!(next_message(&events).await.id, first);
    manager.close().await.unwrap();
    drop((session, manager));

    // Lose every Signal session of the engine (as a broken store would).
    let raw = store.open_raw().await;
    for address in raw
        .list_signal_session_addresses("alice", "")
        .await
        .unwrap()
    {
        raw.delete_signal_session("alice", &address).await.unwrap();
    }
    let (manager, _session, events) = store.resume(sim_options(&sim), "alice").await;
    let second = baileys.send_text(&chat_jid(ENGINE), "second").await;
    let message = next_message(&events).await;
    assert_eq!(message.id, second);
    assert_eq!(message.text.as_deref(), Some("second"));
    wait_delivered(&mut baileys, &second).await;
    let third = baileys.send_text(&chat_jid(ENGINE), "third").await;
    assert_eq!(next_message(&events).await.id, third);
    raw.close().await;
    baileys.quit().await;
    manager.close().await.unwrap();
    store.destroy().await;
}

/// With the default configuration (the memory backend) the same pipeline runs: initial prekeys,
/// a first message from Baileys, a second one on the same session, and a refill.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_backend_receives_and_keeps_prekeys() {
    require_node_modules();
    let sim = simulator().await;
    sim.create_account(ENGINE, "Engine").unwrap();
    sim.create_account(PEER, "Peer").unwrap();
    let manager = SessionManager::open(openwa::ManagerConfig {
        default_session_options: sim_options(&sim),
        ..openwa::ManagerConfig::default()
    })
    .await
    .unwrap();
    let session = manager.create_session("alice", None).await.unwrap();
    let engine = link_by_qr(&sim, &session, ENGINE).await;
    wait_server_prekeys(&sim, ENGINE, engine.device, 812).await;
    let auth = temp_auth_dir("erecv-memory");
    let (mut baileys, _) =
        pair_by_qr(&sim.info.ws_url, &sim.info.admin_url, BAILEYS7, PEER, &auth).await;
    let events = session.events();
    for text in ["memory one", "memory two"] {
        let id = baileys.send_text(&chat_jid(ENGINE), text).await;
        let message = next_message(&events).await;
        assert_eq!(
            (message.id.as_str(), message.text.as_deref()),
            (id.as_str(), Some(text))
        );
        wait_delivered(&mut baileys, &id).await;
    }
    let left = server_prekeys(&sim, ENGINE, engine.device);
    server_runs_low(&sim, engine.device, 1);
    wait_server_prekeys(&sim, ENGINE, engine.device, 51).await;
    assert_eq!(left, 811, "one prekey was handed out for Baileys' session");
    baileys.quit().await;
    manager.close().await.unwrap();
}

openwa_store::on_every_backend!(
    all: [group_messages_decrypt_with_sender_keys],
    // These read what the engine stored through a second handle.
    persistent: [
        own_device_messages_unwrap_as_sent_by_us,
        signed_prekey_rotates_and_the_old_one_keeps_decrypting,
        texts_arrive_stored_delivered_once_and_in_order,
        prekeys_refill_and_digest_mismatch,
    ],
);
