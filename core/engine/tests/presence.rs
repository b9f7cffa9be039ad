//! Presence and chat state between two engine sessions through the simulator: availability
//! pushed to a subscriber, typing and recording indicators, bad input.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::sync::Arc;

use openwa::{ChatState, ErrorCode, EventKind};
use openwa_testkit::{TestStore, link_by_qr, next_matching, sim_options, simulator};

const ALICE: &str = "15550005001";
const BOB: &str = "15550005002";

async fn presence_and_typing(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(ALICE, "Alice").unwrap();
    sim.create_account(BOB, "Bob").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let alice = manager.create_session("alice", None).await.unwrap();
    let bob = manager.create_session("bob", None).await.unwrap();
    link_by_qr(&sim, &alice, ALICE).await;
    link_by_qr(&sim, &bob, BOB).await;
    let bob_events = bob.events();
    let alice_jid = format!("{ALICE}@s.whatsapp.net");

    // Alice comes online; Bob subscribes and hears it, then hears her go offline.
    alice.set_presence(true).await.unwrap();
    bob.set_presence(true).await.unwrap();
    bob.subscribe_presence(&format!("+{ALICE}")).await.unwrap();
    let user = alice_jid.clone();
    next_matching(
        &bob_events,
        |k| matches!(k, EventKind::Presence { user: u, available: true, .. } if *u == user),
    )
    .await;
    alice.set_presence(false).await.unwrap();
    let user = alice_jid.clone();
    let offline = next_matching(
        &bob_events,
        |k| matches!(k, EventKind::Presence { user: u, available: false, .. } if *u == user),
    )
    .await;
    let EventKind::Presence { last_seen, .. } = offline else {
        unreachable!()
    };
    assert!(
        last_seen.is_some_and(|t| t > 1_700_000_000),
        "{last_seen:?}"
    );

    // Typing, recording, paused: each arrives as a chat state of the chat with Alice.
    for state in [ChatState::Typing, ChatState::Recording, ChatState::Paused] {
        alice.send_chat_state(BOB, state).await.unwrap();
        let chat = alice_jid.clone();
        let got = next_matching(&bob_events, |k| matches!(k, EventKind::ChatState { .. })).await;
        assert_eq!(
            got,
            EventKind::ChatState {
                chat: chat.clone(),
                sender: chat,
                state
            }
        );
    }

    // Bad input and a closed connection: typed errors.
    let err = bob
        .subscribe_presence("120363000000000001@g.us")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    let err = alice
        .send_chat_state("not a chat", ChatState::Typing)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    alice.disconnect().await.unwrap();
    let err = alice.set_presence(true).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotConnected);
    manager.close().await.unwrap();
}

openwa_store::on_every_backend!(all: [presence_and_typing]);
