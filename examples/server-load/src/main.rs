//! `openwa-server-load`: `openwa-server` under load on loopback, against an `openwa-sim`
//! process. Phases:
//!
//! 1. session status: `GET /api/sessions/:id` from `--concurrency` keep-alive workers for
//!    `--seconds` (closed loop): requests/s and latency percentiles;
//! 2. send-text: `POST …/messages/send-text` to a simulated phone at `--rate` requests/s for
//!    `--seconds` (open loop: each request starts on its tick, whatever the earlier ones do):
//!    the achieved rate and the latency of accepted sends (201 once WhatsApp acknowledged them;
//!    with `--queued`, `Prefer: respond-async` and 202 once the engine queued them durably);
//! 3. webhooks: every event of phase 2 goes to a local receiver (`*` subscription); the
//!    deliveries/s from the first to the last delivery;
//! 4. idle sessions: `--sessions` sessions created and linked through the API of a fresh
//!    server, which is then restarted; its RSS per session once all are ready again and it
//!    idled `--idle-secs`, against an empty server's.
//!
//! ```sh
//! cargo build --release -p openwa-simulator -p openwa-server -p openwa-server-load
//! target/release/openwa-server-load --seconds 10 --rate 1000 --sessions 1000
//! ```
#![allow(clippy::print_stdout)] // a command-line program: its output is the report

mod receiver;
mod server;
mod stats;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use openwa_simulator::process::SimProcess;
use openwa_simulator::procfs;
use serde_json::json;

use server::Server;
use stats::Samples;

/// Any failure of the tool (it reports and exits).
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str = "\
usage: openwa-server-load [--server PATH] [--sim PATH] [--seconds N] [--rate N]
                          [--concurrency N] [--sessions N] [--idle-secs N] [--queued]

  --server       openwa-server binary (default: next to this binary)
  --sim          openwa-sim binary (default: next to this binary)
  --seconds      length of the status and the send phase (default 10)
  --rate         send-text requests per second in the send phase (default 1000)
  --concurrency  workers of the status phase (default 32)
  --sessions     idle sessions for the RSS phase (default 1000; 0 skips it)
  --idle-secs    idle time before RSS is read (default 5)
  --queued       send with `Prefer: respond-async` (answered once queued)";

