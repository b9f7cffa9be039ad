//! Chats and contacts: a phone with a seeded history links a session; `GET S/chats` lists its
//! chats newest first with unread counts and last messages, `GET S/contacts` its contacts, and
//! `GET S/contacts/:id` finds one by phone number, `@c.us` or `@lid`; unknown and bad ids are
//! problem bodies.

use serde_json::{Value, json};

use crate::common::{Server, sim_with, wait_for};

const ALICE: &str = "15551130001";
const BOB: &str = "15551130002";

#[tokio::test]
async fn chats_and_contacts_from_history_and_live_messages() {
    let sim = sim_with(&[ALICE, BOB]).await;
    let bob_lid = sim
        .sim()
        .read(|s| s.account(BOB).map(|a| format!("{}@lid", a.lid)))
        .unwrap();
    let seeded = openwa_testkit::http(
        &sim.info.admin_url,
        "POST",
        &format!("/admin/accounts/{ALICE}/history"),
        Some(json!({ "chats": 3, "messages_per_chat": 10, "unread": 2 })),
    )
    .await;
    assert_eq!(seeded.status, 201);
    let server = Server::start(&sim).await;
    let id = server.create_session("alice").await;
    server.link(&sim, &id, ALICE).await;
    let chats_path = format!("/api/sessions/{id}/chats");
    // The chats come with the bootstrap chunk, their LIDs and names with later chunks: wait
    // for all of it.
    let chats: Value = wait_for(|| async {
        let chats: Value = server.get(&chats_path).await.json().await.ok()?;
        let all = chats.as_array()?;
        let complete = |c: &Value| c["lid"].is_string() && c["name"].is_string();
        (all.len() == 3 && all.iter().all(complete)).then_some(chats)
    })
    .await;
    let first = &chats[0];
    assert!(first["id"].as_str().unwrap().ends_with("@c.us"), "{first}");
    assert_eq!(first["kind"], "user");
    assert_eq!(first["isGroup"], false);
    assert_eq!(first["unreadCount"], 2);
    assert!(
        first["lastMessage"]
            .as_str()
            .unwrap()
            .starts_with("message 9 of chat")
    );
    assert!(first["lid"].as_str().unwrap().ends_with("@lid"));
    let name = first["name"]
        .as_str()
        .unwrap_or_else(|| panic!("no name: {chats}"));
    assert!(name.starts_with("Contact "), "{chats}");

    // Bob writes: his chat comes first, unread.
    let from_bob = openwa_testkit::phone_sends(&sim, BOB, ALICE, "hello alice").await;
    let chats: Value = wait_for(|| async {
        let chats: Value = server.get(&chats_path).await.json().await.ok()?;
        (chats[0]["lastMessageId"] == from_bob.as_str()).then_some(chats)
    })
    .await;
    assert_eq!(chats[0]["id"], format!("{BOB}@c.us"));
    assert_eq!(chats[0]["unreadCount"], 1);
    assert_eq!(chats[0]["lastMessage"], "hello alice");
    let paged: Value = server
        .get(&format!("{chats_path}?limit=2&offset=1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(paged.as_array().unwrap().len(), 2);
    assert_eq!(paged[0]["id"], chats[1]["id"]);

    let contacts: Value = server
        .get(&format!("/api/sessions/{id}/contacts?limit=10"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contacts.as_array().unwrap().len(), 4, "{contacts}");
    for form in [BOB.to_owned(), format!("{BOB}@c.us"), bob_lid.clone()] {
        let response = server
            .get(&format!("/api/sessions/{id}/contacts/{form}"))
            .await;
        assert_eq!(response.status(), 200, "{form}");
        let bob: Value = response.json().await.unwrap();
        assert_eq!(bob["id"], format!("{BOB}@c.us"));
        assert_eq!(bob["number"], BOB);
        assert_eq!(bob["pushName"], format!("Phone {BOB}"));
        assert_eq!(bob["lid"], bob_lid.as_str());
    }
    let missing = server
        .get(&format!("/api/sessions/{id}/contacts/19999999999"))
        .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    let bad = server
        .get(&format!("/api/sessions/{id}/contacts/12036302@g.us"))
        .await;
    assert_eq!(bad.status(), 400);
    let unknown = server.get("/api/sessions/nope/chats").await;
    assert_eq!(unknown.status(), 404);
}
