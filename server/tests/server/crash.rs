//! SIGKILL mid-stream: the receiver is failing when the server dies, so the outbox holds
//! undelivered rows and the engine unacknowledged events; Bob keeps sending while the server is
//! down. After the restart every incoming message reaches the webhook at least once, each with
//! one stable idempotency key, and the session resumes without a QR code.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use crate::common::{Receiver, Server, sim_with, wait_for};

const ALICE: &str = "15553330001";
const BOB: &str = "15553330002";
const MESSAGES: usize = 30;

#[tokio::test]
async fn no_webhook_event_lost_across_sigkill() {
    let sim = sim_with(&[ALICE, BOB]).await;
    // Retries 1 s, 2 s, 4 s, 8 s apart: rows failing at the kill are still pending after it.
    let mut server = Server::start_with(&sim, None, &[("WEBHOOK_RETRY_DELAY", "1000")]).await;
    let receiver = Receiver::start().await;
    let id = server.create_session("crash").await;
    let hook = server
        .post(
            &format!("/api/sessions/{id}/webhooks"),
            json!({ "url": receiver.url, "events": ["message.received"], "retryCount": 5 }),
        )
        .await;
    assert_eq!(hook.status(), 201);
    server.link(&sim, &id, ALICE).await;

    // An idempotent send before the crash.
    let send = format!("/api/sessions/{id}/messages/send-text");
    let keyed = || {
        server
            .req(reqwest::Method::POST, &send)
            .header("Idempotency-Key", "before-the-crash")
            .json(&json!({ "chatId": BOB, "text": "sent once" }))
    };
    let before: serde_json::Value = keyed().send().await.unwrap().json().await.unwrap();

    receiver.fail_next(usize::MAX);
    let mut sent = Vec::new();
    for n in 0..MESSAGES {
        if n == MESSAGES / 3 {
            // Wait until the server has tried (and failed) a delivery, then kill it.
            wait_for(|| async { (!receiver.got().is_empty()).then_some(()) }).await;
            server.kill().await;
        }
        if n == 2 * MESSAGES / 3 {
            receiver.fail_next(0);
            server.restart().await;
        }
        sent.push(openwa_testkit::phone_sends(&sim, BOB, ALICE, &format!("m{n}")).await);
    }
    server.wait_status(&id, "ready").await;

    // The same key after the restart answers the same message, as a replay.
    let send = format!("/api/sessions/{id}/messages/send-text");
    let again = server
        .req(reqwest::Method::POST, &send)
        .header("Idempotency-Key", "before-the-crash")
        .json(&json!({ "chatId": BOB, "text": "sent once" }))
        .send()
        .await
        .unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["messageId"], before["messageId"]);

    let wanted: HashSet<_> = sent.iter().cloned().collect();
    let got = wait_for(|| async {
        let got: Vec<_> = receiver.events("message.received");
        let ids: HashSet<String> = got
            .iter()
            .map(|r| r.json()["data"]["id"].as_str().unwrap().to_owned())
            .collect();
        wanted.is_subset(&ids).then_some(got)
    })
    .await;
    // A message delivered more than once carries the same idempotency key each time.
    let mut keys: HashMap<String, HashSet<String>> = HashMap::new();
    for r in &got {
        let id = r.json()["data"]["id"].as_str().unwrap().to_owned();
        keys.entry(id)
            .or_default()
            .insert(r.header("x-openwa-idempotency-key"));
    }
    assert!(keys.values().all(|k| k.len() == 1), "{keys:?}");
}
