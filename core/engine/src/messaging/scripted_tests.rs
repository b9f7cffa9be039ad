//! Sending against the scripted server (`crate::testing`): the exact stanzas (usync, one
//! bundle fetch, `<participants>` with the device-sent copy for our phone, `device-identity`),
//! a nack as a typed error, an acked send (device lists and sessions reused), receipts moving
//! statuses forward only (also from the contact's LID once the mapping is known, memory store),
//! a retry answered from fresh keys, a missing ack bounded by the
//! request timeout, a dropped connection, and sessions, device lists and history that survive
//! a restart (SQLite).

use openwa_protocol::crypto::KeyPair;
use openwa_protocol::message::unpad;
use openwa_protocol::signal::{
    InMemorySignalStore, MessageType as SignalType, PreKeyRecord, PreKeyStore, ProtocolAddress,
    SignedPreKeyRecord, SignedPreKeyStore, TrustPolicy, decrypt,
};
use openwa_protocol::stanza::{
    DeviceEntry, DeviceList, FetchPreKeys, IqHeader, IqSpec, OutgoingMessage, Peer, PreKey,
    PreKeyBundle, Receipt, ReceiptType, RetryKeys, RetryRequest, SignedPreKey, UserPreKeys,
    UsyncQuery, UsyncUserResult,
};
use openwa_protocol::{Jid, Node};
use prost::Message as _;

use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::config::SessionOptions;
use crate::connection::driver::DriverTimings;
use crate::e2e_tests::{accept_login, make_paired, manager, open_sqlite, options};
use crate::error::{Error, ErrorCode};
use crate::event::{EventKind, Message, MessageStatus};
use crate::testing::{FakeServer, ServerConn, expect_event};
use crate::{Session, SessionManager};

const PEER: &str = "15550000002";

/// The keys every device of the scripted server hands out (no one-time prekey).
struct ServerKeys {
    identity: KeyPair,
    signed: SignedPreKeyRecord,
    one_time: Option<PreKeyRecord>,
}

impl ServerKeys {
    fn new() -> Self {
        let identity = KeyPair::generate(&mut rand::rngs::OsRng);
        let signed = SignedPreKeyRecord::generate(1, &identity, 0, &mut rand::rngs::OsRng);
        ServerKeys {
            identity,
            signed,
            one_time: None,
        }
    }

    fn bundle(&self) -> PreKeyBundle {
        PreKeyBundle {
            registration_id: 4242,
            identity: self.identity.public,
            signed: SignedPreKey {
                id: self.signed.id,
                public: self.signed.key_pair.public,
                signature: self.signed.signature,
            },
            prekey: None,
        }
    }

    /// Decrypts a pkmsg made from [`ServerKeys::bundle`] and decodes the `Message`.
    async fn open(&self, ciphertext: &[u8]) -> openwa_protocol::proto::e2e::Message {
        let device =
            InMemorySignalStore::new(self.identity.clone(), 4242, TrustPolicy::AlwaysTrust);
        device.store_signed_pre_key(&self.signed).await.unwrap();
        if let Some(one_time) = &self.one_time {
            device.store_pre_key(one_time).await.unwrap();
        }
        let from = ProtocolAddress::new("15551234567", 7);
        let decrypted = decrypt(
            &device,
            &from,
            SignalType::PreKey,
            ciphertext,
            &mut rand::rngs::OsRng,
        )
        .await
        .unwrap();
        openwa_protocol::proto::e2e::Message::decode(unpad(&decrypted.plaintext).unwrap()).unwrap()
    }
}

/// Answers the device-list query: the peer has its phone, we have our phone and device 7.
async fn answer_usync(conn: &mut ServerConn) {
    let iq = conn.recv_iq_with("usync").await;
    let query = UsyncQuery::decode_request(&iq).unwrap();
    let users = query
        .users
        .iter()
        .map(|u| {
            let jid = u.jid.clone().unwrap();
            let devices = if jid.user == PEER {
                vec![DeviceEntry::primary()]
            } else {
                vec![DeviceEntry::primary(), DeviceEntry::companion(7, 1)]
            };
            UsyncUserResult {
                jid,
                devices: Some(DeviceList {
                    devices,
                    key_index: None,
                }),
                lid: None,
                contact: None,
            }
        })
        .collect();
    conn.send(&UsyncQuery::response(&IqHeader::of(&iq).unwrap(), &users))
        .await;
}

