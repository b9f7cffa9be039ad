//! Persistence of sessions against the in-process simulator, on SQLite and on PostgreSQL: a
//! restarted manager resumes a paired session without a new QR; a logout or a removal by the
//! phone deletes the stored credentials, so the next run starts unpaired; a second manager on
//! the same database is refused until the first closes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] functions

use std::sync::Arc;

use openwa::{
    ConnectionState, ErrorCode, EventKind, ManagerConfig, Session, SessionManager, SessionOptions,
    StateReason,
};
use openwa_simulator::{PairedDevice, SimulatorHandle};
use openwa_testkit::{TestStore, link_by_qr, next_state, sim_options, simulator};

const PHONE: &str = "15550001001";

/// Creates session `id` on `manager` and links it to `PHONE` by QR.
async fn pair(
    sim: &SimulatorHandle,
    manager: &SessionManager,
    id: &str,
) -> (Arc<Session>, PairedDevice) {
    let session = manager.create_session(id, None).await.unwrap();
    let linked = link_by_qr(sim, &session, PHONE).await;
    (session, linked)
}

async fn restart_resumes_without_a_qr_then_logout(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(PHONE, "Alice").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let (alice, linked) = pair(&sim, &manager, "alice").await;
    manager.create_session("bob", None).await.unwrap();
    let before_restart = manager.last_seq();
    manager.close().await.unwrap();
    drop((alice, manager));

    // Second run: alice logs in by herself, as the same device, without a QR.
    let manager = store.open_manager(sim_options(&sim)).await;
    let alice = manager.get("alice").await.unwrap();
    alice
        .wait_for_state(ConnectionState::Connected, 30_000)
        .await
        .unwrap();
    assert_eq!(alice.info().jid.as_deref(), Some(linked.jid.as_str()));
    let bob = manager.get("bob").await.unwrap();
    assert!(!bob.is_paired());
    assert_eq!(bob.state(), ConnectionState::Disconnected);
    // The state changes in memory first; its event is logged a moment later.
    let logged_in = |replay: &[openwa::Event]| {
        replay.iter().any(|e| {
            e.session_id == "alice"
                && matches!(
                    e.kind,
                    EventKind::ConnectionState {
                        state: ConnectionState::Connected,
                        reason: StateReason::LoggedIn,
                        ..
                    }
                )
        })
    };
    let replay = tokio::time::timeout(openwa_testkit::WAIT, async {
        loop {
            let replay = manager.events_since(before_restart, 10_000).await.unwrap();
            if logged_in(&replay) {
                return replay;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the connected event was never logged");
    assert!(
        !replay
            .iter()
            .any(|e| matches!(e.kind, EventKind::Qr { .. }))
    );
    let devices = sim.devices(PHONE).unwrap();
    assert_eq!(devices.iter().filter(|d| d.device != 0).count(), 1);

    // Logout unlinks the device on the phone and deletes the stored credentials.
    alice.logout().await.unwrap();
    assert_eq!(alice.state(), ConnectionState::LoggedOut);
    assert!(
        !sim.devices(PHONE)
            .unwrap()
            .iter()
            .any(|d| d.device == linked.device)
    );
    manager.close().await.unwrap();
    drop((alice, bob, manager));

    let manager = store.open_manager(sim_options(&sim)).await;
    let alice = manager.get("alice").await.unwrap();
    assert!(!alice.is_paired());
    assert_eq!(alice.info().jid, None);
    assert_eq!(alice.state(), ConnectionState::Disconnected);
    manager.close().await.unwrap();
}

async fn device_removed_by_the_phone_is_remembered(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(PHONE, "Alice").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let (alice, linked) = pair(&sim, &manager, "alice").await;
    let events = alice.events();
    sim.sim().remove_device(PHONE, linked.device).unwrap();
    let (reason, _) = next_state(&events, ConnectionState::LoggedOut).await;
    assert_eq!(reason, StateReason::DeviceRemoved);
    manager.close().await.unwrap();
    drop((alice, manager));

    // The next run neither logs in nor asks for a QR by itself; connecting pairs afresh.
    let manager = store.open_manager(sim_options(&sim)).await;
    let alice = manager.get("alice").await.unwrap();
    assert!(!alice.is_paired());
    assert_eq!(alice.state(), ConnectionState::Disconnected);
    let relinked = link_by_qr(&sim, &alice, PHONE).await;
    assert_ne!(relinked.device, linked.device);
    manager.close().await.unwrap();
}

/// Two managers on one database would write the same sessions: the second is refused until the
/// first closes.
async fn a_second_manager_on_the_same_database_is_refused(store: Arc<TestStore>) {
    let first = store.open_manager(SessionOptions::default()).await;
    let second = SessionManager::open(ManagerConfig {
        store: store.config(),
        ..ManagerConfig::default()
    })
    .await;
    let Err(err) = second else {
        panic!("a second manager opened the same database");
    };
    assert_eq!(err.code, ErrorCode::Store, "{err}");
    assert!(err.message.contains("in use"), "{err}");
    assert!(!err.retryable);
    first.close().await.unwrap();
    let again = store.open_manager(SessionOptions::default()).await;
    again.close().await.unwrap();
}

openwa_store::on_every_backend!(persistent: [
    restart_resumes_without_a_qr_then_logout,
    device_removed_by_the_phone_is_remembered,
    a_second_manager_on_the_same_database_is_refused,
]);
