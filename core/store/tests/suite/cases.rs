//! Test bodies; each gets a fresh database of one backend.

use std::collections::BTreeSet;
use std::sync::Arc;

use openwa_store::{
    DeviceCredentials, DeviceList, IdentityRecord, InsertOutcome, KeyPair, KeySource,
    MAX_PREKEY_ID, MessageCursor, MessageRecord, MessageStatus, PageDirection, PollVoteRecord,
    SenderKeyChange, SignalChanges, SignedPreKey, Store, StoreConfig, StoreError, StoreKey,
    TrustLevel,
};
use serde_json::json;

use openwa_store::testing::{Backend, TestDb};

const S: &str = "alice";

async fn store_with_session(db: &TestDb) -> Store {
    let store = db.open().await;
    store.create_session(S, "new").await.unwrap();
    store
}

fn device(seed: u8) -> DeviceCredentials {
    DeviceCredentials {
        registration_id: 0x3FFF - u32::from(seed),
        noise_key: KeyPair {
            public: [seed; 32],
            private: [seed.wrapping_add(1); 32],
        },
        identity_key: KeyPair {
            public: [seed.wrapping_add(2); 32],
            private: [seed.wrapping_add(3); 32],
        },
        signed_prekey: SignedPreKey {
            id: 7,
            key_pair: KeyPair {
                public: [seed.wrapping_add(4); 32],
                private: [seed.wrapping_add(5); 32],
            },
            signature: [seed.wrapping_add(6); 64],
        },
        adv_secret: [seed.wrapping_add(7); 32],
        account: None,
        pn_jid: None,
        lid_jid: None,
        push_name: None,
        platform: None,
    }
}

