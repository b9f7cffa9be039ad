//! What survives a restart: idempotent sends (a repeated key returns the first message and the
//! phone gets it once, before and after a restart), resumable streams (`events_from` replays
//! then goes live with no gap or duplicate; a session's stream only sees its session) and named
//! durable consumers (resume after the last acknowledged event), on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] functions

use std::sync::Arc;
use std::time::Duration;

use openwa::{ErrorCode, Event, EventKind, EventStream, SendOptions};
use openwa_simulator::SimulatorHandle;
use openwa_testkit::{TestStore, WAIT, link_by_qr, sim_options, simulator};
use openwa_testkit::{http, phone_sends};

const ENGINE: &str = "15550004001";
const PHONE: &str = "15550004002";

fn keyed(key: &str) -> SendOptions {
    SendOptions {
        idempotency_key: Some(key.to_owned()),
        ..SendOptions::default()
    }
}

/// How many entries with `text` the phone's timeline holds.
async fn on_phone(sim: &SimulatorHandle, text: &str) -> usize {
    let path = format!("/admin/accounts/{PHONE}/messages");
    let timeline = http(&sim.info.admin_url, "GET", &path, None).await.json();
    timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["text"] == text)
        .count()
}

/// The next `MessageReceived` of `events` (skipping everything else), with its seq.
async fn next_received(events: &EventStream) -> (u64, String) {
    tokio::time::timeout(WAIT, async {
        loop {
            let Event { seq, kind, .. } = events.next().await.unwrap();
            if let EventKind::MessageReceived { message } = kind {
                return (seq, message.id);
            }
        }
    })
    .await
    .expect("no MessageReceived in time")
}

async fn idempotent_sends_survive_a_restart(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(ENGINE, "Engine").unwrap();
    sim.create_account(PHONE, "Phone").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("idem", None).await.unwrap();
    link_by_qr(&sim, &session, ENGINE).await;

    let first = session.send_text(PHONE, "once", keyed("k1")).await.unwrap();
    let again = session.send_text(PHONE, "once", keyed("k1")).await.unwrap();
    assert_eq!(again.id, first.id, "the same key answers the same message");
    let other = session
        .send_text(PHONE, "twice", keyed("k2"))
        .await
        .unwrap();
    assert_ne!(other.id, first.id);
    let bad = session.send_text(PHONE, "x", keyed("")).await.unwrap_err();
    assert_eq!(bad.code, ErrorCode::InvalidArgument);
    manager.close().await.unwrap();
    drop((session, manager));

    let (manager, session, _) = store.resume(sim_options(&sim), "idem").await;
    let after = session.send_text(PHONE, "once", keyed("k1")).await.unwrap();
    assert_eq!(after.id, first.id, "the key outlives the process");
    // Let anything wrongly sent arrive, then count.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(on_phone(&sim, "once").await, 1);
    assert_eq!(on_phone(&sim, "twice").await, 1);
    manager.close().await.unwrap();
}

async fn streams_resume_from_a_cursor_and_consumers_from_their_ack(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(ENGINE, "Engine").unwrap();
    sim.create_account(PHONE, "Phone").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("dur", None).await.unwrap();
    // A second session whose events a per-session stream must never see.
    let idle = manager.create_session("other", None).await.unwrap();
    idle.connect().await.unwrap();
    link_by_qr(&sim, &session, ENGINE).await;

    let consumer = manager.consumer("bot", Some("dur")).await.unwrap();
    let mut sent = Vec::new();
    for n in 0..5 {
        sent.push(phone_sends(&sim, PHONE, ENGINE, &format!("m{n}")).await);
    }
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(next_received(&consumer).await);
    }
    assert_eq!(
        seen.iter().map(|s| &s.1).collect::<Vec<_>>(),
        sent.iter().collect::<Vec<_>>()
    );
    // Acknowledge the third; a restart resumes with the fourth.
    consumer.ack(seen[2].0).await.unwrap();
    consumer.ack(seen[1].0).await.unwrap(); // never goes backwards
    assert!(
        manager.events().ack(1).await.is_err(),
        "a live stream has no position"
    );
    let other_scope = manager.consumer("bot", None).await.unwrap_err();
    assert_eq!(other_scope.code, ErrorCode::AlreadyExists, "{other_scope}");

    // Replay from a cursor: exactly the events after it, in order, then live.
    let from = session.events_from(seen[0].0);
    let replayed: Vec<String> = {
        let mut ids = Vec::new();
        for _ in 0..4 {
            ids.push(next_received(&from).await.1);
        }
        ids
    };
    assert_eq!(replayed, sent[1..].to_vec());
    let live = phone_sends(&sim, PHONE, ENGINE, "live").await;
    assert_eq!(
        next_received(&from).await.1,
        live,
        "no gap between replay and live"
    );
    sent.push(live);
    let page = session.events_since(0, 10_000).await.unwrap();
    assert!(page.iter().all(|e| e.session_id == "dur"));
    assert!(page.windows(2).all(|w| w[0].seq < w[1].seq));
    manager.close().await.unwrap();
    drop((consumer, from, session, idle, manager));

    let (manager, _session, _) = store.resume(sim_options(&sim), "dur").await;
    let consumer = manager.consumer("bot", Some("dur")).await.unwrap();
    let resumed = [
        next_received(&consumer).await,
        next_received(&consumer).await,
        next_received(&consumer).await,
    ];
    assert_eq!(
        resumed.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
        sent[3..].to_vec(),
        "resumes right after the acknowledged event"
    );
    assert!(consumer.try_next().is_none_or(|e| e.session_id == "dur"));
    manager.close().await.unwrap();
}

// Persistent only: both restart the manager.
openwa_store::on_every_backend!(persistent: [
    idempotent_sends_survive_a_restart,
    streams_resume_from_a_cursor_and_consumers_from_their_ack,
]);