/// Answers the bundle fetch for every requested device with `keys`; returns the requested
/// JIDs.
async fn answer_bundles(conn: &mut ServerConn, keys: &ServerKeys) -> Vec<Jid> {
    let iq = conn.recv_iq_with("key").await;
    let request = FetchPreKeys::decode_request(&iq).unwrap();
    let users: Vec<UserPreKeys> = request
        .users
        .iter()
        .map(|u| UserPreKeys {
            jid: u.jid.clone(),
            bundle: Ok(keys.bundle()),
        })
        .collect();
    conn.send(&FetchPreKeys::response(&IqHeader::of(&iq).unwrap(), &users))
        .await;
    request.users.into_iter().map(|u| u.jid).collect()
}

/// Plays the server's part of a first send (usync, bundle fetch with `keys`); returns the
/// devices whose bundles were asked for and the message stanza.
async fn first_send(conn: &mut ServerConn, keys: &ServerKeys) -> (Vec<Jid>, OutgoingMessage) {
    answer_usync(conn).await;
    let fetched = answer_bundles(conn, keys).await;
    let stanza = OutgoingMessage::from_node(&conn.recv_tag("message").await).unwrap();
    (fetched, stanza)
}

/// Sends `text` as the session's first message (usync, bundle fetch) and acks it; returns it.
async fn send_first_acked(
    session: &Arc<Session>,
    conn: &mut ServerConn,
    text: &'static str,
) -> Message {
    let sending = send(session, text);
    let (_, stanza) = first_send(conn, &ServerKeys::new()).await;
    conn.send(&message_ack(&stanza.id, None)).await;
    sending.await.unwrap().unwrap()
}

/// Asserts the client's next stanza is a message to both devices (nothing before it) and
/// accepts it; returns it.
async fn accept_next_message(conn: &mut ServerConn) -> OutgoingMessage {
    let node = conn.recv().await.unwrap();
    assert_eq!(node.tag, "message", "{node:?}");
    let stanza = OutgoingMessage::from_node(&node).unwrap();
    assert_eq!(stanza.participants.len(), 2);
    conn.send(&message_ack(&stanza.id, None)).await;
    stanza
}

fn message_ack(id: &str, error: Option<&str>) -> Node {
    Node::new("ack")
        .attr("id", id)
        .attr("class", "message")
        .attr("from", Jid::pn(PEER))
        .attr("t", "1700000100")
        .attr_opt("error", error)
}

/// What a scripted test runs against: the server, a manager, and one paired session logged
/// in over `conn`.
struct Setup {
    _server: FakeServer,
    _manager: Arc<SessionManager>,
    session: Arc<Session>,
    conn: ServerConn,
}

/// A paired session logged in to a fresh scripted server, waiting `request_timeout_secs` for
/// answers.
async fn logged_in(request_timeout_secs: u32) -> Setup {
    let mut server = FakeServer::start().await;
    let opts = SessionOptions {
        request_timeout_secs,
        ..options(&server)
    };
    let manager = manager(DriverTimings::default()).await;
    let session = manager.create_session("sam", Some(opts)).await.unwrap();
    make_paired(&session);
    session.connect().await.unwrap();
    let conn = accept_login(&mut server).await;
    Setup {
        _server: server,
        _manager: manager,
        session,
        conn,
    }
}

/// `send_text(PEER, text)` in the background.
fn send(session: &Arc<Session>, text: &'static str) -> JoinHandle<Result<Message, Error>> {
    let session = session.clone();
    tokio::spawn(async move {
        session
            .send_text(PEER, text, crate::SendOptions::default())
            .await
    })
}

