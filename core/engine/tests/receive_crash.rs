//! Crash safety of the receive pipeline: a session running in a child process is killed
//! (`abort`, like `kill -9`) after it decrypted a message and before the message, its Signal
//! state and its event were committed. The message was never acknowledged, so the simulator
//! delivers it again after the restart, and it decrypts, because the Signal state on disk is
//! the one from before the crash. Nothing is lost or duplicated.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::time::Duration;

use openwa::{EventKind, SessionOptions};
use openwa_testkit::{BAILEYS7, pair_by_qr, require_node_modules, temp_auth_dir};
use openwa_testkit::{
    Backend, TestStore, WAIT, link_by_qr, next_matching, sim_options, simulator, sqlite_manager,
};

const ENGINE: &str = "15550003001";
const PEER: &str = "15550003002";
/// Set for the child process: the SQLite path and key file of the parent's store.
const CHILD_ENV: &str = "OPENWA_CRASH_CHILD_STORE";

/// The child's body: restores the manager (the session reconnects by itself) and waits for the
/// fault point to abort the process. Without `CHILD_ENV` (a normal test run) it does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (db, key) = spec.split_once('\n').unwrap();
    let _manager = sqlite_manager(db.as_ref(), key.as_ref(), SessionOptions::default()).await;
    tokio::time::sleep(Duration::from_secs(120)).await;
    panic!("the fault point was never reached");
}

fn message_text(kind: &EventKind) -> Option<(&str, Option<&str>)> {
    match kind {
        EventKind::MessageReceived { message } => Some((&message.id, message.text.as_deref())),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_decrypt_and_commit_loses_nothing() {
    require_node_modules();
    let store = TestStore::create(Backend::Sqlite).await;
    let sim = simulator().await;
    sim.create_account(ENGINE, "Engine").unwrap();
    sim.create_account(PEER, "Peer").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let engine = link_by_qr(&sim, &session, ENGINE).await;
    let auth = temp_auth_dir("erecv-crash");
    let (mut baileys, _) =
        pair_by_qr(&sim.info.ws_url, &sim.info.admin_url, BAILEYS7, PEER, &auth).await;
    let events = session.events();
    let first = baileys
        .send_text(&format!("{ENGINE}@s.whatsapp.net"), "one")
        .await;
    next_matching(&events, |k| {
        message_text(k).is_some_and(|(id, _)| id == first)
    })
    .await;
    let before = manager.last_seq();
    manager.close().await.unwrap();
    drop((session, manager));

    // The child process receives the next message and dies before committing it.
    let (path, key) = store.sqlite_files();
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{}\n{}", path.display(), key.display()))
        .env("OPENWA_FAULT", "receive_before_commit")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let second = baileys
        .send_text(&format!("{ENGINE}@s.whatsapp.net"), "two")
        .await;
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .unwrap()
        .unwrap();
    // SIGABRT (6): the fault point, not some other failure of the child.
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(6),
        "the child should have aborted at the fault point: {status}"
    );
    let pending: Vec<String> = sim.sim().read(|s| {
        s.pending_for(ENGINE, engine.device)
            .into_iter()
            .map(|p| p.id)
            .collect()
    });
    assert_eq!(
        pending,
        vec![second.clone()],
        "the message stays unacknowledged"
    );

    // Restart without the fault: the redelivered message decrypts, once; later ones too.
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.get("alice").await.unwrap();
    let events = session.events();
    let got = next_matching(&events, |k| message_text(k).is_some()).await;
    assert_eq!(message_text(&got), Some((second.as_str(), Some("two"))));
    let third = baileys
        .send_text(&format!("{ENGINE}@s.whatsapp.net"), "three")
        .await;
    let got = next_matching(&events, |k| message_text(k).is_some()).await;
    assert_eq!(message_text(&got), Some((third.as_str(), Some("three"))));
    let logged: Vec<String> = manager
        .events_since(before, 1000)
        .await
        .unwrap()
        .iter()
        .filter_map(|e| message_text(&e.kind).map(|(id, _)| id.to_owned()))
        .collect();
    assert_eq!(logged, vec![second, third]);
    baileys.quit().await;
    manager.close().await.unwrap();
    store.destroy().await;
}
