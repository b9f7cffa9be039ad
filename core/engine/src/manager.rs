//! The session manager: one per process; owns the event bus and every session.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, Weak};

use openwa_store::{ExclusiveLock, Store};
use tokio::sync::Semaphore;

use crate::bus::{EventBus, EventStream};
use crate::config::{ManagerConfig, SessionOptions};
use crate::connection::driver::DriverTimings;
use crate::connection::policy::Backoff;
use crate::connection::runner::RunnerParts;
use crate::context::SessionContext;
use crate::credentials::Credentials;
use crate::error::{Error, ErrorCode};
use crate::event::Event;
use crate::lifecycle::Lifecycle;
use crate::persist::{from_device, open_store};
use crate::runtime::{EngineRuntime, on};
use crate::session::{Session, SessionInfo};
use crate::tasks::Tasks;

/// Longest session id.
pub const MAX_SESSION_ID_LEN: usize = 64;

pub(crate) use crate::bus::MAX_REPLAY_PAGE;

/// Runs many sessions on one runtime with one event log.
#[derive(Debug)]
pub struct SessionManager {
    config: ManagerConfig,
    bus: Arc<EventBus>,
    sessions: Mutex<BTreeMap<String, Arc<Session>>>,
    runner: RunnerParts,
    store: Store,
    /// The store's [`ExclusiveLock`], released on close.
    lock: Mutex<Option<ExclusiveLock>>,
    /// This manager, for calls that move onto the runtime.
    me: Weak<SessionManager>,
    /// Declared last: dropped (shut down) after everything that runs on it.
    runtime: Arc<EngineRuntime>,
}

impl SessionManager {
    /// Opens the manager: validates the configuration, opens the store and its event log, and
    /// restores every persisted session; paired ones start connecting (at most
    /// `restore_parallelism` handshakes at a time).
    ///
    /// The manager runs on a tokio runtime of its own (`runtime_threads` workers), so it can be
    /// used from any executor or thread; dropping the last handle shuts it down.
    pub async fn open(config: ManagerConfig) -> Result<Arc<SessionManager>, Error> {
        Self::open_with(config, DriverTimings::default(), Backoff::default()).await
    }

    pub(crate) async fn open_with(
        config: ManagerConfig,
        timings: DriverTimings,
        backoff: Backoff,
    ) -> Result<Arc<SessionManager>, Error> {
        config.validate()?;
        let runtime = Arc::new(EngineRuntime::new(config.runtime_threads)?);
        let handle = runtime.handle().clone();
        let opening = Self::open_on(config, timings, backoff, runtime);
        on(&handle, opening).await
    }

    async fn open_on(
        config: ManagerConfig,
        timings: DriverTimings,
        backoff: Backoff,
        runtime: Arc<EngineRuntime>,
    ) -> Result<Arc<SessionManager>, Error> {
        let (store, lock) = open_store(&config.store).await?;
        let lifecycle = Arc::new(Lifecycle::new());
        let bus = Arc::new(EventBus::new(store.clone(), config.event_buffer, lifecycle).await?);
        let runner = RunnerParts {
            timings,
            backoff,
            connect_gate: Arc::new(Semaphore::new(config.restore_parallelism)),
            router: Arc::new(crate::features::router()),
        };
        let manager = Arc::new_cyclic(|me| SessionManager {
            config,
            bus,
            sessions: Mutex::new(BTreeMap::new()),
            runner,
            store,
            lock: Mutex::new(Some(lock)),
            me: me.clone(),
            runtime,
        });
        manager.restore().await?;
        Ok(manager)
    }

    /// Loads every stored session and connects the paired ones.
    async fn restore(&self) -> Result<(), Error> {
        let mut restored = Vec::new();
        for record in self.store.list_sessions().await? {
            let store = self.store.session(&record.id);
            let options = match store.get_kv(crate::persist::OPTIONS_KEY).await? {
                Some(bytes) => serde_json::from_slice(&bytes)?,
                None => self.config.default_session_options.clone(),
            };
            let credentials = store.get_device().await?.map(from_device).transpose()?;
            let session = self.new_session(&record.id, options, credentials);
            restored.push(session);
        }
        {
            let mut sessions = self.sessions()?;
            for session in &restored {
                sessions.insert(session.id(), session.clone());
            }
        }
        for session in restored {
            if session.is_paired() {
                session.connect_here().await?;
            }
        }
        Ok(())
    }

