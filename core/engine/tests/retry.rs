//! Retry receipts both ways with an unmodified Baileys 7 through the in-process simulator, on
//! SQLite and on PostgreSQL.
//!
//! - The engine lost its Signal session with Baileys' device and its one-time prekeys (an old
//!   backup): Baileys' next message does not decrypt, the engine asks again (attempt 1 without
//!   keys; Baileys' resend on a server bundle names a prekey the engine no longer has, so
//!   attempt 2 carries our keys), Baileys builds a session from them and resends, and the
//!   engine stores and emits the message exactly once.
//! - Baileys lost its session with the engine's device: it cannot decrypt the engine's message,
//!   asks again (with its keys from attempt 2), the engine builds a new session from those keys
//!   and resends, and Baileys gets the text once.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::path::Path;
use std::sync::Arc;

use openwa::{EventKind, EventStream, MessageStatus, ReceiptKind, SessionManager};
use openwa_simulator::SimulatorHandle;
use openwa_store::PageDirection;
use openwa_testkit::{BAILEYS7, Baileys, pair_by_qr, require_node_modules, temp_auth_dir};
use openwa_testkit::{TestStore, link_by_qr, next_matching, sim_options, simulator};
use serde_json::Value;

const ENGINE: &str = "15550003001";
const PEER: &str = "15550003002";

fn pn_chat(phone: &str) -> String {
    format!("{phone}@s.whatsapp.net")
}

/// The user part of a LID JID.
fn lid_user(lid: &str) -> &str {
    lid.trim_end_matches("@lid")
}

/// Simulator with both accounts, the engine session "alice" linked to `ENGINE`, Baileys 7 linked
/// to `PEER`; returns the peer's and the engine's LID JIDs too.
async fn setup(
    store: &TestStore,
    auth: &Path,
) -> (
    SimulatorHandle,
    Arc<SessionManager>,
    Baileys,
    String,
    String,
) {
    require_node_modules();
    let sim = simulator().await;
    let engine = sim.create_account(ENGINE, "Engine").unwrap();
    let peer = sim.create_account(PEER, "Peer").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    link_by_qr(&sim, &session, ENGINE).await;
    let (baileys, _) =
        pair_by_qr(&sim.info.ws_url, &sim.info.admin_url, BAILEYS7, PEER, auth).await;
    (sim, manager, baileys, peer.lid, engine.lid)
}

/// The next `MessageReceived` with id `id`; returns its text.
async fn received_text(events: &EventStream, id: &str) -> Option<String> {
    match next_matching(
        events,
        |k| matches!(k, EventKind::MessageReceived { message } if message.id == id),
    )
    .await
    {
        EventKind::MessageReceived { message } => message.text,
        _ => unreachable!(),
    }
}

/// Waits for the retry receipt attempt `count` of message `id` at Baileys (it may have come
/// while the test waited for something else); returns whether it carried keys.
async fn retry_at_baileys(baileys: &mut Baileys, id: &str, count: u64) -> bool {
    let is_it = |e: &Value| e["event"] == "retry_receipt" && e["id"] == id && e["count"] == count;
    if let Some(seen) = baileys.seen().iter().find(|e| is_it(e)) {
        return seen["keys"] == true;
    }
    baileys
        .wait_for(&format!("retry receipt {count} for {id}"), is_it)
        .await["keys"]
        == true
}

