//! The send queue (`SendOptions::queued`) and send pacing against the simulator: queued sends
//! return at once as `pending`, also while disconnected, and reach the phone in order, once
//! each, after a reconnect and after a restart; idempotency keys hold for queued sends; a send
//! that can never leave ends `failed`; pacing spaces sends and its hourly cap refuses direct
//! sends and holds queued ones until lifted; a process killed right after its queued sends were
//! accepted loses none of them. SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] functions

use std::sync::Arc;
use std::time::{Duration, Instant};

use openwa::{
    ErrorCode, EventKind, EventStream, MessageStatus, SendOptions, SendPacing, SessionOptions,
};
use openwa_simulator::SimulatorHandle;
use openwa_testkit::{Backend, TestStore, WAIT, http, link_by_qr, next_matching};
use openwa_testkit::{sim_options, simulator, sqlite_manager};

const ENGINE: &str = "15550004101";
const PHONE: &str = "15550004102";
/// Set for the crash test's child process: the SQLite path and key file, and where it writes
/// the ids of the sends it queued.
const CHILD_ENV: &str = "OPENWA_QUEUE_CRASH_CHILD";

fn queued() -> SendOptions {
    SendOptions {
        queued: true,
        ..SendOptions::default()
    }
}

/// The texts of the phone's timeline entries that came from the engine, in arrival order.
async fn phone_texts(sim: &SimulatorHandle) -> Vec<String> {
    let path = format!("/admin/accounts/{PHONE}/messages");
    let timeline = http(&sim.info.admin_url, "GET", &path, None).await.json();
    timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["from_me"] == false)
        .filter_map(|e| e["text"].as_str().map(str::to_owned))
        .collect()
}

