//! Polls end to end through the simulator: a poll between two engine sessions (1:1 and in a
//! LID-addressed group) arrives typed, votes are sealed with the poll's secret, opened by the
//! other side, reported as `PollVote` events and counted by `poll_results`, a changed vote
//! replaces the earlier one; bad input is a typed error. With a simulated phone: our poll shows
//! on it and its vote reaches us, its poll reaches us and our vote shows in its tally. With
//! unmodified Baileys 7: its poll arrives typed, and Baileys opens our vote on it. On SQLite and
//! PostgreSQL.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::sync::Arc;

use openwa::{
    ErrorCode, EventKind, EventStream, Message, MessageContent, MessageType, PollOptionVotes,
    SendOptions, Session,
};
use openwa_testkit::{
    BAILEYS7, TestStore, http, link_by_qr, next_matching, pair_by_qr_with_env,
    require_node_modules, sim_options, simulator, temp_auth_dir,
};
use serde_json::json;
use sha2::{Digest, Sha256};

const ALICE: &str = "15550005001";
const BOB: &str = "15550005002";

fn drinks() -> Vec<String> {
    vec!["Tea".into(), "Coffee".into(), "Water".into()]
}

async fn received(events: &EventStream, id: &str) -> Message {
    let id = id.to_owned();
    match next_matching(
        events,
        |k| matches!(k, EventKind::MessageReceived { message } if message.id == id),
    )
    .await
    {
        EventKind::MessageReceived { message } => message,
        _ => unreachable!(),
    }
}

/// The next `PollVote` on `poll_id`: (voter, selected).
async fn vote_event(events: &EventStream, poll_id: &str) -> (String, Vec<String>) {
    let id = poll_id.to_owned();
    match next_matching(
        events,
        |k| matches!(k, EventKind::PollVote { poll_id, .. } if *poll_id == id),
    )
    .await
    {
        EventKind::PollVote {
            voter, selected, ..
        } => (voter, selected),
        _ => unreachable!(),
    }
}

fn tally(options: &[PollOptionVotes]) -> Vec<(String, usize)> {
    options
        .iter()
        .map(|o| (o.name.clone(), o.voters.len()))
        .collect()
}

/// Alice asks in `chat`, Bob votes, changes his vote; both sides count the same.
async fn poll_round(alice: &Session, bob: &Session, alice_chat: &str, bob_chat: &str) {
    let (alice_events, bob_events) = (alice.events(), bob.events());
    let none = SendOptions::default;
    let poll = alice
        .send_poll(alice_chat, "Drink?", drinks(), 1, none())
        .await
        .unwrap();
    assert_eq!(poll.message_type, MessageType::Poll);
    let expected = MessageContent::Poll {
        name: "Drink?".into(),
        options: drinks(),
        selectable_count: 1,
    };
    assert_eq!(poll.content, expected);
    let got = received(&bob_events, &poll.id).await;
    assert_eq!(got.content, expected);

    let vote = bob
        .vote_poll(bob_chat, &poll.id, vec!["Coffee".into()], none())
        .await
        .unwrap();
    assert_eq!(vote.message_type, MessageType::PollVote);
    let (voter, selected) = vote_event(&alice_events, &poll.id).await;
    assert_eq!(selected, ["Coffee"]);
    assert!(
        voter.ends_with("@s.whatsapp.net") || voter.ends_with("@lid"),
        "{voter}"
    );
    let (own_voter, _) = vote_event(&bob_events, &poll.id).await;
    assert_eq!(voter, own_voter, "both sides name the voter alike");
    let results = alice.poll_results(alice_chat, &poll.id).await.unwrap();
    assert_eq!(results.name, "Drink?");
    assert_eq!(
        tally(&results.options),
        [("Tea".into(), 0), ("Coffee".into(), 1), ("Water".into(), 0)]
    );
    assert_eq!(results.options[1].voters, std::slice::from_ref(&voter));

    // Bob changes his mind; Alice votes too.
    bob.vote_poll(bob_chat, &poll.id, vec!["Tea".into()], none())
        .await
        .unwrap();
    assert_eq!(vote_event(&alice_events, &poll.id).await.1, ["Tea"]);
    alice
        .vote_poll(alice_chat, &poll.id, vec!["Tea".into()], none())
        .await
        .unwrap();
    // Bob's stream also has his own votes: wait for Alice's.
    loop {
        let (who, selected) = vote_event(&bob_events, &poll.id).await;
        if who != voter {
            assert_eq!(selected, ["Tea"]);
            break;
        }
    }
    for (session, chat) in [(alice, alice_chat), (bob, bob_chat)] {
        let results = session.poll_results(chat, &poll.id).await.unwrap();
        assert_eq!(
            tally(&results.options),
            [("Tea".into(), 2), ("Coffee".into(), 0), ("Water".into(), 0)]
        );
    }
    // Votes stay out of history; the poll is in it.
    let page = alice.messages(alice_chat, None, 50).await.unwrap();
    assert!(page.messages.iter().any(|m| m.id == poll.id));
    assert!(
        page.messages
            .iter()
            .all(|m| m.message_type != MessageType::PollVote)
    );

    // Bad input: an option the poll lacks, two choices on a single-choice poll, a vote on a
    // message that is not a poll, an unknown poll, a poll with too few options.
    let err = bob
        .vote_poll(bob_chat, &poll.id, vec!["Juice".into()], none())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    let err = bob
        .vote_poll(
            bob_chat,
            &poll.id,
            vec!["Tea".into(), "Water".into()],
            none(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    let text = alice.send_text(alice_chat, "hi", none()).await.unwrap();
    let err = alice
        .vote_poll(alice_chat, &text.id, vec!["Tea".into()], none())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    let err = alice
        .vote_poll(alice_chat, "3EB0NOPE", vec![], none())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound, "{err}");
    let err = alice
        .send_poll(alice_chat, "Q", vec!["only".into()], 0, none())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
    let err = alice
        .send_poll(alice_chat, "Q", vec!["a".into(), "a".into()], 0, none())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument, "{err}");
}

