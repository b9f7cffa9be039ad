//! Starting the server: the engine's manager, the server's tables, the first admin key, the
//! background tasks (QR board, webhook pump and worker) and the HTTP listener.

use std::net::SocketAddr;
use std::sync::Arc;

use openwa::{AtRestKey, ManagerConfig, SessionManager, StoreBackend, StoreConfig};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::board::SessionBoard;
use crate::config::Config;
use crate::db::Db;
use crate::state::AppState;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data directory or the listener.
    #[error("{0}")]
    Io(String),
    /// The engine.
    #[error("engine: {0}")]
    Engine(#[from] openwa::Error),
    /// The server's database.
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

/// A started server.
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The first admin key, when this start created it (print it once).
    pub new_admin_key: Option<String>,
    /// The state (engine manager, database).
    pub state: AppState,
    listener: TcpListener,
}

/// The SQLite file of the server's own tables, beside the engine's `openwa.db`.
pub const SERVER_DB: &str = "openwa-server.db";

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Opens everything and binds the listener (nothing is served until [`Running::serve`]).
pub async fn start(config: Config) -> Result<Running, StartError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| StartError::Io(format!("data dir {}: {e}", config.data_dir.display())))?;
    let sqlite_path = config.data_dir.join("openwa.db");
    let postgres = config.database_url.clone().filter(|u| is_postgres(u));
    if let (None, Some(url)) = (&postgres, &config.database_url) {
        return Err(StartError::Io(format!(
            "DATABASE_URL {url:?}: only postgres:// URLs are supported (leave it unset for SQLite)"
        )));
    }
    let backend = match &postgres {
        Some(url) => StoreBackend::Postgres { url: url.clone() },
        None => StoreBackend::Sqlite {
            path: sqlite_path.clone(),
        },
    };
    let manager = SessionManager::open(ManagerConfig {
        store: StoreConfig {
            backend,
            at_rest_key: Some(AtRestKey::File {
                path: config.data_dir.join("openwa.key"),
            }),
        },
        default_session_options: config.session_options.clone(),
        ..ManagerConfig::default()
    })
    .await?;
    // SQLite: the server's tables in a file of their own, so its writers (audit log, outbox)
    // never wait for the engine's write lock, nor the engine for theirs.
    let db = match &postgres {
        Some(url) => Db::postgres(url).await?,
        None => Db::sqlite(&config.data_dir.join(SERVER_DB)).await?,
    };
    let new_admin_key = crate::keys::bootstrap(&db, &config.data_dir).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| StartError::Io(format!("listening on {}: {e}", config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Io(e.to_string()))?;
    let config = Arc::new(config);
    let state = AppState {
        manager,
        db,
        config: config.clone(),
        board: Arc::new(SessionBoard::default()),
        outbox_wake: Arc::new(Notify::new()),
        metrics: Arc::new(crate::metrics::Metrics::default()),
        limiter: Arc::new(crate::ratelimit::Limiter::new(config.rate_limits.clone())),
        key_limiter: Arc::new(crate::ratelimit::Limiter::new(
            config.key_rate_limits.clone(),
        )),
        shutdown: Arc::new(tokio::sync::watch::Sender::new(false)),
    };
    Ok(Running {
        addr,
        new_admin_key,
        state,
        listener,
    })
}

impl Running {
    /// Starts the background tasks and serves until `shutdown` completes; then closes the
    /// engine (the outbox stays durable for the next start).
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let state = self.state;
        let (manager, board) = (state.manager.clone(), state.board.clone());
        let watch = tokio::spawn(async move { crate::session_watch::run(&manager, &board).await });
        let (manager, metrics) = (state.manager.clone(), state.metrics.clone());
        let counting = tokio::spawn(async move { crate::metrics::watch(&manager, &metrics).await });
        let pump = tokio::spawn(crate::webhooks::pump::run(state.clone()));
        let client = crate::webhooks::guard::client(state.config.webhook_allow_private)
            .map_err(|e| StartError::Io(format!("HTTP client: {e}")))?;
        let worker = tokio::spawn(crate::webhooks::worker::run(state.clone(), client));
        let app = crate::routes::router(state.clone());
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let signal = state.shutdown.clone();
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                signal.send_replace(true);
            })
            .await;
        for task in [watch, counting, pump, worker] {
            task.abort();
        }
        state.manager.close().await?;
        served.map_err(|e| StartError::Io(e.to_string()))
    }
}
