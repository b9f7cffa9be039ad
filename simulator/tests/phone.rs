//! Simulated phones as full Signal participants, in-process: phone ↔ phone text, media,
//! reactions, receipts and groups through the admin API, state kept across a restart, and the
//! error answers of every phone endpoint.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{http, start};
use openwa_simulator::{Simulator, SimulatorConfig, SimulatorHandle};
use serde_json::{Value, json};

const A: &str = "15550000001";
const B: &str = "15550000002";
const C: &str = "15550000003";

/// An in-memory simulator with the accounts of Alice (A) and Bob (B).
async fn start_alice_and_bob() -> SimulatorHandle {
    let sim = start().await;
    sim.create_account(A, "Alice").unwrap();
    sim.create_account(B, "Bob").unwrap();
    sim
}

async fn send(sim: &SimulatorHandle, from: &str, body: Value) -> Value {
    let response = http(
        &sim.info.admin_url,
        "POST",
        &format!("/admin/accounts/{from}/messages"),
        Some(body),
    )
    .await;
    let value = response.json();
    assert_eq!(response.status, 201, "{value}");
    value
}

async fn timeline(sim: &SimulatorHandle, phone: &str) -> Vec<Value> {
    let response = http(
        &sim.info.admin_url,
        "GET",
        &format!("/admin/accounts/{phone}/messages"),
        None,
    )
    .await;
    assert_eq!(response.status, 200);
    response.json().as_array().unwrap().clone()
}

async fn entry(sim: &SimulatorHandle, phone: &str, id: &Value) -> Value {
    timeline(sim, phone)
        .await
        .into_iter()
        .find(|m| m["id"] == *id)
        .unwrap_or_else(|| panic!("{phone} has no message {id}"))
}

async fn media_of(sim: &SimulatorHandle, phone: &str, id: &Value) -> common::HttpResponse {
    let path = format!(
        "/admin/accounts/{phone}/messages/{}/media",
        id.as_str().unwrap()
    );
    http(&sim.info.admin_url, "GET", &path, None).await
}

