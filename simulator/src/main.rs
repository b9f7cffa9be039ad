//! `openwa-sim`: runs the simulator and prints one JSON line (its URLs and trust anchors) on
//! stdout when ready.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use openwa_simulator::{Simulator, SimulatorConfig};

/// mimalloc: every connection task allocates and frees per stanza, across worker threads, which
/// glibc's arenas serialize (see docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str =
    "usage: openwa-sim --listen ADDR --admin ADDR [--media ADDR] [--tls-listen ADDR] [--state DIR]

  --listen ADDR      plain ws:// chat endpoint (/ws/chat), e.g. 127.0.0.1:8080
  --admin ADDR       admin HTTP JSON API
  --media ADDR       HTTPS media host (default: 127.0.0.1:0)
  --tls-listen ADDR  wss:// chat endpoint (default: off)
  --state DIR        keep accounts, devices, prekeys and queued stanzas in DIR
  --app-state-key-share on|off
                     phones send linked companions their app-state sync key (default: on)
  --max-upload BYTES largest upload the media host accepts (default: 67108864, 64 MiB)

Logs go to stderr (RUST_LOG controls the level, default info).";

fn parse_args(args: &[String]) -> Result<SimulatorConfig, String> {
    let mut config = SimulatorConfig {
        tls_listen: None,
        share_app_state_key: true,
        ..SimulatorConfig::default()
    };
    let (mut listen, mut admin) = (None, None);
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let addr = || {
            value
                .parse::<SocketAddr>()
                .map_err(|e| format!("{flag} {value}: {e}"))
        };
        match flag.as_str() {
            "--listen" => listen = Some(addr()?),
            "--admin" => admin = Some(addr()?),
            "--media" => config.media = addr()?,
            "--tls-listen" => config.tls_listen = Some(addr()?),
            "--state" => config.state_dir = Some(PathBuf::from(value)),
            "--max-upload" => {
                config.max_upload_bytes = value
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("{flag} takes a positive number of bytes"))?;
            }
            "--app-state-key-share" => {
                config.share_app_state_key = match value.as_str() {
                    "on" => true,
                    "off" => false,
                    _ => return Err(format!("{flag} takes on or off, not {value}")),
                }
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    config.listen = listen.ok_or("--listen is required")?;
    config.admin = admin.ok_or("--admin is required")?;
    Ok(config)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse_args(&args) {
        Ok(config) => config,
        Err(message) => {
            let mut stderr = std::io::stderr().lock();
            if !message.is_empty() {
                let _ = writeln!(stderr, "openwa-sim: {message}");
            }
            let _ = writeln!(stderr, "{USAGE}");
            return if message.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let handle = match Simulator::start(config).await {
            Ok(handle) => handle,
            Err(e) => {
                tracing::error!(error = %e, "cannot start");
                return ExitCode::FAILURE;
            }
        };
        let line = serde_json::to_string(&handle.info).unwrap_or_default();
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, "{line}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return ExitCode::FAILURE;
        }
        drop(stdout);
        wait_for_signal().await;
        tracing::info!("shutting down");
        match handle.shutdown().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "saving state at shutdown failed");
                ExitCode::FAILURE
            }
        }
    })
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