fn message(chat: &str, id: &str, ts: i64) -> MessageRecord {
    MessageRecord {
        session_id: S.to_owned(),
        chat: chat.to_owned(),
        id: id.to_owned(),
        sender: "bob@s.whatsapp.net".to_owned(),
        from_me: false,
        timestamp: ts,
        msg_type: "text".to_owned(),
        body: Some(format!("body of {id}")),
        payload: Some(vec![0x0A, 0x02, 0x68, 0x69]),
        status: MessageStatus::Pending,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

pub async fn sessions_lifecycle(db: Arc<TestDb>) {
    let store = db.open().await;
    assert!(store.list_sessions().await.unwrap().is_empty());
    let a = store.create_session("a", "new").await.unwrap();
    assert_eq!(a.state, "new");
    store.create_session("b", "new").await.unwrap();
    assert!(matches!(
        store.create_session("a", "x").await,
        Err(StoreError::Conflict(_))
    ));
    store.set_session_state("a", "connected").await.unwrap();
    let got = store.get_session("a").await.unwrap().unwrap();
    assert_eq!(got.state, "connected");
    assert_eq!(got.created_at, a.created_at);
    assert!(got.updated_at >= a.updated_at);
    assert!(matches!(
        store.set_session_state("nope", "x").await,
        Err(StoreError::NotFound(_))
    ));
    let ids: Vec<String> = store
        .list_sessions()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, ["a", "b"]);
    assert!(store.delete_session("a").await.unwrap());
    assert!(!store.delete_session("a").await.unwrap());
    assert!(store.get_session("a").await.unwrap().is_none());
    assert_eq!(store.list_sessions().await.unwrap().len(), 1);
}

pub async fn session_scoped_writes_need_the_session(db: Arc<TestDb>) {
    let store = db.open().await;
    let err = store
        .insert_message(&message("c", "m1", 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = store
        .put_signal_session("ghost", "x.0", b"r")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
}

pub async fn deleting_a_session_cascades_but_keeps_events(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    store.create_session("other", "new").await.unwrap();
    store.put_device(S, &device(1)).await.unwrap();
    store.put_device("other", &device(2)).await.unwrap();
    store.insert_message(&message("c", "m1", 1)).await.unwrap();
    store.put_signal_session(S, "bob.0", b"rec").await.unwrap();
    store.put_kv(S, "k", b"v").await.unwrap();
    let seq = store.append_event(S, "deleted", &json!({})).await.unwrap();
    assert!(store.delete_session(S).await.unwrap());
    assert!(store.get_device(S).await.unwrap().is_none());
    assert!(store.get_message(S, "c", "m1").await.unwrap().is_none());
    assert!(
        store
            .get_signal_session(S, "bob.0")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.get_kv(S, "k").await.unwrap().is_none());
    assert_eq!(store.get_device("other").await.unwrap(), Some(device(2)));
    let events = store.events_since(0, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].seq, seq);
}

pub async fn device_credentials_round_trip(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    store.create_session("bob", "new").await.unwrap();
    assert!(store.get_device(S).await.unwrap().is_none());
    let mut dev = device(10);
    store.put_device(S, &dev).await.unwrap();
    assert_eq!(store.get_device(S).await.unwrap(), Some(dev.clone()));
    // After pairing the same row is replaced with the account identity and jids.
    dev.account = Some(vec![1, 2, 3, 4]);
    dev.pn_jid = Some("15551234567:3@s.whatsapp.net".to_owned());
    dev.lid_jid = Some("12345678901234:3@lid".to_owned());
    dev.push_name = Some("Alice".to_owned());
    dev.platform = Some("smba".to_owned());
    store.put_device(S, &dev).await.unwrap();
    assert_eq!(store.get_device(S).await.unwrap(), Some(dev.clone()));
    assert!(store.get_device("bob").await.unwrap().is_none());
    assert!(!format!("{dev:?}").contains(&format!("{:?}", dev.adv_secret)));
    assert!(store.delete_device(S).await.unwrap());
    assert!(store.get_device(S).await.unwrap().is_none());
}

pub async fn device_secrets_are_encrypted_at_rest(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    let mut dev = device(40);
    dev.pn_jid = Some("15551234567:3@s.whatsapp.net".to_owned());
    store.put_device(S, &dev).await.unwrap();
    let mut raw = db.raw().await;
    let q = |col: &str| format!("SELECT {col} FROM device_credentials WHERE session_id = $1");
    for (col, plain) in [
        ("noise_private", dev.noise_key.private),
        ("identity_private", dev.identity_key.private),
        ("signed_prekey_private", dev.signed_prekey.key_pair.private),
        ("adv_secret", dev.adv_secret),
    ] {
        let stored = raw.blob(&q(col), &[S]).await;
        assert_eq!(stored.len(), 1 + 12 + 32 + 16, "{col}");
        assert!(!contains(&stored, &plain[..8]), "{col} holds plaintext");
    }
    // Non-secret columns stay plain and queryable.
    assert_eq!(
        raw.blob(&q("noise_public"), &[S]).await,
        dev.noise_key.public
    );
    assert_eq!(
        raw.text(&q("pn_jid"), &[S]).await,
        "15551234567:3@s.whatsapp.net"
    );
    raw.close().await;
}

pub async fn identities(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    let addr = "bob.0";
    assert!(store.get_identity(S, addr).await.unwrap().is_none());
    let id = IdentityRecord {
        identity_key: vec![5; 33],
        trust: TrustLevel::Trusted,
    };
    store.put_identity(S, addr, &id).await.unwrap();
    assert_eq!(store.get_identity(S, addr).await.unwrap(), Some(id));
    let changed = IdentityRecord {
        identity_key: vec![6; 33],
        trust: TrustLevel::Untrusted,
    };
    store.put_identity(S, addr, &changed).await.unwrap();
    assert_eq!(store.get_identity(S, addr).await.unwrap(), Some(changed));
    let verified = IdentityRecord {
        identity_key: vec![6; 33],
        trust: TrustLevel::Verified,
    };
    store.put_identity(S, addr, &verified).await.unwrap();
    assert_eq!(
        store.get_identity(S, addr).await.unwrap().unwrap().trust,
        TrustLevel::Verified
    );
    assert!(store.delete_identity(S, addr).await.unwrap());
    assert!(store.get_identity(S, addr).await.unwrap().is_none());
}

pub async fn prekeys_and_id_allocation(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    store.create_session("bob", "new").await.unwrap();
    let ids = store.allocate_prekey_ids(S, 5).await.unwrap();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    assert_eq!(store.allocate_prekey_ids(S, 2).await.unwrap(), [6, 7]);
    assert_eq!(store.allocate_prekey_ids("bob", 1).await.unwrap(), [1]);
    assert!(matches!(
        store.allocate_prekey_ids(S, 0).await,
        Err(StoreError::InvalidArgument(_))
    ));
    let batch: Vec<(u32, Vec<u8>)> = ids.iter().map(|&i| (i, vec![i as u8; 40])).collect();
    store.put_prekeys(S, &batch).await.unwrap();
    assert_eq!(store.prekey_counts(S).await.unwrap(), (5, 0));
    let pk = store.get_prekey(S, 3).await.unwrap().unwrap();
    assert_eq!((pk.id, pk.record, pk.uploaded), (3, vec![3; 40], false));
    assert!(store.get_prekey(S, 99).await.unwrap().is_none());
    assert!(store.get_prekey("bob", 3).await.unwrap().is_none());
    assert_eq!(store.unuploaded_prekey_ids(S, 3).await.unwrap(), [1, 2, 3]);
    store.mark_prekeys_uploaded(S, &[1, 2, 3]).await.unwrap();
    assert_eq!(store.prekey_counts(S).await.unwrap(), (5, 3));
    assert_eq!(store.unuploaded_prekey_ids(S, 10).await.unwrap(), [4, 5]);
    assert_eq!(store.uploaded_prekey_ids(S).await.unwrap(), [1, 2, 3]);
    assert!(store.get_prekey(S, 2).await.unwrap().unwrap().uploaded);
    assert!(store.remove_prekey(S, 2).await.unwrap());
    assert!(!store.remove_prekey(S, 2).await.unwrap());
    assert_eq!(store.prekey_counts(S).await.unwrap(), (4, 2));
    assert_eq!(store.uploaded_prekey_ids(S).await.unwrap(), [1, 3]);
    // Public keys are recorded in clear next to the records (marked uploaded with them); only
    // uploaded ones are listed, without one when it was marked without.
    assert_eq!(
        store.uploaded_prekey_publics(S).await.unwrap(),
        [(1, None), (3, None)]
    );
    let publics = vec![(1, vec![0xA1; 32]), (4, vec![0xA4; 32]), (99, vec![0; 32])];
    store
        .mark_prekeys_uploaded_with_publics(S, &publics)
        .await
        .unwrap();
    assert_eq!(
        store.uploaded_prekey_publics(S).await.unwrap(),
        [
            (1, Some(vec![0xA1; 32])),
            (3, None),
            (4, Some(vec![0xA4; 32]))
        ]
    );
    assert_eq!(store.prekey_counts(S).await.unwrap(), (4, 3));
    assert!(
        store
            .uploaded_prekey_publics("bob")
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn prekey_ids_wrap_around(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    store.allocate_prekey_ids(S, 1).await.unwrap();
    let mut raw = db.raw().await;
    let n = raw
        .exec(
            &format!(
                "UPDATE session_counters SET value = {} WHERE session_id = $1",
                MAX_PREKEY_ID - 2
            ),
            None,
            &[S],
        )
        .await;
    assert_eq!(n, 1);
    raw.close().await;
    assert_eq!(
        store.allocate_prekey_ids(S, 5).await.unwrap(),
        [MAX_PREKEY_ID - 1, MAX_PREKEY_ID, 1, 2, 3]
    );
}

pub async fn signed_prekeys(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    store.put_signed_prekey(S, 2, b"two").await.unwrap();
    store.put_signed_prekey(S, 1, b"one").await.unwrap();
    assert_eq!(
        store.get_signed_prekey(S, 1).await.unwrap().as_deref(),
        Some(&b"one"[..])
    );
    store.put_signed_prekey(S, 1, b"uno").await.unwrap();
    assert_eq!(
        store.list_signed_prekeys(S).await.unwrap(),
        [(1, b"uno".to_vec()), (2, b"two".to_vec())]
    );
    assert!(store.remove_signed_prekey(S, 1).await.unwrap());
    assert!(store.get_signed_prekey(S, 1).await.unwrap().is_none());
    assert_eq!(store.list_signed_prekeys(S).await.unwrap().len(), 1);
}

pub async fn signal_sessions(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    store.create_session("bob", "new").await.unwrap();
    for addr in ["123.0", "123.2", "1234.0", "456@lid.1"] {
        store
            .put_signal_session(S, addr, addr.as_bytes())
            .await
            .unwrap();
    }
    store
        .put_signal_session("bob", "123.0", b"bob's")
        .await
        .unwrap();
    assert_eq!(
        store
            .get_signal_session(S, "123.0")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"123.0"[..])
    );
    assert_eq!(
        store
            .get_signal_session("bob", "123.0")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"bob's"[..])
    );
    store
        .put_signal_session(S, "123.0", b"advanced")
        .await
        .unwrap();
    assert_eq!(
        store
            .get_signal_session(S, "123.0")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"advanced"[..])
    );
    assert_eq!(
        store
            .list_signal_session_addresses(S, "123.")
            .await
            .unwrap(),
        ["123.0", "123.2"]
    );
    assert_eq!(
        store
            .list_signal_session_addresses(S, "")
            .await
            .unwrap()
            .len(),
        4
    );
    assert!(store.delete_signal_session(S, "123.0").await.unwrap());
    assert!(
        store
            .get_signal_session(S, "123.0")
            .await
            .unwrap()
            .is_none()
    );
    assert!(!store.delete_signal_session(S, "123.0").await.unwrap());
    assert!(
        store
            .get_signal_session("bob", "123.0")
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn sender_keys(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    let g = "120363@g.us";
    store.put_sender_key(S, g, "bob.0", b"b0").await.unwrap();
    store.put_sender_key(S, g, "carol.0", b"c0").await.unwrap();
    store
        .put_sender_key(S, "other@g.us", "bob.0", b"o")
        .await
        .unwrap();
    assert_eq!(
        store
            .get_sender_key(S, g, "bob.0")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"b0"[..])
    );
    store.put_sender_key(S, g, "bob.0", b"b1").await.unwrap();
    assert_eq!(
        store
            .get_sender_key(S, g, "bob.0")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"b1"[..])
    );
    assert_eq!(
        store.delete_sender_keys(S, g, Some("bob.0")).await.unwrap(),
        1
    );
    assert!(store.get_sender_key(S, g, "bob.0").await.unwrap().is_none());
    assert!(
        store
            .get_sender_key(S, g, "carol.0")
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.delete_sender_keys(S, g, None).await.unwrap(), 1);
    assert!(
        store
            .get_sender_key(S, g, "carol.0")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .get_sender_key(S, "other@g.us", "bob.0")
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn lid_mappings(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    assert!(store.lid_for_pn(S, "15551234567").await.unwrap().is_none());
    store
        .put_lid_mapping(S, "111111111111111", "15551234567")
        .await
        .unwrap();
    assert_eq!(
        store.lid_for_pn(S, "15551234567").await.unwrap().as_deref(),
        Some("111111111111111")
    );
    assert_eq!(
        store
            .pn_for_lid(S, "111111111111111")
            .await
            .unwrap()
            .as_deref(),
        Some("15551234567")
    );
    // Same mapping again is fine; a new LID for the number replaces the old one.
    store
        .put_lid_mapping(S, "111111111111111", "15551234567")
        .await
        .unwrap();
    store
        .put_lid_mapping(S, "222222222222222", "15551234567")
        .await
        .unwrap();
    assert_eq!(
        store.lid_for_pn(S, "15551234567").await.unwrap().as_deref(),
        Some("222222222222222")
    );
    assert!(
        store
            .pn_for_lid(S, "111111111111111")
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn device_lists(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    let list = DeviceList {
        devices: vec![0, 3, 17],
        hash: Some("2:abc".to_owned()),
        updated_at: 1_700_000_000_000,
    };
    store.put_device_list(S, "bob", &list).await.unwrap();
    assert_eq!(store.get_device_list(S, "bob").await.unwrap(), Some(list));
    let newer = DeviceList {
        devices: vec![0],
        hash: None,
        updated_at: 1_700_000_000_001,
    };
    store.put_device_list(S, "bob", &newer).await.unwrap();
    assert_eq!(store.get_device_list(S, "bob").await.unwrap(), Some(newer));
    assert!(store.delete_device_list(S, "bob").await.unwrap());
    assert!(store.get_device_list(S, "bob").await.unwrap().is_none());
}

pub async fn messages_insert_dedup_and_status(db: Arc<TestDb>) {
    use MessageStatus::*;
    let store = store_with_session(&db).await;
    let m = message("bob@s.whatsapp.net", "3EB0AA", 100);
    assert_eq!(
        store.insert_message(&m).await.unwrap(),
        InsertOutcome::Inserted
    );
    let mut again = m.clone();
    again.body = Some("changed".to_owned());
    assert_eq!(
        store.insert_message(&again).await.unwrap(),
        InsertOutcome::Duplicate
    );
    assert_eq!(
        store.get_message(S, &m.chat, &m.id).await.unwrap(),
        Some(m.clone())
    );
    let status = |s| store.update_message_status(S, &m.chat, &m.id, s);
    assert!(status(Failed).await.unwrap());
    assert!(status(Sent).await.unwrap());
    assert!(!status(Pending).await.unwrap());
    assert!(!status(Failed).await.unwrap());
    assert!(status(Read).await.unwrap());
    assert!(
        !status(Delivered).await.unwrap(),
        "late receipt moved status back"
    );
    assert!(status(Played).await.unwrap());
    assert_eq!(
        store
            .get_message(S, &m.chat, &m.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        Played
    );
    assert!(
        !store
            .update_message_status(S, &m.chat, "unknown", Sent)
            .await
            .unwrap()
    );
    let mut mine = message("bob@s.whatsapp.net", "3EB0BB", 101);
    mine.from_me = true;
    mine.payload = None;
    mine.body = None;
    store.insert_message(&mine).await.unwrap();
    assert_eq!(
        store.get_message(S, &mine.chat, &mine.id).await.unwrap(),
        Some(mine.clone())
    );
    assert!(store.delete_message(S, &mine.chat, &mine.id).await.unwrap());
    assert!(
        store
            .get_message(S, &mine.chat, &mine.id)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn message_content_updates(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    let m = message("bob@s.whatsapp.net", "3EB0CC", 100);
    store.insert_message(&m).await.unwrap();
    let edited = store
        .update_message_content(S, &m.chat, &m.id, "text", Some("fixed"), Some(&[1, 2][..]))
        .await
        .unwrap();
    assert!(edited);
    let stored = store.get_message(S, &m.chat, &m.id).await.unwrap().unwrap();
    assert_eq!(stored.body.as_deref(), Some("fixed"));
    assert_eq!(stored.payload.as_deref(), Some(&[1, 2][..]));
    assert_eq!(
        (stored.sender, stored.timestamp),
        (m.sender.clone(), m.timestamp)
    );
    // A revoke empties it.
    assert!(
        store
            .update_message_content(S, &m.chat, &m.id, "revoked", None, None)
            .await
            .unwrap()
    );
    let stored = store.get_message(S, &m.chat, &m.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.msg_type.as_str(), stored.body, stored.payload),
        ("revoked", None, None)
    );
    // A control message (our edit or revoke, kept for retries) is not history.
    let mut control = message("bob@s.whatsapp.net", "3EB0CD", 101);
    control.msg_type = "protocol".into();
    store.insert_message(&control).await.unwrap();
    assert!(
        store
            .get_message(S, &m.chat, "3EB0CD")
            .await
            .unwrap()
            .is_some()
    );
    let page = store
        .message_page(S, &m.chat, &PageDirection::Older(None), 10)
        .await
        .unwrap();
    let ids: Vec<&str> = page.messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, vec!["3EB0CC"]);
    // Unknown message, or another session's: nothing changes.
    assert!(
        !store
            .update_message_content(S, &m.chat, "unknown", "text", None, None)
            .await
            .unwrap()
    );
    assert!(
        !store
            .update_message_content("other", &m.chat, &m.id, "text", None, None)
            .await
            .unwrap()
    );
}

pub async fn message_pagination(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    let chat = "bob@s.whatsapp.net";
    // 25 messages; several share a timestamp so the id breaks ties; ids mix case and digits.
    let mut all = Vec::new();
    for i in 0..25u32 {
        let id = format!("{}{:02}", ["A", "b", "C", "d"][(i % 4) as usize], 30 - i);
        let m = message(chat, &id, i64::from(i / 3));
        store.insert_message(&m).await.unwrap();
        all.push((m.timestamp, m.id));
    }
    store
        .insert_message(&message("other@s.whatsapp.net", "X", 5))
        .await
        .unwrap();
    all.sort();
    let collect = |direction: fn(Option<MessageCursor>) -> PageDirection| {
        let store = store.clone();
        async move {
            let mut seen = Vec::new();
            let mut cursor = None;
            loop {
                let page = store
                    .message_page(S, chat, &direction(cursor), 7)
                    .await
                    .unwrap();
                assert!(page.messages.len() <= 7);
                seen.extend(page.messages.iter().map(|m| (m.timestamp, m.id.clone())));
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            seen
        }
    };
    let newer = collect(PageDirection::Newer).await;
    assert_eq!(newer, all);
    let older = collect(PageDirection::Older).await;
    let mut reversed = all.clone();
    reversed.reverse();
    assert_eq!(older, reversed);
    // A page exactly filling the rest reports no next page.
    let page = store
        .message_page(S, chat, &PageDirection::Newer(None), 25)
        .await
        .unwrap();
    assert_eq!((page.messages.len(), page.next), (25, None));
    assert!(matches!(
        store
            .message_page(S, chat, &PageDirection::Older(None), 0)
            .await,
        Err(StoreError::InvalidArgument(_))
    ));
}

/// Takes a database back to schema version `to` (at least 2): undoes every later migration
/// except 3's (dropping the table of kept outgoing copies is the caller's to recreate).
async fn downgrade(raw: &mut openwa_store::testing::Raw, to: i64) {
    let undo: &[(i64, &str)] = &[
        (11, "DROP TABLE send_queue"),
        (10, "DROP TABLE starred_messages"),
        (10, "DROP TABLE label_associations"),
        (10, "DROP TABLE labels"),
        (10, "DROP TABLE app_state_macs"),
        (10, "DROP TABLE app_state_versions"),
        (10, "DROP TABLE app_state_keys"),
        (10, "ALTER TABLE chats DROP COLUMN marked_unread"),
        (9, "DROP TABLE history_pending"),
        (9, "DROP TABLE contacts"),
        (9, "DROP TABLE chats"),
        (8, "DROP TABLE poll_votes"),
        (7, "DROP TABLE group_sender_key_holders"),
        (6, "DROP TABLE send_keys"),
        (5, "DROP TABLE event_consumers"),
        (4, "ALTER TABLE event_log DROP COLUMN version"),
    ];
    for (version, sql) in undo {
        if *version > to {
            raw.exec(sql, None, &[]).await;
        }
    }
    raw.exec(
        &format!("DELETE FROM openwa_migrations WHERE version > {to}"),
        None,
        &[],
    )
    .await;
}

pub async fn schema_2_loses_its_outgoing_copy(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    store.close().await;
    // Back to version 2: the table of kept outgoing plaintexts, with a row in it, and no event
    // versions.
    let mut raw = db.raw().await;
    downgrade(&mut raw, 2).await;
    raw.exec(
        "CREATE TABLE outgoing_messages (session_id TEXT NOT NULL, chat TEXT NOT NULL, \
         id TEXT NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL, \
         PRIMARY KEY (session_id, chat, id))",
        None,
        &[],
    )
    .await;
    raw.exec(
        "INSERT INTO outgoing_messages VALUES ($1, $2, $3, 'sealed', 0)",
        None,
        &[S, "bob@s.whatsapp.net", "M1"],
    )
    .await;
    raw.close().await;
    let store = db.open().await;
    store.close().await;
    let mut raw = db.raw().await;
    let catalog = match db.kind {
        Backend::Memory | Backend::Sqlite => {
            "SELECT CAST(COUNT(*) AS TEXT) FROM sqlite_master WHERE name = $1 AND type = 'table'"
        }
        #[cfg(feature = "postgres")]
        Backend::Postgres => {
            "SELECT CAST(COUNT(*) AS TEXT) FROM information_schema.tables WHERE table_name = $1"
        }
    };
    assert_eq!(raw.text(catalog, &["outgoing_messages"]).await, "0");
    assert_eq!(
        raw.text(
            "SELECT CAST(MAX(version) AS TEXT) FROM openwa_migrations",
            &[]
        )
        .await,
        openwa_store::SCHEMA_VERSION.to_string()
    );
    raw.close().await;
}

pub async fn event_log_order_and_replay(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    store.create_session("bob", "new").await.unwrap();
    assert_eq!(store.last_event_seq().await.unwrap(), 0);
    let mut seqs = Vec::new();
    for i in 0..10 {
        let session = if i % 3 == 0 { "bob" } else { S };
        seqs.push(
            store
                .append_event(session, "message", &json!({ "i": i, "text": "héllo" }))
                .await
                .unwrap(),
        );
    }
    assert_eq!(seqs, (1..=10).collect::<Vec<u64>>());
    assert_eq!(store.last_event_seq().await.unwrap(), 10);
    // Replay in pages of 4 from cursor 0 sees every event once, in order.
    let mut cursor = 0;
    let mut replayed = Vec::new();
    loop {
        let page = store.events_since(cursor, 4).await.unwrap();
        let Some(last) = page.last() else { break };
        cursor = last.seq;
        replayed.extend(page);
    }
    assert_eq!(replayed.iter().map(|e| e.seq).collect::<Vec<_>>(), seqs);
    assert_eq!(replayed[4].payload, json!({ "i": 4, "text": "héllo" }));
    assert_eq!(replayed[4].session_id, S);
    assert_eq!(replayed[4].kind, "message");
    let mid = store.events_since(7, 100).await.unwrap();
    assert_eq!(mid.iter().map(|e| e.seq).collect::<Vec<_>>(), [8, 9, 10]);
    let bobs = store.session_events_since("bob", 1, 100).await.unwrap();
    assert_eq!(bobs.iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 7, 10]);
    assert_eq!(store.prune_events(5).await.unwrap(), 5);
    assert_eq!(store.events_since(0, 100).await.unwrap()[0].seq, 6);
    // Seqs keep increasing after pruning.
    assert_eq!(store.append_event(S, "x", &json!(null)).await.unwrap(), 11);
    // A payload serialized by the caller is stored as given and read back as the same value.
    let mut tx = store.begin().await.unwrap();
    let seq = tx
        .append_event_json(S, "y", r#"{"text":"h\u00e9llo","n":[1,2]}"#)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(seq, 12);
    let last = store.events_since(11, 10).await.unwrap();
    assert_eq!(last[0].payload, json!({ "n": [1, 2], "text": "héllo" }));
    assert_eq!(last[0].kind, "y");
}

pub async fn key_value(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    assert!(store.get_kv(S, "routing_info").await.unwrap().is_none());
    store.put_kv(S, "routing_info", b"\x08\x01").await.unwrap();
    store.put_kv(S, "routing_info", b"\x08\x02").await.unwrap();
    assert_eq!(
        store.get_kv(S, "routing_info").await.unwrap().as_deref(),
        Some(&b"\x08\x02"[..])
    );
    assert!(store.delete_kv(S, "routing_info").await.unwrap());
    assert!(store.get_kv(S, "routing_info").await.unwrap().is_none());
}

pub async fn transactions_are_atomic(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    let m = message("bob@s.whatsapp.net", "T1", 1);
    // Rolled back explicitly.
    let mut tx = store.begin().await.unwrap();
    tx.insert_message(&m).await.unwrap();
    tx.put_signal_session(S, "bob.0", b"r1").await.unwrap();
    tx.append_event(S, "message", &json!(1)).await.unwrap();
    // Reads inside the transaction see its own writes.
    assert!(tx.get_message(S, &m.chat, &m.id).await.unwrap().is_some());
    tx.rollback().await.unwrap();
    // Dropped without commit.
    {
        let mut tx = store.begin().await.unwrap();
        tx.insert_message(&m).await.unwrap();
        tx.put_signal_session(S, "bob.0", b"r1").await.unwrap();
    }
    assert!(
        store
            .get_message(S, &m.chat, &m.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .get_signal_session(S, "bob.0")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.events_since(0, 10).await.unwrap().is_empty());
    // A failing step leaves nothing behind when the caller abandons the transaction.
    let mut tx = store.begin().await.unwrap();
    tx.insert_message(&m).await.unwrap();
    assert!(tx.create_session(S, "dup").await.is_err());
    drop(tx);
    assert!(
        store
            .get_message(S, &m.chat, &m.id)
            .await
            .unwrap()
            .is_none()
    );
    // Committed.
    let mut tx = store.begin().await.unwrap();
    tx.insert_message(&m).await.unwrap();
    tx.put_signal_session(S, "bob.0", b"r1").await.unwrap();
    let seq = tx.append_event(S, "message", &json!(1)).await.unwrap();
    tx.commit().await.unwrap();
    assert!(
        store
            .get_message(S, &m.chat, &m.id)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store
            .get_signal_session(S, "bob.0")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"r1"[..])
    );
    // The rolled-back seqs were not consumed: the first committed event is seq 1.
    assert_eq!(seq, 1);
}

pub async fn commit_incoming_persists_everything_at_once(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    store.put_prekeys(S, &[(9, b"pk".to_vec())]).await.unwrap();
    let m = message("bob@s.whatsapp.net", "IN1", 5);
    let changes = SignalChanges {
        sessions: vec![("bob.0".to_owned(), b"session after pkmsg".to_vec())],
        sender_keys: vec![SenderKeyChange {
            group_id: "g@g.us".to_owned(),
            sender: "bob.0".to_owned(),
            record: b"sk".to_vec(),
        }],
        identities: vec![(
            "bob.0".to_owned(),
            IdentityRecord {
                identity_key: vec![5; 33],
                trust: TrustLevel::Trusted,
            },
        )],
        consumed_prekeys: vec![9],
    };
    let out = store
        .commit_incoming(&m, &changes, Some(("message", &json!({ "id": "IN1" }))))
        .await
        .unwrap();
    assert_eq!(out.message, InsertOutcome::Inserted);
    assert_eq!(out.event_seq, Some(1));
    assert!(
        store
            .get_message(S, &m.chat, &m.id)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store
            .get_signal_session(S, "bob.0")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"session after pkmsg"[..])
    );
    assert!(
        store
            .get_sender_key(S, "g@g.us", "bob.0")
            .await
            .unwrap()
            .is_some()
    );
    assert!(store.get_identity(S, "bob.0").await.unwrap().is_some());
    assert!(store.get_prekey(S, 9).await.unwrap().is_none());
    // A redelivery: no second event, but the (newer) Signal state is still saved.
    let newer = SignalChanges {
        sessions: vec![("bob.0".to_owned(), b"advanced".to_vec())],
        ..SignalChanges::default()
    };
    let out = store
        .commit_incoming(&m, &newer, Some(("message", &json!({ "id": "IN1" }))))
        .await
        .unwrap();
    assert_eq!(out.message, InsertOutcome::Duplicate);
    assert_eq!(out.event_seq, None);
    assert_eq!(store.events_since(0, 10).await.unwrap().len(), 1);
    assert_eq!(
        store
            .get_signal_session(S, "bob.0")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"advanced"[..])
    );
    // A failure inside (unknown session) commits nothing.
    let mut ghost = message("c", "IN2", 6);
    ghost.session_id = "ghost".to_owned();
    assert!(store.commit_incoming(&ghost, &changes, None).await.is_err());
}

pub async fn signal_records_are_encrypted_at_rest(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    let record = b"RATCHET-STATE-PLAINTEXT-0123456789".to_vec();
    store.put_signal_session(S, "bob.0", &record).await.unwrap();
    store
        .put_sender_key(S, "g@g.us", "bob.0", &record)
        .await
        .unwrap();
    store.put_prekeys(S, &[(1, record.clone())]).await.unwrap();
    store.put_signed_prekey(S, 1, &record).await.unwrap();
    let mut raw = db.raw().await;
    for (sql, args) in [
        (
            "SELECT record FROM signal_sessions WHERE session_id = $1 AND address = $2",
            vec![S, "bob.0"],
        ),
        (
            "SELECT record FROM signal_sender_keys WHERE session_id = $1 AND sender = $2",
            vec![S, "bob.0"],
        ),
        (
            "SELECT record FROM signal_prekeys WHERE session_id = $1",
            vec![S],
        ),
        (
            "SELECT record FROM signal_signed_prekeys WHERE session_id = $1",
            vec![S],
        ),
    ] {
        let stored = raw.blob(sql, &args).await;
        assert_ne!(stored, record, "{sql}");
        assert!(!contains(&stored, b"PLAINTEXT"), "{sql}");
        assert_eq!(stored.len(), record.len() + 1 + 12 + 16, "{sql}");
    }
    raw.close().await;
}

pub async fn wrong_key_is_a_typed_error(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    store.put_signal_session(S, "bob.0", b"r").await.unwrap();
    store.close().await;
    let err = Store::open(db.config_with_key(StoreKey::generate()))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::WrongKey), "{err:?}");
    // The right key still opens it and the data is intact.
    let store = db.open().await;
    assert_eq!(
        store
            .get_signal_session(S, "bob.0")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"r"[..])
    );
}

pub async fn tampered_or_swapped_values_are_corrupt(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    store
        .put_signal_session(S, "bob.0", b"bob record")
        .await
        .unwrap();
    store
        .put_signal_session(S, "eve.0", b"eve record")
        .await
        .unwrap();
    store.put_device(S, &device(3)).await.unwrap();
    let mut raw = db.raw().await;
    let sql = "SELECT record FROM signal_sessions WHERE session_id = $1 AND address = $2";
    let update = "UPDATE signal_sessions SET record = $1 WHERE session_id = $2 AND address = $3";
    // One flipped bit.
    let mut bob = raw.blob(sql, &[S, "bob.0"]).await;
    let last = bob.len() - 1;
    bob[last] ^= 0x01;
    assert_eq!(raw.exec(update, Some(&bob), &[S, "bob.0"]).await, 1);
    // A valid ciphertext moved to another row.
    let eve = raw.blob(sql, &[S, "eve.0"]).await;
    raw.exec(
        "INSERT INTO signal_sessions (session_id, address, record, updated_at) VALUES ($2, $3, $1, 0)",
        Some(&eve),
        &[S, "carol.0"],
    )
    .await;
    // A secret column swapped with another column's ciphertext.
    let identity = raw
        .blob(
            "SELECT identity_private FROM device_credentials WHERE session_id = $1",
            &[S],
        )
        .await;
    raw.exec(
        "UPDATE device_credentials SET noise_private = $1 WHERE session_id = $2",
        Some(&identity),
        &[S],
    )
    .await;
    raw.close().await;
    for addr in ["bob.0", "carol.0"] {
        let err = store.get_signal_session(S, addr).await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{addr}: {err:?}");
    }
    assert!(
        store
            .get_signal_session(S, "eve.0")
            .await
            .unwrap()
            .is_some()
    );
    let err = store.get_device(S).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

pub async fn key_file_is_created_and_reused(db: Arc<TestDb>) {
    let path = db.temp.dir.join("keys").join("store.key");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let config = || {
        StoreConfig::new(
            openwa_store::Database::from_url(&db.url).unwrap(),
            KeySource::File(path.clone()),
        )
    };
    let store = Store::open(config()).await.unwrap();
    store.create_session(S, "new").await.unwrap();
    store.put_signal_session(S, "bob.0", b"r").await.unwrap();
    store.close().await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.trim().len(), 64);
    let store = Store::open(config()).await.unwrap();
    assert!(
        store
            .get_signal_session(S, "bob.0")
            .await
            .unwrap()
            .is_some()
    );
    store.close().await;
    // A different key file does not open it.
    std::fs::write(&path, format!("{}\n", StoreKey::generate().to_hex())).unwrap();
    assert!(matches!(
        Store::open(config()).await,
        Err(StoreError::WrongKey)
    ));
}

pub async fn concurrent_event_appends_are_gapless(db: Arc<TestDb>) {
    const TASKS: u64 = 12;
    const EACH: u64 = 25;
    let store = store_with_session(&db).await;
    let total = TASKS * EACH;
    // A reader follows the log while the writers run: it must see every event exactly once, in
    // order, never skipping one that commits later with a smaller seq.
    let reader = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut cursor = 0;
            let mut seen = Vec::new();
            while (seen.len() as u64) < total {
                for e in store.events_since(cursor, 50).await.unwrap() {
                    assert!(e.seq > cursor);
                    cursor = e.seq;
                    seen.push(e.seq);
                }
                tokio::task::yield_now().await;
            }
            seen
        })
    };
    let mut writers = Vec::new();
    for t in 0..TASKS {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            for i in 0..EACH {
                // Half the appends go through a multi-statement transaction.
                let seq = if i % 2 == 0 {
                    store.append_event(S, "t", &json!([t, i])).await.unwrap()
                } else {
                    let mut tx = store.begin().await.unwrap();
                    tx.put_kv(S, &format!("k{t}"), b"v").await.unwrap();
                    let seq = tx.append_event(S, "t", &json!([t, i])).await.unwrap();
                    tx.commit().await.unwrap();
                    seq
                };
                mine.push(seq);
            }
            mine
        }));
    }
    let mut all = BTreeSet::new();
    for w in writers {
        let mine = w.await.unwrap();
        assert!(mine.windows(2).all(|p| p[0] < p[1]), "per-task order");
        for s in mine {
            assert!(all.insert(s), "seq {s} assigned twice");
        }
    }
    assert_eq!(all, (1..=total).collect::<BTreeSet<u64>>(), "gaps in seq");
    let seen = tokio::time::timeout(std::time::Duration::from_secs(30), reader)
        .await
        .expect("reader did not catch up")
        .unwrap();
    assert_eq!(seen, (1..=total).collect::<Vec<u64>>());
}

