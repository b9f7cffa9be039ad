//! Shared helpers of the engine's integration tests: the in-process simulator, session options
//! pointing at it, event matching, and throw-away memory / SQLite / PostgreSQL stores.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use openwa::{
    AtRestKey, ConnectionState, EventKind, EventStream, ManagerConfig, Session, SessionManager,
    SessionOptions, StateReason, StoreBackend, StoreConfig,
};
use openwa_simulator::PairedDevice;
use openwa_simulator::{Simulator, SimulatorConfig, SimulatorHandle};
use openwa_store::testing::{Fixture, TempStore};

pub use openwa_store::testing::Backend;

/// How long a test waits for one expected event.
pub const WAIT: Duration = Duration::from_secs(30);

/// The in-process simulator with its plain `ws://` endpoint only.
pub async fn simulator() -> SimulatorHandle {
    Simulator::start(SimulatorConfig {
        tls_listen: None,
        ..SimulatorConfig::default()
    })
    .await
    .unwrap()
}

/// Session options pointing at `sim` over `ws://`.
pub fn sim_options(sim: &SimulatorHandle) -> SessionOptions {
    SessionOptions {
        server_url: sim.info.ws_url.clone(),
        trust_root: sim.root_public_key().to_vec(),
        ..SessionOptions::default()
    }
}

/// The next event of `events` whose kind matches `pred` (panics after [`WAIT`]).
pub async fn next_matching(events: &EventStream, pred: impl Fn(&EventKind) -> bool) -> EventKind {
    tokio::time::timeout(WAIT, async {
        loop {
            let event = events.next().await.unwrap();
            if pred(&event.kind) {
                return event.kind;
            }
        }
    })
    .await
    .unwrap()
}

/// The QR string of the next `Qr` event.
pub async fn next_qr(events: &EventStream) -> String {
    match next_matching(events, |k| matches!(k, EventKind::Qr { .. })).await {
        EventKind::Qr { code, .. } => code,
        _ => unreachable!(),
    }
}

/// Connects `session` (unpaired), links it to the account `phone` by QR and waits until it is
/// connected.
pub async fn link_by_qr(sim: &SimulatorHandle, session: &Session, phone: &str) -> PairedDevice {
    let events = session.events();
    session.connect().await.unwrap();
    let linked = sim
        .sim()
        .link_qr(phone, &next_qr(&events).await)
        .await
        .unwrap();
    session
        .wait_for_state(ConnectionState::Connected, 120_000)
        .await
        .unwrap();
    linked
}

/// Waits for the next change to `state`; returns its reason and detail.
pub async fn next_state(
    events: &EventStream,
    state: ConnectionState,
) -> (StateReason, Option<String>) {
    let kind = next_matching(
        events,
        |k| matches!(k, EventKind::ConnectionState { state: s, .. } if *s == state),
    )
    .await;
    match kind {
        EventKind::ConnectionState { reason, detail, .. } => (reason, detail),
        _ => unreachable!(),
    }
}

/// A fresh store for one test: a memory store (new with each manager), a SQLite file in a temp
/// dir, or a PostgreSQL database with a random name (see [`TempStore`]). Call
/// [`TestStore::destroy`] at the end (the PostgreSQL database is dropped), or let
/// `openwa_store::on_every_backend!` do it. A memory store lives as long as its manager: tests
/// that reopen a manager or look at the store with [`TestStore::open_raw`] are `persistent:`.
#[derive(Debug)]
pub struct TestStore {
    pub backend: Backend,
    pub dir: PathBuf,
    temp: TempStore,
}

impl TestStore {
    pub async fn create(backend: Backend) -> TestStore {
        let temp = TempStore::create(backend, "openwa_engine_test")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        TestStore {
            backend,
            dir: temp.dir.clone(),
            temp,
        }
    }

    /// The store configuration (the at-rest key lives in a key file in the temp dir).
    pub fn config(&self) -> StoreConfig {
        let backend = match (self.backend, &self.temp.pg) {
            (Backend::Memory, _) => return StoreConfig::default(),
            (_, Some(pg)) => StoreBackend::Postgres {
                url: pg.url.clone(),
            },
            (_, None) => StoreBackend::Sqlite {
                path: self.dir.join("openwa.db"),
            },
        };
        StoreConfig {
            backend,
            at_rest_key: Some(AtRestKey::File {
                path: self.dir.join("openwa.key"),
            }),
        }
    }

    /// A second handle on this database (the engine's store crate directly), to look at or
    /// change what the engine holds, e.g. while its manager is stopped. Not on the memory
    /// backend (its database is private to the manager).
    pub async fn open_raw(&self) -> openwa_store::Store {
        let database = match self.config().backend {
            StoreBackend::Sqlite { path } => openwa_store::Database::Sqlite(path),
            StoreBackend::Postgres { url } => openwa_store::Database::Postgres(url),
            StoreBackend::Memory => {
                panic!("a memory store has no second handle: test it on `persistent:` backends")
            }
        };
        let key = openwa_store::KeySource::File(self.dir.join("openwa.key"));
        openwa_store::Store::open(openwa_store::StoreConfig::new(database, key))
            .await
            .unwrap()
    }

    /// A manager on this store again (after a restart): waits until session `id` has logged in;
    /// the event stream was subscribed before the login.
    pub async fn resume(
        &self,
        options: SessionOptions,
        id: &str,
    ) -> (Arc<SessionManager>, Arc<Session>, EventStream) {
        let manager = self.open_manager(options).await;
        let session = manager.get(id).await.unwrap();
        let events = session.events();
        session
            .wait_for_state(ConnectionState::Connected, 30_000)
            .await
            .unwrap();
        (manager, session, events)
    }

    /// A manager on this store whose sessions default to `options`.
    pub async fn open_manager(&self, options: SessionOptions) -> Arc<SessionManager> {
        SessionManager::open(ManagerConfig {
            store: self.config(),
            default_session_options: options,
            ..ManagerConfig::default()
        })
        .await
        .unwrap()
    }

    pub async fn destroy(&self) {
        self.temp.destroy().await.unwrap();
    }
}

impl Fixture for TestStore {
    async fn create(backend: Backend) -> TestStore {
        TestStore::create(backend).await
    }

    async fn destroy(&self) {
        TestStore::destroy(self).await;
    }
}

/// Runs `body` on a fresh store of `backend` and removes the store whatever happened (the
/// body's panic is re-raised afterwards).
pub async fn with_store<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(Arc<TestStore>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    openwa_store::testing::run_on(backend, body).await;
}