async fn engine_asks_baileys_again_and_gets_the_message_once(store: Arc<TestStore>) {
    let auth = temp_auth_dir("eretry-a");
    let (sim, manager, mut baileys, peer_lid, _) = setup(&store, &auth).await;
    let session = manager.get("alice").await.unwrap();
    let events = session.events();
    let first = baileys.send_text(&pn_chat(ENGINE), "first contact").await;
    assert_eq!(
        received_text(&events, &first).await.as_deref(),
        Some("first contact")
    );

    // While the engine is stopped, its Signal sessions with Baileys' device and its one-time
    // prekeys are lost (as after a restore of an old backup). The server still hands out those
    // prekeys.
    manager.close().await.unwrap();
    drop((events, session, manager));
    let raw = store.open_raw().await;
    let mut lost = 0;
    for prefix in [format!("{PEER}."), format!("{}_1.", lid_user(&peer_lid))] {
        for address in raw
            .list_signal_session_addresses("alice", &prefix)
            .await
            .unwrap()
        {
            assert!(raw.delete_signal_session("alice", &address).await.unwrap());
            lost += 1;
        }
    }
    assert!(lost > 0, "the engine had no session with Baileys");
    for id in raw.uploaded_prekey_ids("alice").await.unwrap() {
        raw.remove_prekey("alice", id).await.unwrap();
    }
    raw.close().await;

    let (manager, _session, events) = store.resume(sim_options(&sim), "alice").await;
    let since = manager.last_seq();

    // Attempt 1 asks for a plain resend; Baileys' resend (a new session on a server bundle)
    // names a prekey the engine lost, so attempt 2 carries the engine's keys; Baileys builds a
    // session from them and the third copy decrypts.
    let lost_id = baileys.send_text(&pn_chat(ENGINE), "after the loss").await;
    assert!(!retry_at_baileys(&mut baileys, &lost_id, 1).await);
    assert!(retry_at_baileys(&mut baileys, &lost_id, 2).await);
    assert_eq!(
        received_text(&events, &lost_id).await.as_deref(),
        Some("after the loss")
    );

    // The session lives on: the next message needs no retry.
    let next = baileys.send_text(&pn_chat(ENGINE), "and on").await;
    assert_eq!(
        received_text(&events, &next).await.as_deref(),
        Some("and on")
    );
    let retried: Vec<&Value> = baileys
        .seen()
        .iter()
        .filter(|e| e["event"] == "retry_receipt")
        .collect();
    assert_eq!(retried.len(), 2, "{retried:?}");

    // Exactly once: one event, one stored message.
    let logged = manager.events_since(since, 1000).await.unwrap();
    let arrivals: Vec<&str> = logged
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::MessageReceived { message } => Some(message.id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(arrivals, [lost_id.as_str(), next.as_str()]);
    let raw = store.open_raw().await;
    let history = raw
        .message_page("alice", &pn_chat(PEER), &PageDirection::Newer(None), 100)
        .await
        .unwrap();
    // (Messages of the same second are ordered by id: compare them as a set.)
    let mut ids: Vec<&str> = history.messages.iter().map(|m| m.id.as_str()).collect();
    ids.sort_unstable();
    let mut expected = [first.as_str(), lost_id.as_str(), next.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    raw.close().await;

    baileys.quit().await;
    manager.close().await.unwrap();
    let _ = std::fs::remove_dir_all(auth);
}

/// Removes Baileys' Signal sessions with the engine's user (PN and LID addresses) from its auth
/// directory; returns how many there were.
fn forget_sessions_with(auth: &Path, engine_lid: &str) -> usize {
    let prefixes = [
        format!("session-{ENGINE}."),
        format!("session-{}_1.", lid_user(engine_lid)),
    ];
    let mut removed = 0;
    for entry in std::fs::read_dir(auth).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if prefixes.iter().any(|p| name.starts_with(p.as_str())) {
            std::fs::remove_file(entry.path()).unwrap();
            removed += 1;
        }
    }
    removed
}

async fn baileys_asks_the_engine_again_and_gets_the_text_once(store: Arc<TestStore>) {
    let auth = temp_auth_dir("eretry-b");
    let (sim, manager, mut baileys, _, engine_lid) = setup(&store, &auth).await;
    let session = manager.get("alice").await.unwrap();
    let events = session.events();
    let first = session
        .send_text(PEER, "first contact", openwa::SendOptions::default())
        .await
        .unwrap();
    assert_eq!(
        baileys.wait_message(&first.id).await["text"],
        "first contact"
    );

    // While Baileys is stopped, its sessions with the engine's device are lost.
    baileys.quit().await;
    assert!(forget_sessions_with(&auth, &engine_lid) > 0);
    let mut baileys = Baileys::start(BAILEYS7, &sim.info.ws_url, &auth).await;
    baileys.wait_event("open").await;

    // Baileys cannot decrypt and asks again; from its second attempt its keys come along, the
    // engine starts a new session from them and the text arrives.
    let lost = session
        .send_text(PEER, "after the loss", openwa::SendOptions::default())
        .await
        .unwrap();
    let got = baileys
        .wait_for("the text", |e| {
            e["event"] == "message" && e["id"] == lost.id && e["text"] == "after the loss"
        })
        .await;
    assert_eq!(got["from_me"], false, "{got}");
    let mut retries = 0;
    while retries < 2 {
        let kind = next_matching(&events, |k| {
            matches!(k, EventKind::Receipt { message_ids, .. } if message_ids.contains(&lost.id))
        })
        .await;
        if matches!(
            kind,
            EventKind::Receipt {
                receipt: ReceiptKind::Retry,
                ..
            }
        ) {
            retries += 1;
        }
    }

    // The next message needs no retry, and the lost one arrived with its text once.
    let next = session
        .send_text(PEER, "and on", openwa::SendOptions::default())
        .await
        .unwrap();
    assert_eq!(baileys.wait_message(&next.id).await["text"], "and on");
    next_matching(&events, |k| {
        matches!(k, EventKind::MessageStatus { message_id, status, .. }
            if *message_id == next.id && *status == MessageStatus::Delivered)
    })
    .await;
    let texts = baileys
        .seen()
        .iter()
        .filter(|e| e["event"] == "message" && e["id"] == lost.id && !e["text"].is_null())
        .count();
    assert_eq!(texts, 1, "{:?}", baileys.seen());
    assert!(
        !baileys
            .seen()
            .iter()
            .any(|e| e["event"] == "message" && e["id"] == next.id && e["text"].is_null()),
        "the next message did not decrypt at first: {:?}",
        baileys.seen()
    );

    baileys.quit().await;
    manager.close().await.unwrap();
    let _ = std::fs::remove_dir_all(auth);
}

openwa_store::on_every_backend!(
    all: [baileys_asks_the_engine_again_and_gets_the_text_once],
    // It restarts the manager.
    persistent: [engine_asks_baileys_again_and_gets_the_message_once],
);
