//! Temporary stores and managers on every backend: [`TestStore`] for the engine's tests, and
//! the store-level fixtures of `openwa_store::testing` (re-exported here: [`TempStore`],
//! [`TestDb`], [`Fixture`], [`run_on`], `on_every_backend!`), which stay in the store crate so
//! that its own suite can use them.

use std::path::PathBuf;
use std::sync::Arc;

use openwa::{
    AtRestKey, ConnectionState, EventStream, ManagerConfig, Session, SessionManager,
    SessionOptions, StoreBackend, StoreConfig,
};

pub use openwa_store::on_every_backend;
pub use openwa_store::testing::{
    Backend, Fixture, Raw, TempPgDatabase, TempStore, TestDb, memory_uri, pg_admin_url, run_on,
};

/// A fresh store for one test: a memory store (new with each manager), a SQLite file in a temp
/// dir, or a PostgreSQL database with a random name (see [`TempStore`]). Call
/// [`TestStore::destroy`] at the end (the PostgreSQL database is dropped), or let
/// `openwa_store::on_every_backend!` do it. A memory store lives as long as its manager: tests
/// that reopen a manager or look at the store with [`TestStore::open_raw`] are `persistent:`.
#[derive(Debug)]
pub struct TestStore {
    /// The backend.
    pub backend: Backend,
    /// The temporary directory (SQLite file, key file).
    pub dir: PathBuf,
    temp: TempStore,
}

impl TestStore {
    /// A fresh store on `backend` (panics when it cannot be made, e.g. PostgreSQL is down).
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

    /// The SQLite file and key file of a SQLite store (panics on another backend): what a
    /// crash test hands its child process.
    pub fn sqlite_files(&self) -> (PathBuf, PathBuf) {
        match self.config() {
            StoreConfig {
                backend: StoreBackend::Sqlite { path },
                at_rest_key: Some(AtRestKey::File { path: key }),
            } => (path, key),
            _ => panic!("SQLite with a key file expected"),
        }
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

    /// Removes the store (drops the PostgreSQL database, removes the directory).
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

/// A manager on the SQLite file `db` sealed with the key file `key`, whose sessions default to
/// `options`: what a crash test's child process opens on its parent's store.
pub async fn sqlite_manager(
    db: &std::path::Path,
    key: &std::path::Path,
    options: SessionOptions,
) -> Arc<SessionManager> {
    SessionManager::open(ManagerConfig {
        store: StoreConfig {
            backend: StoreBackend::Sqlite { path: db.into() },
            at_rest_key: Some(AtRestKey::File { path: key.into() }),
        },
        default_session_options: options,
        ..ManagerConfig::default()
    })
    .await
    .unwrap()
}
