//! `openwa-load`: runs N sessions of one `SessionManager` against an `openwa-sim` process and
//! measures, per N: pairing throughput (real QR pairing, in parallel), the restore time of a
//! fresh process (manager open → every session connected) and the resident memory per idle
//! connected session of that process. Figures go to docs/BENCHMARKS.md.
//!
//! ```sh
//! cargo build --release -p openwa-simulator -p openwa-load
//! target/release/openwa-load --sessions 1,100,1000
//! ```
#![allow(clippy::print_stdout)] // a command-line program: its output is the report

mod history;
mod messages;
mod restore_report;

/// mimalloc: the engine's tokio workers and the store's writer thread allocate and free across
/// threads all the time, which glibc's arenas serialize (see docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use openwa::{
    AtRestKey, ConnectionState, EventKind, ManagerConfig, SessionManager, SessionOptions,
    StoreBackend, StoreConfig,
};

use openwa_simulator::process::SimProcess;
use openwa_simulator::procfs;

/// Any failure of the tool (it reports and exits).
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str = "\
usage: openwa-load [--sessions N,N,...] [--parallel N] [--restore-parallelism N]
                   [--sim PATH] [--dir DIR] [--idle-secs N] [--message-secs N]
                   [--window N] [--memory-messages]

  --sessions             session counts to measure (default 1,100,1000)
  --parallel             pairings in flight at once (default 64)
  --restore-parallelism  the manager's restore_parallelism (default 64)
  --sim                  openwa-sim binary (default: next to this binary)
  --dir                  work directory for the databases (default: a temp dir)
  --idle-secs            idle time before RSS is read (default 5)
  --message-secs         then let half the sessions send texts to the other half for N
                         seconds and report messages/s (default 0: no message phase)
  --window               sends in flight per sending session in the message phase (default 1:
                         each waits for the previous one's server ack)
  --memory-messages      run the message phase on a manager with the memory store instead
                         (no disk, no restore child): the engine's cost per message without
                         fsync

       openwa-load history CHATS MESSAGES_PER_CHAT
  the time and peak RSS of a fresh session ingesting a seeded phone's history";

/// Parsed flags.
#[derive(Debug, Clone)]
struct Args {
    sessions: Vec<usize>,
    parallel: usize,
    restore_parallelism: usize,
    sim: PathBuf,
    dir: PathBuf,
    idle: Duration,
    message_secs: u64,
    window: usize,
    memory_messages: bool,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, Failure> {
    let exe = std::env::current_exe()?;
    let mut parsed = Args {
        sessions: vec![1, 100, 1000],
        parallel: 64,
        restore_parallelism: 64,
        sim: exe.with_file_name("openwa-sim"),
        dir: std::env::temp_dir().join(format!("openwa-load-{}", std::process::id())),
        idle: Duration::from_secs(5),
        message_secs: 0,
        window: 1,
        memory_messages: false,
    };
    while let Some(flag) = args.next() {
        if flag == "--memory-messages" {
            parsed.memory_messages = true;
            continue;
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--sessions" => {
                parsed.sessions = value.split(',').map(str::parse).collect::<Result<_, _>>()?;
            }
            "--parallel" => parsed.parallel = value.parse()?,
            "--restore-parallelism" => parsed.restore_parallelism = value.parse()?,
            "--sim" => parsed.sim = PathBuf::from(value),
            "--dir" => parsed.dir = PathBuf::from(value),
            "--idle-secs" => parsed.idle = Duration::from_secs(value.parse()?),
            "--message-secs" => parsed.message_secs = value.parse()?,
            "--window" => parsed.window = value.parse()?,
            _ => return Err(format!("unknown flag {flag}\n{USAGE}").into()),
        }
    }
    Ok(parsed)
}

fn manager_config(
    dir: &std::path::Path,
    options: SessionOptions,
    parallelism: usize,
) -> ManagerConfig {
    ManagerConfig {
        store: StoreConfig {
            backend: StoreBackend::Sqlite {
                path: dir.join("openwa.db"),
            },
            at_rest_key: Some(AtRestKey::File {
                path: dir.join("openwa.key"),
            }),
        },
        restore_parallelism: parallelism,
        event_buffer: 65_536,
        default_session_options: options,
        // The engine's runtime: one worker per core.
        runtime_threads: 0,
    }
}

fn options(sim: &SimProcess) -> Result<SessionOptions, Failure> {
    Ok(SessionOptions {
        server_url: sim.ready.ws_url.clone(),
        trust_root: sim.root_public_key()?.to_vec(),
        ..SessionOptions::default()
    })
}

fn phone(i: usize) -> String {
    format!("1666{i:07}")
}

/// Creates session `i`, pairs it by QR through the admin API and waits until it is connected.
async fn pair_one(sim: &SimProcess, manager: &SessionManager, i: usize) -> Result<(), Failure> {
    let session = manager.create_session(&format!("s{i}"), None).await?;
    let events = session.events();
    session.connect().await?;
    let qr = loop {
        let event = events.next().await.ok_or("event stream closed")?;
        if let EventKind::Qr { code, .. } = event.kind {
            break code;
        }
    };
    let path = format!("/admin/accounts/{}/link", phone(i));
    sim.admin_ok("POST", &path, Some(&serde_json::json!({ "qr": qr })))
        .await?;
    session
        .wait_for_state(ConnectionState::Connected, 600_000)
        .await?;
    Ok(())
}

/// Creates the simulator accounts of sessions `0..n`.
async fn create_accounts(args: &Args, sim: &SimProcess, n: usize) -> Result<(), Failure> {
    let accounts = futures_util::stream::iter(0..n)
        .map(|i| async move {
            let account = serde_json::json!({ "phone": phone(i), "name": format!("Load {i}") });
            sim.admin_ok("POST", "/admin/accounts", Some(&account))
                .await
                .map(drop)
        })
        .buffer_unordered(args.parallel)
        .collect::<Vec<_>>()
        .await;
    accounts.into_iter().collect::<Result<Vec<()>, _>>()?;
    Ok(())
}

/// Provisions `n` paired sessions in `dir`; returns the pairing time.
async fn provision(
    args: &Args,
    sim: &SimProcess,
    dir: &std::path::Path,
    n: usize,
) -> Result<Duration, Failure> {
    create_accounts(args, sim, n).await?;
    let manager =
        SessionManager::open(manager_config(dir, options(sim)?, args.restore_parallelism)).await?;
    let started = Instant::now();
    let paired = futures_util::stream::iter(0..n)
        .map(|i| pair_one(sim, &manager, i))
        .buffer_unordered(args.parallel)
        .collect::<Vec<_>>()
        .await;
    let elapsed = started.elapsed();
    paired.into_iter().collect::<Result<Vec<()>, _>>()?;
    manager.close().await?;
    Ok(elapsed)
}

/// Child mode: opens the manager on `dir`, waits until all `n` sessions are connected, idles,
/// and prints one JSON line with the restore time and the RSS before/after.
async fn restore_child(
    dir: PathBuf,
    n: usize,
    parallelism: usize,
    idle: Duration,
    message_secs: u64,
    window: usize,
) -> Result<(), Failure> {
    let rss_before = procfs::rss_kib_self()?;
    let started = Instant::now();
    let mut milestones = serde_json::Map::new();
    let started_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    // The options are stored per session; the defaults here are unused.
    let manager =
        SessionManager::open(manager_config(&dir, SessionOptions::default(), parallelism)).await?;
    // Open loads every session before the first one connects.
    milestones.insert(
        "open_ms".into(),
        (started.elapsed().as_millis() as u64).into(),
    );
    // When a half, 90 %, 99 % of the sessions were connected (a slow tail shows here).
    loop {
        let connected = manager
            .list()
            .await?
            .iter()
            .filter(|s| s.state == ConnectionState::Connected)
            .count();
        for (name, share) in [("p50_ms", 50), ("p90_ms", 90), ("p99_ms", 99)] {
            if connected * 100 >= n * share && !milestones.contains_key(name) {
                milestones.insert(name.into(), (started.elapsed().as_millis() as u64).into());
            }
        }
        if connected >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let restore = started.elapsed();
    tokio::time::sleep(idle).await;
    let rss_after = procfs::rss_kib_self()?;
    // After the RSS reading: it pages through the log, which would count in the RSS.
    let restore_states = restore_report::summarize(&manager, started_ms).await?;
    let sessions = manager.list().await?;
    let still_connected = sessions
        .iter()
        .filter(|s| s.state == ConnectionState::Connected)
        .count();
    let mut report = serde_json::json!({
        "sessions": n,
        "restore_ms": restore.as_millis() as u64,
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "connected_after_idle": still_connected,
        "restore_states": restore_states,
        "restore_milestones": milestones,
    });
    if message_secs > 0 && n >= 2 {
        let outcome = messages::run(
            &manager,
            n,
            window,
            Duration::from_secs(message_secs),
            phone,
        )
        .await?;
        report["messages"] = serde_json::json!({
            "sent": outcome.sent,
            "received": outcome.received,
            "failed": outcome.failed,
            "seconds": outcome.seconds,
            "sent_per_second": outcome.sent as f64 / outcome.seconds,
        });
    }
    println!("{report}");
    manager.close().await?;
    Ok(())
}

/// The message phase on a memory-store manager paired in this process.
async fn memory_messages(args: &Args, n: usize) -> Result<(), Failure> {
    let sim = SimProcess::start(&args.sim, &[]).await?;
    create_accounts(args, &sim, n).await?;
    let manager = SessionManager::open(ManagerConfig {
        store: StoreConfig {
            backend: StoreBackend::Memory,
            at_rest_key: None,
        },
        event_buffer: 65_536,
        default_session_options: options(&sim)?,
        ..ManagerConfig::default()
    })
    .await?;
    let paired = futures_util::stream::iter(0..n)
        .map(|i| pair_one(&sim, &manager, i))
        .buffer_unordered(args.parallel)
        .collect::<Vec<_>>()
        .await;
    paired.into_iter().collect::<Result<Vec<()>, _>>()?;
    let cpu_before = procfs::cpu_seconds_self()?;
    let outcome = messages::run(
        &manager,
        n,
        args.window,
        Duration::from_secs(args.message_secs),
        phone,
    )
    .await?;
    let cpu = procfs::cpu_seconds_self()? - cpu_before;
    println!(
        "memory store, {n} sessions: {}",
        serde_json::json!({
            "sent": outcome.sent,
            "received": outcome.received,
            "failed": outcome.failed,
            "seconds": outcome.seconds,
            "sent_per_second": outcome.sent as f64 / outcome.seconds,
            "engine_cpu_seconds": cpu,
        })
    );
    manager.close().await?;
    Ok(())
}

async fn measure(args: &Args, n: usize) -> Result<(), Failure> {
    if args.memory_messages {
        return memory_messages(args, n).await;
    }
    let sim = Arc::new(SimProcess::start(&args.sim, &[]).await?);
    let dir = args.dir.join(format!("n{n}"));
    std::fs::create_dir_all(&dir)?;
    let pairing = provision(args, &sim, &dir, n).await?;
    let child = tokio::process::Command::new(std::env::current_exe()?)
        .arg("restore")
        .arg(&dir)
        .arg(n.to_string())
        .arg(args.restore_parallelism.to_string())
        .arg(args.idle.as_secs().to_string())
        .arg(args.message_secs.to_string())
        .arg(args.window.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let busy = cpu_trace(sim.pid(), child.id());
    let output = child.wait_with_output().await?;
    let busy = busy.await?;
    if !output.status.success() {
        return Err(format!(
            "restore child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let before = report["rss_before_kib"].as_u64().unwrap_or(0);
    let after = report["rss_after_kib"].as_u64().unwrap_or(0);
    let per_session = after.saturating_sub(before) as f64 / n as f64;
    println!(
        "| {n} | {:.1} s ({:.0}/s) | {} ms | {} → {} KiB | {per_session:.1} KiB | {} |",
        pairing.as_secs_f64(),
        n as f64 / pairing.as_secs_f64(),
        report["restore_ms"],
        before,
        after,
        report["connected_after_idle"],
    );
    println!(
        "restore of {n}: connected by {}; state changes logged since the restore began: {}",
        report["restore_milestones"], report["restore_states"]
    );
    println!("restore of {n}: CPU % of the simulator / restoring process per 250 ms: {busy}");
    if let Some(messages) = report.get("messages") {
        println!("messages with {n} sessions: {messages}");
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// The CPU share (% of one core) of the simulator and of the restoring process in each 250 ms
/// of the restore's first 8 s, as `sim/child` pairs: shows which side a slow restore waits on.
fn cpu_trace(sim: u32, child: Option<u32>) -> tokio::task::JoinHandle<String> {
    tokio::spawn(async move {
        let Some(child) = child else {
            return String::new();
        };
        let cpu = |pid| procfs::cpu_seconds(pid).unwrap_or(0.0);
        let (mut last_sim, mut last_child) = (cpu(sim), cpu(child));
        let mut trace = Vec::new();
        for _ in 0..32 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let (now_sim, now_child) = (cpu(sim), cpu(child));
            if now_child == 0.0 {
                break;
            }
            let share = |now: f64, last: f64| ((now - last) * 400.0).round();
            trace.push(format!(
                "{}/{}",
                share(now_sim, last_sim),
                share(now_child, last_child)
            ));
            (last_sim, last_child) = (now_sim, now_child);
        }
        trace.join(" ")
    })
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let mut argv = std::env::args().skip(1).peekable();
    if argv.peek().map(String::as_str) == Some("restore") {
        argv.next();
        let mut next = || {
            argv.next()
                .ok_or("restore DIR N PARALLELISM IDLE_SECS MESSAGE_SECS WINDOW")
        };
        let dir = PathBuf::from(next()?);
        let n = next()?.parse()?;
        let parallelism = next()?.parse()?;
        let idle = Duration::from_secs(next()?.parse()?);
        let message_secs = next()?.parse()?;
        let window = next()?.parse()?;
        return restore_child(dir, n, parallelism, idle, message_secs, window).await;
    }
    if argv.peek().map(String::as_str) == Some("history") {
        argv.next();
        let mut next = || argv.next().ok_or("history CHATS MESSAGES_PER_CHAT");
        let (chats, per_chat) = (next()?.parse()?, next()?.parse()?);
        let sim = std::env::current_exe()?.with_file_name("openwa-sim");
        println!(
            "| chats × messages | messages stored | link | link → last chunk stored | RSS before link | peak RSS |"
        );
        println!("|---|---|---|---|---|---|");
        return history::run(&sim, chats, per_chat).await;
    }
    if argv.peek().map(String::as_str) == Some("--help") {
        println!("{USAGE}");
        return Ok(());
    }
    let args = parse_args(argv)?;
    println!(
        "| sessions | pairing (parallel {}) | restore (parallelism {}) | process RSS before → after restore | RSS per idle connected session | connected after idle |",
        args.parallel, args.restore_parallelism
    );
    println!("|---|---|---|---|---|---|");
    for n in args.sessions.clone() {
        measure(&args, n).await?;
    }
    // Each count's directory is gone; the default parent in the temp dir goes too (an empty
    // directory only: `remove_dir` leaves one with anything else in it).
    if args.dir.starts_with(std::env::temp_dir()) {
        let _ = std::fs::remove_dir(&args.dir);
    }
    Ok(())
}
