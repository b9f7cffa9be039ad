//! `openwa-server [--sandbox]`: serves OpenWA's REST API (configuration: environment, see
//! server/README.md).

#![allow(clippy::print_stdout)]

use mimalloc::MiMalloc;
use openwa_server::{app, config::Config, sandbox};

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

const USAGE: &str = "usage: openwa-server [--sandbox | --openapi]\n\
  --sandbox   also start an embedded openwa-sim and point sessions at it\n\
  --openapi   print the OpenAPI document (also served at /api/openapi.json) and exit\n\
  configuration: environment variables (PORT, HOST, DATA_DIR, DATABASE_URL, API_KEY,\n\
  OPENWA_WHATSAPP_URL, OPENWA_WHATSAPP_TRUST_ROOT, OPENWA_WHATSAPP_TLS_CERT, WEBHOOK_*)";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sandbox = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => false,
        ["--sandbox"] => true,
        ["--openapi"] => {
            return match openwa_server::routes::document().to_pretty_json() {
                Ok(json) => {
                    println!("{json}");
                    std::process::ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("openwa-server: rendering the OpenAPI document: {e}");
                    std::process::ExitCode::FAILURE
                }
            };
        }
        ["--help" | "-h"] => {
            println!("{USAGE}");
            return std::process::ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(sandbox).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("openwa-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(sandbox: bool) -> Result<(), String> {
    let mut config = Config::from_env().map_err(|e| e.to_string())?;
    let simulator = if sandbox {
        let base = match std::env::var("OPENWA_SANDBOX_PORT") {
            Ok(port) => port
                .parse()
                .map_err(|_| format!("OPENWA_SANDBOX_PORT {port:?} is not a port"))?,
            Err(_) => 2786,
        };
        Some(sandbox::start(&mut config, base).await?)
    } else {
        None
    };
    let running = app::start(config).await.map_err(|e| e.to_string())?;
    let host = if running.addr.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        running.addr.ip().to_string()
    };
    let url = format!("http://{host}:{}", running.addr.port());
    println!("OpenWA server listening on {url}");
    if let Some(key) = &running.new_admin_key {
        let path = running.state.config.data_dir.join(".api-key");
        println!(
            "Admin API key (shown once; also written to {}):",
            path.display()
        );
        println!("{key}");
    }
    if let Some(sim) = &simulator {
        println!("{}", sandbox::instructions(&url, &sim.info.admin_url));
    }
    running
        .serve(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
