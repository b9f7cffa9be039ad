//! The engine's public API against the in-process `openwa-simulator`: pairing by QR and by code
//! with a simulated phone, login, and removal of the device by the phone.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::sync::Arc;
use std::time::Duration;

use openwa::{
    ConnectionState, EventKind, EventStream, ManagerConfig, Session, SessionManager,
    SessionOptions, StateReason,
};
use openwa_simulator::{Simulator, SimulatorConfig, SimulatorHandle};

const WAIT: Duration = Duration::from_secs(20);

async fn start() -> (SimulatorHandle, Arc<SessionManager>) {
    let sim = Simulator::start(SimulatorConfig {
        tls_listen: None,
        ..SimulatorConfig::default()
    })
    .await
    .unwrap();
    let manager = SessionManager::open(ManagerConfig::default())
        .await
        .unwrap();
    (sim, manager)
}

async fn session(sim: &SimulatorHandle, manager: &SessionManager, id: &str) -> Arc<Session> {
    let options = SessionOptions {
        server_url: sim.info.ws_url.clone(),
        trust_root: sim.root_public_key().to_vec(),
        ..SessionOptions::default()
    };
    manager.create_session(id, Some(options)).await.unwrap()
}

async fn next_matching(events: &EventStream, pred: impl Fn(&EventKind) -> bool) -> EventKind {
    tokio::time::timeout(WAIT, async {
        loop {
            let event = events.next().await.unwrap();
            if pred(&event.kind) {
                return event.kind;
            }
        }
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn qr_pairing_login_and_device_removal_with_the_simulator() {
    let (sim, manager) = start().await;
    sim.create_account("15550000001", "Alice").unwrap();
    let session = session(&sim, &manager, "alice").await;
    let events = session.events();
    session.connect().await.unwrap();

    let EventKind::Qr { code, .. } =
        next_matching(&events, |k| matches!(k, EventKind::Qr { .. })).await
    else {
        unreachable!()
    };
    let linked = sim.sim().link_qr("15550000001", &code).await.unwrap();
    session
        .wait_for_state(ConnectionState::Connected, 20_000)
        .await
        .unwrap();
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
    let kind = next_matching(&events, |k| {
        matches!(
            k,
            EventKind::ConnectionState {
                state: ConnectionState::LoggedOut,
                ..
            }
        )
    })
    .await;
    assert!(matches!(
        kind,
        EventKind::ConnectionState {
            reason: StateReason::DeviceRemoved,
            ..
        }
    ));
    assert!(!session.is_paired());
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
