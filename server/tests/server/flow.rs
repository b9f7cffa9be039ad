//! Sessions and messages end to end: create → QR → linked → send-text reaching the simulated
//! phone, idempotent replay, history, message by id, mark read; on SQLite and PostgreSQL.

use reqwest::Method;
use serde_json::{Value, json};

use openwa_testkit::Backend;

use crate::common::{Server, pg_url, sim_with, wait_for};

const ALICE: &str = "15551110001";
const BOB: &str = "15551110002";

async fn bob_has(sim: &openwa_simulator::SimulatorHandle, text: &str) -> Option<Value> {
    let timeline = openwa_testkit::http(
        &sim.info.admin_url,
        "GET",
        &format!("/admin/accounts/{BOB}/messages"),
        None,
    )
    .await
    .json();
    timeline
        .as_array()?
        .iter()
        .find(|m| m["text"] == text && !m["from_me"].as_bool().unwrap_or(false))
        .cloned()
}

async fn send_and_receive(server: &Server, sim: &openwa_simulator::SimulatorHandle) {
    let id = server.create_session("alice").await;
    server.link(sim, &id, ALICE).await;
    let session: Value = server
        .get(&format!("/api/sessions/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(session["phone"], ALICE, "{session}");
    let listed: Value = server.get("/api/sessions").await.json().await.unwrap();
    assert_eq!(listed[0]["id"], id.as_str());

    // send-text in each id form reaches Bob's phone.
    let send = format!("/api/sessions/{id}/messages/send-text");
    for (n, chat) in [
        BOB.to_owned(),
        format!("{BOB}@c.us"),
        format!("{BOB}@s.whatsapp.net"),
    ]
    .iter()
    .enumerate()
    {
        let text = format!("hello bob {n}");
        let sent = server
            .post(&send, json!({ "chatId": chat, "text": text }))
            .await;
        assert_eq!(sent.status(), 201);
        let sent: Value = sent.json().await.unwrap();
        assert!(
            sent["messageId"].as_str().is_some_and(|m| !m.is_empty()),
            "{sent}"
        );
        assert!(sent["timestamp"].as_i64().is_some(), "{sent}");
        let got = wait_for(|| bob_has(sim, &text)).await;
        assert_eq!(got["id"], sent["messageId"]);
    }

    // The same Idempotency-Key answers the first message, marked as a replay.
    let keyed = |text: &str| {
        server
            .req(Method::POST, &send)
            .header("Idempotency-Key", "order-42")
            .json(&json!({ "chatId": BOB, "text": text }))
    };
    let first = keyed("once").send().await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let again = keyed("once").send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["messageId"], first["messageId"]);
    let other = keyed("something else").send().await.unwrap();
    assert_eq!(other.status(), 422);
    // A day later the key is new again (OpenWA's 24 hours), in the server and in the engine.
    server.age_idempotency_keys(24 * 60 * 60 * 1000 + 1).await;
    let fresh = keyed("a day later").send().await.unwrap();
    assert_eq!(fresh.status(), 201);
    assert!(fresh.headers().get("idempotent-replayed").is_none());
    let fresh: Value = fresh.json().await.unwrap();
    assert_ne!(fresh["messageId"], first["messageId"]);
    wait_for(|| bob_has(sim, "a day later")).await;

    // `Prefer: respond-async`: 202 once queued, then sent by the engine's queue; a repeated key
    // answers the first message.
    let queued = |text: &str| {
        server
            .req(Method::POST, &send)
            .header("Prefer", "respond-async")
            .header("Idempotency-Key", "queued-1")
            .json(&json!({ "chatId": BOB, "text": text }))
    };
    let accepted = queued("queued hello").send().await.unwrap();
    assert_eq!(accepted.status(), 202);
    assert_eq!(accepted.headers()["preference-applied"], "respond-async");
    let accepted: Value = accepted.json().await.unwrap();
    assert_eq!(accepted["status"], "pending", "{accepted}");
    let got = wait_for(|| bob_has(sim, "queued hello")).await;
    assert_eq!(got["id"], accepted["messageId"]);
    let replay = queued("queued hello").send().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["messageId"], accepted["messageId"]);

    // The session's config: OpenWA's keys and the send pacing, applied at once.
    let config = format!("/api/sessions/{id}/config");
    let shown: Value = server.get(&config).await.json().await.unwrap();
    assert_eq!(shown["autoRejectCalls"], false, "{shown}");
    assert_eq!(shown["maxReconnectAttempts"], Value::Null, "{shown}");
    assert_eq!(shown["sendPacing"]["maxPerHour"], 0, "{shown}");
    let patch = |body: Value| server.req(Method::PATCH, &config).json(&body).send();
    let changed = patch(
        json!({"maxReconnectAttempts": 5, "reconnectBaseDelay": 2000,
        "sendPacing": {"maxPerHour": 1}}),
    )
    .await
    .unwrap();
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["maxReconnectAttempts"], 5, "{changed}");
    assert_eq!(changed["reconnectBaseDelay"], 2000, "{changed}");
    let once = server
        .post(&send, json!({ "chatId": BOB, "text": "once this hour" }))
        .await;
    assert_eq!(once.status(), 201);
    let capped = server
        .post(&send, json!({ "chatId": BOB, "text": "over the cap" }))
        .await;
    assert_eq!(capped.status(), 429);
    let capped: Value = capped.json().await.unwrap();
    assert_eq!(capped["code"], "rate_limited", "{capped}");
    for (bad, status) in [
        (json!({"sendPacing": {"often": true}}), 400),
        (json!({"maxReconnectAttempts": 99}), 400),
        (json!({"reconnectBaseDelay": "soon"}), 400),
        (json!({"colour": "blue"}), 400),
        (json!({"autoRejectCalls": true}), 501),
    ] {
        let refused = patch(bad.clone()).await.unwrap();
        assert_eq!(refused.status(), status, "{bad}");
    }
    let cleared: Value = patch(json!({"sendPacing": null, "maxReconnectAttempts": null}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["sendPacing"]["maxPerHour"], 0, "{cleared}");
    assert_eq!(cleared["maxReconnectAttempts"], Value::Null, "{cleared}");
    assert_eq!(cleared["reconnectBaseDelay"], 2000, "{cleared}");

    // Bob answers; the history shows both directions; one message by id; mark read.
    let from_bob = openwa_testkit::phone_sends(sim, BOB, ALICE, "hi alice").await;
    let history = format!("/api/sessions/{id}/messages?chatId={BOB}@c.us&limit=100");
    let page: Value = wait_for(|| async {
        let page: Value = server.get(&history).await.json().await.ok()?;
        let has = page["messages"]
            .as_array()?
            .iter()
            .any(|m| m["id"] == from_bob.as_str());
        has.then_some(page)
    })
    .await;
    let messages = page["messages"].as_array().unwrap();
    let incoming = messages
        .iter()
        .find(|m| m["id"] == from_bob.as_str())
        .unwrap();
    assert_eq!(incoming["body"], "hi alice");
    assert_eq!(incoming["fromMe"], false);
    assert_eq!(incoming["senderPhone"], BOB);
    assert!(
        messages
            .iter()
            .any(|m| m["id"] == first["messageId"] && m["fromMe"] == true)
    );
    let one: Value = server
        .get(&format!("/api/sessions/{id}/messages/{BOB}/{from_bob}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["body"], "hi alice", "{one}");
    let read = server
        .post(
            &format!("/api/sessions/{id}/chats/read"),
            json!({ "chatId": BOB, "messageIds": [from_bob] }),
        )
        .await;
    assert_eq!(read.status(), 200);
    let small = server
        .get(&format!("/api/sessions/{id}/messages?chatId={BOB}&limit=2"))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(small["messages"].as_array().unwrap().len(), 2);
    let everything = page["messages"].as_array().unwrap().len();
    assert_eq!(
        small["total"], everything,
        "total counts the whole history: {small}"
    );
    let cursor = small["nextCursor"].as_str().unwrap();
    let next: Value = server
        .get(&format!(
            "/api/sessions/{id}/messages?chatId={BOB}&limit=2&cursor={cursor}"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(next["messages"][0]["id"], small["messages"][0]["id"]);

    // Stop, start again: linked, no QR; delete: gone.
    let stopped = server
        .post(&format!("/api/sessions/{id}/stop"), json!({}))
        .await;
    assert_eq!(stopped.status(), 200);
    server.wait_status(&id, "disconnected").await;
    server
        .post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    server.wait_status(&id, "ready").await;
    let deleted = server
        .req(Method::DELETE, &format!("/api/sessions/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        server.get(&format!("/api/sessions/{id}")).await.status(),
        404
    );
}

#[tokio::test]
async fn sessions_and_messages_on_sqlite() {
    let sim = sim_with(&[ALICE, BOB]).await;
    let server = Server::start(&sim).await;
    send_and_receive(&server, &sim).await;
}

#[tokio::test]
async fn sessions_and_messages_on_postgres() {
    // The temporary database is dropped whatever happens in the body.
    openwa_testkit::with_store(Backend::Postgres, |store| async move {
        let sim = sim_with(&[ALICE, BOB]).await;
        let server = Server::start_with(&sim, Some(&pg_url(&store)), &[]).await;
        send_and_receive(&server, &sim).await;
    })
    .await;
}

#[tokio::test]
async fn pairing_code_links_a_session() {
    let sim = sim_with(&[ALICE]).await;
    let server = Server::start(&sim).await;
    let id = server.create_session("by-code").await;
    let answer = server
        .post(
            &format!("/api/sessions/{id}/pairing-code"),
            json!({ "phoneNumber": format!("+{ALICE}") }),
        )
        .await;
    assert_eq!(answer.status(), 201);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["status"], "qr_ready");
    let code = answer["pairingCode"].as_str().unwrap();
    assert_eq!(code.replace('-', "").len(), 8, "{answer}");
    let device = sim.sim().link_code(ALICE, code).await.unwrap();
    server.wait_status(&id, "ready").await;
    let session: Value = server
        .get(&format!("/api/sessions/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(session["connectedAt"].as_str().is_some(), "{session}");
    assert!(session["lastError"].is_null(), "{session}");

    // The phone removes the device: logged out, and the session says why.
    let removed = openwa_testkit::http(
        &sim.info.admin_url,
        "DELETE",
        &format!("/admin/accounts/{ALICE}/devices/{}", device.device),
        None,
    )
    .await;
    assert_eq!(removed.status, 204);
    // The status comes from the engine, the reason from its event: wait for both.
    let session: Value = wait_for(|| async {
        let session: Value = server
            .get(&format!("/api/sessions/{id}"))
            .await
            .json()
            .await
            .ok()?;
        let done = session["status"] == "disconnected" && session["lastError"].is_string();
        done.then_some(session)
    })
    .await;
    assert!(session["connectedAt"].is_null(), "{session}");
}
