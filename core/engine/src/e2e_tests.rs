//! End-to-end tests of sessions over real sockets against the scripted [`FakeServer`].

use std::sync::Arc;
use std::time::Duration;

use openwa_protocol::crypto::KeyPair;
use openwa_protocol::pairing::QrCode;
use openwa_protocol::pairing::adv::{issue_device_identity, verify_companion_reply};
use openwa_protocol::pairing::code::{PairCode, PrimaryCodePairing};
use openwa_protocol::payload::ClientKind;
use openwa_protocol::proto::adv::AdvDeviceIdentity;
use openwa_protocol::stanza::{
    Failure, IqHeader, IqSpec, LinkCodeCompanionFinish, LinkCodeCompanionHello,
    LinkCodePrimaryHello, PairDevice, PairSuccess, StreamError, Success,
};
use openwa_protocol::{Jid, Node};

use crate::config::{ManagerConfig, SessionOptions};
use crate::connection::driver::DriverTimings;
use crate::connection::policy::Backoff;
use crate::credentials::PairedDevice;
use crate::event::{ConnectionState, EventKind, StateReason};
use crate::testing::{FakeServer, ServerConn, expect_event, expect_state};
use crate::{ErrorCode, Session, SessionManager};

pub(crate) async fn manager(timings: DriverTimings) -> Arc<SessionManager> {
    SessionManager::open_with(
        ManagerConfig::default(),
        timings,
        Backoff {
            base: Duration::from_millis(20),
            max: Duration::from_millis(80),
        },
    )
    .await
    .unwrap()
}

pub(crate) fn options(server: &FakeServer) -> SessionOptions {
    SessionOptions {
        server_url: server.url.clone(),
        trust_root: server.root.to_vec(),
        request_timeout_secs: 5,
        ..SessionOptions::default()
    }
}

fn own_jid() -> Jid {
    Jid::with_device("15551234567", "s.whatsapp.net", 7)
}

fn own_lid() -> Jid {
    Jid::with_device("987654321", "lid", 7)
}

/// Marks a session as paired without going through pairing.
pub(crate) fn make_paired(session: &Session) {
    session.shared().update_credentials(|c| {
        c.paired = Some(PairedDevice {
            jid: own_jid(),
            lid: Some(own_lid()),
            account: Vec::new(),
            account_signature_key: [9; 32],
            platform: None,
            business_name: None,
        });
    });
}

/// Accepts the next connection as a login of the paired device and sends `<success>`.
pub(crate) async fn accept_login(server: &mut FakeServer) -> ServerConn {
    let mut conn = server.next_conn().await;
    match &conn.kind {
        ClientKind::Login(login) => {
            assert_eq!(login.username, 15_551_234_567);
            assert_eq!(login.device, 7);
            assert!(login.passive && login.pull);
        }
        other => panic!("expected a login, got {other:?}"),
    }
    conn.send(
        &Success {
            t: 1_700_000_000,
            lid: Some(Jid::lid("987654321")),
        }
        .to_node(),
    )
    .await;
    // The engine announces itself active.
    let active = conn.recv_iq_with("active").await;
    assert_eq!(active.attr_str("xmlns").as_deref(), Some("passive"));
    let header = IqHeader::of(&active).unwrap();
    conn.send(&header.result(Vec::new())).await;
    conn
}

