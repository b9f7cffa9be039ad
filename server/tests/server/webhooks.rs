//! Webhooks: an incoming message reaches a local receiver with OpenWA's envelope and a valid
//! HMAC; a receiver answering 500 gets retries with the same ids; dead letters and redrive.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Receiver, Server, expected_signature, sim_with, wait_for};

const ALICE: &str = "15552220001";
const BOB: &str = "15552220002";
const SECRET: &str = "a-secret-of-at-least-16";

#[tokio::test]
async fn delivery_signature_retries_and_dead_letters() {
    let sim = sim_with(&[ALICE, BOB]).await;
    let server = Server::start_with(&sim, None, &[("METRICS_TOKEN", "scrape-me")]).await;
    let receiver = Receiver::start().await;
    let id = server.create_session("hooks").await;
    let hook = server
        .post(
            &format!("/api/sessions/{id}/webhooks"),
            json!({
                "url": receiver.url,
                "events": ["message.received", "session.status"],
                "secret": SECRET,
                "headers": { "X-Custom": "yes" },
                "retryCount": 5,
            }),
        )
        .await;
    assert_eq!(hook.status(), 201);
    let hook: Value = hook.json().await.unwrap();
    assert!(
        hook.get("secret").is_none() && hook.get("headers").is_none(),
        "{hook}"
    );
    assert_eq!(hook["active"], true);
    server.link(&sim, &id, ALICE).await;

    // An incoming message: envelope, headers, signature over the raw body.
    let first = openwa_testkit::phone_sends(&sim, BOB, ALICE, "first").await;
    let got = wait_for(|| async {
        receiver
            .events("message.received")
            .into_iter()
            .find(|r| r.json()["data"]["id"] == first.as_str())
    })
    .await;
    let envelope = got.json();
    assert_eq!(envelope["event"], "message.received");
    assert_eq!(envelope["sessionId"], id.as_str());
    assert_eq!(envelope["data"]["body"], "first");
    assert_eq!(envelope["data"]["from"], format!("{BOB}@c.us"));
    assert!(envelope["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        got.header("x-openwa-signature"),
        expected_signature(SECRET, &got.body)
    );
    assert_eq!(
        got.header("x-openwa-idempotency-key"),
        envelope["idempotencyKey"]
    );
    assert_eq!(got.header("x-openwa-delivery-id"), envelope["deliveryId"]);
    assert!(got.header("x-openwa-delivery-id").starts_with("dlv_"));
    assert_eq!(got.header("x-custom"), "yes");
    assert_eq!(got.header("user-agent"), "OpenWA-Webhook/1.0.0");
    // Status events were delivered too (possibly in the same batch, so wait for them).
    wait_for(|| async { (!receiver.events("session.status").is_empty()).then_some(()) }).await;

    // The receiver fails twice: the third attempt lands, same ids and body each time.
    receiver.fail_next(2);
    let second = openwa_testkit::phone_sends(&sim, BOB, ALICE, "second").await;
    let attempts = wait_for(|| async {
        let attempts: Vec<_> = receiver
            .events("message.received")
            .into_iter()
            .filter(|r| r.json()["data"]["id"] == second.as_str())
            .collect();
        (attempts.len() >= 3).then_some(attempts)
    })
    .await;
    let ids: HashSet<_> = attempts
        .iter()
        .map(|r| r.header("x-openwa-delivery-id"))
        .collect();
    assert_eq!(ids.len(), 1);
    assert!(attempts.windows(2).all(|w| w[0].body == w[1].body));
    let counts: Vec<_> = attempts
        .iter()
        .map(|r| r.header("x-openwa-retry-count"))
        .collect();
    assert_eq!(counts[..3], ["0", "1", "2"]);
    let log: Value = wait_for(|| async {
        let log: Value = server
            .get(&format!(
                "/api/sessions/{id}/webhooks/deliveries?status=delivered"
            ))
            .await
            .json()
            .await
            .ok()?;
        let row = log
            .as_array()?
            .iter()
            .find(|d| d["deliveryId"] == attempts[0].header("x-openwa-delivery-id").as_str())?
            .clone();
        Some(row)
    })
    .await;
    assert_eq!(log["attempts"], 3);

    // One attempt only, and it fails: a dead letter; redriven, it lands.
    let hook_id = hook["id"].as_str().unwrap();
    let updated = server
        .req(
            Method::PUT,
            &format!("/api/sessions/{id}/webhooks/{hook_id}"),
        )
        .json(&json!({ "retryCount": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    receiver.fail_next(1);
    let third = openwa_testkit::phone_sends(&sim, BOB, ALICE, "third").await;
    let dead: Value = wait_for(|| async {
        let dead: Value = server
            .get("/api/webhooks/delivery-failures")
            .await
            .json()
            .await
            .ok()?;
        dead.as_array()?.first().cloned()
    })
    .await;
    assert_eq!(dead["status"], "dead");
    let redrive = server
        .post(
            &format!(
                "/api/webhooks/delivery-failures/{}/redrive",
                dead["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(redrive.status(), 200);
    wait_for(|| async {
        let n = receiver
            .events("message.received")
            .into_iter()
            .filter(|r| r.json()["data"]["id"] == third.as_str())
            .count();
        (n >= 2).then_some(())
    })
    .await;

    // The test endpoint; delete.
    let tested: Value = server
        .post(
            &format!("/api/sessions/{id}/webhooks/{hook_id}/test"),
            json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tested["success"], true, "{tested}");
    assert_eq!(tested["statusCode"], 200);
    let deleted = server
        .req(
            Method::DELETE,
            &format!("/api/sessions/{id}/webhooks/{hook_id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let left: Value = server.get("/api/webhooks").await.json().await.unwrap();
    assert_eq!(left.as_array().unwrap().len(), 0);

    // The metrics saw all of it; METRICS_TOKEN reads them without an API key.
    let metrics = reqwest::Client::new()
        .get(format!("{}/api/metrics", server.url))
        .bearer_auth("scrape-me")
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    for line in [
        "openwa_sessions{status=\"ready\"} 1",
        "openwa_outbox_rows{status=\"delivered\"}",
        "openwa_webhook_attempts_total{outcome=\"dead\"} 1",
        "openwa_messages_received_total 3",
        "openwa_http_requests_total{method=\"POST\",route=\"/api/sessions/{id}/webhooks\",status=\"201\"} 1",
        "openwa_http_request_seconds_bucket{method=\"GET\",route=\"/api/sessions/{id}\",le=\"+Inf\"}",
    ] {
        assert!(text.contains(line), "{line} not in\n{text}");
    }
    let failed = text
        .lines()
        .find_map(|l| l.strip_prefix("openwa_webhook_attempts_total{outcome=\"failed\"} "))
        .unwrap();
    assert!(failed.parse::<u64>().unwrap() >= 2, "{text}");
}

#[tokio::test]
async fn content_filters() {
    let sim = sim_with(&["15552220011", "15552220012"]).await;
    let (alice, bob) = ("15552220011", "15552220012");
    let server = Server::start(&sim).await;
    let receiver = Receiver::start().await;
    let id = server.create_session("filters").await;
    let hooks = format!("/api/sessions/{id}/webhooks");
    let create = |filters: Value| {
        let body =
            json!({ "url": receiver.url, "events": ["message.received"], "filters": filters });
        server.post(&hooks, body)
    };
    let urgent = create(json!({ "conditions": [
        { "field": "body", "operator": "contains", "value": "urgent" },
        { "field": "sender", "operator": "is", "value": [format!("{bob}@c.us")] },
    ]}))
    .await;
    assert_eq!(urgent.status(), 201);
    let urgent: Value = urgent.json().await.unwrap();
    assert_eq!(urgent["filters"]["conditions"][0]["field"], "body");
    let groups = create(json!({ "conditions": [
        { "field": "isGroup", "operator": "is", "value": true },
    ]}))
    .await;
    assert_eq!(groups.status(), 201);
    let bad =
        create(json!({ "conditions": [{ "field": "body", "operator": "is", "value": 1 }] })).await;
    assert_eq!(bad.status(), 400);
    server.link(&sim, &id, alice).await;

    openwa_testkit::phone_sends(&sim, bob, alice, "hello").await;
    let wanted = openwa_testkit::phone_sends(&sim, bob, alice, "This is URGENT").await;
    wait_for(|| async {
        receiver
            .events("message.received")
            .iter()
            .any(|r| r.json()["data"]["id"] == wanted.as_str())
            .then_some(())
    })
    .await;
    // The pump handles events in order: "hello" was filtered out before the second message
    // was written, and nothing matched the group filter.
    let log: Value = server
        .get(&format!("{hooks}/deliveries"))
        .await
        .json()
        .await
        .unwrap();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["webhookId"], urgent["id"]);
}
