//! 200 sessions in one manager against the in-process simulator: all pair by QR (in parallel)
//! and connect; after a restart of the manager all of them are restored and connected without
//! a QR.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::sync::Arc;

use futures_util::future::join_all;
use openwa::{ConnectionState, EventKind, SessionManager};
use openwa_simulator::SimulatorHandle;
use openwa_testkit::{Backend, TestStore, link_by_qr, sim_options, simulator};

const SESSIONS: usize = 200;

fn phone(i: usize) -> String {
    format!("1555{i:07}")
}

/// Connects session `i` and links it to its own account by QR.
async fn pair_one(sim: Arc<SimulatorHandle>, manager: Arc<SessionManager>, i: usize) -> String {
    let session = manager
        .create_session(&format!("s{i:03}"), None)
        .await
        .unwrap();
    link_by_qr(&sim, &session, &phone(i)).await.jid
}

async fn all_connected(manager: &SessionManager) {
    let sessions = join_all(
        manager
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|info| async move { manager.get(&info.id).await.unwrap() }),
    )
    .await;
    let waits = sessions
        .iter()
        .map(|s| s.wait_for_state(ConnectionState::Connected, 120_000));
    for result in join_all(waits).await {
        result.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_sessions_pair_connect_and_survive_a_restart() {
    let store = TestStore::create(Backend::Sqlite).await;
    let sim = Arc::new(simulator().await);
    for i in 0..SESSIONS {
        sim.create_account(&phone(i), &format!("User {i}")).unwrap();
    }
    let manager = store.open_manager(sim_options(&sim)).await;
    let tasks: Vec<_> = (0..SESSIONS)
        .map(|i| tokio::spawn(pair_one(sim.clone(), manager.clone(), i)))
        .collect();
    let mut jids = Vec::new();
    for task in tasks {
        jids.push(task.await.unwrap());
    }
    let listed = manager.list().await.unwrap();
    assert_eq!(listed.len(), SESSIONS);
    assert!(listed.iter().all(|s| s.state == ConnectionState::Connected));
    let before_restart = manager.last_seq();
    manager.close().await.unwrap();
    drop(manager);

    // Restart: every session is restored from the store and logs in by itself.
    let manager = store.open_manager(sim_options(&sim)).await;
    all_connected(&manager).await;
    let listed = manager.list().await.unwrap();
    assert_eq!(listed.len(), SESSIONS);
    for (info, jid) in listed.iter().zip(&jids) {
        assert_eq!(info.jid.as_ref(), Some(jid), "{}", info.id);
        assert_eq!(info.state, ConnectionState::Connected, "{}", info.id);
    }
    let mut cursor = before_restart;
    loop {
        let page = manager.events_since(cursor, 10_000).await.unwrap();
        let Some(last) = page.last() else { break };
        cursor = last.seq;
        assert!(
            !page.iter().any(|e| matches!(e.kind, EventKind::Qr { .. })),
            "a restored session asked for a QR"
        );
    }
    // Each account still has exactly one linked device: the restored sessions are the same
    // devices, not new ones.
    for i in 0..SESSIONS {
        let devices = sim.devices(&phone(i)).unwrap();
        assert_eq!(devices.iter().filter(|d| d.device != 0).count(), 1);
    }
    manager.close().await.unwrap();
    store.destroy().await;
}
