//! `openwa-simulator`: a local WhatsApp multi-device network that real clients can use.
//!
//! Start it in-process with [`Simulator::start`] (tests) or as the `openwa-sim` binary. It
//! serves the chat WebSocket (`/ws/chat`, plain and TLS), an HTTPS media host and an admin HTTP
//! JSON API (see `simulator/README.md`).

pub mod admin;
pub mod client;
pub mod conn;
pub mod device;
pub mod faults;
pub mod groups;
pub mod http_client;
pub mod hub;
pub mod iq;
pub mod media_host;
pub mod media_store;
pub mod messages;
pub mod newsletters;
pub mod pairing;
pub mod phone;
pub mod presence;
pub mod process;
pub mod procfs;
pub mod provision;
pub mod router;
pub mod sim;
pub mod state;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tls;
mod util;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use conn::registry::PairedDevice;
pub use faults::{ActiveFaults, FaultRequest};
pub use sim::{AccountInfo, DeviceInfo, FaultOutcome, GroupInfo, Health, LinkError, Sim};
pub use state::StateError;

/// Where the simulator listens and keeps its state.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Plain `ws://` chat endpoint.
    pub listen: SocketAddr,
    /// Optional `wss://` chat endpoint (same protocol over TLS).
    pub tls_listen: Option<SocketAddr>,
    /// Admin HTTP API.
    pub admin: SocketAddr,
    /// HTTPS media host.
    pub media: SocketAddr,
    /// Directory for persistent state (accounts, devices, prekeys, queued stanzas, keys, TLS
    /// certificate); in-memory only when `None`.
    pub state_dir: Option<PathBuf>,
    /// Whether each phone sends the companions it links its app-state sync key and a
    /// history-sync notification, as WhatsApp phones do (Baileys 6 surfaces events only after
    /// it got the key). Off by default here, so raw-protocol tests see only the stanzas they
    /// cause; the `openwa-sim` binary turns it on.
    pub share_app_state_key: bool,
    /// Largest upload the media host accepts, in bytes (default
    /// [`media_host::MAX_UPLOAD`], 64 MiB).
    pub max_upload_bytes: usize,
}

impl Default for SimulatorConfig {
    /// Everything on `127.0.0.1` with OS-chosen ports, TLS chat endpoint on, no state directory.
    fn default() -> Self {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        SimulatorConfig {
            listen: any,
            tls_listen: Some(any),
            admin: any,
            media: any,
            state_dir: None,
            share_app_state_key: false,
            max_upload_bytes: media_host::MAX_UPLOAD,
        }
    }
}

/// What the simulator prints (one JSON line) when it is ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyInfo {
    /// `ws://HOST:PORT/ws/chat`.
    pub ws_url: String,
    /// `wss://HOST:PORT/ws/chat`, when TLS is on.
    pub wss_url: Option<String>,
    /// `http://HOST:PORT` of the admin API.
    pub admin_url: String,
    /// `https://HOST:PORT` of the media host.
    pub media_url: String,
    /// Hex of the Noise certificate root public key clients must trust.
    pub root_public_key: String,
    /// Path of the self-signed TLS certificate (PEM) used by `wss://` and the media host.
    pub tls_cert_path: String,
    /// Hex SHA-256 of that certificate's DER.
    pub tls_cert_sha256: String,
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A listener could not be bound.
    #[error("binding {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The state directory could not be loaded.
    #[error(transparent)]
    State(#[from] state::persist::PersistError),
    /// The TLS identity could not be made.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
}

/// The simulator.
#[derive(Debug)]
pub struct Simulator;

async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), StartError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr, source })?;
    Ok((listener, local))
}