    fn new_session(
        &self,
        id: &str,
        options: SessionOptions,
        credentials: Option<Credentials>,
    ) -> Arc<Session> {
        let credentials =
            credentials.unwrap_or_else(|| Credentials::generate(&mut rand::rngs::OsRng));
        let ctx = SessionContext::new(
            id.to_owned(),
            options,
            self.bus.clone(),
            self.store.session(id),
            credentials,
            Tasks::new(self.runtime.handle().clone()),
        );
        Arc::new_cyclic(|me| Session::new(ctx, self.runner.clone(), me.clone()))
    }

    /// Runs `work` with this manager on its runtime (see [`crate::runtime::on`]).
    async fn on_runtime<T, F, Fut>(&self, work: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(Arc<SessionManager>) -> Fut,
        Fut: Future<Output = Result<T, Error>> + Send + 'static,
    {
        let Some(me) = self.me.upgrade() else {
            return Err(Error::new(ErrorCode::Cancelled, "the manager was dropped"));
        };
        self.bus.lifecycle().ensure_open()?;
        let handle = self.runtime.handle().clone();
        on(&handle, work(me)).await
    }

    fn sessions(&self) -> Result<std::sync::MutexGuard<'_, BTreeMap<String, Arc<Session>>>, Error> {
        self.sessions
            .lock()
            .map_err(|_| Error::internal("session table lock poisoned"))
    }

    /// Creates a session (not connected yet; call `connect()`). `options` default to the
    /// manager's `default_session_options`. Ids are 1–64 characters of `A-Z a-z 0-9 _ - .`.
    pub async fn create_session(
        &self,
        id: &str,
        options: Option<SessionOptions>,
    ) -> Result<Arc<Session>, Error> {
        let id = id.to_owned();
        self.on_runtime(move |m| async move { m.create_session_here(&id, options).await })
            .await
    }

    async fn create_session_here(
        &self,
        id: &str,
        options: Option<SessionOptions>,
    ) -> Result<Arc<Session>, Error> {
        validate_session_id(id)?;
        let options = options.unwrap_or_else(|| self.config.default_session_options.clone());
        options.validate()?;
        if self.sessions()?.contains_key(id) {
            return Err(already_exists(id));
        }
        let session = self.new_session(id, options.clone(), None);
        let store = self.store.session(id);
        store.create("disconnected").await.map_err(|e| match e {
            openwa_store::StoreError::Conflict(_) => already_exists(id),
            other => other.into(),
        })?;
        store
            .put_kv(crate::persist::OPTIONS_KEY, &serde_json::to_vec(&options)?)
            .await?;
        session.persist_credentials().await;
        let mut sessions = self.sessions()?;
        if sessions.contains_key(id) {
            return Err(already_exists(id));
        }
        sessions.insert(id.to_owned(), session.clone());
        Ok(session)
    }

    /// The session with this id, or `NotFound`.
    pub async fn get(&self, id: &str) -> Result<Arc<Session>, Error> {
        self.bus.lifecycle().ensure_open()?;
        self.sessions()?.get(id).cloned().ok_or_else(|| {
            Error::new(ErrorCode::NotFound, format!("no session {id:?}"))
                .with_details(id.to_owned())
        })
    }

    /// Every session, ordered by id.
    pub async fn list(&self) -> Result<Vec<SessionInfo>, Error> {
        self.bus.lifecycle().ensure_open()?;
        let sessions: Vec<Arc<Session>> = self.sessions()?.values().cloned().collect();
        Ok(sessions.iter().map(|s| s.info()).collect())
    }