fn receipt_kinds(entry: &Value) -> Vec<String> {
    entry["receipts"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn text_between_phones_with_delivery_and_read_receipts() {
    let sim = start_alice_and_bob().await;

    let sent = send(&sim, A, json!({"to": B, "text": "hello Bob"})).await;
    let id = sent["id"].clone();
    assert_eq!(sent["chat"], format!("{B}@s.whatsapp.net"));

    let got = entry(&sim, B, &id).await;
    assert_eq!(got["type"], "text");
    assert_eq!(got["text"], "hello Bob");
    assert_eq!(got["chat"], format!("{A}@s.whatsapp.net"));
    assert_eq!(got["sender"], format!("{A}@s.whatsapp.net"));
    assert_eq!(got["from_me"], false);
    assert_eq!(got["enc"], "pkmsg");

    let mine = entry(&sim, A, &id).await;
    assert_eq!(mine["from_me"], true);
    assert_eq!(mine["text"], "hello Bob");
    assert_eq!(receipt_kinds(&mine), vec!["delivery"]);

    let read = http(
        &sim.info.admin_url,
        "POST",
        &format!("/admin/accounts/{B}/messages/{}/read", id.as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(read.status, 200, "{}", read.json());
    assert_eq!(receipt_kinds(&entry(&sim, A, &id).await), vec!["read"]);

    // Bob answers on the session Alice started: a plain `msg`, and Alice decrypts it.
    let reply = send(
        &sim,
        B,
        json!({"to": format!("{A}@s.whatsapp.net"), "text": "hi Alice"}),
    )
    .await;
    let got = entry(&sim, A, &reply["id"]).await;
    assert_eq!(got["text"], "hi Alice");
    assert_eq!(got["enc"], "msg");

    // A reaction to Alice's message, seen by Alice.
    let reaction = send(
        &sim,
        B,
        json!({"to": A, "reaction": {"id": id, "emoji": "👍"}}),
    )
    .await;
    let got = entry(&sim, A, &reaction["id"]).await;
    assert_eq!(got["type"], "reaction");
    assert_eq!(got["text"], "👍");
    assert_eq!(got["reaction"]["id"], id);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn image_and_document_between_phones_decrypt_to_the_same_bytes() {
    let sim = start_alice_and_bob().await;
    let image: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    let sent = send(
        &sim,
        A,
        json!({"to": B, "image": {"data": STANDARD.encode(&image), "mimetype": "image/png", "caption": "a picture"}}),
    )
    .await;
    let got = entry(&sim, B, &sent["id"]).await;
    assert_eq!(got["type"], "image");
    assert_eq!(got["text"], "a picture");
    assert_eq!(got["media"]["mimetype"], "image/png");
    assert_eq!(got["media"]["file_length"], image.len());
    let media = media_of(&sim, B, &sent["id"]).await;
    assert_eq!(media.status, 200);
    assert_eq!(media.body, image);

    let doc = b"%PDF-1.4 not really".to_vec();
    let sent = send(
        &sim,
        A,
        json!({"to": B, "document": {"data": STANDARD.encode(&doc), "mimetype": "application/pdf", "file_name": "r.pdf"}}),
    )
    .await;
    let got = entry(&sim, B, &sent["id"]).await;
    assert_eq!(got["type"], "document");
    assert_eq!(got["media"]["file_name"], "r.pdf");
    let media = media_of(&sim, B, &sent["id"]).await;
    assert_eq!(media.body, doc);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn group_of_three_phones_every_member_sends_and_the_others_receive() {
    let sim = start().await;
    for (phone, name) in [(A, "Alice"), (B, "Bob"), (C, "Carol")] {
        sim.create_account(phone, name).unwrap();
    }
    let created = http(
        &sim.info.admin_url,
        "POST",
        &format!("/admin/accounts/{A}/groups"),
        Some(json!({"subject": "Three", "participants": [B, C]})),
    )
    .await;
    assert_eq!(created.status, 201);
    let group = created.json()["jid"].as_str().unwrap().to_owned();

    for (round, sender) in [A, B, C, A].iter().enumerate() {
        let text = format!("round {round} from {sender}");
        let sent = send(&sim, sender, json!({"to": group, "text": text})).await;
        for other in [A, B, C].iter().filter(|p| *p != sender) {
            let got = entry(&sim, other, &sent["id"]).await;
            assert_eq!(got["text"], text);
            assert_eq!(got["chat"], group);
            assert_eq!(got["enc"], "skmsg");
            assert_eq!(got["sender"], format!("{sender}@s.whatsapp.net"));
        }
        let mine = entry(&sim, sender, &sent["id"]).await;
        assert_eq!(receipt_kinds(&mine), vec!["delivery", "delivery"]);
    }
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_phone_that_cannot_decrypt_asks_for_a_retry_and_the_sender_resends_on_a_new_session() {
    let sim = start_alice_and_bob().await;
    let first = send(&sim, A, json!({"to": B, "text": "one"})).await;
    assert_eq!(entry(&sim, B, &first["id"]).await["enc"], "pkmsg");
    let reply = send(&sim, B, json!({"to": A, "text": "two"})).await;
    assert_eq!(entry(&sim, A, &reply["id"]).await["enc"], "msg");

    // Bob's phone loses its session with Alice's: her next `msg` cannot be decrypted.
    sim.sim().write(|s| {
        let signal = &mut s.accounts.get_mut(B).unwrap().signal;
        assert_eq!(signal.sessions.len(), 1);
        signal.sessions.clear();
    });
    let lost = send(&sim, A, json!({"to": B, "text": "three"})).await;
    // Bob asked for a retry; Alice re-encrypted on a fresh session from Bob's bundle (a pkmsg),
    // which Bob decrypts: the message is on his timeline once, under its original id.
    let got: Vec<Value> = timeline(&sim, B)
        .await
        .into_iter()
        .filter(|m| m["id"] == lost["id"])
        .collect();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["text"], "three");
    assert_eq!(got[0]["enc"], "pkmsg");
    // And the conversation goes on.
    let next = send(&sim, B, json!({"to": A, "text": "four"})).await;
    assert_eq!(entry(&sim, A, &next["id"]).await["text"], "four");
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn retries_stop_after_five_attempts_when_decryption_keeps_failing() {
    let sim = start_alice_and_bob().await;
    let first = send(&sim, A, json!({"to": B, "text": "one"})).await;
    assert_eq!(entry(&sim, B, &first["id"]).await["text"], "one");
    // Bob's phone loses its session and the private halves of its published one-time prekeys:
    // neither Alice's `msg` nor her resends on fresh sessions can be decrypted.
    let prekeys_before = sim.sim().write(|s| {
        let account = s.accounts.get_mut(B).unwrap();
        account.signal.sessions.clear();
        account.phone_keys.prekeys.clear();
        account.devices[&0].prekeys.len()
    });
    let lost = send(&sim, A, json!({"to": B, "text": "lost"})).await;
    assert!(
        timeline(&sim, B)
            .await
            .iter()
            .all(|m| m["id"] != lost["id"]),
        "Bob cannot have decrypted it"
    );
    // Five retry receipts, each answered with a new session (one one-time prekey each), then
    // Bob gives up.
    let (published, private) = sim.sim().read(|s| {
        let account = &s.accounts[B];
        (
            account.devices[&0].prekeys.len(),
            account.phone_keys.prekeys.len(),
        )
    });
    assert_eq!(published, prekeys_before);
    assert_eq!(private, 5);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_linked_companion_gets_the_app_state_key_and_a_history_notification_from_its_phone() {
    let sim = Simulator::start(SimulatorConfig {
        share_app_state_key: true,
        ..SimulatorConfig::default()
    })
    .await
    .unwrap();
    sim.create_account(A, "Alice").unwrap();
    let companion = common::session::pair(&sim, A).await;
    let (_client, queued) = common::session::online(&sim, &companion).await;
    let peer: Vec<_> = queued
        .iter()
        .filter(|n| n.tag == "message" && n.attr_str("category").as_deref() == Some("peer"))
        .collect();
    // The key share, then history sync: initial bootstrap, push names, recent and non-blocking
    // data, one (empty) chunk each for a phone with no history.
    assert_eq!(peer.len(), 5, "{queued:?}");
    for message in peer {
        assert_eq!(
            message.attr_str("from").as_deref(),
            Some(format!("{A}@s.whatsapp.net").as_str())
        );
        let enc = message.get_child("enc").unwrap();
        // A session the phone started from the companion's registration keys.
        assert_eq!(enc.attr_str("type").as_deref(), Some("pkmsg"));
    }
    // Off by default in-process: another account's companion gets nothing from its phone.
    let quiet = start().await;
    quiet.create_account(B, "Bob").unwrap();
    let companion = common::session::pair(&quiet, B).await;
    let (_client, queued) = common::session::online(&quiet, &companion).await;
    assert!(queued.iter().all(|n| n.tag != "message"), "{queued:?}");
    quiet.shutdown().await.unwrap();
    sim.shutdown().await.unwrap();
}

async fn start_with_state(dir: &std::path::Path) -> SimulatorHandle {
    Simulator::start(SimulatorConfig {
        state_dir: Some(dir.to_owned()),
        ..SimulatorConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn sessions_survive_a_restart_with_state() {
    let dir = std::env::temp_dir().join(format!(
        "openwa-sim-phone-state-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let sim = start_with_state(&dir).await;
    sim.create_account(A, "Alice").unwrap();
    sim.create_account(B, "Bob").unwrap();
    let first = send(&sim, A, json!({"to": B, "text": "one"})).await;
    assert_eq!(entry(&sim, B, &first["id"]).await["enc"], "pkmsg");
    let reply = send(&sim, B, json!({"to": A, "text": "two"})).await;
    assert_eq!(entry(&sim, A, &reply["id"]).await["enc"], "msg");
    sim.shutdown().await.unwrap();

    let sim = start_with_state(&dir).await;
    let third = send(&sim, A, json!({"to": B, "text": "three"})).await;
    let got = entry(&sim, B, &third["id"]).await;
    assert_eq!(got["text"], "three");
    assert_eq!(got["enc"], "msg");
    // The timeline itself was kept too.
    assert_eq!(entry(&sim, B, &first["id"]).await["text"], "one");
    sim.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_seeded_history_survives_a_restart_with_state_and_is_sent_to_new_companions() {
    let dir = std::env::temp_dir().join(format!(
        "openwa-sim-history-state-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let sim = start_with_state(&dir).await;
    sim.create_account(A, "Alice").unwrap();
    let path = format!("/admin/accounts/{A}/history");
    let seeded = http(
        &sim.info.admin_url,
        "POST",
        &path,
        Some(json!({"chats": 3, "messages_per_chat": 30})),
    )
    .await;
    assert_eq!(seeded.status, 201);
    assert_eq!(seeded.json()["messages"], 90);
    for bad in [
        json!({"chats": 0, "messages_per_chat": 1}),
        json!({"chats": 1}),
        json!({"chats": 1, "messages_per_chat": 1, "extra": true}),
    ] {
        let response = http(&sim.info.admin_url, "POST", &path, Some(bad)).await;
        assert_eq!(response.status, 400);
    }
    let missing = http(
        &sim.info.admin_url,
        "POST",
        "/admin/accounts/1999999/history",
        Some(json!({"chats": 1, "messages_per_chat": 1})),
    )
    .await;
    assert_eq!(missing.status, 404);
    sim.shutdown().await.unwrap();

    let sim = start_with_state(&dir).await;
    let kept = sim
        .sim()
        .read(|s| s.account(A).map(|a| a.history.len()))
        .unwrap();
    assert_eq!(kept, 3);
    // A phone with a history sends it even where the key share is off (in-process default).
    let companion = common::session::pair(&sim, A).await;
    let (_client, queued) = common::session::online(&sim, &companion).await;
    let peer = queued
        .iter()
        .filter(|n| n.tag == "message" && n.attr_str("category").as_deref() == Some("peer"))
        .count();
    assert_eq!(peer, 4, "bootstrap, push names, recent, non-blocking data");
    assert_eq!(
        sim.sim().media.len(),
        4,
        "one blob per chunk on the media host"
    );
    sim.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn phone_endpoints_reject_bad_requests() {
    let sim = start_alice_and_bob().await;
    let admin = &sim.info.admin_url;
    let post = |path: String, body: Option<Value>| async move {
        let response = http(admin, "POST", &path, body).await;
        (response.status, response.body)
    };
    let messages = format!("/admin/accounts/{A}/messages");

    // Unknown phone: 404 on every phone endpoint.
    for (method, path) in [
        ("POST", "/admin/accounts/1999999/messages"),
        ("GET", "/admin/accounts/1999999/messages"),
        ("POST", "/admin/accounts/1999999/messages/X/read"),
        ("GET", "/admin/accounts/1999999/messages/X/media"),
    ] {
        let body = (method == "POST").then(|| json!({"to": B, "text": "x"}));
        let response = http(admin, method, path, body).await;
        assert_eq!(response.status, 404, "{method} {path}");
        assert_eq!(response.json()["error"], "not_found");
    }
    // Bad bodies: 400.
    for body in [
        json!({"text": "no recipient"}),
        json!({"to": B}),
        json!({"to": B, "text": "a", "reaction": {"id": "X", "emoji": "x"}}),
        json!({"to": B, "image": {"data": "%%% not base64"}}),
        json!({"to": B, "text": ""}),
        json!({"to": B, "text": "x", "unknown": 1}),
        json!({"to": "not a jid@", "text": "x"}),
    ] {
        let (status, text) = post(messages.clone(), Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {}", String::from_utf8_lossy(&text));
    }
    let raw = http(admin, "POST", &messages, None).await;
    assert_eq!(raw.status, 400);
    // Unknown recipient, unknown group, unknown message: 404.
    for body in [
        json!({"to": "15559999999", "text": "x"}),
        json!({"to": "120363000000000099@g.us", "text": "x"}),
        json!({"to": B, "reaction": {"id": "NOPE", "emoji": "x"}}),
    ] {
        let (status, _) = post(messages.clone(), Some(body.clone())).await;
        assert_eq!(status, 404, "{body}");
    }
    let (status, _) = post(format!("/admin/accounts/{A}/messages/NOPE/read"), None).await;
    assert_eq!(status, 404);
    // Own message: cannot be marked read; a text has no media.
    let sent = send(&sim, A, json!({"to": B, "text": "x"})).await;
    let id = sent["id"].as_str().unwrap();
    let (status, _) = post(format!("/admin/accounts/{A}/messages/{id}/read"), None).await;
    assert_eq!(status, 400);
    let media = http(
        admin,
        "GET",
        &format!("/admin/accounts/{B}/messages/{id}/media"),
        None,
    )
    .await;
    assert_eq!(media.status, 404);
    // `since` filters the timeline.
    let after = http(
        admin,
        "GET",
        &format!("/admin/accounts/{B}/messages?since=1"),
        None,
    )
    .await;
    assert_eq!(after.json(), json!([]));
    sim.shutdown().await.unwrap();
}