#[derive(Debug)]
struct Args {
    server: PathBuf,
    sim: PathBuf,
    seconds: u64,
    rate: u64,
    concurrency: usize,
    sessions: usize,
    idle: Duration,
    queued: bool,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, Failure> {
    let exe = std::env::current_exe()?;
    let mut parsed = Args {
        server: exe.with_file_name("openwa-server"),
        sim: exe.with_file_name("openwa-sim"),
        seconds: 10,
        rate: 1000,
        concurrency: 32,
        sessions: 1000,
        idle: Duration::from_secs(5),
        queued: false,
    };
    while let Some(flag) = args.next() {
        if flag == "--queued" {
            parsed.queued = true;
            continue;
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--server" => parsed.server = PathBuf::from(value),
            "--sim" => parsed.sim = PathBuf::from(value),
            "--seconds" => parsed.seconds = value.parse()?,
            "--rate" => parsed.rate = value.parse()?,
            "--concurrency" => parsed.concurrency = value.parse()?,
            "--sessions" => parsed.sessions = value.parse()?,
            "--idle-secs" => parsed.idle = Duration::from_secs(value.parse()?),
            _ => return Err(format!("unknown flag {flag}\n{USAGE}").into()),
        }
    }
    if parsed.rate == 0 || parsed.seconds == 0 || parsed.concurrency == 0 {
        return Err(
            format!("--rate, --seconds and --concurrency must be positive\n{USAGE}").into(),
        );
    }
    Ok(parsed)
}

/// The simulated phone number of account `i`.
fn phone(i: usize) -> String {
    format!("1777{i:07}")
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("openwa-server-load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Failure> {
    let args = parse_args(std::env::args().skip(1))?;
    let dir = std::env::temp_dir().join(format!("openwa-server-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let sim = SimProcess::start(&args.sim, &[]).await?;
    futures_util::stream::iter(0..args.sessions + 2)
        .map(|i| {
            let account = json!({ "phone": phone(i), "name": format!("Load {i}") });
            let sim = &sim;
            async move {
                sim.admin_ok("POST", "/admin/accounts", Some(&account))
                    .await
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let server = Server::start(&args.server, &dir, &sim).await?;
    server.link(&sim, "load", &phone(0)).await?;
    let (hook_url, seen) = receiver::start().await?;
    server
        .call(
            "POST",
            "/api/sessions/load/webhooks",
            Some(json!({ "url": hook_url, "events": ["*"] })),
        )
        .await?;

    let phase = Duration::from_secs(args.seconds);
    let status = status_phase(&server, args.concurrency, phase).await?;
    println!("status: {status}");
    let before_sends = seen.lock().map(|s| s.count).unwrap_or(0);
    let sends = send_phase(&server, args.rate, phase, &phone(1), args.queued).await?;
    println!("send-text: {sends}");
    let webhooks = drain(&seen, before_sends).await;
    println!("webhooks: {webhooks}");
    drop(server);
    let idle = if args.sessions > 0 {
        let idle = idle_phase(&args, &dir.join("idle"), &sim).await?;
        println!("idle sessions: {idle}");
        idle
    } else {
        serde_json::Value::Null
    };
    println!(
        "{}",
        json!({
            "status": status,
            "send_text": sends,
            "webhooks": webhooks,
            "idle": idle,
            "rate": args.rate,
            "seconds": args.seconds,
            "concurrency": args.concurrency,
            "queued": args.queued,
        })
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// Phase 1: closed-loop `GET /api/sessions/load`.
async fn status_phase(
    server: &Server,
    concurrency: usize,
    length: Duration,
) -> Result<serde_json::Value, Failure> {
    let started = Instant::now();
    let deadline = started + length;
    let url = format!("{}/api/sessions/load", server.url);
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (http, url, key) = (server.http.clone(), url.clone(), server.key.clone());
            tokio::spawn(async move {
                let (mut samples, mut failed) = (Samples::default(), 0u64);
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    match http.get(&url).header("X-API-Key", &key).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            samples.push(sent.elapsed());
                        }
                        _ => failed += 1,
                    }
                }
                (samples, failed)
            })
        })
        .collect();
    let (mut samples, mut failed) = (Samples::default(), 0);
    for worker in workers {
        let (s, f) = worker.await?;
        samples.extend(s);
        failed += f;
    }
    let mut summary = samples.summary(started.elapsed());
    summary["failed"] = failed.into();
    Ok(summary)
}

/// Phase 2: open-loop send-text at `rate` per second to `to` (`queued`: answered once queued).
async fn send_phase(
    server: &Server,
    rate: u64,
    length: Duration,
    to: &str,
    queued: bool,
) -> Result<serde_json::Value, Failure> {
    let (prefer, ok) = if queued {
        ("respond-async", 202)
    } else {
        ("wait", 201)
    };
    let url = format!("{}/api/sessions/load/messages/send-text", server.url);
    let total = rate * length.as_secs();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    for n in 0..total {
        let due = started + interval.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        let (http, url, key) = (server.http.clone(), url.clone(), server.key.clone());
        let body = json!({ "chatId": format!("{to}@c.us"), "text": format!("load {n}") });
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let status = match http
                .post(&url)
                .header("X-API-Key", &key)
                .header("Prefer", prefer)
                .json(&body)
                .send()
                .await
            {
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            };
            (status, sent.elapsed())
        }));
    }
    let issued = started.elapsed();
    let (mut accepted, mut other) = (Samples::default(), std::collections::BTreeMap::new());
    for task in tasks {
        let (status, latency) = task.await?;
        if status == ok {
            accepted.push(latency);
        } else {
            *other.entry(status.to_string()).or_insert(0u64) += 1;
        }
    }
    let all = started.elapsed();
    let mut summary = accepted.summary(all);
    summary["issued_per_second"] = (total as f64 / issued.as_secs_f64()).into();
    summary["refused_by_status"] = json!(other);
    Ok(summary)
}

/// Phase 3: waits until no delivery arrived for 3 s (at most 2 minutes) and reports the
/// deliveries after `before` and their rate between the first and the last.
async fn drain(seen: &Arc<std::sync::Mutex<receiver::Seen>>, before: u64) -> serde_json::Value {
    let count = || seen.lock().map(|s| s.count).unwrap_or(0);
    let mut last = count();
    let mut quiet = 0;
    for _ in 0..240 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = count();
        quiet = if now == last { quiet + 1 } else { 0 };
        last = now;
        if quiet >= 6 {
            break;
        }
    }
    let (first, end, total) = match seen.lock() {
        Ok(s) => (s.first, s.last, s.count),
        Err(_) => (None, None, 0),
    };
    let span = match (first, end) {
        (Some(a), Some(b)) => b.duration_since(a).as_secs_f64(),
        _ => 0.0,
    };
    json!({
        "deliveries": total,
        "during_sends": total - before,
        "span_seconds": span,
        "per_second": if span > 0.0 { total as f64 / span } else { 0.0 },
    })
}

/// Phase 4: the RSS per idle linked session of a server restarted on `--sessions` linked
/// sessions (as the engine's own figure is taken: a process that restored its sessions, not
/// one that just linked them), against the RSS of a fresh server with none.
async fn idle_phase(
    args: &Args,
    dir: &std::path::Path,
    sim: &SimProcess,
) -> Result<serde_json::Value, Failure> {
    std::fs::create_dir_all(dir)?;
    let server = Server::start(&args.server, dir, sim).await?;
    tokio::time::sleep(args.idle).await;
    let empty = procfs::rss_kib(server.pid()?)?;
    let started = Instant::now();
    let linker = &server;
    futures_util::stream::iter(0..args.sessions)
        .map(|i| async move { linker.link(sim, &format!("idle-{i}"), &phone(i + 2)).await })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let linking = started.elapsed();
    let just_linked = procfs::rss_kib(server.pid()?)?;
    server.stop().await;

    let server = Server::start(&args.server, dir, sim).await?;
    let started = Instant::now();
    server
        .poll("every restored session ready", || async {
            let stats = server
                .call("GET", "/api/sessions/stats/overview", None)
                .await
                .ok()?;
            (stats["ready"].as_u64() == Some(args.sessions as u64)).then_some(())
        })
        .await?;
    let restore = started.elapsed();
    tokio::time::sleep(args.idle).await;
    let restored = procfs::rss_kib(server.pid()?)?;
    Ok(json!({
        "sessions": args.sessions,
        "link_seconds": linking.as_secs_f64(),
        "restore_seconds": restore.as_secs_f64(),
        "rss_empty_kib": empty,
        "rss_just_linked_kib": just_linked,
        "rss_restored_idle_kib": restored,
        "kib_per_session": (restored as f64 - empty as f64) / args.sessions as f64,
    }))
}