impl Simulator {
    /// Binds every listener, loads or creates the state, and starts serving.
    pub async fn start(config: SimulatorConfig) -> Result<SimulatorHandle, StartError> {
        let loaded = match &config.state_dir {
            Some(dir) => state::persist::load(dir)?,
            None => None,
        };
        let fresh = loaded.is_none();
        let state = loaded.unwrap_or_else(|| state::State::new(&mut OsRng));
        let tls = match &config.state_dir {
            Some(dir) => tls::TlsIdentity::load_or_create(dir)?,
            None => {
                let path = std::env::temp_dir().join(format!(
                    "openwa-sim-{}-{}-cert.pem",
                    std::process::id(),
                    rand_core::RngCore::next_u32(&mut OsRng)
                ));
                let identity = tls::TlsIdentity::generate(path)?;
                identity.write_cert()?;
                identity
            }
        };

        let (ws_listener, ws_addr) = bind(config.listen).await?;
        let (admin_listener, admin_addr) = bind(config.admin).await?;
        let (media_listener, media_addr) = bind(config.media).await?;
        let wss = match config.tls_listen {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };

        let media_host = media_addr.to_string();
        let root_public_key = hex::encode(state.server_keys.root.public);
        let sim = Arc::new(Sim::new(
            state,
            config.state_dir.clone(),
            media_host.clone(),
        ));
        sim.share_app_state_key.store(
            config.share_app_state_key,
            std::sync::atomic::Ordering::Relaxed,
        );
        if fresh {
            sim.write(|_| ());
        }
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let mut tasks = Vec::new();

        tasks.push(tokio::spawn(sim.hub().clone().persist_loop()));
        tasks.push(tokio::spawn(accept_plain(
            sim.clone(),
            ws_listener,
            shutdown_rx.clone(),
        )));
        let wss_url = match wss {
            Some((listener, addr)) => {
                let config = tls.server_config(&[b"http/1.1"])?;
                let listener = tls::TlsListener::new(listener, config)
                    .map_err(|source| StartError::Bind { addr, source })?;
                tasks.push(tokio::spawn(accept_tls(
                    sim.clone(),
                    listener,
                    shutdown_rx.clone(),
                )));
                Some(format!("wss://{addr}{}", conn::WS_PATH))
            }
            None => None,
        };

        let admin = admin::router(sim.clone(), tls.cert_pem.clone());
        tasks.push(tokio::spawn(serve_http(
            admin_listener,
            admin,
            shutdown_rx.clone(),
        )));
        let media_tls = tls::TlsListener::new(media_listener, tls.server_config(&[b"http/1.1"])?)
            .map_err(|source| StartError::Bind {
            addr: media_addr,
            source,
        })?;
        let media = media_host::router(sim.hub().clone(), config.max_upload_bytes);
        tasks.push(tokio::spawn(serve_http(
            media_tls,
            media,
            shutdown_rx.clone(),
        )));

        let info = ReadyInfo {
            ws_url: format!("ws://{ws_addr}{}", conn::WS_PATH),
            wss_url,
            admin_url: format!("http://{admin_addr}"),
            media_url: format!("https://{media_host}"),
            root_public_key,
            tls_cert_path: tls.cert_path.display().to_string(),
            tls_cert_sha256: tls.fingerprint.clone(),
        };
        tracing::info!(?info, "simulator ready");
        Ok(SimulatorHandle {
            info,
            sim,
            shutdown: shutdown_tx,
            tasks,
            tls_cert_pem: tls.cert_pem,
            _temp_cert: config
                .state_dir
                .is_none()
                .then(|| RemovedOnDrop(tls.cert_path.clone())),
        })
    }
}

async fn accept_plain(sim: Arc<Sim>, listener: TcpListener, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(conn::serve(sim.clone(), stream, peer));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
        }
    }
}

async fn accept_tls(
    sim: Arc<Sim>,
    mut listener: tls::TlsListener,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.next() => match accepted {
                Some((stream, peer)) => {
                    tokio::spawn(conn::serve(sim.clone(), stream, peer));
                }
                None => break,
            },
        }
    }
}

async fn serve_http<L>(listener: L, router: axum::Router, mut shutdown: watch::Receiver<bool>)
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    let result = axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            let _ = shutdown.changed().await;
        })
        .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "HTTP server failed");
    }
}

/// A running simulator: its addresses, in-process admin helpers, and shutdown.
#[derive(Debug)]
pub struct SimulatorHandle {
    /// Addresses and trust anchors (what the binary prints).
    pub info: ReadyInfo,
    sim: Arc<Sim>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    tls_cert_pem: String,
    /// The certificate file generated in the temp dir (no state dir), removed with the handle.
    _temp_cert: Option<RemovedOnDrop>,
}

/// A file removed when this is dropped.
#[derive(Debug)]
struct RemovedOnDrop(PathBuf);

impl Drop for RemovedOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl SimulatorHandle {
    /// The shared core (state, connections, faults).
    pub fn sim(&self) -> &Arc<Sim> {
        &self.sim
    }

    /// The Noise root public key clients must trust.
    pub fn root_public_key(&self) -> [u8; 32] {
        self.sim.read(|s| s.server_keys.root.public)
    }

    /// The self-signed TLS certificate (PEM).
    pub fn tls_cert_pem(&self) -> &str {
        &self.tls_cert_pem
    }

    /// Creates an account (same as `POST /admin/accounts`).
    pub fn create_account(&self, phone: &str, name: &str) -> Result<AccountInfo, StateError> {
        self.sim.create_account(phone, name)
    }

    /// Lists the devices of an account (same as `GET /admin/accounts/{phone}/devices`).
    pub fn devices(&self, phone: &str) -> Result<Vec<DeviceInfo>, StateError> {
        self.sim.devices(phone)
    }

    /// Applies a fault (same as `POST /admin/faults`).
    pub fn apply_fault(&self, fault: FaultRequest) -> FaultOutcome {
        self.sim.apply_fault(fault)
    }

    /// Stops every listener and connection and saves the state.
    pub async fn shutdown(self) -> Result<(), state::persist::PersistError> {
        let _ = self.shutdown.send(true);
        for conn in self.sim.registry.select(None) {
            conn.send(conn::registry::Command::Drop);
        }
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks {
            let _ = task.await;
        }
        let sim = self.sim.clone();
        tokio::task::spawn_blocking(move || sim.flush())
            .await
            .unwrap_or(Ok(()))
    }
}
