//! Polls through the HTTP API between two sessions of one server: send-poll, the poll in the
//! recipient's history, vote-poll, the tally on both sides (the voter's choice replaced by a
//! later vote), and bad input as problem bodies.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Server, sim_with, wait_for};

const ALICE: &str = "15551130001";
const BOB: &str = "15551130002";

#[tokio::test]
async fn polls_between_two_sessions() {
    let sim = sim_with(&[ALICE, BOB]).await;
    let server = Server::start(&sim).await;
    let alice = server.create_session("alice").await;
    let bob = server.create_session("bob").await;
    server.link(&sim, &alice, ALICE).await;
    server.link(&sim, &bob, BOB).await;

    let sent = server
        .post(
            &format!("/api/sessions/{alice}/messages/send-poll"),
            json!({"chatId": format!("{BOB}@c.us"), "name": "Meet where?",
                   "options": ["Park", "Beach", "Downtown"], "allowMultipleAnswers": true}),
        )
        .await;
    assert_eq!(sent.status(), 201);
    let poll_id = sent.json::<Value>().await.unwrap()["messageId"]
        .as_str()
        .unwrap()
        .to_owned();

    // Bob's history has the poll, typed.
    let message: Value = wait_for(|| async {
        let url = format!("/api/sessions/{bob}/messages/{ALICE}/{poll_id}");
        let response = server.get(&url).await;
        (response.status() == 200).then_some(())?;
        response.json().await.ok()
    })
    .await;
    assert_eq!(message["type"], "poll", "{message}");
    assert_eq!(message["poll"]["name"], "Meet where?", "{message}");
    assert_eq!(message["poll"]["allowMultipleAnswers"], true, "{message}");

    let vote = |selected: Value| {
        let (server, bob, poll_id) = (&server, &bob, &poll_id);
        async move {
            server
                .post(
                    &format!("/api/sessions/{bob}/messages/vote-poll"),
                    json!({"chatId": ALICE, "messageId": poll_id, "selectedOptions": selected}),
                )
                .await
        }
    };
    assert_eq!(vote(json!(["Park", "Beach"])).await.status(), 201);
    assert_eq!(vote(json!(["Beach"])).await.status(), 201);
    let tally = |session: String, chat: &'static str| {
        let (server, poll_id) = (&server, &poll_id);
        async move {
            wait_for(|| async {
                let url = format!("/api/sessions/{session}/messages/{chat}/{poll_id}/poll");
                let body: Value = server.get(&url).await.json().await.ok()?;
                let votes: Vec<u64> = body["options"]
                    .as_array()?
                    .iter()
                    .filter_map(|o| o["votes"].as_u64())
                    .collect();
                (votes == [0, 1, 0]).then_some(body)
            })
            .await
        }
    };
    let on_alice = tally(alice.clone(), BOB).await;
    assert_eq!(on_alice["name"], "Meet where?");
    assert_eq!(
        on_alice["options"][1]["voters"],
        json!([format!("{BOB}@c.us")]),
        "{on_alice}"
    );
    tally(bob.clone(), ALICE).await;

    // Bad input: an option the poll lacks, too few options, a wrong type, an unknown poll.
    let response = vote(json!(["Moon"])).await;
    assert_eq!(response.status(), 400);
    let response = server
        .post(
            &format!("/api/sessions/{alice}/messages/send-poll"),
            json!({"chatId": BOB, "name": "Q", "options": ["only"]}),
        )
        .await;
    assert_eq!(response.status(), 400);
    let response = server
        .post(
            &format!("/api/sessions/{alice}/messages/send-poll"),
            json!({"chatId": BOB, "name": "Q", "options": "a,b"}),
        )
        .await;
    assert_eq!(response.status(), 400);
    let response = server
        .req(
            Method::GET,
            &format!("/api/sessions/{alice}/messages/{BOB}/NOPE/poll"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}
