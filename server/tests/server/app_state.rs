//! Chat settings and labels over HTTP (app-state sync): a phone's pin shows in `GET S/chats`;
//! `POST S/chats/pin|archive|mute|unread`, `POST S/messages/star`, labels (`POST|GET S/labels`,
//! `GET|POST S/labels/chat/:chat`, `DELETE …/:chat/:label`, `DELETE S/labels/:id`) and
//! `PUT S/contacts/:id` change the account's app state, seen by the phone; `DELETE
//! S/chats/:chat/messages` clears the chat and `POST S/chats/delete` deletes it.

use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use crate::common::{Server, sim_with, wait_for};

const ALICE: &str = "15551140001";
const BOB: &str = "15551140002";

async fn phone_entry(admin: &str, collection: &str, index: Value) -> Option<Value> {
    let view = openwa_testkit::http(
        admin,
        "GET",
        &format!("/admin/accounts/{ALICE}/app-state"),
        None,
    )
    .await
    .json();
    view[collection]["entries"]
        .as_array()?
        .iter()
        .find(|e| e["index"] == index)
        .map(|e| e["value"].clone())
}

#[tokio::test]
async fn chat_settings_labels_and_contact_names_over_http() {
    let sim = sim_with(&[ALICE, BOB]).await;
    sim.sim().share_app_state_key.store(true, Ordering::SeqCst);
    openwa_testkit::phone_sends(&sim, BOB, ALICE, "hi alice").await;
    let admin = sim.info.admin_url.clone();
    let made = openwa_testkit::http(
        &admin,
        "POST",
        &format!("/admin/accounts/{ALICE}/app-state"),
        Some(json!({"action": "archive", "chat": BOB, "archived": true})),
    )
    .await;
    assert_eq!(made.status, 201);
    let server = Server::start(&sim).await;
    let id = server.create_session("alice").await;
    server.link(&sim, &id, ALICE).await;
    let bob = format!("{BOB}@c.us");
    let bob_jid = format!("{BOB}@s.whatsapp.net");
    let chat = |chats: &Value| {
        chats
            .as_array()
            .and_then(|all| all.iter().find(|c| c["id"] == bob.as_str()).cloned())
    };
    let chats_path = format!("/api/sessions/{id}/chats");
    wait_for(|| async {
        let chats: Value = server.get(&chats_path).await.json().await.ok()?;
        chat(&chats).filter(|c| c["archived"] == true)
    })
    .await;

    let s = |p: &str| format!("/api/sessions/{id}/{p}");
    for (path, body) in [
        ("chats/archive", json!({"chatId": bob, "archive": false})),
        ("chats/pin", json!({"chatId": bob})),
        (
            "chats/mute",
            json!({"chatId": bob, "muteUntil": 4_102_444_800_u64}),
        ),
        ("chats/unread", json!({"chatId": bob})),
        ("messages/star", json!({"chatId": bob, "messageId": "M1"})),
    ] {
        let done = server.post(&s(path), body).await;
        assert_eq!(done.status(), 200, "{path}: {:?}", done.text().await);
    }
    let chats: Value = server.get(&chats_path).await.json().await.unwrap();
    let c = chat(&chats).unwrap();
    assert_eq!(
        (
            &c["archived"],
            &c["pinned"],
            &c["muted"],
            &c["markedUnread"]
        ),
        (&json!(false), &json!(true), &json!(true), &json!(true)),
        "{c}"
    );
    assert_eq!(c["muteUntil"], 4_102_444_800_u64);
    let pin = phone_entry(&admin, "regular_low", json!(["pin_v1", bob_jid])).await;
    assert_eq!(pin.unwrap()["pinned"], true);
    let starred: Value = server.get(&s("starred")).await.json().await.unwrap();
    assert_eq!(starred[0]["messageId"], "M1");

    // Labels.
    let created = server
        .post(&s("labels"), json!({"name": "VIP", "color": 3}))
        .await;
    assert_eq!(created.status(), 201);
    let label: Value = created.json().await.unwrap();
    let label_id = label["id"].as_str().unwrap().to_owned();
    let added = server
        .post(
            &s(&format!("labels/chat/{bob}")),
            json!({"labelId": label_id}),
        )
        .await;
    assert_eq!(added.status(), 200);
    let on_chat: Value = server
        .get(&s(&format!("labels/chat/{bob}")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        on_chat,
        json!([{"id": label_id, "name": "VIP", "color": 3}])
    );
    // The label's chats: Bob's.
    let carrying: Value = server
        .get(&s(&format!("labels/{label_id}/chats")))
        .await
        .json()
        .await
        .unwrap();
    let carrying = carrying.as_array().unwrap();
    assert_eq!(carrying.len(), 1, "{carrying:?}");
    assert!(
        carrying[0].to_string().contains(&bob.to_string()),
        "{carrying:?}"
    );
    assert_eq!(server.get(&s("labels/999999/chats")).await.status(), 404);
    let renamed = server
        .req(reqwest::Method::PUT, &s(&format!("labels/{label_id}")))
        .json(&json!({"name": "Gold", "color": 4}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    let edit = phone_entry(&admin, "regular", json!(["label_edit", label_id])).await;
    assert_eq!(edit.unwrap()["label"]["name"], "Gold");
    let removed = server
        .req(
            reqwest::Method::DELETE,
            &s(&format!("labels/chat/{bob}/{label_id}")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 200);
    let on_chat: Value = server
        .get(&s(&format!("labels/chat/{bob}")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(on_chat, json!([]));
    let deleted = server
        .req(reqwest::Method::DELETE, &s(&format!("labels/{label_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let labels: Value = server.get(&s("labels")).await.json().await.unwrap();
    assert_eq!(labels, json!([]));
    let missing = server.get(&s(&format!("labels/{label_id}"))).await;
    assert_eq!(missing.status(), 404);

    // The address-book name.
    let named = server
        .req(reqwest::Method::PUT, &s(&format!("contacts/{bob}")))
        .json(&json!({"firstName": "Bob", "lastName": "Builder"}))
        .send()
        .await
        .unwrap();
    assert_eq!(named.status(), 200);
    let contact: Value = named.json().await.unwrap();
    assert_eq!(contact["name"], "Bob Builder");
    let name = phone_entry(&admin, "critical_unblock_low", json!(["contact", bob_jid])).await;
    assert_eq!(name.unwrap()["contact"]["full_name"], "Bob Builder");
    // Clearing the chat: its messages go, the chat stays.
    let cleared = server
        .req(
            reqwest::Method::DELETE,
            &s(&format!("chats/{bob}/messages?keepStarred=true")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200, "{:?}", cleared.text().await);
    let history: Value = server
        .get(&s(&format!("messages/{bob}/history")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history, json!([]));
    let chats: Value = server.get(&chats_path).await.json().await.unwrap();
    assert!(chat(&chats).is_some(), "{chats}");
    let clear = phone_entry(
        &admin,
        "regular_high",
        json!(["clearChat", bob_jid, "0", "0"]),
    )
    .await;
    assert_eq!(clear.unwrap()["clear_chat"], true);
    // Deleting the chat: gone from the chat list (messages included), seen by the phone.
    let deleted = server
        .post(&s("chats/delete"), json!({"chatId": bob}))
        .await;
    assert_eq!(deleted.status(), 200, "{:?}", deleted.text().await);
    let chats: Value = server.get(&chats_path).await.json().await.unwrap();
    assert!(chat(&chats).is_none(), "{chats}");
    let history: Value = server
        .get(&s(&format!("messages/{bob}/history")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history, json!([]));
    let gone = phone_entry(&admin, "regular_high", json!(["deleteChat", bob_jid, "1"])).await;
    assert_eq!(gone.unwrap()["delete_chat"], true);
    // Bad input is a problem body.
    let bad = server.post(&s("chats/pin"), json!({"chat": bob})).await;
    assert_eq!(bad.status(), 400);
}
