//! Messages through faults: while a simulated phone keeps writing, the simulator drops the
//! engine's connection, ends its stream with 515 and with 503, delays every stanza and refuses
//! logins for a while; the engine reconnects by itself and gets every message exactly once, and
//! what it sends afterwards arrives (SQLite).
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::collections::HashMap;
use std::time::Duration;

use openwa::{ConnectionState, EventKind};
use openwa_simulator::faults::FaultRequest;
use openwa_testkit::{Backend, TestStore, link_by_qr, sim_options, simulator};
use openwa_testkit::{http, phone_sends};

const ENGINE: &str = "15550004001";
const PHONE: &str = "15550004002";

#[tokio::test]
async fn messages_survive_drops_restarts_errors_delays_and_refused_logins() {
    let store = TestStore::create(Backend::Sqlite).await;
    let sim = simulator().await;
    sim.create_account(ENGINE, "Engine").unwrap();
    sim.create_account(PHONE, "Phone").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("faulty", None).await.unwrap();
    link_by_qr(&sim, &session, ENGINE).await;
    let events = session.events();

    let faults = [
        FaultRequest::DropConnections {
            phone: Some(ENGINE.into()),
        },
        FaultRequest::StreamError {
            code: 515,
            phone: Some(ENGINE.into()),
        },
        FaultRequest::StreamError {
            code: 503,
            phone: Some(ENGINE.into()),
        },
        FaultRequest::RefuseLogins {
            enabled: true,
            reason: 503,
            count: Some(2),
        },
    ];
    let mut sent = Vec::new();
    for (round, fault) in faults.into_iter().enumerate() {
        for k in 0..3 {
            sent.push(
                phone_sends(&sim, PHONE, ENGINE, &format!("round {round} message {k}")).await,
            );
        }
        if matches!(fault, FaultRequest::RefuseLogins { .. }) {
            // Refused logins only matter on a reconnect: drop the connection after arming it.
            sim.apply_fault(fault);
            sim.apply_fault(FaultRequest::DropConnections {
                phone: Some(ENGINE.into()),
            });
        } else {
            sim.apply_fault(fault);
        }
        for k in 3..5 {
            sent.push(
                phone_sends(&sim, PHONE, ENGINE, &format!("round {round} message {k}")).await,
            );
        }
    }
    // Every stanza late by 30 ms for the last few.
    sim.apply_fault(FaultRequest::DelayMs { ms: 30 });
    for k in 0..3 {
        sent.push(phone_sends(&sim, PHONE, ENGINE, &format!("delayed {k}")).await);
    }

    // Every message exactly once (the event stream may also carry states and receipts).
    let mut seen: HashMap<String, usize> = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while sent.iter().any(|id| !seen.contains_key(id)) {
        let event = tokio::time::timeout_at(deadline, events.next())
            .await
            .unwrap_or_else(|_| {
                let missing: Vec<_> = sent.iter().filter(|id| !seen.contains_key(*id)).collect();
                panic!("missing after the faults: {missing:?}")
            })
            .unwrap();
        if let EventKind::MessageReceived { message } = event.kind {
            *seen.entry(message.id).or_default() += 1;
        }
    }
    // Anything still in flight would show up now as a duplicate.
    tokio::time::sleep(Duration::from_secs(1)).await;
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(200), events.next()).await
    {
        if let EventKind::MessageReceived { message } = event.kind {
            *seen.entry(message.id).or_default() += 1;
        }
    }
    let duplicated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "delivered twice: {duplicated:?}");
    let stored = session.messages(PHONE, None, 100).await.unwrap().messages;
    assert_eq!(stored.len(), sent.len(), "{stored:?}");

    // And the engine still sends: the phone decrypts its answer.
    sim.apply_fault(FaultRequest::DelayMs { ms: 0 });
    session
        .wait_for_state(ConnectionState::Connected, 60_000)
        .await
        .unwrap();
    let answer = session
        .send_text(PHONE, "still here", openwa::SendOptions::default())
        .await
        .unwrap();
    let path = format!("/admin/accounts/{PHONE}/messages");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let timeline = http(&sim.info.admin_url, "GET", &path, None).await.json();
        let arrived = timeline
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == answer.id.as_str() && e["text"] == "still here");
        if arrived {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{timeline}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    manager.close().await.unwrap();
    store.destroy().await;
}
