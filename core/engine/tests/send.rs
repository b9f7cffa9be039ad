//! Sending with the engine to an unmodified Baileys 7 through the in-process simulator: texts
//! arrive (first and later messages, to the PN and to the LID of the same account, over one
//! Signal session), Baileys' receipts become `delivered` / `read`, history pages and statuses
//! come from the store (SQLite and PostgreSQL) with the account's PN and LID as one chat, and a
//! send while disconnected fails at once.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::sync::Arc;

use openwa::{ErrorCode, EventKind, EventStream, MessageStatus};
use openwa_protocol::Jid;
use openwa_protocol::stanza::{Peer, Receipt, ReceiptType, RetryRequest};
use openwa_simulator::{Simulator, SimulatorConfig, SimulatorHandle};
use openwa_testkit::http;
use openwa_testkit::{
    BAILEYS6, BAILEYS7, has_status, pair_by_qr, require_node_modules, temp_auth_dir,
};
use openwa_testkit::{TestStore, link_by_qr, next_matching, sim_options, simulator};
use serde_json::{Value, json};

const ALICE: &str = "15550000101";
const BOB: &str = "15550000102";

/// Waits for `MessageStatus status` of message `id`.
async fn wait_status(events: &EventStream, id: &str, status: MessageStatus) {
    next_matching(events, |k| {
        matches!(k, EventKind::MessageStatus { message_id, status: s, .. }
            if message_id == id && *s == status)
    })
    .await;
}

/// The entry for message `id` on the simulated phone of `phone` (admin API timeline).
async fn phone_entry(sim: &SimulatorHandle, phone: &str, id: &str) -> Value {
    let path = format!("/admin/accounts/{phone}/messages");
    let timeline = http(&sim.info.admin_url, "GET", &path, None).await.json();
    timeline
        .as_array()
        .and_then(|entries| entries.iter().find(|e| e["id"] == id))
        .cloned()
        .unwrap_or_else(|| panic!("no {id} on {phone}'s phone: {timeline}"))
}