pub async fn data_survives_reopen(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    store.put_device(S, &device(9)).await.unwrap();
    store.insert_message(&message("c", "m", 1)).await.unwrap();
    store.append_event(S, "e", &json!(1)).await.unwrap();
    store.close().await;
    // Opening twice (migrations already applied) is a no-op.
    let store = db.open().await;
    store.close().await;
    let store = db.open().await;
    assert_eq!(store.get_device(S).await.unwrap(), Some(device(9)));
    assert!(store.get_message(S, "c", "m").await.unwrap().is_some());
    assert_eq!(store.append_event(S, "e", &json!(2)).await.unwrap(), 2);
    assert_eq!(store.list_sessions().await.unwrap().len(), 1);
}

pub async fn newer_schema_is_refused(db: Arc<TestDb>) {
    let store = db.open().await;
    store.close().await;
    let mut raw = db.raw().await;
    raw.exec(
        "INSERT INTO openwa_migrations (version, name, applied_at) VALUES (999, $1, 0)",
        None,
        &["from the future"],
    )
    .await;
    raw.close().await;
    let err = Store::open(db.config()).await.unwrap_err();
    assert!(matches!(err, StoreError::Migration(_)), "{err:?}");
}

pub async fn message_pagination_across_chats(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    // One contact under two JIDs (PN and LID), timestamps interleaved and shared, plus
    // another chat that must stay out.
    let chats = ["bob@s.whatsapp.net".to_owned(), "900@lid".to_owned()];
    let mut all = Vec::new();
    for i in 0..13u32 {
        let chat = &chats[(i % 2) as usize];
        let m = message(chat, &format!("M{:02}", 20 - i), i64::from(i / 2));
        store.insert_message(&m).await.unwrap();
        all.push((m.timestamp, m.id));
    }
    store
        .insert_message(&message("other@s.whatsapp.net", "X", 3))
        .await
        .unwrap();
    all.sort();
    type Direction = fn(Option<MessageCursor>) -> PageDirection;
    let directions: [(Direction, Vec<(i64, String)>); 2] = [
        (PageDirection::Newer, all.clone()),
        (PageDirection::Older, all.iter().rev().cloned().collect()),
    ];
    for (direction, expected) in directions {
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = store
                .message_page_across(S, &chats, &direction(cursor), 4)
                .await
                .unwrap();
            assert!(page.messages.len() <= 4);
            seen.extend(page.messages.iter().map(|m| (m.timestamp, m.id.clone())));
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, expected);
    }
    // One JID alone is the plain per-chat history.
    let pn_only = store
        .message_page_across(S, &chats[..1], &PageDirection::Newer(None), 100)
        .await
        .unwrap();
    assert_eq!(pn_only.messages.len(), 7);
    assert!(pn_only.messages.iter().all(|m| m.chat == chats[0]));
    // Lookups find a message under either JID; the first listed chat wins.
    let lid_message = store
        .get_message_across(S, &chats, "M19")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lid_message.chat, "900@lid");
    assert!(
        store
            .get_message_across(S, &chats[..1], "M19")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store
            .message_page_across(S, &[], &PageDirection::Newer(None), 4)
            .await,
        Err(StoreError::InvalidArgument(_))
    ));
    // The same message stored under both forms of the chat is listed once.
    let copy = message(&chats[0], "M19", lid_message.timestamp);
    store.insert_message(&copy).await.unwrap();
    let merged = store
        .message_page_across(S, &chats, &PageDirection::Newer(None), 100)
        .await
        .unwrap();
    let ids: Vec<&str> = merged.messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids.iter().filter(|id| **id == "M19").count(), 1, "{ids:?}");
    assert_eq!(ids.len(), 13);
    // The count is what the pages list: each message once, other chats left out.
    assert_eq!(store.message_count_across(S, &chats).await.unwrap(), 13);
    assert_eq!(store.message_count_across(S, &chats[..1]).await.unwrap(), 8);
    assert!(matches!(
        store.message_count_across(S, &[]).await,
        Err(StoreError::InvalidArgument(_))
    ));
}

