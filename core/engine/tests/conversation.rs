//! A conversation between the engine and a simulated phone (a full Signal participant run by the
//! simulator): the first message each way is a `pkmsg`, every later one a `msg` on the session
//! the other side established; both sides store and see the other's texts, on SQLite and on
//! PostgreSQL.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::sync::Arc;
use std::time::Duration;

use openwa::EventKind;
use openwa_simulator::SimulatorHandle;
use openwa_testkit::{TestStore, WAIT, link_by_qr, next_matching, sim_options, simulator};
use openwa_testkit::{http, phone_sends};
use serde_json::Value;

const ENGINE: &str = "15550003001";
const PHONE: &str = "15550003002";

/// The phone's timeline entry with message id `id`, once it is there.
async fn on_phone(sim: &SimulatorHandle, id: &str) -> Value {
    let path = format!("/admin/accounts/{PHONE}/messages");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let timeline = http(&sim.info.admin_url, "GET", &path, None).await.json();
        if let Some(entry) = timeline.as_array().unwrap().iter().find(|e| e["id"] == id) {
            return entry.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{id} not on the phone: {timeline}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn conversation_with_a_phone(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(ENGINE, "Engine").unwrap();
    sim.create_account(PHONE, "Phone").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("conv", None).await.unwrap();
    link_by_qr(&sim, &session, ENGINE).await;
    let events = session.events();

    // Engine first: a pkmsg, then (after the phone's answer) a msg.
    let first = session
        .send_text(PHONE, "hello phone", openwa::SendOptions::default())
        .await
        .unwrap();
    let entry = on_phone(&sim, &first.id).await;
    assert_eq!(entry["text"], "hello phone", "{entry}");
    assert_eq!(entry["enc"], "pkmsg", "{entry}");

    let reply = phone_sends(&sim, PHONE, ENGINE, "hello engine").await;
    let received = next_matching(
        &events,
        |k| matches!(k, EventKind::MessageReceived { message } if message.id == reply),
    )
    .await;
    let EventKind::MessageReceived { message } = received else {
        unreachable!()
    };
    assert_eq!(message.text.as_deref(), Some("hello engine"));
    assert!(!message.from_me);
    assert_eq!(message.chat, format!("{PHONE}@s.whatsapp.net"));

    let second = session
        .send_text(PHONE, "second from engine", openwa::SendOptions::default())
        .await
        .unwrap();
    let entry = on_phone(&sim, &second.id).await;
    assert_eq!(entry["text"], "second from engine", "{entry}");
    assert_eq!(
        entry["enc"], "msg",
        "the engine reuses the session: {entry}"
    );

    // Both directions in one history, newest first.
    let history = session.messages(PHONE, None, 10).await.unwrap().messages;
    let ids: Vec<&str> = history.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids.len(), 3, "{history:?}");
    for id in [&first.id, &reply, &second.id] {
        assert!(ids.contains(&id.as_str()), "{id} missing from {ids:?}");
    }
    manager.close().await.unwrap();
}

openwa_store::on_every_backend!(all: [conversation_with_a_phone]);
