//! Sending against the scripted server (`crate::testing`): the exact stanzas (usync, one
//! bundle fetch, `<participants>` with the device-sent copy for our phone, `device-identity`),
//! a nack as a typed error, an acked send, and a missing ack bounded by the request timeout.

use openwa_protocol::crypto::KeyPair;
use openwa_protocol::stanza::{
    DeviceEntry, DeviceList, FetchPreKeys, IqHeader, IqSpec, OutgoingMessage, PreKeyBundle,
    SignedPreKey, UserPreKeys, UsyncQuery, UsyncUserResult,
};
use openwa_protocol::{Jid, Node};

use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::config::SessionOptions;
use crate::connection::driver::DriverTimings;
use crate::e2e_tests::{accept_login, make_paired, manager, options};
use crate::error::{Error, ErrorCode};
use crate::event::{EventKind, Message, MessageStatus};
use crate::testing::{FakeServer, ServerConn, expect_event};
use crate::{Session, SessionManager};

const PEER: &str = "15550000002";

fn bundle(identity: &KeyPair) -> PreKeyBundle {
    let mut rng = rand::rngs::OsRng;
    let signed = KeyPair::generate(&mut rng);
    PreKeyBundle {
        registration_id: 4242,
        identity: identity.public,
        signed: SignedPreKey {
            id: 1,
            public: signed.public,
            signature: identity.sign(&signed.public_with_type(), &mut rng),
        },
        prekey: None,
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

/// Answers the bundle fetch for every requested device; returns the requested JIDs.
async fn answer_bundles(conn: &mut ServerConn) -> Vec<Jid> {
    let iq = conn.recv_iq_with("key").await;
    let request = FetchPreKeys::decode_request(&iq).unwrap();
    let identity = KeyPair::generate(&mut rand::rngs::OsRng);
    let users: Vec<UserPreKeys> = request
        .users
        .iter()
        .map(|u| UserPreKeys {
            jid: u.jid.clone(),
            bundle: Ok(bundle(&identity)),
        })
        .collect();
    conn.send(&FetchPreKeys::response(&IqHeader::of(&iq).unwrap(), &users))
        .await;
    request.users.into_iter().map(|u| u.jid).collect()
}

fn message_ack(id: &str, error: Option<&str>) -> Node {
    Node::new("ack")
        .attr("id", id)
        .attr("class", "message")
        .attr("from", Jid::pn(PEER))
        .attr("t", "1700000100")
        .attr_opt("error", error)
}

/// A paired session of a fresh manager, logged in to `server` with `opts`.
async fn logged_in(
    server: &mut FakeServer,
    opts: SessionOptions,
) -> (Arc<SessionManager>, Arc<Session>, ServerConn) {
    let manager = manager(DriverTimings::default()).await;
    let session = manager.create_session("sam", Some(opts)).await.unwrap();
    make_paired(&session);
    session.connect().await.unwrap();
    let conn = accept_login(server).await;
    (manager, session, conn)
}

/// `send_text(PEER, text)` in the background.
fn send(session: &Arc<Session>, text: &'static str) -> JoinHandle<Result<Message, Error>> {
    let session = session.clone();
    tokio::spawn(async move { session.send_text(PEER, text).await })
}

#[tokio::test]
async fn sends_fan_out_once_and_map_the_ack() {
    let mut server = FakeServer::start().await;
    let opts = options(&server);
    let (_manager, session, mut conn) = logged_in(&mut server, opts).await;
    let events = session.events();

    // First send: usync, one bundle fetch for both devices, a nack.
    let sending = send(&session, "hi");
    answer_usync(&mut conn).await;
    let mut fetched = answer_bundles(&mut conn).await;
    fetched.sort_by_key(|j| j.to_string());
    assert_eq!(fetched, vec![Jid::pn(PEER), Jid::pn("15551234567")]);
    let stanza = OutgoingMessage::from_node(&conn.recv_tag("message").await).unwrap();
    assert_eq!(stanza.to, Jid::pn(PEER));
    assert_eq!(stanza.participants.len(), 2);
    assert!(
        stanza
            .participants
            .iter()
            .all(|p| p.enc.kind.as_str() == "pkmsg")
    );
    assert!(stanza.device_identity.is_some());
    conn.send(&message_ack(&stanza.id, Some("421"))).await;
    let err = sending.await.unwrap().unwrap_err();
    assert_eq!(err.code, ErrorCode::ServerError);
    assert_eq!(err.details.as_deref(), Some("421"));
    assert!(err.retryable);

    // Second send: the sessions exist, so no bundle fetch; accepted.
    let sending = send(&session, "again");
    answer_usync(&mut conn).await;
    let node = conn.recv_tag("message").await;
    let stanza = OutgoingMessage::from_node(&node).unwrap();
    assert_eq!(stanza.participants.len(), 2);
    conn.send(&message_ack(&stanza.id, None)).await;
    let sent = sending.await.unwrap().unwrap();
    assert_eq!(sent.id, stanza.id);
    assert_eq!(sent.status, MessageStatus::Sent);
    expect_event(
        &events,
        "message_sent",
        |e| matches!(&e.kind, EventKind::MessageSent { message } if message.id == stanza.id),
    )
    .await;
    session.disconnect().await.unwrap();
}

#[tokio::test]
async fn a_missing_ack_ends_in_a_timeout_not_a_hang() {
    let mut server = FakeServer::start().await;
    let mut opts = options(&server);
    opts.request_timeout_secs = 1;
    let (_manager, session, mut conn) = logged_in(&mut server, opts).await;
    let sending = send(&session, "anyone?");
    answer_usync(&mut conn).await;
    answer_bundles(&mut conn).await;
    conn.recv_tag("message").await;
    let err = sending.await.unwrap().unwrap_err();
    assert_eq!(err.code, ErrorCode::Timeout);
    session.disconnect().await.unwrap();
}