/// Group commit: concurrent units commit together; a failing unit is rolled back alone and gets
/// its own error; hooks run in commit order, so the seqs they see are strictly increasing.
pub async fn group_commit_isolates_failures_and_orders_hooks(db: Arc<TestDb>) {
    const UNITS: u64 = 60;
    let store = store_with_session(&db).await;
    let hooked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut units = Vec::new();
    for i in 0..UNITS {
        let store = store.clone();
        let hooked = Arc::clone(&hooked);
        units.push(tokio::spawn(async move {
            store
                .write(
                    move |tx| {
                        Box::pin(async move {
                            tx.put_kv(S, &format!("k{i}"), b"v").await?;
                            let seq = tx.append_event(S, "t", &json!(i)).await?;
                            if i % 7 == 3 {
                                // Fails after writing: the unit's writes must vanish.
                                tx.put_kv("no-such-session", "k", b"v").await?;
                            }
                            Ok(seq)
                        })
                    },
                    move |seq: &u64| hooked.lock().unwrap().push(*seq),
                )
                .await
        }));
    }
    let mut committed = BTreeSet::new();
    for (i, unit) in (0..UNITS).zip(units) {
        let result = unit.await.unwrap();
        let kv = store.get_kv(S, &format!("k{i}")).await.unwrap();
        if i % 7 == 3 {
            assert!(
                matches!(result, Err(StoreError::NotFound(_))),
                "unit {i}: {result:?}"
            );
            assert_eq!(kv, None, "unit {i} rolled back");
        } else {
            committed.insert(result.unwrap());
            assert_eq!(kv.as_deref(), Some(&b"v"[..]), "unit {i} committed");
        }
    }
    let hooked = hooked.lock().unwrap().clone();
    assert!(hooked.windows(2).all(|p| p[0] < p[1]), "hooks in seq order");
    assert_eq!(hooked.iter().copied().collect::<BTreeSet<_>>(), committed);
    // Rolled-back units consumed no seq: the committed ones are 1..=n, all in the log.
    let n = committed.len() as u64;
    assert_eq!(committed, (1..=n).collect::<BTreeSet<_>>());
    let logged: Vec<u64> = store
        .events_since(0, 1000)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(logged, (1..=n).collect::<Vec<_>>());
    if db.kind == Backend::Memory {
        // Nothing to reopen: a memory store's data ends with it.
        store.close().await;
        return;
    }
    // The group's counter was written back: seqs continue after a reopen.
    store.close().await;
    let reopened = db.open().await;
    assert_eq!(reopened.last_event_seq().await.unwrap(), n);
    assert_eq!(
        reopened.append_event(S, "t", &json!(0)).await.unwrap(),
        n + 1
    );
    reopened.close().await;
}