/// Waits until the phone's texts from the engine are `expected`.
async fn phone_has(sim: &SimulatorHandle, expected: &[&str]) {
    let deadline = Instant::now() + WAIT;
    loop {
        let texts = phone_texts(sim).await;
        if texts == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the phone has {texts:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until stored message `id` of `chat` is no longer `pending` (its ack was recorded).
async fn left_pending(session: &openwa::Session, chat: &str, id: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let stored = session.message(chat, id).await.unwrap();
        if stored.status != MessageStatus::Pending {
            return;
        }
        assert!(Instant::now() < deadline, "still pending: {stored:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits for the `MessageSent` of message `id`.
async fn sent(events: &EventStream, id: &str) {
    next_matching(
        events,
        |k| matches!(k, EventKind::MessageSent { message } if message.id == id),
    )
    .await;
}

async fn queued_sends_survive_reconnects_and_restarts(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(ENGINE, "Engine").unwrap();
    sim.create_account(PHONE, "Phone").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("queue", None).await.unwrap();
    let events = session.events();
    link_by_qr(&sim, &session, ENGINE).await;

    // Connected: a queued send returns `pending` and is sent by the queue.
    let first = session.send_text(PHONE, "q1", queued()).await.unwrap();
    assert_eq!(first.status, MessageStatus::Pending);
    sent(&events, &first.id).await;
    phone_has(&sim, &["q1"]).await;

    // Disconnected: queued sends are accepted, and leave in order once connected again.
    session.disconnect().await.unwrap();
    let keyed = SendOptions {
        idempotency_key: Some("k-q3".into()),
        ..queued()
    };
    let two = session.send_text(PHONE, "q2", queued()).await.unwrap();
    let three = session.send_text(PHONE, "q3", keyed.clone()).await.unwrap();
    let again = session.send_text(PHONE, "q3", keyed.clone()).await.unwrap();
    assert_eq!(again.id, three.id, "the same key answers the same message");
    // A direct send still fails at once while disconnected.
    let direct = session
        .send_text(PHONE, "direct", SendOptions::default())
        .await
        .unwrap_err();
    assert_eq!(direct.code, ErrorCode::NotConnected);
    let stored = session.message(&two.chat, &two.id).await.unwrap();
    assert_eq!(stored.status, MessageStatus::Pending);
    session.connect().await.unwrap();
    sent(&events, &two.id).await;
    sent(&events, &three.id).await;
    phone_has(&sim, &["q1", "q2", "q3"]).await;

    // Queued, then the manager closes before connecting again: the restart sends them.
    session.disconnect().await.unwrap();
    let four = session.send_text(PHONE, "q4", queued()).await.unwrap();
    let five = session.send_text(PHONE, "q5", queued()).await.unwrap();
    manager.close().await.unwrap();
    drop((events, session, manager));
    let (manager, session, events) = store.resume(sim_options(&sim), "queue").await;
    phone_has(&sim, &["q1", "q2", "q3", "q4", "q5"]).await;
    for id in [&four.id, &five.id] {
        left_pending(&session, &four.chat, id).await;
    }
    // The key still answers its message after the restart, and nothing is queued again.
    let after = session.send_text(PHONE, "q3", keyed).await.unwrap();
    assert_eq!(after.id, three.id);

    // A recipient that is not on WhatsApp: accepted, then `failed`; the queue goes on.
    let nobody = session
        .send_text("15559999999", "to nobody", queued())
        .await
        .unwrap();
    next_matching(&events, |k| {
        matches!(k, EventKind::MessageStatus { message_id, status: MessageStatus::Failed, .. }
            if *message_id == nobody.id)
    })
    .await;
    let six = session.send_text(PHONE, "q6", queued()).await.unwrap();
    sent(&events, &six.id).await;
    // Bad input is refused before anything is queued.
    let bad = session.send_text("not a chat", "x", queued()).await;
    assert_eq!(bad.unwrap_err().code, ErrorCode::InvalidArgument);
    let empty = session.send_text(PHONE, "", queued()).await;
    assert_eq!(empty.unwrap_err().code, ErrorCode::InvalidArgument);
    tokio::time::sleep(Duration::from_millis(300)).await;
    phone_has(&sim, &["q1", "q2", "q3", "q4", "q5", "q6"]).await;
    manager.close().await.unwrap();
}

async fn pacing_spaces_sends_and_caps_them(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(ENGINE, "Engine").unwrap();
    sim.create_account(PHONE, "Phone").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("paced", None).await.unwrap();
    let events = session.events();
    link_by_qr(&sim, &session, ENGINE).await;
    assert_eq!(session.send_pacing(), SendPacing::default());

    let bad = SendPacing {
        min_interval_ms: u32::MAX,
        ..SendPacing::default()
    };
    assert_eq!(
        session.set_send_pacing(bad).await.unwrap_err().code,
        ErrorCode::InvalidArgument
    );
    let spaced = SendPacing {
        min_interval_ms: 300,
        jitter_ms: 50,
        max_per_hour: 0,
    };
    session.set_send_pacing(spaced).await.unwrap();
    assert_eq!(session.send_pacing(), spaced);
    // Three queued sends take three slots at least 300 ms apart.
    let start = Instant::now();
    let mut ids = Vec::new();
    for n in 1..=3 {
        let text = format!("p{n}");
        ids.push(session.send_text(PHONE, &text, queued()).await.unwrap().id);
    }
    for id in &ids {
        sent(&events, id).await;
    }
    assert!(
        start.elapsed() >= Duration::from_millis(600),
        "three paced sends within {:?}",
        start.elapsed()
    );
    phone_has(&sim, &["p1", "p2", "p3"]).await;

    // A cap of one an hour: the next direct send goes, the one after is refused with the wait,
    // a queued one waits until the cap is lifted.
    let capped = SendPacing {
        max_per_hour: 1,
        ..SendPacing::default()
    };
    session.set_send_pacing(capped).await.unwrap();
    session
        .send_text(PHONE, "c1", SendOptions::default())
        .await
        .unwrap();
    let refused = session
        .send_text(PHONE, "c2", SendOptions::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::RateLimited, "{refused}");
    assert!(refused.retryable);
    let wait: u64 = refused.details.as_deref().unwrap().parse().unwrap();
    assert!(wait > 3000 && wait <= 3600, "{wait}");
    let held = session.send_text(PHONE, "c3", queued()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    phone_has(&sim, &["p1", "p2", "p3", "c1"]).await;
    let stored = session.message(&held.chat, &held.id).await.unwrap();
    assert_eq!(stored.status, MessageStatus::Pending);
    session
        .set_send_pacing(SendPacing::default())
        .await
        .unwrap();
    sent(&events, &held.id).await;
    phone_has(&sim, &["p1", "p2", "p3", "c1", "c3"]).await;

    // A pacing set at run time outlives a restart.
    session.set_send_pacing(spaced).await.unwrap();
    manager.close().await.unwrap();
    drop((events, session, manager));
    let (manager, session, _) = store.resume(sim_options(&sim), "paced").await;
    assert_eq!(session.send_pacing(), spaced);
    manager.close().await.unwrap();
}

openwa_store::on_every_backend!(persistent: [
    queued_sends_survive_reconnects_and_restarts,
    pacing_spaces_sends_and_caps_them,
]);

/// The crash test's child: restores the manager, disconnects the session, queues three sends,
/// writes their ids and aborts (like `kill -9`) the moment the last one was accepted. Without
/// `CHILD_ENV` (a normal test run) it does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_crash_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.split('\n');
    let (db, key, out) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let manager = sqlite_manager(db.as_ref(), key.as_ref(), SessionOptions::default()).await;
    let session = manager.get("crash").await.unwrap();
    session.disconnect().await.unwrap();
    let mut ids = Vec::new();
    for n in 1..=3 {
        let text = format!("k{n}");
        ids.push(session.send_text(PHONE, &text, queued()).await.unwrap().id);
    }
    std::fs::write(out, ids.join("\n")).unwrap();
    std::process::abort();
}

/// Queued sends accepted just before the process died are sent after the restart, once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_sends_survive_kill_9() {
    let store = TestStore::create(Backend::Sqlite).await;
    let sim = simulator().await;
    sim.create_account(ENGINE, "Engine").unwrap();
    sim.create_account(PHONE, "Phone").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("crash", None).await.unwrap();
    link_by_qr(&sim, &session, ENGINE).await;
    manager.close().await.unwrap();
    drop((session, manager));

    let (path, key) = store.sqlite_files();
    let out = path.with_extension("queued-ids");
    let spec = format!("{}\n{}\n{}", path.display(), key.display(), out.display());
    let status = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "queue_crash_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, spec)
        .kill_on_drop(true)
        .status();
    let status = tokio::time::timeout(WAIT, status).await.unwrap().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(6),
        "the child should have aborted after queuing: {status}"
    );
    let ids: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(
        phone_texts(&sim).await.is_empty(),
        "nothing left before the crash"
    );

    let (manager, session, _) = store.resume(sim_options(&sim), "crash").await;
    phone_has(&sim, &["k1", "k2", "k3"]).await;
    let chat = format!("{PHONE}@s.whatsapp.net");
    for id in &ids {
        left_pending(&session, &chat, id).await;
    }
    manager.close().await.unwrap();
    store.destroy().await;
}
