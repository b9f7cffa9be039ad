//! `openwa-sim-load`: a load benchmark for `openwa-sim`. It starts the simulator as a separate
//! process, links N companions through the admin API (`POST /admin/accounts/{phone}/devices`),
//! logs them all in over real WebSocket + Noise connections, holds them idle, then lets P pairs
//! chat (message → server ack → delivery to the partner → receipt → back to the sender → ack)
//! and reports what the simulator process used.
//!
//! Numbers go to docs/BENCHMARKS.md; run it from a release build:
//! `cargo run --release -p openwa-simulator --bin openwa-sim-load -- --clients 10000`.

mod chat;
mod setup;

/// mimalloc: the load generator's connection tasks allocate and free per stanza across worker
/// threads, which glibc's arenas serialize (see docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use openwa_simulator::procfs;

const USAGE: &str = "usage: openwa-sim-load [--clients N] [--pairs P] [--window W] [--seconds S]
                       [--payload BYTES] [--parallel K] [--sim PATH]

  --clients N     companions linked, logged in and held idle (default 1000)
  --pairs P       of them, P pairs chat during the message phase (default 50)
  --window W      messages each sender keeps in flight (default 16)
  --seconds S     length of the message phase (default 10)
  --payload BYTES ciphertext size of each message (default 160)
  --parallel K    logins in flight while connecting (default 64)
  --sim PATH      the openwa-sim binary (default: next to this one)

Prints progress on stderr and one JSON summary line on stdout.";

/// What a run is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    clients: usize,
    pairs: usize,
    window: usize,
    seconds: u64,
    payload: usize,
    parallel: usize,
    sim: Option<std::path::PathBuf>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        clients: 1000,
        pairs: 50,
        window: 16,
        seconds: 10,
        payload: 160,
        parallel: 64,
        sim: None,
    };
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|e| format!("{flag} {value}: {e}"))
        };
        match flag.as_str() {
            "--clients" => options.clients = number()?,
            "--pairs" => options.pairs = number()?,
            "--window" => options.window = number()?.max(1),
            "--seconds" => options.seconds = number()? as u64,
            "--payload" => options.payload = number()?,
            "--parallel" => options.parallel = number()?.max(1),
            "--sim" => options.sim = Some(value.into()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if options.pairs * 2 > options.clients {
        return Err(format!(
            "--pairs {} needs at least {} clients",
            options.pairs,
            options.pairs * 2
        ));
    }
    Ok(options)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("openwa-sim-load: {message}");
            }
            eprintln!("{USAGE}");
            return if message.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("openwa-sim-load: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(summary) => {
            let _ = writeln!(std::io::stdout().lock(), "{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("openwa-sim-load: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<serde_json::Value, String> {
    let sim = setup::start_sim(options.sim.as_deref()).await?;
    let rss_empty = procfs::rss_kib(sim.pid())?;
    eprintln!("simulator pid {} up, RSS {rss_empty} KiB", sim.pid());

    let started = Instant::now();
    let devices = setup::provision(&sim, options.clients, options.parallel).await?;
    let provision_secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} companions linked in {provision_secs:.1} s",
        devices.len()
    );
    let rss_accounts = procfs::rss_kib(sim.pid())?;

    let started = Instant::now();
    let mut clients = setup::connect_all(&sim, &devices, options.parallel).await?;
    let connect_secs = started.elapsed().as_secs_f64();
    eprintln!("{} logged in in {connect_secs:.1} s", clients.len());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let held = setup::ping_all(&mut clients, options.parallel).await;
    let rss_idle = procfs::rss_kib(sim.pid())?;
    let per_connection =
        (rss_idle.saturating_sub(rss_accounts) * 1024) / clients.len().max(1) as u64;
    eprintln!(
        "{held}/{} idle connections answer a ping; simulator RSS {rss_idle} KiB \
         ({per_connection} bytes per connection)",
        clients.len()
    );

    let chatters: Vec<_> = clients.drain(..options.pairs * 2).collect();
    let cpu_before = procfs::cpu_seconds(sim.pid())?;
    let own_before = procfs::cpu_seconds_self()?;
    let outcome = chat::run(chatters, &options).await?;
    let sim_cpu = procfs::cpu_seconds(sim.pid())? - cpu_before;
    let own_cpu = procfs::cpu_seconds_self()? - own_before;
    let messages_per_sec = outcome.delivered as f64 / outcome.seconds;
    let sim_us_per_message = sim_cpu * 1e6 / outcome.delivered.max(1) as f64;
    eprintln!(
        "{} messages delivered in {:.1} s: {messages_per_sec:.0} messages/s \
         ({:.0} stanzas/s); simulator CPU {sim_cpu:.1} s ({sim_us_per_message:.1} µs per message), \
         load tool CPU {own_cpu:.1} s",
        outcome.delivered,
        outcome.seconds,
        messages_per_sec * 6.0
    );
    drop(clients);
    Ok(serde_json::json!({
        "clients": options.clients,
        "idle_connections_held": held,
        "provision_seconds": provision_secs,
        "connect_seconds": connect_secs,
        "sim_rss_kib": { "empty": rss_empty, "accounts": rss_accounts, "idle": rss_idle },
        "sim_bytes_per_idle_connection": per_connection,
        "pairs": options.pairs,
        "window": options.window,
        "payload_bytes": options.payload,
        "messages_delivered": outcome.delivered,
        "message_seconds": outcome.seconds,
        "messages_per_second": messages_per_sec,
        "stanzas_per_second": messages_per_sec * 6.0,
        "sim_cpu_seconds": sim_cpu,
        "sim_cpu_us_per_message": sim_us_per_message,
        "load_tool_cpu_seconds": own_cpu,
        "errors": outcome.errors,
    }))
}
