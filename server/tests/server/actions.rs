//! Message actions end to end: send-location, send-contact, reply and mentions, react, edit and
//! delete through the HTTP API reach the simulated phone, edits and revokes show in the
//! history, and bad input gets a problem body with nothing sent.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Server, sim_with, wait_for};

const ALICE: &str = "15551120001";
const BOB: &str = "15551120002";

/// Bob's timeline entry with message id `id`, once it is there.
async fn on_bob(sim: &openwa_simulator::SimulatorHandle, id: &str) -> Value {
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

async fn sent_id(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["messageId"].as_str().unwrap().to_owned()
}

async fn status_and_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn message_actions() {
    let sim = sim_with(&[ALICE, BOB]).await;
    let server = Server::start(&sim).await;
    let id = server.create_session("alice").await;
    server.link(&sim, &id, ALICE).await;
    let path = |p: &str| format!("/api/sessions/{id}/messages/{p}");
    let history = format!("/api/sessions/{id}/messages?chatId={BOB}&limit=100");
    let stored = |message: String| {
        let (server, history) = (&server, &history);
        async move {
            wait_for(|| async {
                let page: Value = server.get(history).await.json().await.ok()?;
                page["messages"]
                    .as_array()?
                    .iter()
                    .find(|m| m["id"] == message.as_str())
                    .cloned()
            })
            .await
        }
    };

    // A location and a contact card reach Bob's phone as such.
    let location = server
        .post(
            &path("send-location"),
            json!({ "chatId": format!("{BOB}@c.us"), "latitude": -6.2088, "longitude": 106.8456,
                    "description": "Monas", "address": "Jakarta" }),
        )
        .await;
    let location = sent_id(location).await;
    assert_eq!(on_bob(&sim, &location).await["type"], "location");
    let mine = stored(location.clone()).await;
    assert_eq!(mine["location"]["description"], "Monas", "{mine}");

    let contact = server
        .post(
            &path("send-contact"),
            json!({ "chatId": BOB, "contactName": "Carol, Jr", "contactNumber": "+1 555 112 0003" }),
        )
        .await;
    let contact = sent_id(contact).await;
    assert_eq!(on_bob(&sim, &contact).await["type"], "contact");
    let mine = stored(contact.clone()).await;
    let vcard = mine["vCards"][0].as_str().unwrap();
    assert!(
        vcard.contains("FN:Carol\\, Jr") && vcard.contains("waid=15551120003"),
        "{vcard}"
    );

    // Bob writes; Alice replies (also through send-text's quotedMessageId) and reacts.
    let from_bob = openwa_testkit::phone_sends(&sim, BOB, ALICE, "ping").await;
    stored(from_bob.clone()).await;
    let reply = server
        .post(
            &path("reply"),
            json!({ "chatId": BOB, "quotedMessageId": from_bob, "text": "pong" }),
        )
        .await;
    let reply = sent_id(reply).await;
    assert_eq!(on_bob(&sim, &reply).await["text"], "pong");
    assert_eq!(
        stored(reply.clone()).await["quotedMessageId"],
        from_bob.as_str()
    );
    let mention = server
        .post(
            &path("send-text"),
            json!({ "chatId": BOB, "text": format!("@{BOB} pong again"),
                    "quotedMessageId": from_bob, "mentions": [format!("{BOB}@c.us")] }),
        )
        .await;
    let mention = stored(sent_id(mention).await).await;
    assert_eq!(
        mention["mentionedIds"],
        json!([format!("{BOB}@c.us")]),
        "{mention}"
    );
    assert_eq!(mention["quotedMessageId"], from_bob.as_str(), "{mention}");

    let reaction = server
        .post(
            &path("react"),
            json!({ "chatId": BOB, "messageId": from_bob, "emoji": "❤️" }),
        )
        .await;
    let reaction = on_bob(&sim, &sent_id(reaction).await).await;
    assert_eq!(reaction["reaction"]["id"], from_bob.as_str(), "{reaction}");
    assert_eq!(reaction["reaction"]["emoji"], "❤️", "{reaction}");

    // Forward Bob's message back to him: marked forwarded.
    let forward = server
        .post(
            &path("forward"),
            json!({ "fromChatId": BOB, "toChatId": format!("{BOB}@c.us"), "messageId": from_bob }),
        )
        .await;
    let forward = stored(sent_id(forward).await).await;
    assert_eq!(forward["isForwarded"], true, "{forward}");
    assert_eq!(forward["body"], "ping", "{forward}");
    let unknown = server
        .post(
            &path("forward"),
            json!({ "fromChatId": BOB, "toChatId": BOB, "messageId": "3EB0NOPE" }),
        )
        .await;
    assert_eq!(
        status_and_code(unknown).await,
        (404, "not_found".to_owned())
    );

    // Edit, then delete for everyone: the history follows.
    let typo = sent_id(
        server
            .post(&path("send-text"), json!({ "chatId": BOB, "text": "tpyo" }))
            .await,
    )
    .await;
    let edit = server
        .post(
            &path("edit"),
            json!({ "chatId": BOB, "messageId": typo, "body": "typo" }),
        )
        .await;
    assert_eq!(edit.status(), 201);
    assert_eq!(stored(typo.clone()).await["body"], "typo");
    let delete = server
        .post(&path("delete"), json!({ "chatId": BOB, "messageId": typo }))
        .await;
    assert_eq!(delete.status(), 201);
    assert_eq!(stored(typo.clone()).await["type"], "revoked");

    // Bad input: a problem body, nothing sent.
    for (route, body, want) in [
        (
            "send-location",
            json!({ "chatId": BOB, "latitude": 95.0, "longitude": 0.0 }),
            (400, "invalid_argument"),
        ),
        (
            "send-location",
            json!({ "chatId": BOB, "latitude": "north", "longitude": 0.0 }),
            (400, "invalid_argument"),
        ),
        (
            "send-contact",
            json!({ "chatId": BOB, "contactName": "X", "contactNumber": "abc" }),
            (400, "invalid_argument"),
        ),
        (
            "send-contact",
            json!({ "chatId": BOB, "contactName": "", "contactNumber": "15550001" }),
            (400, "invalid_argument"),
        ),
        (
            "reply",
            json!({ "chatId": BOB, "quotedMessageId": "3EB0NOPE", "text": "x" }),
            (404, "not_found"),
        ),
        (
            "react",
            json!({ "chatId": BOB, "messageId": "3EB0NOPE", "emoji": "👍" }),
            (404, "not_found"),
        ),
        (
            "edit",
            json!({ "chatId": BOB, "messageId": from_bob, "body": "not mine" }),
            (400, "invalid_argument"),
        ),
        (
            "delete",
            json!({ "chatId": BOB, "messageId": from_bob, "forEveryone": false }),
            (501, "unsupported"),
        ),
        (
            "send-text",
            json!({ "chatId": BOB, "text": "x", "mentions": ["12036302@g.us"] }),
            (400, "invalid_argument"),
        ),
    ] {
        let response = server.post(&path(route), body.clone()).await;
        let (status, code) = status_and_code(response).await;
        assert_eq!((status, code.as_str()), want, "{route} {body}");
    }
    let page: Value = server.get(&history).await.json().await.unwrap();
    let count = page["messages"].as_array().unwrap().len();
    // location, contact, ping, reply, mention, reaction, forward and the revoked typo (the edit
    // and the revoke themselves are not history).
    assert_eq!(count, 8, "{page}");

    // Presence and typing: accepted for a connected session, bad values refused.
    let presence = format!("/api/sessions/{id}/presence");
    let online = server
        .req(Method::PUT, &presence)
        .json(&json!({ "available": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(online.status(), 200);
    let subscribe = server
        .post(&format!("{presence}/subscribe"), json!({ "chatId": BOB }))
        .await;
    assert_eq!(subscribe.status(), 200);
    let typing = format!("/api/sessions/{id}/chats/typing");
    for state in ["typing", "recording", "paused"] {
        let shown = server
            .post(&typing, json!({ "chatId": BOB, "state": state }))
            .await;
        assert_eq!(shown.status(), 201, "{state}");
    }
    let bad = server
        .post(&typing, json!({ "chatId": BOB, "state": "dancing" }))
        .await;
    assert_eq!(
        status_and_code(bad).await,
        (400, "invalid_argument".to_owned())
    );
    let bad = server
        .post(
            &format!("{presence}/subscribe"),
            json!({ "chatId": "12036302@g.us" }),
        )
        .await;
    assert_eq!(
        status_and_code(bad).await,
        (400, "invalid_argument".to_owned())
    );
    let bad = server
        .req(Method::PUT, &presence)
        .json(&json!({ "available": "yes" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    // The same Idempotency-Key on an action answers the first send.
    let keyed = || {
        server
            .req(Method::POST, &path("react"))
            .header("Idempotency-Key", "react-1")
            .json(&json!({ "chatId": BOB, "messageId": from_bob, "emoji": "👍" }))
    };
    let first: Value = keyed().send().await.unwrap().json().await.unwrap();
    let again = keyed().send().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["messageId"], first["messageId"]);
}
