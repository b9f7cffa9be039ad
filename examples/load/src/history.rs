//! `openwa-load history CHATS MESSAGES_PER_CHAT`: the cost of history sync. A phone of an
//! `openwa-sim` process is seeded with CHATS chats of MESSAGES_PER_CHAT messages; a fresh
//! session (SQLite) links to it; reported: the time from the link to the last chunk stored, the
//! messages stored, and this process's RSS before the link and at its peak (the engine only: the
//! simulator runs in its own process).

use std::time::Instant;

use openwa::{EventKind, HistorySyncType, SessionManager};
use openwa_simulator::process::SimProcess;

use crate::{Failure, manager_config, options, pair_one, phone};

/// This process's peak resident set (`VmHWM`), in KiB.
fn peak_rss_kib() -> Result<u64, Failure> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .ok_or("no VmHWM in /proc/self/status")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or("bad VmHWM line")?
        .parse()?)
}

/// Runs one measurement and prints one table row.
pub async fn run(sim_binary: &std::path::Path, chats: u32, per_chat: u32) -> Result<(), Failure> {
    let sim = SimProcess::start(sim_binary, &[]).await?;
    let account = serde_json::json!({ "phone": phone(0), "name": "History" });
    sim.admin_ok("POST", "/admin/accounts", Some(&account))
        .await?;
    let seed = serde_json::json!({ "chats": chats, "messages_per_chat": per_chat });
    let path = format!("/admin/accounts/{}/history", phone(0));
    sim.admin_ok("POST", &path, Some(&seed)).await?;
    let dir = std::env::temp_dir().join(format!("openwa-load-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut options = options(&sim)?;
    options.tls_extra_roots_pem = Some(std::fs::read_to_string(&sim.ready.tls_cert_path)?);
    let manager = SessionManager::open(manager_config(&dir, options, 1)).await?;
    let events = manager.events();
    let before = openwa_simulator::procfs::rss_kib_self()?;
    let started = Instant::now();
    pair_one(&sim, &manager, 0).await?;
    let linked = started.elapsed();
    let mut messages = 0u64;
    loop {
        let event = events.next().await.ok_or("event stream closed")?;
        if let EventKind::HistorySync {
            sync_type,
            messages: n,
            progress,
            ..
        } = event.kind
        {
            messages += u64::from(n);
            if sync_type == HistorySyncType::NonBlockingData && progress == Some(100) {
                break;
            }
        }
    }
    let elapsed = started.elapsed();
    let peak = peak_rss_kib()?;
    manager.close().await?;
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "| {chats} × {per_chat} | {messages} | {:.2} s | {:.2} s | {:.1} MiB | {:.1} MiB |",
        linked.as_secs_f64(),
        elapsed.as_secs_f64(),
        before as f64 / 1024.0,
        peak as f64 / 1024.0,
    );
    Ok(())
}