async fn send_receipts_history_with_baileys(store: Arc<TestStore>) {
    require_node_modules();
    let sim = simulator().await;
    sim.create_account(ALICE, "Alice").unwrap();
    let bob_account = sim.create_account(BOB, "Bob").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let events = session.events();
    link_by_qr(&sim, &session, ALICE).await;

    let auth = temp_auth_dir("esend");
    let (mut bob, linked) =
        pair_by_qr(&sim.info.ws_url, &sim.info.admin_url, BAILEYS7, BOB, &auth).await;

    // First message: a new session (pkmsg), by phone number.
    let first = session
        .send_text(
            &format!("+{BOB}"),
            "hello bob",
            openwa::SendOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(first.status, MessageStatus::Sent);
    assert_eq!(first.chat, format!("{BOB}@s.whatsapp.net"));
    assert!(first.from_me);
    let sent = next_matching(&events, |k| matches!(k, EventKind::MessageSent { .. })).await;
    assert!(matches!(sent, EventKind::MessageSent { message } if message.id == first.id));
    let got = bob.wait_message(&first.id).await;
    assert_eq!(got["text"], "hello bob", "{got}");
    // The simulated phones decrypt too: Bob's phone has the text, Alice's phone the
    // device-sent copy, filed under the chat with Bob.
    let on_bob_phone = phone_entry(&sim, BOB, &first.id).await;
    assert_eq!(on_bob_phone["text"], "hello bob", "{on_bob_phone}");
    assert_eq!(on_bob_phone["from_me"], false, "{on_bob_phone}");
    assert_eq!(on_bob_phone["enc"], "pkmsg", "{on_bob_phone}");
    let on_alice_phone = phone_entry(&sim, ALICE, &first.id).await;
    assert_eq!(on_alice_phone["text"], "hello bob", "{on_alice_phone}");
    assert_eq!(on_alice_phone["from_me"], true, "{on_alice_phone}");
    assert_eq!(
        on_alice_phone["chat"],
        format!("{BOB}@s.whatsapp.net"),
        "{on_alice_phone}"
    );
    wait_status(&events, &first.id, MessageStatus::Delivered).await;

    // Bob reads it.
    bob.send(json!({"cmd": "read", "chat": got["from"], "id": first.id}))
        .await;
    bob.wait_event("read").await;
    wait_status(&events, &first.id, MessageStatus::Read).await;

    // A second message on the same session.
    let second = session
        .send_text(BOB, "second", openwa::SendOptions::default())
        .await
        .unwrap();
    let got = bob.wait_message(&second.id).await;
    assert_eq!(got["text"], "second", "{got}");
    wait_status(&events, &second.id, MessageStatus::Delivered).await;

    // The same account by its LID: same devices, same Signal session.
    let lid_chat = bob_account.lid.clone();
    let third = session
        .send_text(&lid_chat, "via lid", openwa::SendOptions::default())
        .await
        .unwrap();
    assert_eq!(third.chat, lid_chat);
    let got = bob.wait_message(&third.id).await;
    assert_eq!(got["text"], "via lid", "{got}");
    let raw = store.open_raw().await;
    let lid_user = lid_chat.trim_end_matches("@lid");
    assert_eq!(
        raw.lid_for_pn("alice", BOB).await.unwrap().as_deref(),
        Some(lid_user)
    );
    let pn_sessions = raw
        .list_signal_session_addresses("alice", &format!("{BOB}."))
        .await
        .unwrap();
    assert!(
        pn_sessions.is_empty(),
        "PN-keyed sessions left: {pn_sessions:?}"
    );
    let lid_sessions = raw
        .list_signal_session_addresses("alice", &format!("{lid_user}_1."))
        .await
        .unwrap();
    let bob_devices = sim.devices(BOB).unwrap();
    assert_eq!(
        lid_sessions.len(),
        bob_devices.len(),
        "one session per device of Bob: {lid_sessions:?}"
    );

    // Bob's Baileys device could not decrypt (says its retry receipt): the stored message is
    // re-encrypted for that device alone and arrives again.
    let bob_device: Jid = linked["jid"].as_str().unwrap().parse().unwrap();
    let mut retry = Receipt::new(
        second.id.clone(),
        Peer::From(bob_device.clone()),
        ReceiptType::Retry,
    );
    retry.t = Some(second.timestamp);
    retry.retry = Some(RetryRequest {
        count: 1,
        id: second.id.clone(),
        t: Some(second.timestamp),
        error: None,
        registration_id: 1,
        keys: None,
    });
    let alice_device = session.info().jid.unwrap().parse::<Jid>().unwrap().device;
    sim.sim().deliver(ALICE, alice_device, retry.to_node());
    let again = bob
        .wait_for("the resent message", |e| {
            e["event"] == "message" && e["id"] == second.id && e["from_me"] != true
        })
        .await;
    assert_eq!(again["text"], "second", "{again}");
    let arrivals = bob
        .seen()
        .iter()
        .filter(|e| e["event"] == "message" && e["id"] == second.id && e["from_me"] != true)
        .count();
    assert_eq!(arrivals, 2, "{:?}", bob.seen());

    // History with statuses, in pages of one: Bob's PN and LID name one chat, so the texts
    // sent by PN and the one sent by LID are one history, whichever JID is asked. (Messages of
    // the same second are ordered by id, so the test does not assume which comes first.)
    let chat = format!("{BOB}@s.whatsapp.net");
    let mut paged = Vec::new();
    let mut cursor = None;
    loop {
        let page = session.messages(&chat, cursor, 1).await.unwrap();
        assert_eq!(page.messages.len(), 1);
        paged.extend(page.messages);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(paged.len(), 3, "{paged:?}");
    assert!(
        paged
            .windows(2)
            .all(|w| (w[0].timestamp, &w[0].id) > (w[1].timestamp, &w[1].id)),
        "not newest first: {paged:?}"
    );
    let find = |id: &str| paged.iter().find(|m| m.id == id).unwrap().clone();
    let (one, two, three) = (find(&first.id), find(&second.id), find(&third.id));
    assert_eq!(one.status, MessageStatus::Read);
    assert_eq!(one.text.as_deref(), Some("hello bob"));
    assert_eq!(two.status, MessageStatus::Delivered);
    assert_eq!(two.text.as_deref(), Some("second"));
    assert_eq!(three.text.as_deref(), Some("via lid"));
    assert_eq!(
        three.chat, lid_chat,
        "each message keeps the JID it was sent to"
    );
    let by_lid = session.messages(&lid_chat, None, 10).await.unwrap();
    let ids =
        |messages: &[openwa::Message]| messages.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&by_lid.messages), ids(&paged));
    for by in [BOB, lid_chat.as_str()] {
        let looked_up = session.message(by, &first.id).await.unwrap();
        assert_eq!(looked_up.text.as_deref(), Some("hello bob"));
        assert_eq!(looked_up.status, MessageStatus::Read);
        assert_eq!(
            session
                .message(by, &third.id)
                .await
                .unwrap()
                .text
                .as_deref(),
            Some("via lid")
        );
    }
    assert_eq!(
        session.message(BOB, "3EB0NOPE").await.unwrap_err().code,
        ErrorCode::NotFound
    );

    // Alice marks a message from Bob read: Bob sees status 4 (read).
    let from_bob = bob
        .send_text(&format!("{ALICE}@s.whatsapp.net"), "read me")
        .await;
    // Bob's client sees it delivered, then read. (Alice's phone also sends a delivery receipt,
    // sometimes after the read one: the simulator does not forward such a stale status, which
    // Baileys would otherwise fold over the read one.)
    next_matching(
        &events,
        |k| matches!(k, EventKind::MessageReceived { message } if message.id == from_bob),
    )
    .await;
    let id = json!(from_bob);
    if !bob.seen().iter().any(|e| has_status(e, &id, 3)) {
        bob.wait_for("delivered status", |e| has_status(e, &id, 3))
            .await;
    }
    session
        .mark_read(&format!("+{BOB}"), vec![from_bob.clone()])
        .await
        .unwrap();
    bob.wait_for("read status", |e| has_status(e, &id, 4)).await;

    // A `devices` notification drops Bob's cached device list; the next send fetches it again.
    let bob_key = format!("{BOB}@s.whatsapp.net");
    assert!(
        raw.get_device_list("alice", &bob_key)
            .await
            .unwrap()
            .is_some()
    );
    sim.sim().device_list_changed(BOB);
    let dropped = tokio::time::timeout(openwa_testkit::WAIT, async {
        while raw
            .get_device_list("alice", &bob_key)
            .await
            .unwrap()
            .is_some()
        {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(dropped.is_ok(), "the device list stayed cached");
    let fourth = session
        .send_text(BOB, "after devices", openwa::SendOptions::default())
        .await
        .unwrap();
    assert_eq!(bob.wait_message(&fourth.id).await["text"], "after devices");
    assert!(
        raw.get_device_list("alice", &bob_key)
            .await
            .unwrap()
            .is_some()
    );

    // Disconnected: a typed error at once, nothing hangs.
    session.disconnect().await.unwrap();
    let err = session
        .send_text(BOB, "nobody listens", openwa::SendOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotConnected);
    assert!(err.retryable);
    // The chat's history holds both directions: four texts sent (three by PN, one by LID) and
    // Bob's "read me", which the receive pipeline filed under the same chat.
    let history = session.messages(&chat, None, 10).await.unwrap().messages;
    assert_eq!(history.len(), 5, "{history:?}");
    let received: Vec<_> = history.iter().filter(|m| !m.from_me).collect();
    assert_eq!(received.len(), 1, "{history:?}");
    assert_eq!(received[0].id, from_bob);
    assert_eq!(received[0].text.as_deref(), Some("read me"));
    raw.close().await;

    bob.quit().await;
    manager.close().await.unwrap();
    let _ = std::fs::remove_dir_all(auth);
}

// Persistent only: it reads what the engine stored through a second handle.
openwa_store::on_every_backend!(persistent: [send_receipts_history_with_baileys]);

/// Baileys 6 (dictionary v2 on its connection) receives the engine's texts and reports
/// delivered and read. (The simulated phone shares its app-state key here: a freshly paired
/// Baileys 6 buffers its events until it has one.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baileys6_receives_texts_and_reports_statuses() {
    openwa_testkit::with_store(openwa_testkit::Backend::Sqlite, |store| async move {
        require_node_modules();
        let sim = Simulator::start(SimulatorConfig {
            tls_listen: None,
            share_app_state_key: true,
            ..SimulatorConfig::default()
        })
        .await
        .unwrap();
        sim.create_account("15550000111", "Alice").unwrap();
        sim.create_account("15550000112", "Bob").unwrap();
        let manager = store.open_manager(sim_options(&sim)).await;
        let session = manager.create_session("alice", None).await.unwrap();
        let events = session.events();
        link_by_qr(&sim, &session, "15550000111").await;
        let auth = temp_auth_dir("esend6");
        let (mut bob, _) = pair_by_qr(
            &sim.info.ws_url,
            &sim.info.admin_url,
            BAILEYS6,
            "15550000112",
            &auth,
        )
        .await;
        for text in ["first for baileys 6", "second for baileys 6"] {
            let sent = session
                .send_text("15550000112", text, openwa::SendOptions::default())
                .await
                .unwrap();
            let got = bob.wait_message(&sent.id).await;
            assert_eq!(got["text"], text, "{got}");
            wait_status(&events, &sent.id, MessageStatus::Delivered).await;
            bob.send(json!({"cmd": "read", "chat": got["from"], "id": sent.id}))
                .await;
            bob.wait_event("read").await;
            wait_status(&events, &sent.id, MessageStatus::Read).await;
        }
        bob.quit().await;
        manager.close().await.unwrap();
        let _ = std::fs::remove_dir_all(auth);
    })
    .await;
}
