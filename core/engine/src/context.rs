//! The session context: what every part of one session shares — its id and options, the
//! manager's event bus and store, the credentials, the connection state, the live connection's
//! command queue, the session's tasks, and one slot of state per feature.
//!
//! The context knows no feature. A feature keeps its state in a type of its own and reaches it
//! with [`SessionContext::feature`]; incoming stanzas reach features through the connection's
//! router (`connection::router`), where the session registers them.

use std::any::Any;
use std::future::Future;
use std::sync::{Arc, Mutex};

use openwa_store::SessionStore;
use tokio::sync::{mpsc, oneshot};

use crate::bus::EventBus;
use crate::changed::Changed;
use crate::config::{ReconnectPolicy, SendPacing, SessionOptions};
use crate::connection::command::Command;
use crate::credentials::Credentials;
use crate::error::{Error, ErrorCode};
use crate::event::{ConnectionState, EventKind, StateReason};
use crate::signal_store::SignalStore;
use crate::tasks::Tasks;

/// State shared by a session handle, its runner, its connection driver and its features.
#[derive(Debug)]
pub(crate) struct SessionContext {
    /// The session id.
    pub id: String,
    /// Its options.
    pub options: SessionOptions,
    bus: Arc<EventBus>,
    state: Mutex<(ConnectionState, StateReason)>,
    credentials: Mutex<Credentials>,
    commands: Mutex<Option<mpsc::Sender<Command>>>,
    store: SessionStore,
    /// The Signal store adapter, built from the credentials on first use.
    signal: Mutex<Option<SignalStore>>,
    /// Every task the session started (besides its runner): waited for on close.
    tasks: Tasks,
    /// One value per feature state type, created on first use.
    states: Mutex<Vec<Arc<dyn Any + Send + Sync>>>,
    /// Our push name: the options' until our phone sets another (app-state sync).
    push_name: Mutex<Option<String>>,
}

impl SessionContext {
    /// A context for session `id` with `credentials`, whose tasks run on `tasks`.
    pub(crate) fn new(
        id: String,
        options: SessionOptions,
        bus: Arc<EventBus>,
        store: SessionStore,
        credentials: Credentials,
        tasks: Tasks,
    ) -> Self {
        SessionContext {
            id,
            push_name: Mutex::new(options.push_name.clone()),
            options,
            bus,
            state: Mutex::new((ConnectionState::Disconnected, StateReason::Requested)),
            credentials: Mutex::new(credentials),
            commands: Mutex::new(None),
            store,
            signal: Mutex::new(None),
            tasks,
            states: Mutex::new(Vec::new()),
        }
    }