#[tokio::test]
async fn sends_fan_out_once_and_map_the_ack() {
    let Setup {
        _server,
        _manager,
        session,
        mut conn,
    } = logged_in(5).await;
    let events = session.events();

    // First send: usync, one bundle fetch for both devices, a nack.
    let sending = send(&session, "hi");
    let keys = ServerKeys::new();
    let (mut fetched, stanza) = first_send(&mut conn, &keys).await;
    fetched.sort_by_key(|j| j.to_string());
    assert_eq!(fetched, vec![Jid::pn(PEER), Jid::pn("15551234567")]);
    assert_eq!(stanza.to, Jid::pn(PEER));
    assert_eq!(stanza.participants.len(), 2);
    assert!(
        stanza
            .participants
            .iter()
            .all(|p| p.enc.kind.as_str() == "pkmsg")
    );
    assert!(stanza.device_identity.is_some());
    // The peer's phone gets the text, our phone the device-sent copy naming the chat.
    let peer = keys
        .open(&stanza.enc_for(&Jid::pn(PEER)).unwrap().ciphertext)
        .await;
    assert_eq!(peer.conversation.as_deref(), Some("hi"));
    let ours = keys
        .open(&stanza.enc_for(&Jid::pn("15551234567")).unwrap().ciphertext)
        .await;
    let copy = *ours.device_sent_message.unwrap();
    assert_eq!(
        copy.destination_jid.as_deref(),
        Some("15550000002@s.whatsapp.net")
    );
    assert_eq!(copy.message.unwrap().conversation.as_deref(), Some("hi"));
    conn.send(&message_ack(&stanza.id, Some("421"))).await;
    let err = sending.await.unwrap().unwrap_err();
    assert_eq!(err.code, ErrorCode::ServerError);
    assert_eq!(err.details.as_deref(), Some("421"));
    assert!(err.retryable);
    assert_eq!(next_status(&events).await, MessageStatus::Failed);

    // Second send: the 421 dropped the peer's device list (usync again); sessions exist, so
    // no bundle fetch.
    let sending = send(&session, "again");
    answer_usync(&mut conn).await;
    let stanza = accept_next_message(&mut conn).await;
    let sent = sending.await.unwrap().unwrap();
    assert_eq!(sent.id, stanza.id);
    assert_eq!(sent.status, MessageStatus::Sent);
    assert_eq!(sent.sender, "15551234567@s.whatsapp.net");
    assert_eq!(sent.sender_alt.as_deref(), Some("987654321@lid"));
    expect_event(
        &events,
        "message_sent",
        |e| matches!(&e.kind, EventKind::MessageSent { message } if message.id == stanza.id),
    )
    .await;

    // Third send: device lists cached and sessions built: the message is the next stanza.
    let sending = send(&session, "third");
    let stanza = accept_next_message(&mut conn).await;
    assert_eq!(sending.await.unwrap().unwrap().id, stanza.id);
    session.disconnect().await.unwrap();
}

#[tokio::test]
async fn a_missing_ack_ends_in_a_timeout_not_a_hang() {
    let Setup {
        _server,
        _manager,
        session,
        mut conn,
    } = logged_in(1).await;
    let sending = send(&session, "anyone?");
    first_send(&mut conn, &ServerKeys::new()).await;
    let err = sending.await.unwrap().unwrap_err();
    assert_eq!(err.code, ErrorCode::Timeout);
    session.disconnect().await.unwrap();
}

/// A receipt from the peer's phone about `id`.
fn receipt(id: &str, kind: ReceiptType, t: u64) -> Receipt {
    let mut receipt = Receipt::new(id, Peer::From(Jid::pn(PEER)), kind);
    receipt.t = Some(t);
    receipt
}

