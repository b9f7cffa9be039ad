//! Media over HTTP: `send-image` / `send-audio` (ptt) / `send-document` (from a URL) /
//! `send-sticker` reach the simulated phone with the same bytes; a file the phone sends
//! downloads from `GET …/messages/:chat/:id/media` as an attachment; bad input is a 400 and
//! nothing is sent; an expired blob is uploaded again by the phone, one gone for good is a 410;
//! on SQLite and PostgreSQL.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use openwa_testkit::Backend;

use crate::common::{Server, pg_url, sim_with, wait_for};

const ALICE: &str = "15551130001";
const BOB: &str = "15551130002";

fn random_bytes(len: usize) -> Vec<u8> {
    (0..len).map(|_| rand::random::<u8>()).collect()
}

async fn bob_entry(sim: &openwa_simulator::SimulatorHandle, id: &str) -> Value {
    wait_for(|| async {
        let timeline = openwa_testkit::http(
            &sim.info.admin_url,
            "GET",
            &format!("/admin/accounts/{BOB}/messages"),
            None,
        )
        .await
        .json();
        timeline.as_array()?.iter().find(|m| m["id"] == id).cloned()
    })
    .await
}

async fn problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    body
}

async fn media_both_ways(server: &Server, sim: &openwa_simulator::SimulatorHandle) {
    let id = server.create_session("alice").await;
    server.link(sim, &id, ALICE).await;
    let sends = |kind: &str| format!("/api/sessions/{id}/messages/send-{kind}");

    // An image larger than the general body limit (64 KiB here), idempotently.
    let picture = random_bytes(100_000);
    let body = json!({
        "chatId": format!("{BOB}@c.us"),
        "base64": STANDARD.encode(&picture),
        "mimetype": "image/png",
        "caption": "over http",
    });
    let sent = server
        .req(Method::POST, &sends("image"))
        .header("idempotency-key", "img-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 201);
    let sent: Value = sent.json().await.unwrap();
    let image_id = sent["messageId"].as_str().unwrap().to_owned();
    let replay = server
        .req(Method::POST, &sends("image"))
        .header("idempotency-key", "img-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let entry = bob_entry(sim, &image_id).await;
    assert_eq!(entry["media"]["media_type"], "image", "{entry}");
    assert_eq!(entry["text"], "over http", "{entry}");
    assert!(openwa_testkit::phone_media(sim, BOB, &image_id).await == picture);

    // A voice note and a sticker.
    let note = random_bytes(3000);
    let sent = server
        .post(
            &sends("audio"),
            json!({"chatId": BOB, "base64": STANDARD.encode(&note), "ptt": true}),
        )
        .await;
    assert_eq!(sent.status(), 201);
    let voice_id = sent.json::<Value>().await.unwrap()["messageId"]
        .as_str()
        .unwrap()
        .to_owned();
    let entry = bob_entry(sim, &voice_id).await;
    assert_eq!(entry["media"]["media_type"], "ptt", "{entry}");
    assert!(openwa_testkit::phone_media(sim, BOB, &voice_id).await == note);
    let sticker = random_bytes(800);
    let sent = server
        .post(
            &sends("sticker"),
            json!({"chatId": BOB, "base64": format!("data:image/webp;base64,{}", STANDARD.encode(&sticker))}),
        )
        .await;
    assert_eq!(sent.status(), 201);
    // A view-once video (an addition); a view-once sticker is refused.
    let clip = random_bytes(2000);
    let sent = server
        .post(
            &sends("video"),
            json!({"chatId": BOB, "base64": STANDARD.encode(&clip), "viewOnce": true}),
        )
        .await;
    assert_eq!(sent.status(), 201);
    let once_id = sent.json::<Value>().await.unwrap()["messageId"]
        .as_str()
        .unwrap()
        .to_owned();
    let entry = bob_entry(sim, &once_id).await;
    assert_eq!(entry["media"]["view_once"], true, "{entry}");
    let refused = server
        .post(
            &sends("sticker"),
            json!({"chatId": BOB, "base64": STANDARD.encode(&sticker), "viewOnce": true}),
        )
        .await;
    assert_eq!(refused.status(), 400);

    // A document fetched from a URL (the simulator's own OpenAPI document).
    let url = format!("{}/admin/openapi.json", sim.info.admin_url);
    let sent = server
        .post(
            &sends("document"),
            json!({"chatId": BOB, "url": url, "mimetype": "application/json", "filename": "openapi.json"}),
        )
        .await;
    assert_eq!(sent.status(), 201);
    let doc_id = sent.json::<Value>().await.unwrap()["messageId"]
        .as_str()
        .unwrap()
        .to_owned();
    let entry = bob_entry(sim, &doc_id).await;
    assert_eq!(entry["media"]["file_name"], "openapi.json", "{entry}");
    let served = openwa_testkit::http(&sim.info.admin_url, "GET", "/admin/openapi.json", None)
        .await
        .body;
    assert!(openwa_testkit::phone_media(sim, BOB, &doc_id).await == served);

    // Bad input: 400, nothing sent.
    let before = sim.sim().hub().media.len();
    let wrong_type = server
        .post(
            &sends("image"),
            json!({"chatId": BOB, "base64": STANDARD.encode(b"x"), "mimetype": "application/pdf"}),
        )
        .await;
    problem(wrong_type, 400, "invalid_argument").await;
    let empty = server
        .post(&sends("video"), json!({"chatId": BOB, "base64": ""}))
        .await;
    problem(empty, 400, "invalid_argument").await;
    let both = server
        .post(
            &sends("image"),
            json!({"chatId": BOB, "base64": "eA==", "url": "https://example.com/x"}),
        )
        .await;
    problem(both, 400, "invalid_argument").await;
    let ptt_video = server
        .post(
            &sends("video"),
            json!({"chatId": BOB, "base64": "eA==", "ptt": true}),
        )
        .await;
    problem(ptt_video, 400, "invalid_argument").await;
    assert_eq!(sim.sim().hub().media.len(), before);

    // The phone sends a document; the API serves it as an attachment.
    let file = random_bytes(70_000);
    let body = json!({"to": ALICE, "document": {"data": STANDARD.encode(&file), "mimetype": "application/pdf", "file_name": "r.pdf"}});
    let from_bob = openwa_testkit::phone_sends_json(sim, BOB, body).await;
    let path = format!("/api/sessions/{id}/messages/{BOB}@c.us/{from_bob}/media");
    let got = wait_for(|| async {
        let r = server.get(&path).await;
        (r.status() == 200).then_some(r)
    })
    .await;
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert_eq!(
        got.headers()["content-disposition"],
        "attachment; filename=\"r.pdf\""
    );
    assert_eq!(got.headers()["x-content-type-options"], "nosniff");
    let bytes = got.bytes().await.unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(&bytes)),
        hex::encode(Sha256::digest(&file))
    );

    // Expired on the media host: 410; no such message: 404; a text has no media: 404.
    let entry = wait_for(|| async {
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
            .find(|m| m["id"] == from_bob)
            .cloned()
    })
    .await;
    let blob_id = entry["media"]["file_enc_sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    // Taken off the host: the session's phone uploads it again on request.
    assert!(sim.sim().hub().media.remove(&blob_id));
    let again = server.get(&path).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.bytes().await.unwrap().len(), file.len());
    // Gone for good: 410.
    assert!(sim.sim().hub().media.purge(&blob_id));
    problem(server.get(&path).await, 410, "media_expired").await;
    let missing = format!("/api/sessions/{id}/messages/{BOB}@c.us/NOPE/media");
    problem(server.get(&missing).await, 404, "not_found").await;
}

#[tokio::test]
async fn media_on_sqlite() {
    let sim = sim_with(&[ALICE, BOB]).await;
    let server = Server::start(&sim).await;
    media_both_ways(&server, &sim).await;
}

#[tokio::test]
async fn media_on_postgres() {
    openwa_testkit::with_store(Backend::Postgres, |store| async move {
        let sim = sim_with(&[ALICE, BOB]).await;
        let server = Server::start_with(&sim, Some(&pg_url(&store)), &[]).await;
        media_both_ways(&server, &sim).await;
    })
    .await;
}
