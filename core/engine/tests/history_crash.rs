//! Crash safety of history sync: a session in a child process links to a phone with a seeded
//! history, persists and acknowledges the history notices, and is killed (`abort`, like
//! `kill -9`) before it stores the first chunk. The acknowledged notices wait in the store;
//! after a restart the session downloads them and loses nothing.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::path::PathBuf;
use std::time::Duration;

use openwa::{EventKind, HistorySyncType, SessionOptions};
use openwa_testkit::{
    Backend, TestStore, WAIT, http, next_qr, sim_options, simulator, sqlite_manager,
};

const ALICE: &str = "15550008001";
/// Set for the child process: the SQLite path, key file, QR file and session options (JSON).
const CHILD_ENV: &str = "OPENWA_HISTORY_CRASH_CHILD";

/// The child's body: a fresh session that writes its QR code to a file and waits for the fault
/// point to abort the process. Without `CHILD_ENV` (a normal test run) it does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.splitn(4, '\n').collect();
    let [db, key, qr_file, options] = parts[..] else {
        panic!("bad child spec");
    };
    let options: SessionOptions = serde_json::from_str(options).unwrap();
    let manager = sqlite_manager(db.as_ref(), key.as_ref(), options).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let events = session.events();
    session.connect().await.unwrap();
    std::fs::write(qr_file, next_qr(&events).await).unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;
    panic!("the fault point was never reached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_the_ack_of_history_notices_loses_nothing() {
    let store = TestStore::create(Backend::Sqlite).await;
    let sim = simulator().await;
    sim.create_account(ALICE, "Alice").unwrap();
    let body = serde_json::json!({ "chats": 20, "messages_per_chat": 60 });
    let path = format!("/admin/accounts/{ALICE}/history");
    assert_eq!(
        http(&sim.info.admin_url, "POST", &path, Some(body))
            .await
            .status,
        201
    );

    let (db, key) = store.sqlite_files();
    let qr_file: PathBuf = db.with_extension("qr");
    let options = serde_json::to_string(&sim_options(&sim)).unwrap();
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "history_crash_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            CHILD_ENV,
            format!(
                "{}\n{}\n{}\n{options}",
                db.display(),
                key.display(),
                qr_file.display()
            ),
        )
        .env("OPENWA_FAULT", "history_before_commit")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let qr = tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(qr) = std::fs::read_to_string(&qr_file)
                && !qr.is_empty()
            {
                return qr;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap();
    let linked = sim.sim().link_qr(ALICE, &qr).await.unwrap();
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
    let raw = store.open_raw().await;
    let pending = raw.pending_history("alice").await.unwrap();
    assert!(
        !pending.is_empty(),
        "acknowledged notices wait in the store"
    );
    assert!(raw.chat_page("alice", 10, 0).await.unwrap().is_empty());
    raw.close().await;

    // Restart without the fault: the session resumes the pending notices (and takes any the
    // phone delivers again), and everything arrives once.
    let (manager, session, events) = store.resume(sim_options(&sim), "alice").await;
    tokio::time::timeout(WAIT * 4, async {
        loop {
            let chats = session.list_chats(500, 0).await.unwrap();
            let done = manager
                .events_since(0, 1000)
                .await
                .unwrap()
                .iter()
                .any(|e| {
                    matches!(
                        e.kind,
                        EventKind::HistorySync {
                            sync_type: HistorySyncType::NonBlockingData,
                            ..
                        }
                    )
                });
            if chats.len() == 20 && done {
                break;
            }
            let _ = tokio::time::timeout(Duration::from_millis(200), events.next()).await;
        }
    })
    .await
    .unwrap();
    for chat in session.list_chats(500, 0).await.unwrap() {
        let page = session.messages(&chat.id, None, 500).await.unwrap();
        assert_eq!(page.messages.len(), 60, "{}", chat.id);
    }
    let left = sim
        .sim()
        .read(|s| s.pending_for(ALICE, linked.device).len());
    assert_eq!(left, 0, "every notice was acknowledged");
    assert!(
        store
            .open_raw()
            .await
            .pending_history("alice")
            .await
            .unwrap()
            .is_empty()
    );
    manager.close().await.unwrap();
    store.destroy().await;
}
