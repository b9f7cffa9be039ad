//! History sync end to end: a simulated phone with a seeded history (50 chats, 5,000 messages)
//! and a timeline links a fresh session, which downloads, verifies, inflates and stores every
//! chunk; the session then lists the phone's chats (newest first, both PN and LID forms, names,
//! unread counts, last messages), their messages and the contacts; live messages keep the
//! chats current. Run on every backend.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::sync::Arc;

use openwa::{ChatKind, ErrorCode, EventKind, EventStream, HistorySyncType, Session};
use openwa_testkit::{
    TestStore, WAIT, http, link_by_qr, next_matching, phone_sends, sim_options, simulator,
};

const ALICE: &str = "15550007001";
const BOB: &str = "15550007002";
const CHATS: u64 = 50;
const PER_CHAT: u64 = 100;

/// Waits for the `HistorySync` events of one link, up to the last (non-blocking data) chunk;
/// answers the messages they report.
pub async fn history_synced(events: &EventStream) -> u64 {
    let mut messages = 0;
    tokio::time::timeout(WAIT * 4, async {
        loop {
            let event = events.next().await.unwrap();
            if let EventKind::HistorySync {
                sync_type,
                messages: n,
                progress,
                ..
            } = event.kind
            {
                messages += u64::from(n);
                if sync_type == HistorySyncType::NonBlockingData && progress == Some(100) {
                    return messages;
                }
            }
        }
    })
    .await
    .unwrap()
}

/// Seeds the phone of `phone` through the admin API.
pub async fn seed(admin: &str, phone: &str) {
    let body = serde_json::json!({ "chats": CHATS, "messages_per_chat": PER_CHAT, "unread": 3 });
    let path = format!("/admin/accounts/{phone}/history");
    let seeded = http(admin, "POST", &path, Some(body)).await;
    assert_eq!(seeded.status, 201, "{:?}", seeded.json());
    assert_eq!(seeded.json()["messages"], CHATS * PER_CHAT);
}

/// What a fresh session learned from the phone.
pub async fn check_history(session: &Session, bob_lid: &str) {
    let chats = session.list_chats(500, 0).await.unwrap();
    assert_eq!(chats.len() as u64, CHATS + 1, "50 seeded chats and Bob's");
    assert!(
        chats
            .windows(2)
            .all(|w| w[0].last_message_at >= w[1].last_message_at),
        "newest first"
    );
    let bob = chats
        .iter()
        .find(|c| c.pn.as_deref() == Some(&*format!("{BOB}@s.whatsapp.net")))
        .unwrap();
    assert_eq!(bob.lid.as_deref(), Some(bob_lid));
    assert_eq!(bob.name.as_deref(), Some("Bob"));
    let seeded = chats.iter().find(|c| c.id.starts_with("1888")).unwrap();
    assert_eq!(seeded.kind, ChatKind::User);
    assert!(seeded.lid.as_deref().is_some_and(|l| l.ends_with("@lid")));
    assert!(
        seeded
            .name
            .as_deref()
            .is_some_and(|n| n.starts_with("Contact "))
    );
    assert_eq!(seeded.unread_count, 3);
    let last = seeded.last_message.as_ref().unwrap();
    assert!(
        last.text
            .as_deref()
            .unwrap()
            .starts_with("message 99 of chat")
    );
    assert!(last.from_me);
    let page = session.messages(&seeded.id, None, 500).await.unwrap();
    assert_eq!(page.messages.len() as u64, PER_CHAT);
    // The same chat by its LID.
    let by_lid = session
        .get_chat(seeded.lid.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(by_lid.id, seeded.id);
    let paged = session.list_chats(20, 40).await.unwrap();
    assert_eq!(paged.len(), 11);
    assert_eq!(paged[0].id, chats[40].id);

    let contacts = session.list_contacts(500, 0).await.unwrap();
    assert_eq!(contacts.len() as u64, CHATS + 1, "{contacts:?}");
    let contact = session.get_contact(&format!("+{BOB}")).await.unwrap();
    assert_eq!(contact.push_name.as_deref(), Some("Bob"));
    assert_eq!(contact.phone.as_deref(), Some(BOB));
    assert_eq!(contact.lid.as_deref(), Some(bob_lid));
    assert_eq!(session.get_contact(bob_lid).await.unwrap(), contact);
    let missing = session.get_contact("19999999999").await.unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);
    let bad = session
        .get_contact("120363000000000001@g.us")
        .await
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::InvalidArgument);
    assert_eq!(
        session.list_chats(0, 0).await.unwrap_err().code,
        ErrorCode::InvalidArgument
    );
}

async fn a_phone_history_reaches_a_fresh_session(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(ALICE, "Alice").unwrap();
    let bob = sim.create_account(BOB, "Bob").unwrap();
    let bob_lid = bob.lid.clone();
    phone_sends(&sim, BOB, ALICE, "before the link").await;
    seed(&sim.info.admin_url, ALICE).await;

    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let events = session.events();
    link_by_qr(&sim, &session, ALICE).await;
    let reported = history_synced(&events).await;
    assert_eq!(reported, CHATS * PER_CHAT + 1);
    check_history(&session, &bob_lid).await;

    // Live messages keep the chats current: a new message from Bob puts his chat first with
    // one more unread; reading it clears the count.
    let before = session.get_chat(BOB).await.unwrap().unread_count;
    let id = phone_sends(&sim, BOB, ALICE, "after the link").await;
    next_matching(
        &events,
        |k| matches!(k, EventKind::MessageReceived { message } if message.id == id),
    )
    .await;
    let chats = session.list_chats(1, 0).await.unwrap();
    assert_eq!(
        chats[0].pn.as_deref(),
        Some(&*format!("{BOB}@s.whatsapp.net"))
    );
    assert_eq!(chats[0].unread_count, before + 1);
    assert_eq!(chats[0].last_message.as_ref().unwrap().id, id);
    session.mark_read(BOB, vec![id]).await.unwrap();
    assert_eq!(session.get_chat(&bob_lid).await.unwrap().unread_count, 0);
    // Our own send moves the chat too, without counting as unread.
    let sent = session
        .send_text(&bob_lid, "read you", Default::default())
        .await
        .unwrap();
    let chat = session.get_chat(BOB).await.unwrap();
    assert_eq!(chat.unread_count, 0);
    assert_eq!(chat.last_message.as_ref().map(|m| &m.id), Some(&sent.id));
    manager.close().await.unwrap();
}

openwa_store::on_every_backend!(all: [a_phone_history_reaches_a_fresh_session]);