async fn next_status(events: &crate::EventStream) -> MessageStatus {
    let event = expect_event(events, "message_status", |e| {
        matches!(e.kind, EventKind::MessageStatus { .. })
    })
    .await;
    match event.kind {
        EventKind::MessageStatus { status, .. } => status,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn receipts_move_statuses_forward_and_retries_resend_with_the_new_keys() {
    let Setup {
        _server,
        _manager,
        session,
        mut conn,
    } = logged_in(5).await;
    let events = session.events();
    let sent = send_first_acked(&session, &mut conn, "hi").await;

    // delivered, read; a late delivery changes nothing (the next status event is `played`).
    for (kind, expected) in [
        (ReceiptType::Delivery, Some(MessageStatus::Delivered)),
        (ReceiptType::Read, Some(MessageStatus::Read)),
        (ReceiptType::Delivery, None),
        (ReceiptType::Played, Some(MessageStatus::Played)),
    ] {
        conn.send(&receipt(&sent.id, kind, 1_700_000_200).to_node())
            .await;
        let ack = conn.recv_tag("ack").await;
        assert_eq!(ack.attr_str("class").as_deref(), Some("receipt"));
        if let Some(expected) = expected {
            assert_eq!(next_status(&events).await, expected);
        }
    }

    // The phone lost its session and sends fresh keys: the message is re-encrypted for it
    // from a new session, and decrypts with those keys.
    let mut rng = rand::rngs::OsRng;
    let keys = ServerKeys {
        one_time: Some(PreKeyRecord::generate(5, &mut rng)),
        ..ServerKeys::new()
    };
    let one_time = keys.one_time.as_ref().unwrap();
    let mut retry = receipt(&sent.id, ReceiptType::Retry, 1_700_000_300);
    retry.retry = Some(RetryRequest {
        count: 2,
        id: sent.id.clone(),
        t: Some(sent.timestamp),
        error: None,
        registration_id: 4242,
        keys: Some(RetryKeys {
            identity: keys.identity.public,
            prekey: Some(PreKey {
                id: one_time.id,
                public: one_time.key_pair.public,
            }),
            signed: keys.bundle().signed,
            device_identity: None,
        }),
    });
    conn.send(&retry.to_node()).await;
    let resent = OutgoingMessage::from_node(&conn.recv_tag("message").await).unwrap();
    assert_eq!(resent.id, sent.id);
    assert_eq!(resent.to, Jid::pn(PEER));
    assert!(resent.participants.is_empty());
    let enc = &resent.direct[0];
    assert_eq!(enc.count, Some(2));
    assert_eq!(enc.kind.as_str(), "pkmsg");
    let message = keys.open(&enc.ciphertext).await;
    assert_eq!(message.conversation.as_deref(), Some("hi"));
    session.disconnect().await.unwrap();
}

/// Memory store: a message sent to the contact's PN, whose LID mapping is learned only
/// afterwards, moves forward on a receipt from the LID (one chat under both JIDs).
#[tokio::test]
async fn a_receipt_from_the_lid_moves_a_message_sent_to_the_pn() {
    let Setup {
        _server,
        _manager,
        session,
        mut conn,
    } = logged_in(5).await;
    let events = session.events();
    let sent = send_first_acked(&session, &mut conn, "hi").await;
    let lid = "200000000000002";
    session
        .shared()
        .signal_store()
        .learn_mapping(PEER, lid)
        .await
        .unwrap();
    let mut delivered = Receipt::new(&sent.id, Peer::From(Jid::lid(lid)), ReceiptType::Delivery);
    delivered.t = Some(1_700_000_200);
    conn.send(&delivered.to_node()).await;
    conn.recv_tag("ack").await;
    let event = expect_event(&events, "message_status", |e| {
        matches!(e.kind, EventKind::MessageStatus { .. })
    })
    .await;
    match event.kind {
        EventKind::MessageStatus {
            chat,
            message_id,
            status,
        } => {
            assert_eq!(chat, Jid::pn(PEER).to_string());
            assert_eq!(message_id, sent.id);
            assert_eq!(status, MessageStatus::Delivered);
        }
        _ => unreachable!(),
    }
    session.disconnect().await.unwrap();
}

#[tokio::test]
async fn a_dropped_connection_fails_the_waiting_send() {
    let Setup {
        _server,
        _manager,
        session,
        mut conn,
    } = logged_in(5).await;
    let sending = send(&session, "lost?");
    first_send(&mut conn, &ServerKeys::new()).await;
    drop(conn);
    let err = sending.await.unwrap().unwrap_err();
    assert_eq!(err.code, ErrorCode::NotConnected);
    assert!(err.retryable);
    session.disconnect().await.unwrap();
}

#[tokio::test]
async fn sessions_device_lists_and_history_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!(
        "openwa-engine-send-restart-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut server = FakeServer::start().await;
    let manager = open_sqlite(&dir, &server).await;
    let session = manager.create_session("sam", None).await.unwrap();
    make_paired(&session);
    session.persist_credentials().await;
    session.connect().await.unwrap();
    let mut conn = accept_login(&mut server).await;
    let before = send_first_acked(&session, &mut conn, "before").await;
    manager.close().await.unwrap();
    drop(conn);

    // After the restart: no usync, no bundle fetch — the message is the next stanza.
    let manager = open_sqlite(&dir, &server).await;
    let session = manager.get("sam").await.unwrap();
    let mut conn = accept_login(&mut server).await;
    let sending = send(&session, "after");
    accept_next_message(&mut conn).await;
    let after = sending.await.unwrap().unwrap();

    let page = session.messages(PEER, None, 10).await.unwrap();
    let mut ids: Vec<(&str, MessageStatus)> = page
        .messages
        .iter()
        .map(|m| (m.id.as_str(), m.status))
        .collect();
    ids.sort_unstable();
    let mut expected = vec![
        (before.id.as_str(), MessageStatus::Sent),
        (after.id.as_str(), MessageStatus::Sent),
    ];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    manager.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
