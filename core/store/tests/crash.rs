//! Crash safety: a child process writes messages, Signal records and events in transactions and
//! prints `ack N` after each commit; the parent SIGKILLs it at random points. After every kill the
//! database must open, hold every acknowledged write, be internally consistent (each transaction
//! all or nothing, Signal records decryptable and current) and, for SQLite, pass
//! `PRAGMA integrity_check`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use openwa_store::testing::{Backend, Raw, TestDb, run_on};
use openwa_store::{PageDirection, Store};
use rand::Rng;
use tokio::io::{AsyncBufReadExt, BufReader};

const CHILD: &str = env!("CARGO_BIN_EXE_openwa-store-crash-child");
const S: &str = "crashy";
const CHAT: &str = "peer@s.whatsapp.net";

/// Decodes the item number the child wrote into a record.
fn item_of(record: &[u8]) -> u64 {
    u64::from_le_bytes(record[..8].try_into().unwrap())
}

/// Runs one child from `start`, kills it, and returns every item it acknowledged.
async fn run_child(db: &TestDb, start: u64, round: u32) -> BTreeSet<u64> {
    let mut child = tokio::process::Command::new(CHILD)
        .args([
            db.url.as_str(),
            &db.key.to_hex(),
            S,
            &start.to_string(),
            &(start + 1_000_000).to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked = BTreeSet::new();
    let (blind, acks_before_kill, extra_micros, blind_millis) = {
        let mut rng = rand::thread_rng();
        // Every fourth round kills after a random time without waiting for anything, so the
        // kill can also land while the child opens the store.
        (
            round.is_multiple_of(4),
            rng.gen_range(1..=30usize),
            rng.gen_range(0..1500u64),
            rng.gen_range(0..40u64),
        )
    };
    if blind {
        tokio::time::sleep(Duration::from_millis(blind_millis)).await;
    } else {
        while acked.len() < acks_before_kill {
            let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
                .await
                .expect("child stalled")
                .unwrap()
                .expect("child exited before it was killed");
            if let Some(n) = line.strip_prefix("ack ") {
                acked.insert(n.parse::<u64>().unwrap());
            }
        }
        tokio::time::sleep(Duration::from_micros(extra_micros)).await;
    }
    child.start_kill().unwrap();
    let status = child.wait().await.unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "child ended by itself ({status}) instead of being killed"
    );
    // Acks it printed before dying count too.
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(n) = line.strip_prefix("ack ") {
            acked.insert(n.parse::<u64>().unwrap());
        }
    }
    acked
}

/// Checks the database after a kill; returns the next item number to write.
async fn verify(db: &TestDb, store: &Store, acked_ever: &BTreeSet<u64>) -> u64 {
    // Every committed transaction wrote one message and one event.
    let mut present = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .message_page(S, CHAT, &PageDirection::Newer(cursor), 500)
            .await
            .unwrap();
        present.extend(page.messages.iter().map(|m| m.timestamp as u64));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let events: Vec<u64> = store
        .events_since(0, 1_000_000)
        .await
        .unwrap()
        .iter()
        .map(|e| e.payload["n"].as_u64().unwrap())
        .collect();
    // Transactions are sequential: what is present is exactly 0..=last (the last one may be
    // committed without its ack having been printed).
    let expected: Vec<u64> = (0..present.len() as u64).collect();
    assert_eq!(present, expected, "messages are not a gapless prefix");
    assert_eq!(
        events, expected,
        "events disagree with messages (torn transaction)"
    );
    for n in acked_ever {
        assert!(
            (*n as usize) < present.len(),
            "acknowledged item {n} lost ({} present)",
            present.len()
        );
    }
    // Signal state is decryptable and matches the last committed transaction.
    if let Some(&last) = present.last() {
        for k in 0..5u64 {
            let latest = (0..=last).rev().find(|n| n % 5 == k);
            let record = store
                .get_signal_session(S, &format!("peer.{k}"))
                .await
                .unwrap();
            assert_eq!(record.as_deref().map(item_of), latest, "peer.{k}");
        }
        let sender = store
            .get_sender_key(S, "group@g.us", "peer.0")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(item_of(&sender), last);
        let prekey = store
            .get_prekey(S, (last % 1000) as u32 + 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(item_of(&prekey.record), last);
    }
    if db.kind == Backend::Sqlite {
        let mut raw = db.raw().await;
        // Irrefutable in builds without PostgreSQL.
        #[allow(irrefutable_let_patterns)]
        if let Raw::Sqlite(conn) = &mut raw {
            let check: String = conn
                .query_row("PRAGMA integrity_check", [], |row| row.get(0))
                .unwrap();
            assert_eq!(check, "ok");
        }
        raw.close().await;
    }
    present.len() as u64
}

async fn crash_rounds(db: Arc<TestDb>, rounds: u32) {
    let mut acked_ever = BTreeSet::new();
    let mut next = 0;
    let mut total_acked = 0;
    for round in 0..rounds {
        let acked = run_child(&db, next, round).await;
        total_acked += acked.len();
        acked_ever.extend(acked);
        // The database opens after every kill (with the same key) and is consistent.
        let store = db.open().await;
        next = verify(&db, &store, &acked_ever).await;
        store.close().await;
    }
    assert!(total_acked > 0, "no round got as far as a commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_survives_sigkill() {
    run_on(Backend::Sqlite, |db| crash_rounds(db, 12)).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_survives_sigkill() {
    run_on(Backend::Postgres, |db| crash_rounds(db, 8)).await;
}