async fn polls_between_two_sessions(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(ALICE, "Alice").unwrap();
    sim.create_account(BOB, "Bob").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let alice = manager.create_session("alice", None).await.unwrap();
    let bob = manager.create_session("bob", None).await.unwrap();
    link_by_qr(&sim, &alice, ALICE).await;
    link_by_qr(&sim, &bob, BOB).await;

    poll_round(&alice, &bob, BOB, ALICE).await;

    // In a LID-addressed group.
    let bob_events = bob.events();
    let group = alice
        .create_group("Drinks", vec![BOB.into()])
        .await
        .unwrap()
        .jid;
    next_matching(&bob_events, |k| {
        matches!(
            k,
            EventKind::GroupJoined { .. } | EventKind::GroupParticipants { .. }
        )
    })
    .await;
    poll_round(&alice, &bob, &group, &group).await;

    manager.close().await.unwrap();
}

async fn polls_with_baileys(store: Arc<TestStore>) {
    require_node_modules();
    let sim = simulator().await;
    sim.create_account(ALICE, "Alice").unwrap();
    sim.create_account(BOB, "Bob").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let alice = manager.create_session("alice", None).await.unwrap();
    link_by_qr(&sim, &alice, ALICE).await;
    let events = alice.events();
    let auth = temp_auth_dir("epolls");
    let env = [("BAILEYS_RAW_MESSAGES", "1")];
    let (mut bob, _) = pair_by_qr_with_env(
        &sim.info.ws_url,
        &sim.info.admin_url,
        BAILEYS7,
        BOB,
        &auth,
        &env,
    )
    .await;
    let alice_jid = format!("{ALICE}@s.whatsapp.net");

    // Our poll reaches Baileys as a poll with its secret.
    let poll = alice
        .send_poll(
            BOB,
            "Where?",
            vec!["Here".into(), "There".into()],
            0,
            SendOptions::default(),
        )
        .await
        .unwrap();
    let got = bob.wait_message(&poll.id).await;
    let raw = &got["raw"];
    assert_eq!(raw["pollCreationMessage"]["name"], "Where?", "{got}");
    assert_eq!(
        raw["pollCreationMessage"]["options"][1]["optionName"], "There",
        "{got}"
    );
    assert!(
        !raw["messageContextInfo"]["messageSecret"].is_null(),
        "{got}"
    );

    // Baileys' poll arrives typed; our vote on it opens on Baileys' side.
    bob.send(json!({"cmd": "send", "to": alice_jid,
        "content": {"poll": {"name": "Lunch?", "values": ["Pizza", "Salad"], "selectableCount": 1}}}))
        .await;
    let id = bob.wait_event("sent").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = received(&events, &id).await;
    assert_eq!(
        got.content,
        MessageContent::Poll {
            name: "Lunch?".into(),
            options: vec!["Pizza".into(), "Salad".into()],
            selectable_count: 1,
        }
    );
    let vote = alice
        .vote_poll(BOB, &id, vec!["Salad".into()], SendOptions::default())
        .await
        .unwrap();
    bob.wait_message(&vote.id).await;
    bob.send(json!({"cmd": "open_vote", "id": vote.id})).await;
    let opened = bob.wait_event("vote").await;
    assert_eq!(opened["poll"], id.as_str(), "{opened}");
    assert_eq!(
        opened["selected"],
        json!([hex::encode(Sha256::digest(b"Salad"))]),
        "{opened}"
    );

    bob.send(json!({"cmd": "quit"})).await;
    manager.close().await.unwrap();
}

