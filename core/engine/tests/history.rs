//! History sync end to end: a simulated phone with a seeded history (50 chats, 5,000 messages)
//! and a timeline links a fresh session, which downloads, verifies, inflates and stores every
//! chunk; the session then lists the phone's chats (newest first, both PN and LID forms, names,
//! unread counts, last messages), their messages and the contacts; live messages keep the
//! chats current. Run on every backend. And: bad chunks (wrong MAC, truncated zlib, not a
//! `HistorySync`) left pending across a restart are dropped, a good one next to them is kept.
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

/// `data` as a zlib stream of one stored (uncompressed) block.
fn stored_zlib(data: &[u8]) -> Vec<u8> {
    let len = u16::try_from(data.len()).unwrap();
    let mut out = vec![0x78, 0x01, 0x01];
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(data);
    let (mut a, mut b) = (1u32, 0u32);
    for byte in data {
        a = (a + u32::from(*byte)) % 65521;
        b = (b + a) % 65521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

/// A pending notice whose blob is `plaintext` encrypted under `key` but announced with
/// `announced_key`, stored on the simulator's media host.
fn notice(
    sim: &openwa_simulator::SimulatorHandle,
    id: &str,
    plaintext: &[u8],
    key: [u8; 32],
    announced_key: [u8; 32],
) -> openwa_store::PendingHistory {
    use openwa_protocol::media::{self, MediaType};
    use prost::Message as _;
    let encrypted = media::encrypt(&key, MediaType::History, plaintext);
    let (_, direct_path) = openwa_simulator::media_host::store_blob(
        sim.sim(),
        &encrypted.info.file_enc_sha256,
        encrypted.blob.into(),
    )
    .unwrap();
    let notification = openwa_protocol::proto::e2e::HistorySyncNotification {
        file_sha256: Some(encrypted.info.file_sha256.to_vec()),
        file_length: Some(encrypted.info.file_length),
        media_key: Some(announced_key.to_vec()),
        file_enc_sha256: Some(encrypted.info.file_enc_sha256.to_vec()),
        direct_path: Some(direct_path),
        sync_type: Some(3),
        chunk_order: Some(1),
        progress: Some(100),
        ..Default::default()
    };
    openwa_store::PendingHistory {
        id: id.into(),
        sync_type: 3,
        chunk_order: 1,
        notification: notification.encode_to_vec(),
        created_at: 1,
    }
}

/// Bad chunks (a wrong media key: the MAC fails; a truncated zlib stream; bytes that are not a
/// `HistorySync`) are typed errors, dropped with a warning after the restart that resumes them;
/// a good chunk next to them is stored; nothing panics and no notice stays pending.
async fn bad_history_chunks_are_dropped_and_good_ones_kept(store: Arc<TestStore>) {
    use openwa_protocol::history::compress;
    use openwa_protocol::proto::e2e::{Conversation, HistorySync};
    let sim = simulator().await;
    sim.create_account(ALICE, "Alice").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    link_by_qr(&sim, &session, ALICE).await;
    manager.close().await.unwrap();
    drop((session, manager));

    let good = HistorySync {
        sync_type: Some(3),
        conversations: vec![Conversation {
            id: Some("18885550001@s.whatsapp.net".into()),
            conversation_timestamp: Some(100),
            ..Default::default()
        }],
        ..Default::default()
    };
    let blob = compress(&good);
    let raw = store.open_raw().await;
    for pending in [
        notice(&sim, "BADMAC", &blob, [1; 32], [2; 32]),
        notice(&sim, "TRUNCATED", &blob[..blob.len() / 2], [3; 32], [3; 32]),
        notice(
            &sim,
            "NOTPROTO",
            &stored_zlib(&[0xff; 64]),
            [4; 32],
            [4; 32],
        ),
        notice(&sim, "GOOD", &blob, [5; 32], [5; 32]),
    ] {
        raw.put_pending_history("alice", &pending).await.unwrap();
    }
    raw.close().await;

    let (manager, session, _events) = store.resume(sim_options(&sim), "alice").await;
    let raw = store.open_raw().await;
    tokio::time::timeout(WAIT, async {
        while !raw.pending_history("alice").await.unwrap().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap();
    raw.close().await;
    let chats = session.list_chats(10, 0).await.unwrap();
    assert_eq!(chats.len(), 1, "{chats:?}");
    assert_eq!(chats[0].id, "18885550001@s.whatsapp.net");
    manager.close().await.unwrap();
}

openwa_store::on_every_backend!(
    all: [a_phone_history_reaches_a_fresh_session],
    persistent: [bad_history_chunks_are_dropped_and_good_ones_kept],
);
