//! Load tool: event appends/s and message inserts/s on SQLite and PostgreSQL, each its own
//! transaction (`commit_incoming` goes through the group commit), and statements/s inside one
//! transaction.
//!
//! `cargo run --release -p openwa-store --example store_load -- [COUNT] [TASKS]`
//! SQLite goes to a temp dir; PostgreSQL to a fresh database on `OPENWA_TEST_PG_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`), dropped afterwards.

use std::io::Write;
use std::time::Instant;

use openwa_store::{
    Database, KeySource, MessageRecord, MessageStatus, SignalChanges, Store, StoreConfig, StoreKey,
};
use sqlx::Connection;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn message(task: usize, tag: usize, i: usize) -> MessageRecord {
    MessageRecord {
        session_id: format!("s{task}"),
        chat: "bob@s.whatsapp.net".to_owned(),
        id: format!("3EB0{tag:05}{task:04}{i:08}"),
        sender: "bob@s.whatsapp.net".to_owned(),
        from_me: false,
        timestamp: 1_700_000_000 + i as i64,
        msg_type: "text".to_owned(),
        body: Some("hello, this is a short text message".to_owned()),
        payload: Some(vec![0x0A; 60]),
        status: MessageStatus::Delivered,
    }
}

/// Runs `count` operations split over `tasks` tasks; returns operations per second.
async fn measure<F, Fut>(tasks: usize, count: usize, op: F) -> Result<f64, BoxError>
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<(), BoxError>> + Send,
{
    let start = Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let op = op.clone();
        handles.push(tokio::spawn(async move {
            for i in 0..count / tasks {
                op(t, i).await?;
            }
            Ok::<(), BoxError>(())
        }));
    }
    for h in handles {
        h.await??;
    }
    Ok((count / tasks * tasks) as f64 / start.elapsed().as_secs_f64())
}

async fn run(name: &str, database: Database, count: usize, tasks: usize) -> Result<(), BoxError> {
    let store = Store::open(StoreConfig::new(
        database,
        KeySource::Key(StoreKey::generate()),
    ))
    .await?;
    for t in 0..tasks.max(1) {
        store.create_session(&format!("s{t}"), "connected").await?;
    }
    let mut out = std::io::stdout().lock();
    // The cost of one statement on the connection (no commit per statement): `count` inserts in
    // one group-commit unit, i.e. one transaction.
    let start = Instant::now();
    store
        .write(
            move |tx| {
                Box::pin(async move {
                    for i in 0..count {
                        tx.insert_message(&message(0, 20_000, i)).await?;
                    }
                    Ok(())
                })
            },
            |_| {},
        )
        .await?;
    let rate = count as f64 / start.elapsed().as_secs_f64();
    writeln!(
        std::io::stdout().lock(),
        "{name}: message insert, {count} in one transaction: {rate:.0}/s"
    )?;
    for t in [1, tasks] {
        let s = store.clone();
        let rate = measure(t, count, move |task, i| {
            let s = s.clone();
            async move {
                s.append_event(
                    &format!("s{task}"),
                    "message",
                    &serde_json::json!({ "i": i }),
                )
                .await?;
                Ok(())
            }
        })
        .await?;
        writeln!(out, "{name}: event append, {t} task(s): {rate:.0}/s")?;
        let s = store.clone();
        let rate = measure(t, count, move |task, i| {
            let s = s.clone();
            async move {
                s.insert_message(&message(task, t, i)).await?;
                Ok(())
            }
        })
        .await?;
        writeln!(out, "{name}: message insert, {t} task(s): {rate:.0}/s")?;
        let s = store.clone();
        let rate = measure(t, count, move |task, i| {
            let s = s.clone();
            async move {
                let changes = SignalChanges {
                    sessions: vec![(format!("bob.{}", i % 3), vec![0x5A; 600])],
                    ..SignalChanges::default()
                };
                let m = message(task, t + 10_000, i);
                let event = serde_json::json!({ "id": m.id });
                s.commit_incoming(&m, &changes, Some(("message", &event)))
                    .await?;
                Ok(())
            }
        })
        .await?;
        writeln!(
            out,
            "{name}: commit_incoming (message + 600 B encrypted session + event), {t} task(s): {rate:.0}/s"
        )?;
    }
    store.close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(1000);
    let tasks: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(8);

    let dir = std::env::temp_dir().join(format!("openwa-store-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let sqlite = run(
        "sqlite",
        Database::Sqlite(dir.join("load.db")),
        count,
        tasks,
    )
    .await;
    std::fs::remove_dir_all(&dir)?;
    sqlite?;

    let admin_url = std::env::var("OPENWA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!("openwa_load_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await?;
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(&admin_url);
    let pg = run(
        "postgres",
        Database::Postgres(format!("{base}/{name}")),
        count,
        tasks,
    )
    .await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    pg
}