/// Bob's timeline entry `id`, once `ready` holds for it.
async fn on_phone(
    admin: &str,
    id: &str,
    ready: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let path = format!("/admin/accounts/{BOB}/messages");
    for _ in 0..200 {
        let timeline = http(admin, "GET", &path, None).await.json();
        let found = timeline
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .cloned();
        if let Some(entry) = found.filter(|e| ready(e)) {
            return entry;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{id} never reached Bob's phone as expected");
}

async fn polls_with_a_phone(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(ALICE, "Alice").unwrap();
    sim.create_account(BOB, "Bob").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let alice = manager.create_session("alice", None).await.unwrap();
    link_by_qr(&sim, &alice, ALICE).await;
    let events = alice.events();
    let admin = sim.info.admin_url.as_str();
    let bob_sends = |body: serde_json::Value| async move {
        let path = format!("/admin/accounts/{BOB}/messages");
        let sent = http(admin, "POST", &path, Some(body)).await;
        assert_eq!(sent.status, 201, "{}", sent.json());
        sent.json()["id"].as_str().unwrap().to_owned()
    };

    // Our poll on the phone; the phone's vote reaches us.
    let poll = alice
        .send_poll(BOB, "Drink?", drinks(), 0, SendOptions::default())
        .await
        .unwrap();
    let entry = on_phone(admin, &poll.id, |_| true).await;
    assert_eq!(entry["type"], "poll", "{entry}");
    assert_eq!(entry["poll"]["options"], json!(drinks()), "{entry}");
    bob_sends(json!({"to": ALICE, "vote": {"id": poll.id, "options": ["Tea", "Water"]}})).await;
    let (voter, selected) = vote_event(&events, &poll.id).await;
    assert_eq!(voter, format!("{BOB}@s.whatsapp.net"));
    assert_eq!(selected, ["Tea", "Water"]);

    // The phone's poll reaches us typed; our vote shows in the phone's tally.
    let id =
        bob_sends(json!({"to": ALICE, "poll": {"name": "Lunch?", "options": ["Pizza", "Salad"]}}))
            .await;
    let got = received(&events, &id).await;
    assert_eq!(
        got.content,
        MessageContent::Poll {
            name: "Lunch?".into(),
            options: vec!["Pizza".into(), "Salad".into()],
            selectable_count: 1,
        }
    );
    alice
        .vote_poll(BOB, &id, vec!["Pizza".into()], SendOptions::default())
        .await
        .unwrap();
    let alice_jid = format!("{ALICE}@s.whatsapp.net");
    let entry = on_phone(admin, &id, |e| !e["poll"]["votes"][&alice_jid].is_null()).await;
    assert_eq!(
        entry["poll"]["votes"][&alice_jid],
        json!(["Pizza"]),
        "{entry}"
    );

    // The phone refuses a vote on no poll and an option the poll lacks.
    let path = format!("/admin/accounts/{BOB}/messages");
    let refused = http(
        admin,
        "POST",
        &path,
        Some(json!({"to": ALICE, "vote": {"id": "NOPE", "options": []}})),
    )
    .await;
    assert_eq!(refused.status, 404, "{}", refused.json());
    let refused = http(
        admin,
        "POST",
        &path,
        Some(json!({"to": ALICE, "vote": {"id": id, "options": ["Soup"]}})),
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.json());
    manager.close().await.unwrap();
}

openwa_store::on_every_backend!(persistent: [
    polls_between_two_sessions,
    polls_with_baileys,
    polls_with_a_phone,
]);