/// `Store::write` queues its unit when called, not when its future is first polled: units
/// commit, take event seqs and run their hooks in call order, however the futures are awaited.
pub async fn writes_are_queued_in_call_order(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    let hooked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let pending: Vec<_> = (0..20u64)
        .map(|i| {
            let hooked = Arc::clone(&hooked);
            store.write(
                move |tx| Box::pin(async move { tx.append_event(S, "t", &json!(i)).await }),
                move |seq: &u64| hooked.lock().unwrap().push((i, *seq)),
            )
        })
        .collect();
    // Awaited last first: the order must still be the order of the calls.
    let mut seqs = Vec::new();
    for unit in pending.into_iter().rev() {
        seqs.push(unit.await.unwrap());
    }
    seqs.reverse();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let hooked = hooked.lock().unwrap().clone();
    let expected: Vec<(u64, u64)> = (0..20).zip(seqs).collect();
    assert_eq!(hooked, expected);
    store.close().await;
}

/// Counts the tables of the memory database `uri` through a connection of its own (which
/// creates an empty database of that name if none exists any more).
fn memory_tables(uri: &str) -> i64 {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
        | rusqlite::OpenFlags::SQLITE_OPEN_CREATE
        | rusqlite::OpenFlags::SQLITE_OPEN_URI;
    let conn = rusqlite::Connection::open_with_flags(uri, flags).unwrap();
    let n = conn
        .query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0))
        .unwrap();
    conn.close().unwrap();
    n
}

/// A memory store writes nothing to disk, and its data is gone once it is closed, or dropped.
pub async fn memory_data_ends_with_the_store(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    let uri = openwa_store::testing::memory_uri(&store).unwrap();
    let name = uri
        .trim_start_matches("file:")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    // A write transaction in progress: memdb keeps even the rollback journal in memory.
    let mut tx = store.begin().await.unwrap();
    tx.put_signal_session(S, "bob.0", b"r").await.unwrap();
    for file in [
        name.clone(),
        format!("{name}-journal"),
        format!("{name}-wal"),
    ] {
        assert!(!std::path::Path::new(&file).exists(), "{file} exists");
    }
    tx.commit().await.unwrap();
    assert!(memory_tables(&uri) > 0);
    store.close().await;
    assert_eq!(memory_tables(&uri), 0);
    assert!(
        std::fs::read_dir(&db.temp.dir).unwrap().next().is_none(),
        "files in the test dir"
    );

    // Dropped without close: the writer thread ends and takes the last connection with it.
    let store = db.open().await;
    store.create_session(S, "new").await.unwrap();
    let uri = openwa_store::testing::memory_uri(&store).unwrap();
    drop(store);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while memory_tables(&uri) != 0 {
        assert!(std::time::Instant::now() < deadline, "memory database kept");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // Opening again is a new, empty store.
    let store = db.open().await;
    assert!(store.list_sessions().await.unwrap().is_empty());
    store.close().await;
}

/// Two memory stores open at once never see each other's data, even under one key.
pub async fn memory_stores_are_isolated(db: Arc<TestDb>) {
    let one = store_with_session(&db).await;
    let two = store_with_session(&db).await;
    assert_ne!(
        openwa_store::testing::memory_uri(&one),
        openwa_store::testing::memory_uri(&two)
    );
    one.put_kv(S, "k", b"one").await.unwrap();
    two.put_kv(S, "k", b"two").await.unwrap();
    one.create_session("only-one", "new").await.unwrap();
    assert_eq!(
        one.get_kv(S, "k").await.unwrap().as_deref(),
        Some(&b"one"[..])
    );
    assert_eq!(
        two.get_kv(S, "k").await.unwrap().as_deref(),
        Some(&b"two"[..])
    );
    assert!(two.get_session("only-one").await.unwrap().is_none());
    assert_eq!(one.append_event(S, "e", &json!(1)).await.unwrap(), 1);
    assert_eq!(two.append_event(S, "e", &json!(1)).await.unwrap(), 1);
    one.close().await;
    assert_eq!(
        two.get_kv(S, "k").await.unwrap().as_deref(),
        Some(&b"two"[..])
    );
    two.close().await;
}

/// `Store::session` scopes every call to one session; its writes are the store's.
pub async fn session_handle_scopes_calls(db: Arc<TestDb>) {
    let store = db.open().await;
    let alice = store.session(S);
    let bob = store.session("bob");
    assert_eq!(alice.id(), S);
    assert_eq!(alice.create("new").await.unwrap().id, S);
    bob.create("new").await.unwrap();
    alice.set_state("connected").await.unwrap();
    assert_eq!(alice.record().await.unwrap().unwrap().state, "connected");

    alice.put_device(&device(1)).await.unwrap();
    assert_eq!(alice.get_device().await.unwrap(), Some(device(1)));
    assert_eq!(store.get_device(S).await.unwrap(), Some(device(1)));
    assert!(bob.get_device().await.unwrap().is_none());
    alice.put_kv("k", b"v").await.unwrap();
    assert_eq!(alice.get_kv("k").await.unwrap().as_deref(), Some(&b"v"[..]));
    assert!(bob.get_kv("k").await.unwrap().is_none());
    alice
        .put_lid_mapping("1@lid", "2@s.whatsapp.net")
        .await
        .unwrap();
    assert_eq!(
        alice.pn_for_lid("1@lid").await.unwrap().as_deref(),
        Some("2@s.whatsapp.net")
    );
    assert_eq!(alice.allocate_prekey_ids(2).await.unwrap(), [1, 2]);
    assert_eq!(bob.allocate_prekey_ids(1).await.unwrap(), [1]);

    // A message of another session is refused.
    let mut foreign = message("c", "m0", 1);
    foreign.session_id = "bob".to_owned();
    assert!(matches!(
        alice.insert_message(&foreign).await,
        Err(StoreError::InvalidArgument(_))
    ));
    assert_eq!(
        alice.insert_message(&message("c", "m1", 1)).await.unwrap(),
        InsertOutcome::Inserted
    );

    // A group-commit unit scoped to the session.
    let seq = alice
        .write(
            |mut tx| {
                Box::pin(async move {
                    tx.put_signal_session("carol.0", b"r").await?;
                    tx.insert_message(&message("c", "m2", 2)).await?;
                    tx.append_event("sent", &json!({"id": "m2"})).await
                })
            },
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(
        alice
            .get_signal_session("carol.0")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"r"[..])
    );
    assert!(alice.get_message("c", "m2").await.unwrap().is_some());
    let events = alice.session_events_since(0, 10).await.unwrap();
    assert_eq!(events.last().map(|e| e.seq), Some(seq));
    assert!(bob.session_events_since(0, 10).await.unwrap().is_empty());

    // A transaction begun on the store, seen by the session.
    let mut tx = store.begin().await.unwrap();
    alice.scope(&mut tx).put_kv("k2", b"v2").await.unwrap();
    bob.scope(&mut tx).put_kv("k2", b"b2").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        alice.get_kv("k2").await.unwrap().as_deref(),
        Some(&b"v2"[..])
    );
    assert_eq!(bob.get_kv("k2").await.unwrap().as_deref(), Some(&b"b2"[..]));

    assert!(alice.delete().await.unwrap());
    assert!(alice.record().await.unwrap().is_none());
    assert!(bob.record().await.unwrap().is_some());
    store.close().await;
}

/// A schema-3 database (events without a version) migrates with its events readable, as
/// version 1, and seqs continuing.
pub async fn schema_3_events_read_as_version_1(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    assert_eq!(
        store
            .append_event(S, "old", &json!({"n": 1}))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .append_event(S, "old", &json!({"n": 2}))
            .await
            .unwrap(),
        2
    );
    store.close().await;
    let mut raw = db.raw().await;
    downgrade(&mut raw, 3).await;
    raw.close().await;
    let store = db.open().await;
    let events = store.events_since(0, 10).await.unwrap();
    assert_eq!(events.len(), 2);
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event.seq, i as u64 + 1);
        assert_eq!(event.version, 1);
        assert_eq!(event.kind, "old");
        assert_eq!(event.payload, json!({"n": i + 1}));
    }
    let seq = store
        .append_versioned_event_json(S, "new", 2, r#"{"n":3}"#)
        .await
        .unwrap();
    assert_eq!(seq, 3);
    let new = store.events_since_for_session(S, 2, 10).await.unwrap();
    assert_eq!((new.len(), new[0].version), (1, 2));
    store.close().await;
    let mut raw = db.raw().await;
    assert_eq!(
        raw.text(
            "SELECT CAST(MAX(version) AS TEXT) FROM openwa_migrations",
            &[]
        )
        .await,
        openwa_store::SCHEMA_VERSION.to_string()
    );
    raw.close().await;
}

/// Events carry their payload version; one session's events replay on their own, also after
/// the session is deleted.
pub async fn event_versions_and_session_replay(db: Arc<TestDb>) {
    let store = db.open().await;
    store.create_session("a", "new").await.unwrap();
    store.create_session("b", "new").await.unwrap();
    let a = store.session("a");
    assert_eq!(a.append_event("k", &json!(1)).await.unwrap(), 1);
    assert_eq!(
        store
            .append_versioned_event_json("b", "k", 7, "[2]")
            .await
            .unwrap(),
        2
    );
    assert_eq!(store.append_event_json("a", "k", "3").await.unwrap(), 3);
    let mut tx = store.begin().await.unwrap();
    let seq = tx
        .append_versioned_event_json("a", "k", u32::MAX, "{}")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(seq, 4);
    let seqs = |events: &[openwa_store::EventRecord]| -> Vec<(u64, u32)> {
        events.iter().map(|e| (e.seq, e.version)).collect()
    };
    let all = store.events_since(0, 10).await.unwrap();
    assert_eq!(seqs(&all), [(1, 1), (2, 7), (3, 1), (4, u32::MAX)]);
    assert_eq!(all[1].payload, json!([2]));
    let a_events = store.events_since_for_session("a", 0, 10).await.unwrap();
    assert_eq!(seqs(&a_events), [(1, 1), (3, 1), (4, u32::MAX)]);
    // Paging: the cursor is the last seq received.
    let page = store.events_since_for_session("a", 0, 2).await.unwrap();
    assert_eq!(seqs(&page), [(1, 1), (3, 1)]);
    let page = store.events_since_for_session("a", 3, 2).await.unwrap();
    assert_eq!(seqs(&page), [(4, u32::MAX)]);
    assert_eq!(
        seqs(&a.events_since_for_session(1, 10).await.unwrap()),
        [(3, 1), (4, u32::MAX)]
    );
    assert!(matches!(
        store.events_since_for_session("a", 0, 0).await,
        Err(StoreError::InvalidArgument(_))
    ));
    // Deleting a session keeps its events.
    assert!(store.delete_session("a").await.unwrap());
    assert_eq!(
        seqs(&store.events_since_for_session("a", 0, 10).await.unwrap()),
        [(1, 1), (3, 1), (4, u32::MAX)]
    );
    assert_eq!(
        seqs(&store.events_since_for_session("b", 0, 10).await.unwrap()),
        [(2, 7)]
    );
    store.close().await;
}

