//! The engine's public API against the in-process `openwa-simulator`: pairing by QR and by code
//! with a simulated phone, login, and removal of the device by the phone.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::sync::Arc;

use openwa::{
    ConnectionState, ManagerConfig, Session, SessionManager, SessionOptions, StateReason,
};
use openwa_simulator::{Simulator, SimulatorConfig, SimulatorHandle};
use openwa_testkit::{link_by_qr, next_state, sim_options, simulator};

async fn start() -> (SimulatorHandle, Arc<SessionManager>) {
    let sim = simulator().await;
    let manager = SessionManager::open(ManagerConfig::default())
        .await
        .unwrap();
    (sim, manager)
}

async fn session(sim: &SimulatorHandle, manager: &SessionManager, id: &str) -> Arc<Session> {
    manager
        .create_session(id, Some(sim_options(sim)))
        .await
        .unwrap()
}

#[tokio::test]
async fn qr_pairing_login_and_device_removal_with_the_simulator() {
    let (sim, manager) = start().await;
    sim.create_account("15550000001", "Alice").unwrap();
    let session = session(&sim, &manager, "alice").await;
    let events = session.events();
    let linked = link_by_qr(&sim, &session, "15550000001").await;
    let info = session.info();
    assert_eq!(info.jid.as_deref(), Some(linked.jid.as_str()));
    assert!(session.is_paired());
    assert!(
        sim.devices("15550000001")
            .unwrap()
            .iter()
            .any(|d| d.device == linked.device)
    );

    // The phone removes the device: logged out, credentials gone.
    sim.sim()
        .remove_device("15550000001", linked.device)
        .unwrap();
    let (reason, _) = next_state(&events, ConnectionState::LoggedOut).await;
    assert_eq!(reason, StateReason::DeviceRemoved);
    assert!(!session.is_paired());
    manager.close().await.unwrap();
}

#[tokio::test]
async fn pairing_and_login_over_wss_trusting_the_simulator_certificate() {
    let sim = Simulator::start(SimulatorConfig::default()).await.unwrap();
    let manager = SessionManager::open(ManagerConfig::default())
        .await
        .unwrap();
    sim.create_account("15550000003", "Carol").unwrap();
    let wss_url = sim.info.wss_url.clone().unwrap();
    let options = SessionOptions {
        server_url: wss_url.clone(),
        trust_root: sim.root_public_key().to_vec(),
        tls_extra_roots_pem: Some(sim.tls_cert_pem().to_owned()),
        ..SessionOptions::default()
    };
    let session = manager
        .create_session("carol", Some(options.clone()))
        .await
        .unwrap();
    // Pairing, the 515 restart and the login all run over TLS.
    let linked = link_by_qr(&sim, &session, "15550000003").await;
    assert_eq!(session.info().jid.as_deref(), Some(linked.jid.as_str()));

    // Another certificate (or none: the platform roots do not know the simulator's) is refused
    // with a typed error and not retried.
    let other_cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .unwrap()
        .cert
        .pem();
    for (id, extra) in [("wrong", Some(other_cert)), ("platform", None)] {
        let untrusting = manager
            .create_session(
                id,
                Some(SessionOptions {
                    tls_extra_roots_pem: extra,
                    ..options.clone()
                }),
            )
            .await
            .unwrap();
        let events = untrusting.events();
        untrusting.connect().await.unwrap();
        let (reason, detail) = next_state(&events, ConnectionState::Disconnected).await;
        assert_eq!(reason, StateReason::HandshakeFailed, "{id}");
        assert!(
            detail
                .as_deref()
                .unwrap()
                .starts_with("TLS certificate not trusted"),
            "{id}: {detail:?}"
        );
    }
    manager.close().await.unwrap();
}

#[tokio::test]
async fn code_pairing_with_the_simulator() {
    let (sim, manager) = start().await;
    sim.create_account("15550000002", "Bob").unwrap();
    let session = session(&sim, &manager, "bob").await;
    session.connect().await.unwrap();
    session
        .wait_for_state(ConnectionState::WaitingForQr, 20_000)
        .await
        .unwrap();
    let code = session.pair_with_code("+1 555 000 0002").await.unwrap();
    let linked = sim.sim().link_code("15550000002", &code).await.unwrap();
    session
        .wait_for_state(ConnectionState::Connected, 20_000)
        .await
        .unwrap();
    assert_eq!(session.info().jid.as_deref(), Some(linked.jid.as_str()));
    manager.close().await.unwrap();
}