    /// Disconnects and removes a session with its credentials (the device stays linked on the
    /// phone; call `logout()` first to unlink it).
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        let id = id.to_owned();
        self.on_runtime(move |m| async move { m.delete_here(&id).await })
            .await
    }

    async fn delete_here(&self, id: &str) -> Result<(), Error> {
        let session = self.get(id).await?;
        session.disconnect_here().await?;
        session.close_tasks().await;
        let store = self.store.session(id);
        store.delete_device().await?;
        store.delete().await?;
        self.sessions()?.remove(id);
        Ok(())
    }

    /// Every event of every session, from now on.
    pub fn events(&self) -> EventStream {
        self.bus.subscribe(None)
    }

    /// Logged events with `seq > cursor`, oldest first, at most `limit` (capped at
    /// [`MAX_REPLAY_PAGE`]). Pass the last seq you processed; 0 replays from the start.
    pub async fn events_since(&self, cursor: u64, limit: u32) -> Result<Vec<Event>, Error> {
        self.on_runtime(move |m| async move { m.events_since_here(cursor, limit).await })
            .await
    }

    async fn events_since_here(&self, cursor: u64, limit: u32) -> Result<Vec<Event>, Error> {
        let limit = usize::try_from(limit.min(MAX_REPLAY_PAGE)).unwrap_or(0);
        self.bus.since(cursor, limit).await
    }

    /// Every event of every session after `cursor`: replayed from the log, then live, with no
    /// gap and no duplicate (pass the last seq you processed; 0 for the whole log).
    pub fn events_from(&self, cursor: u64) -> EventStream {
        self.bus.subscribe_from(None, cursor)
    }

    /// A named durable consumer of the events of every session (`session: None`) or of one
    /// session. Its stream starts right after the consumer's stored position — at the start of
    /// the log for a new consumer — replays the log and continues live; `EventStream::ack(seq)`
    /// stores the position, so after a restart or a crash the consumer resumes after the last
    /// acknowledged event. A name is bound to its scope: opening it with another one is
    /// `already_exists`.
    pub async fn consumer(&self, name: &str, session: Option<&str>) -> Result<EventStream, Error> {
        let (name, session) = (name.to_owned(), session.map(str::to_owned));
        self.on_runtime(move |m| async move { m.consumer_here(&name, session.as_deref()).await })
            .await
    }

    async fn consumer_here(&self, name: &str, session: Option<&str>) -> Result<EventStream, Error> {
        if name.is_empty() || name.len() > MAX_SESSION_ID_LEN {
            return Err(Error::invalid_argument(format!(
                "a consumer name is 1-{MAX_SESSION_ID_LEN} bytes"
            )));
        }
        let store = &self.store;
        if let Some(session) = session {
            self.get(session).await?;
        }
        let position = store.register_consumer(name, session, 0).await?;
        let (store, name, bus) = (store.clone(), name.to_owned(), self.bus.clone());
        let ack: crate::bus::AckFn = Box::new(move |seq| {
            let (store, name, bus) = (store.clone(), name.clone(), bus.clone());
            Box::pin(async move {
                bus.lifecycle().ensure_open()?;
                store.ack_consumer(&name, seq).await?;
                Ok(())
            })
        });
        Ok(self
            .bus
            .subscribe_from(session.map(str::to_owned), position)
            .with_ack(ack))
    }

    /// The seq of the newest event (a cursor for `events_since`).
    pub fn last_seq(&self) -> u64 {
        self.bus.last_seq()
    }

    /// Disconnects every session, waits for their tasks, closes the store and ends every event
    /// stream (each still delivers what was published before). Afterwards every call on the
    /// manager or its sessions fails with `cancelled`, not retryable; closing again does nothing.
    pub async fn close(&self) -> Result<(), Error> {
        if !self.bus.lifecycle().begin_close() {
            return Ok(());
        }
        let Some(me) = self.me.upgrade() else {
            return Ok(());
        };
        let handle = self.runtime.handle().clone();
        on(&handle, async move { me.close_here().await }).await
    }

    async fn close_here(&self) -> Result<(), Error> {
        let sessions: Vec<Arc<Session>> = self.sessions()?.values().cloned().collect();
        let mut outcome = Ok(());
        for session in &sessions {
            if let Err(err) = session.disconnect_here().await {
                outcome = Err(err);
            }
        }
        for session in &sessions {
            session.close_tasks().await;
        }
        self.store.close().await;
        let lock = match self.lock.lock() {
            Ok(mut lock) => lock.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(lock) = lock {
            lock.release().await;
        }
        self.bus.lifecycle().finish_close();
        outcome
    }
}

fn already_exists(id: &str) -> Error {
    Error::new(
        ErrorCode::AlreadyExists,
        format!("session {id:?} already exists"),
    )
    .with_details(id.to_owned())
}

fn validate_session_id(id: &str) -> Result<(), Error> {
    let ok = !id.is_empty()
        && id.len() <= MAX_SESSION_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "invalid session id {id:?}: use 1-{MAX_SESSION_ID_LEN} characters of A-Z a-z 0-9 _ - ."
        ))
        .with_details(id.to_owned()))
    }
}