    /// The feature state of type `T`, created with `T::default()` on first use.
    pub(crate) fn feature<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let mut states = match self.states.lock() {
            Ok(states) => states,
            Err(poisoned) => poisoned.into_inner(),
        };
        for state in states.iter() {
            if let Ok(found) = Arc::clone(state).downcast::<T>() {
                return found;
            }
        }
        let fresh = Arc::new(T::default());
        states.push(fresh.clone());
        fresh
    }

    /// Runs `task` on the session's runtime as one of its tasks (waited for on close).
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.tasks.spawn(task);
    }

    /// Our push name now.
    pub(crate) fn push_name(&self) -> Option<String> {
        self.push_name
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Takes the push name our phone set.
    pub(crate) fn set_push_name(&self, name: &str) {
        *self
            .push_name
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(name.to_owned());
    }

    /// The options as they are now, as stored: the push name our phone set and the settings
    /// changed at run time ([`Changed`]) included.
    pub(crate) fn current_options(&self) -> SessionOptions {
        SessionOptions {
            push_name: self.push_name(),
            send_pacing: self
                .feature::<Changed<SendPacing>>()
                .get(self.options.send_pacing),
            reconnect: self
                .feature::<Changed<ReconnectPolicy>>()
                .get(self.options.reconnect),
            ..self.options.clone()
        }
    }

    /// The session's task set.
    pub(crate) fn tasks(&self) -> &Tasks {
        &self.tasks
    }

    /// The session's Signal store adapter (see `signal_store`), for the current credentials.
    pub(crate) fn signal_store(&self) -> SignalStore {
        let mut slot = match self.signal.lock() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        slot.get_or_insert_with(|| {
            let keys = self.with_credentials(Credentials::signal_keys);
            SignalStore::new(self.store.clone(), keys)
        })
        .clone()
    }

    /// The session's view of the manager's store.
    pub(crate) fn store(&self) -> &SessionStore {
        &self.store
    }

    /// Writes the credentials to the store. Failures are logged: the connection goes on with
    /// the credentials in memory.
    pub(crate) async fn persist_credentials(&self) {
        let device =
            self.with_credentials(|c| crate::persist::to_device(c, self.push_name().as_deref()));
        if let Err(err) = self.store.put_device(&device).await {
            tracing::error!(session = %self.id, %err, "credentials not persisted");
        }
    }

    /// The manager's event bus.
    pub(crate) fn bus(&self) -> &EventBus {
        &self.bus
    }

    /// Logs and publishes an event of this session: queued by this call (events are logged in
    /// call order), logged when the future resolves. A failing event log is reported in the
    /// tracing output; the engine keeps running.
    pub(crate) fn emit(
        &self,
        kind: EventKind,
    ) -> impl Future<Output = ()> + Send + 'static + use<> {
        let logged = self.bus.emit(&self.id, kind);
        let session = self.id.clone();
        async move {
            if let Err(err) = logged.await {
                tracing::error!(%session, %err, "event not logged");
            }
        }
    }

    /// Moves to `state`, emitting a `ConnectionState` event unless nothing changed. A
    /// `disconnected` or `logged_out` state set this way is final (`will_reconnect: false`);
    /// the runner announces a backoff with [`SessionContext::set_backoff_state`].
    pub(crate) async fn set_state(
        &self,
        state: ConnectionState,
        reason: StateReason,
        detail: Option<String>,
    ) {
        let goes_on = !matches!(
            state,
            ConnectionState::Disconnected | ConnectionState::LoggedOut
        );
        self.change_state(state, reason, detail, goes_on).await;
    }

    /// Moves to `state` while the runner waits out a backoff before it reconnects.
    pub(crate) async fn set_backoff_state(
        &self,
        state: ConnectionState,
        reason: StateReason,
        detail: Option<String>,
    ) {
        self.change_state(state, reason, detail, true).await;
    }

    async fn change_state(
        &self,
        state: ConnectionState,
        reason: StateReason,
        detail: Option<String>,
        will_reconnect: bool,
    ) {
        {
            let Ok(mut current) = self.state.lock() else {
                return;
            };
            if *current == (state, reason) {
                return;
            }
            *current = (state, reason);
        }
        // The state row and its event are one store unit: one commit to wait for.
        let kind = EventKind::ConnectionState {
            state,
            reason,
            detail,
            will_reconnect,
        };
        if let Err(err) = self.bus.emit_state(&self.id, kind, state.as_str()).await {
            tracing::warn!(session = %self.id, %err, "session state not persisted");
        }
    }

    /// The current state.
    pub(crate) fn state(&self) -> ConnectionState {
        self.state
            .lock()
            .map_or(ConnectionState::Disconnected, |s| s.0)
    }

    /// Reads the credentials.
    pub(crate) fn with_credentials<T>(&self, read: impl FnOnce(&Credentials) -> T) -> T {
        match self.credentials.lock() {
            Ok(creds) => read(&creds),
            Err(poisoned) => read(&poisoned.into_inner()),
        }
    }

    /// Changes the credentials.
    pub(crate) fn update_credentials(&self, change: impl FnOnce(&mut Credentials)) {
        match self.credentials.lock() {
            Ok(mut creds) => change(&mut creds),
            Err(poisoned) => change(&mut poisoned.into_inner()),
        }
    }

    /// Replaces the credentials with a fresh identity (after a logout) and persists them.
    pub(crate) async fn reset_credentials(&self) {
        let fresh = Credentials::generate(&mut rand::rngs::OsRng);
        self.update_credentials(|c| *c = fresh);
        // The Signal state belonged to the old identity.
        if let Ok(mut signal) = self.signal.lock() {
            *signal = None;
        }
        self.persist_credentials().await;
    }

    /// Installs (or, with `None`, removes) the live connection's command queue.
    pub(crate) fn set_commands(&self, sender: Option<mpsc::Sender<Command>>) {
        if let Ok(mut commands) = self.commands.lock() {
            *commands = sender;
        }
    }

    /// The live connection's command queue, or `NotConnected`.
    pub(crate) fn commands(&self) -> Result<mpsc::Sender<Command>, Error> {
        self.commands
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .ok_or_else(|| Error::new(ErrorCode::NotConnected, "the session is not connected"))
    }

    /// Hands one stanza to the live connection (no answer expected).
    pub(crate) async fn send_node(&self, node: openwa_protocol::Node) -> Result<(), Error> {
        self.commands()?
            .send(Command::SendNode(node))
            .await
            .map_err(|_| Error::new(ErrorCode::NotConnected, "the connection closed"))
    }

    /// Sends an IQ on the live connection and waits for its answer.
    pub(crate) async fn iq(
        &self,
        node: openwa_protocol::Node,
    ) -> Result<openwa_protocol::Node, Error> {
        let (reply, answer) = oneshot::channel();
        let timeout = self.options.request_timeout();
        self.commands()?
            .send(Command::Iq {
                node,
                timeout,
                reply,
            })
            .await
            .map_err(|_| Error::new(ErrorCode::NotConnected, "the connection closed"))?;
        answer
            .await
            .map_err(|_| Error::new(ErrorCode::NotConnected, "the connection closed"))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default)]
    struct Counter(std::sync::atomic::AtomicU32);

    #[derive(Debug, Default)]
    struct Other(u8);

    #[tokio::test]
    async fn feature_states_are_created_once_per_type() {
        let (store, _lock) = crate::persist::open_store(&Default::default())
            .await
            .unwrap();
        let bus = Arc::new(
            EventBus::new(
                store.clone(),
                8,
                Arc::new(crate::lifecycle::Lifecycle::new()),
            )
            .await
            .unwrap(),
        );
        let ctx = SessionContext::new(
            "s".into(),
            SessionOptions::default(),
            bus,
            store.session("s"),
            Credentials::generate(&mut rand::rngs::OsRng),
            Tasks::new(tokio::runtime::Handle::current()),
        );
        ctx.feature::<Counter>()
            .0
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(
            ctx.feature::<Counter>()
                .0
                .load(std::sync::atomic::Ordering::SeqCst),
            1
        );
        assert_eq!(ctx.feature::<Other>().0, 0);
    }
}