/// Consumers: registration is idempotent and keeps the scope, acks only move forward.
pub async fn event_consumers(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    assert_eq!(store.consumer_position("webhook").await.unwrap(), None);
    assert_eq!(
        store.register_consumer("webhook", None, 0).await.unwrap(),
        0
    );
    assert_eq!(
        store
            .register_consumer("alice-ui", Some(S), 5)
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        store.consumer_position("alice-ui").await.unwrap(),
        Some((Some(S.to_owned()), 5))
    );
    // Again, with another start: the position stays.
    assert_eq!(store.ack_consumer("webhook", 3).await.unwrap(), 3);
    assert_eq!(
        store.register_consumer("webhook", None, 0).await.unwrap(),
        3
    );
    assert_eq!(
        store.register_consumer("webhook", None, 9).await.unwrap(),
        3
    );
    // Another scope under the same name is refused and changes nothing.
    for scope in [Some(S), Some("bob")] {
        assert!(matches!(
            store.register_consumer("webhook", scope, 0).await,
            Err(StoreError::Conflict(_))
        ));
    }
    assert!(matches!(
        store.register_consumer("alice-ui", None, 0).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.consumer_position("webhook").await.unwrap(),
        Some((None, 3))
    );
    // Acks never go backwards.
    assert_eq!(store.ack_consumer("webhook", 10).await.unwrap(), 10);
    assert_eq!(store.ack_consumer("webhook", 7).await.unwrap(), 10);
    assert_eq!(store.ack_consumer("webhook", 10).await.unwrap(), 10);
    assert_eq!(store.ack_consumer("webhook", 11).await.unwrap(), 11);
    assert_eq!(
        store.consumer_position("webhook").await.unwrap(),
        Some((None, 11))
    );
    assert!(matches!(
        store.ack_consumer("nobody", 1).await,
        Err(StoreError::NotFound(_))
    ));
    // In a unit of work, with the events it processed.
    let position = store
        .write(
            |tx| {
                Box::pin(async move {
                    let seq = tx.append_event(S, "k", &json!(1)).await?;
                    tx.ack_consumer("alice-ui", seq + 100).await
                })
            },
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(position, 101);
    // A consumer outlives its session.
    store.delete_session(S).await.unwrap();
    assert_eq!(
        store.consumer_position("alice-ui").await.unwrap(),
        Some((Some(S.to_owned()), 101))
    );
    assert!(store.delete_consumer("alice-ui").await.unwrap());
    assert!(!store.delete_consumer("alice-ui").await.unwrap());
    assert_eq!(store.consumer_position("alice-ui").await.unwrap(), None);
    // Registered again: from its new start.
    assert_eq!(
        store.register_consumer("alice-ui", None, 2).await.unwrap(),
        2
    );
    store.close().await;
}

/// An acknowledged position is durable: it survives a reopen, and still never goes back.
pub async fn consumer_ack_survives_reopen(db: Arc<TestDb>) {
    let store = db.open().await;
    store.register_consumer("c", None, 0).await.unwrap();
    store.ack_consumer("c", 42).await.unwrap();
    store.close().await;
    let store = db.open().await;
    assert_eq!(
        store.consumer_position("c").await.unwrap(),
        Some((None, 42))
    );
    assert_eq!(store.register_consumer("c", None, 0).await.unwrap(), 42);
    assert_eq!(store.ack_consumer("c", 41).await.unwrap(), 42);
    store.close().await;
    let store = db.open().await;
    assert_eq!(
        store.consumer_position("c").await.unwrap(),
        Some((None, 42))
    );
    store.close().await;
}

/// Idempotency keys: the first claim binds the key, later ones answer the first message, for
/// a day; the claim commits (or not) with the message it was made with.
pub async fn send_queue(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    store.create_session("bob", "new").await.unwrap();
    assert!(store.queued_sends(S, 0, 10).await.unwrap().is_empty());
    let p1 = store.queue_send(S, "c@s", "M1").await.unwrap();
    let p2 = store.queue_send(S, "d@s", "M2").await.unwrap();
    let p3 = store.queue_send(S, "c@s", "M3").await.unwrap();
    assert!(p1 < p2 && p2 < p3, "positions grow: {p1} {p2} {p3}");
    store.queue_send("bob", "c@s", "M1").await.unwrap();
    // The same message twice is a conflict.
    assert!(matches!(
        store.queue_send(S, "c@s", "M1").await,
        Err(StoreError::Conflict(_))
    ));
    let ids =
        |q: Vec<openwa_store::QueuedSend>| q.into_iter().map(|q| q.message_id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.queued_sends(S, 0, 10).await.unwrap()),
        ["M1", "M2", "M3"]
    );
    assert_eq!(ids(store.queued_sends(S, p1, 1).await.unwrap()), ["M2"]);
    assert!(store.unqueue_send(S, "d@s", "M2").await.unwrap());
    assert!(!store.unqueue_send(S, "d@s", "M2").await.unwrap());
    assert_eq!(
        ids(store.queued_sends(S, 0, 10).await.unwrap()),
        ["M1", "M3"]
    );
    // Sessions are apart, and the queue goes with its session.
    let bob = store.session("bob");
    assert_eq!(ids(bob.queued_sends(0, 10).await.unwrap()), ["M1"]);
    assert!(matches!(
        store.queued_sends(S, 0, 0).await,
        Err(StoreError::InvalidArgument(_))
    ));
    store.delete_session("bob").await.unwrap();
    assert!(store.queued_sends("bob", 0, 10).await.unwrap().is_empty());
}

pub async fn send_keys(db: Arc<TestDb>) {
    use openwa_store::{MAX_SEND_KEY_LEN, SEND_KEY_TTL_MS, SendKeyClaim};
    let store = store_with_session(&db).await;
    store.create_session("bob", "new").await.unwrap();
    assert_eq!(store.send_key(S, "k1").await.unwrap(), None);
    assert_eq!(
        store.claim_send_key(S, "k1", "c@s", "M1").await.unwrap(),
        SendKeyClaim::Claimed
    );
    let first = SendKeyClaim::Existing {
        chat: "c@s".to_owned(),
        message_id: "M1".to_owned(),
    };
    assert_eq!(
        store.claim_send_key(S, "k1", "d@s", "M2").await.unwrap(),
        first
    );
    assert_eq!(
        store.send_key(S, "k1").await.unwrap(),
        Some(("c@s".to_owned(), "M1".to_owned()))
    );
    // Keys are per session.
    let bob = store.session("bob");
    assert_eq!(
        bob.claim_send_key("k1", "e@s", "M3").await.unwrap(),
        SendKeyClaim::Claimed
    );
    assert_eq!(
        bob.send_key("k1").await.unwrap(),
        Some(("e@s".to_owned(), "M3".to_owned()))
    );
    // A day later the key is free again (bob's, claimed "now", is not).
    let mut raw = db.raw().await;
    let aged = format!(
        "UPDATE send_keys SET created_at = created_at - {} WHERE session_id = $1 AND key = $2",
        SEND_KEY_TTL_MS + 1
    );
    assert_eq!(raw.exec(&aged, None, &[S, "k1"]).await, 1);
    drop(raw);
    assert_eq!(store.send_key(S, "k1").await.unwrap(), None);
    assert_eq!(
        store.claim_send_key(S, "k1", "f@s", "M4").await.unwrap(),
        SendKeyClaim::Claimed
    );
    assert_eq!(
        store.send_key(S, "k1").await.unwrap(),
        Some(("f@s".to_owned(), "M4".to_owned()))
    );
    assert!(bob.send_key("k1").await.unwrap().is_some());

    // Stored with the outgoing message: a retried send finds the first message and stores
    // nothing.
    let send = |key: &'static str, id: &'static str| {
        store.write(
            move |tx| {
                Box::pin(async move {
                    let claim = tx.claim_send_key(S, key, "c@s", id).await?;
                    if claim == SendKeyClaim::Claimed {
                        tx.insert_message(&message("c@s", id, 1)).await?;
                    }
                    Ok(claim)
                })
            },
            |_| {},
        )
    };
    assert_eq!(send("k2", "M10").await.unwrap(), SendKeyClaim::Claimed);
    assert_eq!(
        send("k2", "M11").await.unwrap(),
        SendKeyClaim::Existing {
            chat: "c@s".to_owned(),
            message_id: "M10".to_owned()
        }
    );
    assert!(store.get_message(S, "c@s", "M10").await.unwrap().is_some());
    assert!(store.get_message(S, "c@s", "M11").await.unwrap().is_none());
    // A unit that fails after claiming leaves the key free.
    let failed = store
        .write(
            |tx| {
                Box::pin(async move {
                    tx.claim_send_key(S, "k3", "c@s", "M20").await?;
                    tx.insert_message(&message("c@s", "M20", 1)).await?;
                    Err::<(), _>(StoreError::InvalidArgument("boom".to_owned()))
                })
            },
            |_| {},
        )
        .await;
    assert!(failed.is_err());
    assert_eq!(store.send_key(S, "k3").await.unwrap(), None);
    assert!(store.get_message(S, "c@s", "M20").await.unwrap().is_none());

    // Lengths, in bytes.
    let longest = "é".repeat(MAX_SEND_KEY_LEN / 2);
    assert_eq!(longest.len(), MAX_SEND_KEY_LEN);
    assert_eq!(
        store
            .claim_send_key(S, &longest, "c@s", "M30")
            .await
            .unwrap(),
        SendKeyClaim::Claimed
    );
    for bad in [String::new(), format!("{longest}x"), "k".repeat(1000)] {
        assert!(matches!(
            store.claim_send_key(S, &bad, "c@s", "M31").await,
            Err(StoreError::InvalidArgument(_))
        ));
        assert!(matches!(
            store.send_key(S, &bad).await,
            Err(StoreError::InvalidArgument(_))
        ));
    }
    // The session must exist; deleting it deletes its keys.
    assert!(matches!(
        store.claim_send_key("ghost", "k", "c@s", "M").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.delete_session("bob").await.unwrap());
    store.create_session("bob", "new").await.unwrap();
    assert_eq!(bob.send_key("k1").await.unwrap(), None);

    // Pruning by age.
    assert_eq!(store.prune_send_keys(0).await.unwrap(), 0);
    assert!(store.send_key(S, "k1").await.unwrap().is_some());
    let later = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        + 60_000;
    assert_eq!(store.prune_send_keys(later).await.unwrap(), 3);
    assert_eq!(store.send_key(S, "k1").await.unwrap(), None);
    assert_eq!(
        store.claim_send_key(S, "k1", "f@s", "M40").await.unwrap(),
        SendKeyClaim::Claimed
    );
    store.close().await;
}

/// A read while another task's write transaction is open succeeds and sees committed state
/// only: SQLite and PostgreSQL read alongside the transaction (the old value), a memory store
/// reads on its writer connection once the transaction is over (the new value).
pub async fn reads_during_an_open_transaction(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    store.put_kv(S, "k", b"old").await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.put_kv(S, "k", b"new").await.unwrap();
    let reader = {
        let store = store.clone();
        tokio::spawn(async move { store.get_kv(S, "k").await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    tx.commit().await.unwrap();
    let seen = reader.await.unwrap().unwrap().unwrap();
    let expected: &[u8] = if db.kind == Backend::Memory {
        b"new"
    } else {
        b"old"
    };
    assert_eq!(seen, expected);
    assert_eq!(
        store.get_kv(S, "k").await.unwrap().as_deref(),
        Some(&b"new"[..])
    );
    store.close().await;
}

/// Concurrent claims of one key: exactly one wins, every other answers the winner's message.
pub async fn concurrent_send_key_claims(db: Arc<TestDb>) {
    use openwa_store::SendKeyClaim;
    let store = store_with_session(&db).await;
    let claims: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let id = format!("M{i}");
                let claim = store.claim_send_key(S, "k", "c@s", &id).await.unwrap();
                (id, claim)
            })
        })
        .collect();
    let mut results = Vec::new();
    for claim in claims {
        results.push(claim.await.unwrap());
    }
    let winners: Vec<&String> = results
        .iter()
        .filter(|(_, claim)| *claim == SendKeyClaim::Claimed)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let winner = winners[0].clone();
    for (_, claim) in &results {
        if let SendKeyClaim::Existing { message_id, .. } = claim {
            assert_eq!(*message_id, winner);
        }
    }
    assert_eq!(
        store.send_key(S, "k").await.unwrap(),
        Some(("c@s".to_owned(), winner))
    );
    store.close().await;
}

/// Group sender-key holders: recorded once per device, per group and session, sorted; cleared
/// per group; gone with the session.
pub async fn group_sender_key_holders(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    store.create_session("bob", "new").await.unwrap();
    let g = "120363000000000001@g.us";
    assert!(store.sender_key_holders(S, g).await.unwrap().is_empty());
    let devices = vec!["2_1:0@lid".to_owned(), "1_1:0@lid".to_owned()];
    store.add_sender_key_holders(S, g, &devices).await.unwrap();
    store
        .add_sender_key_holders(
            S,
            g,
            &["1_1:0@lid".to_owned(), "3:2@s.whatsapp.net".to_owned()],
        )
        .await
        .unwrap();
    store
        .add_sender_key_holders(S, "other@g.us", &devices)
        .await
        .unwrap();
    let bob = store.session("bob");
    bob.add_sender_key_holders(g, &["9@lid".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        store.sender_key_holders(S, g).await.unwrap(),
        vec!["1_1:0@lid", "2_1:0@lid", "3:2@s.whatsapp.net"]
    );
    assert_eq!(bob.sender_key_holders(g).await.unwrap(), vec!["9@lid"]);
    assert_eq!(store.clear_sender_key_holders(S, g).await.unwrap(), 3);
    assert!(store.sender_key_holders(S, g).await.unwrap().is_empty());
    assert_eq!(
        store
            .sender_key_holders(S, "other@g.us")
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(bob.sender_key_holders(g).await.unwrap().len(), 1);
    // Scoped to an existing session, gone with it.
    let err = store
        .add_sender_key_holders("ghost", g, &devices)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert!(store.delete_session("bob").await.unwrap());
    assert!(store.sender_key_holders("bob", g).await.unwrap().is_empty());
}

/// Poll votes: one row per voter and poll, replaced by a newer vote only (by the voter's clock);
/// scoped to the session and gone with it.
pub async fn poll_votes(db: Arc<TestDb>) {
    let store = store_with_session(&db).await;
    let vote = |voter: &str, selected: &[&str], at: i64| PollVoteRecord {
        chat: "15550001111@s.whatsapp.net".into(),
        poll_id: "3EB0P".into(),
        voter: voter.into(),
        selected: selected.iter().map(|s| (*s).to_owned()).collect(),
        voted_at_ms: at,
    };
    let chat = "15550001111@s.whatsapp.net";
    assert!(store.poll_votes(S, chat, "3EB0P").await.unwrap().is_empty());
    assert!(
        store
            .put_poll_vote(S, &vote("b@lid", &["Tea"], 10))
            .await
            .unwrap()
    );
    assert!(
        store
            .put_poll_vote(S, &vote("a@lid", &["Tea", "Cof\"fee"], 5))
            .await
            .unwrap()
    );
    // Older than the stored vote: ignored. Newer: replaces. Same time: replaces (redelivery).
    assert!(
        !store
            .put_poll_vote(S, &vote("b@lid", &["Water"], 9))
            .await
            .unwrap()
    );
    assert!(
        store
            .put_poll_vote(S, &vote("a@lid", &[], 6))
            .await
            .unwrap()
    );
    assert!(
        store
            .put_poll_vote(S, &vote("b@lid", &["Tea"], 10))
            .await
            .unwrap()
    );
    assert_eq!(
        store.poll_votes(S, chat, "3EB0P").await.unwrap(),
        vec![vote("a@lid", &[], 6), vote("b@lid", &["Tea"], 10)]
    );
    assert!(
        store
            .poll_votes(S, "other@g.us", "3EB0P")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .put_poll_vote("ghost", &vote("a@lid", &[], 1))
            .await
            .is_err()
    );
    store.delete_session(S).await.unwrap();
    assert!(store.poll_votes(S, chat, "3EB0P").await.unwrap().is_empty());
}

pub async fn chats_contacts_and_pending_history(db: Arc<TestDb>) {
    use openwa_store::{ChatRecord, PendingHistory};
    let store = store_with_session(&db).await;
    let s = store.session(S);
    // Live messages create and maintain a chat.
    s.note_chat_message("1@s.whatsapp.net", "a", 100, true)
        .await
        .unwrap();
    s.note_chat_message("1@s.whatsapp.net", "b", 90, true)
        .await
        .unwrap();
    s.note_chat_message("2@s.whatsapp.net", "c", 50, false)
        .await
        .unwrap();
    let one = s.get_chat("1@s.whatsapp.net").await.unwrap().unwrap();
    assert_eq!(one.last_message_id.as_deref(), Some("a"));
    assert_eq!((one.last_message_at, one.unread_count), (100, 2));
    // History sync merges: the older description keeps the newer message and count.
    let described = ChatRecord {
        chat: "1@s.whatsapp.net".into(),
        alt: Some("9@lid".into()),
        name: Some("One".into()),
        last_message_id: Some("old".into()),
        last_message_at: 80,
        unread_count: 7,
        ..Default::default()
    };
    s.put_chat(&described).await.unwrap();
    let one = s.get_chat("1@s.whatsapp.net").await.unwrap().unwrap();
    assert_eq!(one.last_message_id.as_deref(), Some("a"));
    assert_eq!(
        (one.alt.as_deref(), one.name.as_deref()),
        (Some("9@lid"), Some("One"))
    );
    assert_eq!(one.unread_count, 2);
    s.put_chat(&ChatRecord {
        chat: "3@g.us".into(),
        last_message_at: 200,
        unread_count: 4,
        pinned: true,
        ..described
    })
    .await
    .unwrap();
    // An older description (a later chunk with older messages) keeps the flags and the count.
    s.put_chat(&ChatRecord {
        chat: "3@g.us".into(),
        last_message_at: 150,
        ..Default::default()
    })
    .await
    .unwrap();
    let group = s.get_chat("3@g.us").await.unwrap().unwrap();
    assert!(group.pinned && group.unread_count == 4 && group.last_message_at == 200);
    // A newer description that does not set a flag leaves it (app state clears flags).
    s.put_chat(&ChatRecord {
        chat: "3@g.us".into(),
        last_message_at: 200,
        unread_count: 4,
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(s.get_chat("3@g.us").await.unwrap().unwrap().pinned);
    let page = s.chat_page(10, 0).await.unwrap();
    let order: Vec<_> = page.iter().map(|c| c.chat.as_str()).collect();
    assert_eq!(order, ["3@g.us", "1@s.whatsapp.net", "2@s.whatsapp.net"]);
    assert!(page[0].pinned);
    assert_eq!(s.chat_page(2, 2).await.unwrap().len(), 1);
    assert!(s.mark_chat_read("1@s.whatsapp.net").await.unwrap());
    assert_eq!(
        s.get_chat("1@s.whatsapp.net")
            .await
            .unwrap()
            .unwrap()
            .unread_count,
        0
    );
    assert!(!s.mark_chat_read("nobody@s.whatsapp.net").await.unwrap());
    assert!(s.chat_page(0, 0).await.is_err());

    s.put_push_name("1@s.whatsapp.net", "Ann").await.unwrap();
    s.put_push_name("1@s.whatsapp.net", "Anne").await.unwrap();
    s.put_push_name("0@lid", "Zed").await.unwrap();
    let contact = s.get_contact("1@s.whatsapp.net").await.unwrap().unwrap();
    assert_eq!(contact.push_name.as_deref(), Some("Anne"));
    let contacts = s.contact_page(10, 0).await.unwrap();
    assert_eq!(contacts.len(), 2);
    assert!(s.get_contact("2@s.whatsapp.net").await.unwrap().is_none());

    let pending = PendingHistory {
        id: "N1".into(),
        sync_type: 0,
        chunk_order: 1,
        notification: b"media key inside".to_vec(),
        created_at: 5,
    };
    s.put_pending_history(&pending).await.unwrap();
    s.put_pending_history(&pending).await.unwrap();
    assert_eq!(s.pending_history().await.unwrap(), vec![pending]);
    let mut raw = db.raw().await;
    let sealed = raw
        .blob("SELECT notification FROM history_pending", &[])
        .await;
    assert!(!sealed.windows(9).any(|w| w == b"media key"));
    assert!(s.delete_pending_history("N1").await.unwrap());
    assert!(s.pending_history().await.unwrap().is_empty());
    // A message under the other form of a stored chat goes to that chat.
    s.put_lid_mapping("777", "5").await.unwrap();
    s.note_chat_message("5@s.whatsapp.net", "p", 300, true)
        .await
        .unwrap();
    s.note_chat_message("777@lid", "q", 301, true)
        .await
        .unwrap();
    assert!(s.get_chat("777@lid").await.unwrap().is_none());
    let five = s.get_chat("5@s.whatsapp.net").await.unwrap().unwrap();
    assert_eq!(
        (five.alt.as_deref(), five.unread_count),
        (Some("777@lid"), 2)
    );
    assert_eq!(five.last_message_id.as_deref(), Some("q"));
    // History describing that chat by its LID merges into the same row.
    s.put_chat(&ChatRecord {
        chat: "777@lid".into(),
        alt: Some("5@s.whatsapp.net".into()),
        name: Some("Five".into()),
        last_message_at: 10,
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(s.get_chat("777@lid").await.unwrap().is_none());
    let five = s.get_chat("5@s.whatsapp.net").await.unwrap().unwrap();
    assert_eq!((five.name.as_deref(), five.unread_count), (Some("Five"), 2));
    // Deleting the session takes its chats and contacts along.
    s.delete().await.unwrap();
    assert!(store.chat_page(S, 10, 0).await.unwrap().is_empty());
    assert!(store.contact_page(S, 10, 0).await.unwrap().is_empty());
}

pub async fn app_state_tables(db: Arc<TestDb>) {
    use openwa_store::{
        AppStateKeyRecord, AppStateVersion, ChatFlag, LabelAssociationRecord, LabelRecord,
        StarredRecord,
    };
    let store = store_with_session(&db).await;
    let s = store.session(S);
    // Keys: by id, the newest one, sealed at rest.
    assert!(s.latest_app_state_key().await.unwrap().is_none());
    for (id, stamp) in [(&[1u8, 2][..], 10), (&[3u8][..], 20)] {
        s.put_app_state_key(&AppStateKeyRecord {
            key_id: id.to_vec(),
            key_data: b"secret sync key data".to_vec(),
            timestamp: stamp,
        })
        .await
        .unwrap();
    }
    let key = s.get_app_state_key(&[1, 2]).await.unwrap().unwrap();
    assert_eq!(key.key_data, b"secret sync key data");
    assert_eq!(s.latest_app_state_key().await.unwrap().unwrap().key_id, [3]);
    assert!(s.get_app_state_key(&[9]).await.unwrap().is_none());
    let mut raw = db.raw().await;
    let sealed = raw
        .blob(
            "SELECT key_data FROM app_state_keys WHERE key_id = '0102'",
            &[],
        )
        .await;
    assert!(!sealed.windows(6).any(|w| w == b"secret"));
    // Versions and MACs, and a reset.
    let v = AppStateVersion {
        version: 7,
        hash: vec![5; 128],
    };
    s.put_app_state_version("regular", &v).await.unwrap();
    assert_eq!(s.get_app_state_version("regular").await.unwrap(), Some(v));
    s.put_app_state_mac("regular", &[1; 32], Some(&[2; 32]))
        .await
        .unwrap();
    s.put_app_state_mac("regular", &[1; 32], Some(&[3; 32]))
        .await
        .unwrap();
    assert_eq!(
        s.get_app_state_mac("regular", &[1; 32]).await.unwrap(),
        Some(vec![3; 32])
    );
    assert!(
        s.get_app_state_mac("regular_low", &[1; 32])
            .await
            .unwrap()
            .is_none()
    );
    s.put_app_state_mac("regular", &[1; 32], None)
        .await
        .unwrap();
    assert!(
        s.get_app_state_mac("regular", &[1; 32])
            .await
            .unwrap()
            .is_none()
    );
    s.put_app_state_mac("regular", &[4; 32], Some(&[4; 32]))
        .await
        .unwrap();
    s.reset_app_state("regular").await.unwrap();
    assert!(s.get_app_state_version("regular").await.unwrap().is_none());
    assert!(
        s.get_app_state_mac("regular", &[4; 32])
            .await
            .unwrap()
            .is_none()
    );
    // Chat flags make the row, and go to a chat stored under the other form.
    s.set_chat_flag("1@s.whatsapp.net", ChatFlag::Archived(true))
        .await
        .unwrap();
    s.set_chat_flag("1@s.whatsapp.net", ChatFlag::MutedUntil(-1))
        .await
        .unwrap();
    s.set_chat_flag("1@s.whatsapp.net", ChatFlag::MarkedUnread(true))
        .await
        .unwrap();
    s.put_lid_mapping("88", "1").await.unwrap();
    s.set_chat_flag("88@lid", ChatFlag::Pinned(true))
        .await
        .unwrap();
    assert!(s.get_chat("88@lid").await.unwrap().is_none());
    let one = s.get_chat("1@s.whatsapp.net").await.unwrap().unwrap();
    assert!(one.archived && one.pinned && one.marked_unread);
    assert_eq!(one.muted_until, -1);
    s.set_chat_flag("1@s.whatsapp.net", ChatFlag::Archived(false))
        .await
        .unwrap();
    assert!(
        !s.get_chat("1@s.whatsapp.net")
            .await
            .unwrap()
            .unwrap()
            .archived
    );
    // Contact names keep the push name.
    s.put_push_name("2@s.whatsapp.net", "Two").await.unwrap();
    s.put_contact_name("2@s.whatsapp.net", Some("Mr Two"))
        .await
        .unwrap();
    let two = s.get_contact("2@s.whatsapp.net").await.unwrap().unwrap();
    assert_eq!(
        (two.push_name.as_deref(), two.full_name.as_deref()),
        (Some("Two"), Some("Mr Two"))
    );
    // Labels and what is on them.
    let label = LabelRecord {
        id: "4".into(),
        name: "Clients".into(),
        color: 3,
        ..Default::default()
    };
    s.put_label(&label).await.unwrap();
    s.put_label(&LabelRecord {
        name: "VIP".into(),
        ..label.clone()
    })
    .await
    .unwrap();
    let stored = s.get_label("4").await.unwrap().unwrap();
    assert_eq!((stored.name.as_str(), stored.color), ("VIP", 3));
    assert_eq!(s.labels().await.unwrap().len(), 1);
    let on_chat = LabelAssociationRecord {
        label: "4".into(),
        chat: "1@s.whatsapp.net".into(),
        message_id: None,
    };
    let on_message = LabelAssociationRecord {
        message_id: Some("M1".into()),
        ..on_chat.clone()
    };
    for a in [&on_chat, &on_message, &on_chat] {
        s.set_label_association(a, true).await.unwrap();
    }
    assert_eq!(
        s.label_associations(Some("1@s.whatsapp.net"))
            .await
            .unwrap(),
        vec![on_chat.clone(), on_message.clone()]
    );
    s.set_label_association(&on_chat, false).await.unwrap();
    assert_eq!(s.label_associations(None).await.unwrap(), vec![on_message]);
    // Stars, newest first.
    for (id, at) in [("A", 1), ("B", 2)] {
        s.set_starred(
            &StarredRecord {
                chat: "1@s.whatsapp.net".into(),
                message_id: id.into(),
                from_me: false,
                participant: None,
                starred_at: at,
            },
            true,
        )
        .await
        .unwrap();
    }
    let page = s.starred_page(10, 0).await.unwrap();
    assert_eq!(
        page.iter()
            .map(|p| p.message_id.as_str())
            .collect::<Vec<_>>(),
        ["B", "A"]
    );
    s.set_starred(&page[0], false).await.unwrap();
    assert_eq!(s.starred_page(10, 0).await.unwrap().len(), 1);
    // A collection's snapshot replaces what it said: its effects are cleared first.
    s.clear_app_state_effects("regular_high").await.unwrap();
    assert!(s.starred_page(10, 0).await.unwrap().is_empty());
    assert_eq!(
        s.get_chat("1@s.whatsapp.net")
            .await
            .unwrap()
            .unwrap()
            .muted_until,
        0
    );
    assert!(
        s.get_chat("1@s.whatsapp.net")
            .await
            .unwrap()
            .unwrap()
            .pinned
    );
    s.clear_app_state_effects("regular_low").await.unwrap();
    let one = s.get_chat("1@s.whatsapp.net").await.unwrap().unwrap();
    assert!(!one.pinned && !one.archived && !one.marked_unread);
    s.clear_app_state_effects("critical_unblock_low")
        .await
        .unwrap();
    let two = s.get_contact("2@s.whatsapp.net").await.unwrap().unwrap();
    assert_eq!(
        (two.push_name.as_deref(), two.full_name),
        (Some("Two"), None)
    );
    s.clear_app_state_effects("regular").await.unwrap();
    assert!(s.label_associations(None).await.unwrap().is_empty());
    assert!(s.labels().await.unwrap().is_empty());
    // Deleting the session takes all of it along.
    s.delete().await.unwrap();
    assert!(store.labels(S).await.unwrap().is_empty());
    assert!(store.starred_page(S, 10, 0).await.unwrap().is_empty());
    assert!(store.latest_app_state_key(S).await.unwrap().is_none());
}

pub async fn delete_and_clear_chat(db: Arc<TestDb>) {
    use openwa_store::{ChatFlag, LabelAssociationRecord, StarredRecord};
    let store = store_with_session(&db).await;
    let s = store.session(S);
    let (pn, lid, other) = ("1@s.whatsapp.net", "88@lid", "2@s.whatsapp.net");
    s.put_lid_mapping("88", "1").await.unwrap();
    // One user's chat, with messages under both forms, flags, a vote, a star and a label.
    for (chat, id, at) in [(pn, "a", 10), (lid, "b", 20), (other, "c", 30)] {
        s.insert_message(&message(chat, id, at)).await.unwrap();
        s.note_chat_message(chat, id, at, true).await.unwrap();
    }
    s.set_chat_flag(pn, ChatFlag::Pinned(true)).await.unwrap();
    for chat in [lid, other] {
        s.put_poll_vote(&PollVoteRecord {
            chat: chat.into(),
            poll_id: "P".into(),
            voter: "9@s.whatsapp.net".into(),
            selected: vec!["x".into()],
            voted_at_ms: 1,
        })
        .await
        .unwrap();
        let star = StarredRecord {
            chat: chat.into(),
            message_id: "S".into(),
            from_me: false,
            participant: None,
            starred_at: 1,
        };
        s.set_starred(&star, true).await.unwrap();
        let on_chat = LabelAssociationRecord {
            label: "4".into(),
            chat: chat.into(),
            message_id: None,
        };
        s.set_label_association(&on_chat, true).await.unwrap();
    }
    let history = |chat: &'static str| {
        let s = store.session(S);
        async move {
            s.message_page(chat, &PageDirection::Older(None), 10)
                .await
                .unwrap()
                .messages
                .len()
        }
    };
    // Clearing keeps the chat (and its stars unless asked), not its messages.
    assert!(s.clear_chat(lid, false, None).await.unwrap());
    assert_eq!((history(pn).await, history(lid).await), (0, 0));
    let kept = s.get_chat(pn).await.unwrap().unwrap();
    assert!(kept.pinned && kept.last_message_id.is_none() && kept.unread_count == 0);
    assert_eq!(s.starred_page(10, 0).await.unwrap().len(), 2);
    assert!(s.poll_votes(lid, "P").await.unwrap().is_empty());
    // Clearing up to a time keeps newer messages, and the chat's newest; `starred` takes stars.
    for (id, at) in [("o", 21), ("n", 25)] {
        s.insert_message(&message(pn, id, at)).await.unwrap();
        s.note_chat_message(pn, id, at, true).await.unwrap();
    }
    assert!(s.clear_chat(pn, true, Some(22)).await.unwrap());
    assert_eq!(history(pn).await, 1);
    let kept = s.get_chat(pn).await.unwrap().unwrap();
    assert_eq!(kept.last_message_id.as_deref(), Some("n"));
    assert_eq!(s.starred_page(10, 0).await.unwrap().len(), 1);
    // Deleting up to a time keeps a chat with a newer message, and that message.
    for (id, at) in [("d", 40), ("e", 50)] {
        s.insert_message(&message(pn, id, at)).await.unwrap();
        s.note_chat_message(pn, id, at, true).await.unwrap();
    }
    assert!(s.delete_chat(pn, Some(45)).await.unwrap());
    assert_eq!(history(pn).await, 1);
    assert!(s.get_chat(pn).await.unwrap().is_some());
    // Deleting (by either form) takes the row and everything about the chat.
    assert!(s.delete_chat(lid, None).await.unwrap());
    assert!(s.get_chat(pn).await.unwrap().is_none());
    assert_eq!(history(pn).await, 0);
    let stars = s.starred_page(10, 0).await.unwrap();
    assert_eq!(
        stars.iter().map(|r| r.chat.as_str()).collect::<Vec<_>>(),
        [other]
    );
    let labels = s.label_associations(None).await.unwrap();
    assert_eq!(
        labels.iter().map(|r| r.chat.as_str()).collect::<Vec<_>>(),
        [other]
    );
    // The other chat is untouched; deleting a chat never stored says so.
    assert_eq!(history(other).await, 1);
    assert!(s.get_chat(other).await.unwrap().is_some());
    assert_eq!(s.poll_votes(other, "P").await.unwrap().len(), 1);
    assert!(!s.delete_chat("7@s.whatsapp.net", None).await.unwrap());
    // The value MACs of a collection, all at once.
    s.put_app_state_mac("regular", &[1; 32], Some(&[2; 32]))
        .await
        .unwrap();
    assert_eq!(
        s.app_state_macs("regular").await.unwrap(),
        vec![(vec![1; 32], vec![2; 32])]
    );
    assert!(s.app_state_macs("regular_low").await.unwrap().is_empty());
}