#[tokio::test]
async fn qr_pairing_then_login_end_to_end() {
    let mut server = FakeServer::start().await;
    let manager = manager(DriverTimings::default()).await;
    let session = manager
        .create_session("alice", Some(options(&server)))
        .await
        .unwrap();
    let events = session.events();
    session.connect().await.unwrap();
    expect_state(&events, ConnectionState::Connecting, StateReason::Requested).await;

    // 1. A registering client: no <success>, but pair-device with refs.
    let mut conn = server.next_conn().await;
    let ClientKind::Registration(registration) = &conn.kind else {
        panic!("expected a registration payload");
    };
    let companion_identity = registration.identity_key;
    let refs = vec![b"ref-one".to_vec(), b"ref-two".to_vec()];
    conn.send(&PairDevice { refs }.request_with_id("pd-1"))
        .await;
    let ack = conn.recv_tag("iq").await;
    assert_eq!(ack.attr_str("id").as_deref(), Some("pd-1"));
    assert_eq!(ack.attr_str("type").as_deref(), Some("result"));

    expect_state(
        &events,
        ConnectionState::WaitingForQr,
        StateReason::QrRequired,
    )
    .await;
    let qr_event = expect_event(&events, "qr", |e| matches!(e.kind, EventKind::Qr { .. })).await;
    let EventKind::Qr { code, timeout_secs } = qr_event.kind else {
        unreachable!()
    };
    assert_eq!(timeout_secs, 60);
    // 2. The "phone" scans: the QR carries the ref and the keys the client registered with.
    let qr = QrCode::parse(&code).unwrap();
    assert_eq!(qr.reference(), "ref-one");
    assert_eq!(qr.noise_public(), &conn.client_static);
    assert_eq!(qr.identity_public(), &companion_identity);
    assert_eq!(qr.platform(), Some("1"));
    crate::qr::qr_terminal(&code).unwrap();

    let account = KeyPair::generate(&mut rand::rngs::OsRng);
    let details = AdvDeviceIdentity {
        raw_id: Some(42),
        timestamp: Some(1_700_000_000),
        key_index: Some(3),
        ..Default::default()
    };
    let issued = issue_device_identity(
        &details,
        &account,
        qr.identity_public(),
        qr.adv_secret(),
        &mut rand::rngs::OsRng,
    );
    let success = PairSuccess {
        t: Some(1_700_000_000),
        device_identity: issued.container.clone(),
        device: own_jid(),
        lid: Some(own_lid()),
        platform: Some("android".into()),
        business_name: None,
        client_props: None,
    };
    conn.send(&success.request_with_id("ps-1")).await;
    let reply = conn.recv_iq_with("pair-device-sign").await;
    let sign = PairSuccess::parse_response(&reply).unwrap();
    assert_eq!(sign.key_index, 3);
    verify_companion_reply(&sign.device_identity, &issued.signed, &companion_identity).unwrap();

    let paired = expect_event(&events, "paired", |e| {
        matches!(e.kind, EventKind::Paired { .. })
    })
    .await;
    assert_eq!(
        paired.kind,
        EventKind::Paired {
            jid: "15551234567:7@s.whatsapp.net".into(),
            lid: Some("987654321:7@lid".into()),
            platform: Some("android".into()),
            business_name: None,
        }
    );
    // 3. Restart required: the client reconnects at once and logs in.
    conn.send(&StreamError::RestartRequired.to_node()).await;
    conn.closed().await;
    expect_state(
        &events,
        ConnectionState::Connecting,
        StateReason::StreamRestart,
    )
    .await;
    let mut conn = accept_login(&mut server).await;
    expect_state(&events, ConnectionState::Connected, StateReason::LoggedIn).await;
    let info = session.info();
    assert_eq!(info.jid.as_deref(), Some("15551234567:7@s.whatsapp.net"));
    assert_eq!(info.lid.as_deref(), Some("987654321:7@lid"));
    assert!(session.is_paired());

    // IQs from the application reach the server and get their answers.
    let shared = session.shared().clone();
    let request = tokio::spawn(async move {
        shared
            .iq(Node::new("iq")
                .attr("to", Jid::server())
                .attr("type", "get")
                .attr("xmlns", "test"))
            .await
    });
    let iq = conn.recv_tag("iq").await;
    assert_eq!(iq.attr_str("xmlns").as_deref(), Some("test"));
    let header = IqHeader::of(&iq).unwrap();
    conn.send(&header.error(&openwa_protocol::stanza::IqError::not_found()))
        .await;
    let err = request.await.unwrap().unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(err.details.as_deref(), Some("404"));

    session.disconnect().await.unwrap();
    expect_state(
        &events,
        ConnectionState::Disconnected,
        StateReason::Requested,
    )
    .await;
    conn.closed().await;
    assert!(session.is_paired(), "disconnect keeps credentials");

    // The event log has everything, in order.
    let replay = manager.events_since(0, 1000).await.unwrap();
    assert!(replay.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(
        replay
            .iter()
            .any(|e| matches!(e.kind, EventKind::Paired { .. }))
    );
}

#[tokio::test]
async fn qr_refs_running_out_ends_with_qr_timeout() {
    let mut server = FakeServer::start().await;
    let timings = DriverTimings {
        qr_first: Duration::from_millis(30),
        qr_next: Duration::from_millis(30),
        ..DriverTimings::default()
    };
    let manager = manager(timings).await;
    let session = manager
        .create_session("bob", Some(options(&server)))
        .await
        .unwrap();
    let events = session.events();
    session.connect().await.unwrap();
    let mut conn = server.next_conn().await;
    conn.send(
        &PairDevice {
            refs: vec![b"r1".to_vec(), b"r2".to_vec()],
        }
        .request_with_id("pd"),
    )
    .await;
    let mut refs = Vec::new();
    for _ in 0..2 {
        let event = expect_event(&events, "qr", |e| matches!(e.kind, EventKind::Qr { .. })).await;
        if let EventKind::Qr { code, .. } = event.kind {
            refs.push(QrCode::parse(&code).unwrap().reference().to_owned());
        }
    }
    assert_eq!(refs, ["r1", "r2"]);
    let end = expect_state(
        &events,
        ConnectionState::Disconnected,
        StateReason::QrTimeout,
    )
    .await;
    conn.closed().await;
    // No automatic reconnect after a QR timeout.
    assert_eq!(session.state(), ConnectionState::Disconnected);
    let later = manager.events_since(end.seq, 100).await.unwrap();
    assert!(later.is_empty(), "{later:?}");
}

#[tokio::test]
async fn pairing_by_code_end_to_end() {
    let mut server = FakeServer::start().await;
    let manager = manager(DriverTimings::default()).await;
    let session = manager
        .create_session("carol", Some(options(&server)))
        .await
        .unwrap();
    let events = session.events();
    assert_eq!(
        session
            .pair_with_code("15551234567")
            .await
            .unwrap_err()
            .code,
        ErrorCode::NotConnected
    );
    assert_eq!(
        session.pair_with_code("12ab").await.unwrap_err().code,
        ErrorCode::InvalidArgument
    );
    session.connect().await.unwrap();
    let mut conn = server.next_conn().await;
    let ClientKind::Registration(registration) = &conn.kind else {
        panic!("expected a registration payload");
    };
    let companion_identity = registration.identity_key;
    conn.send(
        &PairDevice {
            refs: vec![b"r".to_vec()],
        }
        .request_with_id("pd"),
    )
    .await;
    expect_state(
        &events,
        ConnectionState::WaitingForQr,
        StateReason::QrRequired,
    )
    .await;

    let session2 = session.clone();
    let code_task = tokio::spawn(async move { session2.pair_with_code("+1 555 123 4567").await });
    let hello_iq = conn.recv_iq_with("link_code_companion_reg").await;
    let (header, hello) = LinkCodeCompanionHello::parse_request(&hello_iq).unwrap();
    assert_eq!(hello.phone, Jid::pn("15551234567"));
    assert_eq!(
        hello.companion_server_auth_key_pub,
        conn.client_static.to_vec()
    );
    assert_eq!(hello.companion_platform_display, "Chrome (Mac OS)");
    conn.send(&LinkCodeCompanionHello::response(
        &header,
        &b"pairing-ref".to_vec(),
    ))
    .await;
    let code = code_task.await.unwrap().unwrap();
    assert_eq!(code.len(), 9);
    assert_eq!(&code[4..5], "-");
    let event = expect_event(&events, "pairing code", |e| {
        matches!(e.kind, EventKind::PairingCode { .. })
    })
    .await;
    assert_eq!(event.kind, EventKind::PairingCode { code: code.clone() });

    // The phone: the user typed the code.
    let typed = PairCode::parse(&code.replace('-', "")).unwrap();
    let (primary, wrapped_primary) = PrimaryCodePairing::respond(
        &typed,
        &hello.wrapped_companion_ephemeral_pub,
        &mut rand::rngs::OsRng,
    )
    .unwrap();
    let account = KeyPair::generate(&mut rand::rngs::OsRng);
    let notification = Node::new("notification")
        .attr("id", "n-1")
        .attr("from", Jid::server())
        .attr("type", "link_code_companion_reg")
        .child(
            LinkCodePrimaryHello {
                pairing_ref: b"pairing-ref".to_vec(),
                wrapped_primary_ephemeral_pub: wrapped_primary.to_vec(),
                primary_identity_pub: account.public.to_vec(),
            }
            .to_node(),
        );
    conn.send(&notification).await;
    let ack = conn.recv_tag("ack").await;
    assert_eq!(ack.attr_str("id").as_deref(), Some("n-1"));
    assert_eq!(ack.attr_str("class").as_deref(), Some("notification"));
    let finish_iq = conn.recv_iq_with("link_code_companion_reg").await;
    let (header, finish) = LinkCodeCompanionFinish::parse_request(&finish_iq).unwrap();
    assert_eq!(finish.pairing_ref, b"pairing-ref");
    assert_eq!(
        finish.companion_identity_public,
        companion_identity.to_vec()
    );
    conn.send(&header.result(Vec::new())).await;
    let adv_secret = primary
        .finish(&finish.wrapped_key_bundle, &companion_identity, &account)
        .unwrap();
    expect_state(
        &events,
        ConnectionState::Pairing,
        StateReason::PairingStarted,
    )
    .await;

    // pair-success HMAC'd with the secret derived from the code exchange.
    let details = AdvDeviceIdentity {
        raw_id: Some(1),
        timestamp: Some(1_700_000_000),
        key_index: Some(1),
        ..Default::default()
    };
    let issued = issue_device_identity(
        &details,
        &account,
        &companion_identity,
        &adv_secret,
        &mut rand::rngs::OsRng,
    );
    let success = PairSuccess {
        t: None,
        device_identity: issued.container,
        device: own_jid(),
        lid: None,
        platform: None,
        business_name: None,
        client_props: None,
    };
    conn.send(&success.request_with_id("ps")).await;
    let reply = conn.recv_iq_with("pair-device-sign").await;
    let sign = PairSuccess::parse_response(&reply).unwrap();
    verify_companion_reply(&sign.device_identity, &issued.signed, &companion_identity).unwrap();
    expect_event(&events, "paired", |e| {
        matches!(e.kind, EventKind::Paired { .. })
    })
    .await;
    assert!(session.is_paired());
    session.disconnect().await.unwrap();
}

#[tokio::test]
async fn bad_pair_success_is_refused_and_keeps_the_session_unpaired() {
    let mut server = FakeServer::start().await;
    let manager = manager(DriverTimings::default()).await;
    let session = manager
        .create_session("mallory", Some(options(&server)))
        .await
        .unwrap();
    let events = session.events();
    session.connect().await.unwrap();
    let mut conn = server.next_conn().await;
    let ClientKind::Registration(registration) = &conn.kind else {
        panic!("expected a registration payload");
    };
    let account = KeyPair::generate(&mut rand::rngs::OsRng);
    // Signed for the right identity but HMAC'd with the wrong adv secret.
    let issued = issue_device_identity(
        &AdvDeviceIdentity {
            key_index: Some(1),
            ..Default::default()
        },
        &account,
        &registration.identity_key,
        &[0u8; 32],
        &mut rand::rngs::OsRng,
    );
    let success = PairSuccess {
        t: None,
        device_identity: issued.container,
        device: own_jid(),
        lid: None,
        platform: None,
        business_name: None,
        client_props: None,
    };
    conn.send(&success.request_with_id("ps")).await;
    let reply = conn.recv_tag("iq").await;
    assert_eq!(reply.attr_str("type").as_deref(), Some("error"));
    let error = reply.get_child("error").unwrap();
    assert_eq!(error.attr_str("code").as_deref(), Some("401"));
    let end = expect_event(&events, "disconnect", |e| {
        matches!(
            e.kind,
            EventKind::ConnectionState {
                state: ConnectionState::Disconnected,
                ..
            }
        )
    })
    .await;
    assert!(matches!(
        end.kind,
        EventKind::ConnectionState { reason: StateReason::PairingFailed, detail: Some(ref d), will_reconnect: false, .. } if d.contains("pairing failed")
    ));
    assert!(!session.is_paired());
}

#[tokio::test]
async fn device_removed_logs_out_and_deletes_credentials() {
    let mut server = FakeServer::start().await;
    let manager = manager(DriverTimings::default()).await;
    let session = manager
        .create_session("dave", Some(options(&server)))
        .await
        .unwrap();
    make_paired(&session);
    let noise_before = session.shared().with_credentials(|c| c.noise_key.public);
    let events = session.events();
    session.connect().await.unwrap();
    let mut conn = accept_login(&mut server).await;
    assert_eq!(conn.client_static, noise_before);
    expect_state(&events, ConnectionState::Connected, StateReason::LoggedIn).await;
    conn.send(&StreamError::DeviceRemoved.to_node()).await;
    expect_state(
        &events,
        ConnectionState::LoggedOut,
        StateReason::DeviceRemoved,
    )
    .await;
    assert!(!session.is_paired());
    let noise_after = session.shared().with_credentials(|c| c.noise_key.public);
    assert_ne!(noise_before, noise_after, "fresh keys for the next pairing");
    // Connecting again starts a new registration. The runner publishes its last state before
    // it ends, and `connect()` leaves a runner that has not ended alone: wait for it first.
    session.disconnect().await.unwrap();
    session.connect().await.unwrap();
    let conn = server.next_conn().await;
    assert!(matches!(conn.kind, ClientKind::Registration(_)));
    session.disconnect().await.unwrap();
}

#[tokio::test]
async fn transient_failures_reconnect_and_keep_credentials() {
    let mut server = FakeServer::start().await;
    let manager = manager(DriverTimings::default()).await;
    let session = manager
        .create_session("erin", Some(options(&server)))
        .await
        .unwrap();
    make_paired(&session);
    let events = session.events();
    session.connect().await.unwrap();

    // 503: back off, then reconnect and log in again with the same credentials.
    let mut conn = accept_login(&mut server).await;
    expect_state(&events, ConnectionState::Connected, StateReason::LoggedIn).await;
    conn.send(&StreamError::ServiceUnavailable.to_node()).await;
    expect_state(
        &events,
        ConnectionState::Disconnected,
        StateReason::ServerUnavailable,
    )
    .await;
    expect_state(
        &events,
        ConnectionState::Connecting,
        StateReason::Reconnecting,
    )
    .await;

    // A dropped socket (no stream error at all).
    let conn = accept_login(&mut server).await;
    expect_state(&events, ConnectionState::Connected, StateReason::LoggedIn).await;
    drop(conn);
    expect_state(
        &events,
        ConnectionState::Disconnected,
        StateReason::NetworkError,
    )
    .await;

    // A login failure that is not a logout (500): retried.
    let mut conn = server.next_conn().await;
    conn.send(&Failure::new(500).to_node()).await;
    expect_state(
        &events,
        ConnectionState::Disconnected,
        StateReason::ServerError,
    )
    .await;

    // The server ends the stream: retried.
    let mut conn2 = accept_login(&mut server).await;
    expect_state(&events, ConnectionState::Connected, StateReason::LoggedIn).await;
    conn2.send(&Node::new("xmlstreamend")).await;
    expect_state(
        &events,
        ConnectionState::Disconnected,
        StateReason::NetworkError,
    )
    .await;
    let _conn = accept_login(&mut server).await;
    expect_state(&events, ConnectionState::Connected, StateReason::LoggedIn).await;
    assert!(
        session.is_paired(),
        "transient errors never delete credentials"
    );
    session.disconnect().await.unwrap();
    drop(conn);
}

#[tokio::test]
async fn a_reconnect_limit_ends_reconnecting() {
    let mut server = FakeServer::start().await;
    let manager = manager(DriverTimings::default()).await;
    let session = manager
        .create_session("limit", Some(options(&server)))
        .await
        .unwrap();
    assert_eq!(
        session.reconnect_policy(),
        crate::ReconnectPolicy::default()
    );
    let bad = crate::ReconnectPolicy {
        base_delay_ms: 5,
        max_attempts: None,
    };
    assert_eq!(
        session.set_reconnect_policy(bad).await.unwrap_err().code,
        ErrorCode::InvalidArgument
    );
    let policy = crate::ReconnectPolicy {
        base_delay_ms: 100,
        max_attempts: Some(1),
    };
    session.set_reconnect_policy(policy).await.unwrap();
    assert_eq!(session.reconnect_policy(), policy);
    make_paired(&session);
    let events = session.events();
    session.connect().await.unwrap();

    // One failure after a login: one reconnect attempt.
    let mut conn = accept_login(&mut server).await;
    expect_state(&events, ConnectionState::Connected, StateReason::LoggedIn).await;
    conn.send(&StreamError::ServiceUnavailable.to_node()).await;
    expect_state(
        &events,
        ConnectionState::Connecting,
        StateReason::Reconnecting,
    )
    .await;
    // That attempt fails too: the limit is reached, the session stops.
    let mut conn = server.next_conn().await;
    conn.send(&Failure::new(500).to_node()).await;
    expect_state(
        &events,
        ConnectionState::Disconnected,
        StateReason::ReconnectLimit,
    )
    .await;
    assert_eq!(session.state(), ConnectionState::Disconnected);
    assert!(session.is_paired(), "giving up keeps the credentials");
    // connect() starts again.
    session.connect().await.unwrap();
    let _conn = accept_login(&mut server).await;
    expect_state(&events, ConnectionState::Connected, StateReason::LoggedIn).await;
    session.disconnect().await.unwrap();
}

#[tokio::test]
async fn final_failures_stop_reconnecting() {
    for (case, node, state, reason, paired_after) in [
        (
            "replaced",
            StreamError::Replaced.to_node(),
            ConnectionState::Disconnected,
            StateReason::Replaced,
            true,
        ),
        (
            "login-401",
            Failure::new(401).to_node(),
            ConnectionState::LoggedOut,
            StateReason::LoginRejected,
            false,
        ),
        (
            "banned",
            Failure::new(402).to_node(),
            ConnectionState::Disconnected,
            StateReason::Banned,
            true,
        ),
    ] {
        let mut server = FakeServer::start().await;
        let manager = manager(DriverTimings::default()).await;
        let session = manager
            .create_session(case, Some(options(&server)))
            .await
            .unwrap();
        make_paired(&session);
        let events = session.events();
        session.connect().await.unwrap();
        let mut conn = server.next_conn().await;
        conn.send(&node).await;
        let end = expect_state(&events, state, reason).await;
        conn.closed().await;
        assert_eq!(session.is_paired(), paired_after, "{case}");
        assert_eq!(session.state(), state, "{case}");
        assert!(
            manager.events_since(end.seq, 10).await.unwrap().is_empty(),
            "{case}: nothing after a final failure"
        );
    }
}

#[tokio::test]
async fn unanswered_keepalives_reconnect() {
    let mut server = FakeServer::start().await;
    let timings = DriverTimings {
        keepalive_min: Duration::from_millis(20),
        keepalive_max: Duration::from_millis(40),
        keepalive_timeout: Duration::from_millis(500),
        keepalive_max_failures: 2,
        ..DriverTimings::default()
    };
    let manager = manager(timings).await;
    let session = manager
        .create_session("frank", Some(options(&server)))
        .await
        .unwrap();
    make_paired(&session);
    let events = session.events();
    session.connect().await.unwrap();
    let mut conn = accept_login(&mut server).await;
    expect_state(&events, ConnectionState::Connected, StateReason::LoggedIn).await;
    // Pings arrive (w:p with <ping/>); the server ignores them.
    for _ in 0..2 {
        let ping = conn.recv().await.unwrap();
        assert_eq!(ping.attr_str("xmlns").as_deref(), Some("w:p"));
        assert!(ping.get_child("ping").is_some());
    }
    expect_state(
        &events,
        ConnectionState::Disconnected,
        StateReason::KeepaliveTimeout,
    )
    .await;
    let mut conn = accept_login(&mut server).await;
    let connected = expect_state(&events, ConnectionState::Connected, StateReason::LoggedIn).await;
    // Answered pings keep the connection: five answered pings later it is still up.
    for _ in 0..5 {
        let ping = conn.recv().await.unwrap();
        assert_eq!(ping.attr_str("xmlns").as_deref(), Some("w:p"));
        conn.send(&IqHeader::of(&ping).unwrap().result(Vec::new()))
            .await;
    }
    let since = manager.events_since(connected.seq, 100).await.unwrap();
    assert!(since.is_empty(), "{since:?}");
    assert_eq!(session.state(), ConnectionState::Connected);
    session.disconnect().await.unwrap();
    conn.closed().await;
}

#[tokio::test]
async fn wrong_trust_root_fails_the_handshake_without_retry() {
    let server = FakeServer::start().await;
    let manager = manager(DriverTimings::default()).await;
    let mut opts = options(&server);
    opts.trust_root = vec![7; 32];
    let session = manager.create_session("gina", Some(opts)).await.unwrap();
    let events = session.events();
    session.connect().await.unwrap();
    let end = expect_state(
        &events,
        ConnectionState::Disconnected,
        StateReason::HandshakeFailed,
    )
    .await;
    assert!(
        matches!(end.kind, EventKind::ConnectionState { detail: Some(ref d), .. } if d.contains("certificate"))
    );
    assert!(manager.events_since(end.seq, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn logout_tells_the_server_and_deletes_credentials() {
    let mut server = FakeServer::start().await;
    let manager = manager(DriverTimings::default()).await;
    let session = manager
        .create_session("hank", Some(options(&server)))
        .await
        .unwrap();
    make_paired(&session);
    let events = session.events();
    session.connect().await.unwrap();
    let mut conn = accept_login(&mut server).await;
    expect_state(&events, ConnectionState::Connected, StateReason::LoggedIn).await;
    let session2 = session.clone();
    let logout = tokio::spawn(async move { session2.logout().await });
    let remove = conn.recv_iq_with("remove-companion-device").await;
    let child = remove.get_child("remove-companion-device").unwrap();
    assert_eq!(child.attr_jid("jid"), Some(own_jid()));
    assert_eq!(child.attr_str("reason").as_deref(), Some("user_initiated"));
    conn.send(&IqHeader::of(&remove).unwrap().result(Vec::new()))
        .await;
    logout.await.unwrap().unwrap();
    expect_state(&events, ConnectionState::LoggedOut, StateReason::Requested).await;
    assert!(!session.is_paired());
    conn.closed().await;
}

#[tokio::test]
async fn receipts_become_events_and_are_acked() {
    let mut server = FakeServer::start().await;
    let manager = manager(DriverTimings::default()).await;
    let session = manager
        .create_session("ivy", Some(options(&server)))
        .await
        .unwrap();
    make_paired(&session);
    let events = session.events();
    session.connect().await.unwrap();
    let mut conn = accept_login(&mut server).await;
    let receipt = Node::new("receipt")
        .attr("id", "3EB0A")
        .attr("from", Jid::with_device("15550000002", "s.whatsapp.net", 1))
        .attr("type", "read")
        .attr("t", "1700000001")
        .child(Node::new("list").child(Node::new("item").attr("id", "3EB0B")));
    conn.send(&receipt).await;
    let ack = conn.recv_tag("ack").await;
    assert_eq!(ack.attr_str("id").as_deref(), Some("3EB0A"));
    assert_eq!(ack.attr_str("class").as_deref(), Some("receipt"));
    let event = expect_event(&events, "receipt", |e| {
        matches!(e.kind, EventKind::Receipt { .. })
    })
    .await;
    assert_eq!(
        event.kind,
        EventKind::Receipt {
            chat: "15550000002@s.whatsapp.net".into(),
            sender: "15550000002:1@s.whatsapp.net".into(),
            message_ids: vec!["3EB0A".into(), "3EB0B".into()],
            receipt: crate::ReceiptKind::Read,
            timestamp: 1_700_000_001,
        }
    );
    session.disconnect().await.unwrap();
}

#[tokio::test]
async fn manager_api_contract() {
    let manager = SessionManager::open(ManagerConfig::default())
        .await
        .unwrap();
    for bad in ["", "a b", "x/y", &"x".repeat(65)] {
        assert_eq!(
            manager.create_session(bad, None).await.unwrap_err().code,
            ErrorCode::InvalidArgument
        );
    }
    let a = manager.create_session("a", None).await.unwrap();
    manager.create_session("b", None).await.unwrap();
    assert_eq!(
        manager.create_session("a", None).await.unwrap_err().code,
        ErrorCode::AlreadyExists
    );
    assert!(Arc::ptr_eq(&a, &manager.get("a").await.unwrap()));
    let list = manager.list().await.unwrap();
    assert_eq!(
        list.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert!(
        list.iter()
            .all(|s| s.state == ConnectionState::Disconnected && s.jid.is_none())
    );
    manager.delete("a").await.unwrap();
    assert_eq!(
        manager.get("a").await.unwrap_err().code,
        ErrorCode::NotFound
    );
    assert_eq!(
        manager.delete("a").await.unwrap_err().code,
        ErrorCode::NotFound
    );
    let bad_options = SessionOptions {
        server_url: "http://x".into(),
        ..SessionOptions::default()
    };
    assert_eq!(
        manager
            .create_session("c", Some(bad_options))
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidArgument
    );
    // Logout of a never-connected session: local only.
    let b = manager.get("b").await.unwrap();
    make_paired(&b);
    b.logout().await.unwrap();
    assert!(!b.is_paired());
    assert_eq!(b.state(), ConnectionState::LoggedOut);
}

fn sqlite_config(dir: &std::path::Path, server: &FakeServer) -> ManagerConfig {
    ManagerConfig {
        store: crate::StoreConfig {
            backend: crate::StoreBackend::Sqlite {
                path: dir.join("openwa.db"),
            },
            at_rest_key: Some(crate::AtRestKey::File {
                path: dir.join("openwa.key"),
            }),
        },
        default_session_options: options(server),
        ..ManagerConfig::default()
    }
}

pub(crate) async fn open_sqlite(dir: &std::path::Path, server: &FakeServer) -> Arc<SessionManager> {
    SessionManager::open_with(
        sqlite_config(dir, server),
        DriverTimings::default(),
        Backoff::default(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_restarted_manager_resumes_paired_sessions_without_a_qr() {
    let dir = std::env::temp_dir().join(format!(
        "openwa-engine-restart-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut server = FakeServer::start().await;

    // First run: pair "alice" by QR (scripted phone), keep "bob" unpaired.
    let manager = open_sqlite(&dir, &server).await;
    let alice = manager.create_session("alice", None).await.unwrap();
    manager.create_session("bob", None).await.unwrap();
    let events = alice.events();
    alice.connect().await.unwrap();
    let mut conn = server.next_conn().await;
    conn.send(
        &PairDevice {
            refs: vec![b"r".to_vec()],
        }
        .request_with_id("pd"),
    )
    .await;
    let qr = expect_event(&events, "qr", |e| matches!(e.kind, EventKind::Qr { .. })).await;
    let EventKind::Qr { code, .. } = qr.kind else {
        unreachable!()
    };
    let qr = QrCode::parse(&code).unwrap();
    let account = KeyPair::generate(&mut rand::rngs::OsRng);
    let issued = issue_device_identity(
        &AdvDeviceIdentity {
            key_index: Some(2),
            ..Default::default()
        },
        &account,
        qr.identity_public(),
        qr.adv_secret(),
        &mut rand::rngs::OsRng,
    );
    let success = PairSuccess {
        t: None,
        device_identity: issued.container,
        device: own_jid(),
        lid: Some(own_lid()),
        platform: Some("android".into()),
        business_name: None,
        client_props: None,
    };
    conn.send(&success.request_with_id("ps")).await;
    conn.recv_iq_with("pair-device-sign").await;
    let paired_noise_key = conn.client_static;
    expect_event(&events, "paired", |e| {
        matches!(e.kind, EventKind::Paired { .. })
    })
    .await;
    conn.send(&StreamError::RestartRequired.to_node()).await;
    let _conn = accept_login(&mut server).await;
    expect_state(&events, ConnectionState::Connected, StateReason::LoggedIn).await;
    let last_seq = manager.last_seq();
    manager.close().await.unwrap();
    drop(alice);
    drop(manager);

    // Second run: both sessions come back; alice logs in by herself with the same noise key.
    let manager = open_sqlite(&dir, &server).await;
    let list = manager.list().await.unwrap();
    assert_eq!(
        list.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["alice", "bob"]
    );
    assert_eq!(list[0].jid.as_deref(), Some("15551234567:7@s.whatsapp.net"));
    assert_eq!(list[1].jid, None);
    let conn = accept_login(&mut server).await;
    assert_eq!(conn.client_static, paired_noise_key);
    let alice = manager.get("alice").await.unwrap();
    alice
        .wait_for_state(ConnectionState::Connected, 10_000)
        .await
        .unwrap();
    // The persistent event log kept the first run's events and continues their seqs.
    let replay = manager.events_since(0, 10_000).await.unwrap();
    assert!(
        replay
            .iter()
            .any(|e| matches!(e.kind, EventKind::Paired { .. }))
    );
    assert!(replay.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(manager.last_seq() > last_seq);
    // Deleting removes the stored session too.
    manager.delete("bob").await.unwrap();
    manager.close().await.unwrap();
    drop(manager);
    let manager = open_sqlite(&dir, &server).await;
    let ids: Vec<String> = manager
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, ["alice"]);
    let _conn = accept_login(&mut server).await;
    manager.close().await.unwrap();
    drop(conn);

    // A wrong at-rest key is a clear store error.
    std::fs::write(dir.join("openwa.key"), "00".repeat(32)).unwrap();
    let err = SessionManager::open(sqlite_config(&dir, &server))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Store);
    assert!(err.message.contains("key"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
