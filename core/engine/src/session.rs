//! A session: one WhatsApp device, its credentials, its connection runner and its events.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use openwa_protocol::noise::TrustRoot;
use openwa_protocol::payload::{ClientConfig, login_payload, registration_payload};
use openwa_protocol::proto::wa6::device_props::PlatformType;
use openwa_protocol::stanza::{IqSpec, RemoveCompanionDevice};
use prost::Message as _;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::bus::{EventBus, EventStream};
use crate::config::SessionOptions;
use crate::connection::channel::{NoiseChannel, handshake};
use crate::connection::driver::{Command, Driver, DriverTimings};
use crate::connection::policy::{Backoff, Disconnect, Next};
use crate::credentials::Credentials;
use crate::error::{Error, ErrorCode};
use crate::event::{ConnectionState, EventKind, StateReason};
use crate::ids::parse_phone_number;
use crate::signal_store::SignalStore;
use crate::transport::TransportError;
use crate::transport::ws::connect_websocket;

/// A snapshot of a session for listings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionInfo {
    /// The session id.
    pub id: String,
    /// Current connection state.
    pub state: ConnectionState,
    /// Our device JID once paired (`15551234567:3@s.whatsapp.net`).
    pub jid: Option<String>,
    /// Our LID device JID once known.
    pub lid: Option<String>,
}

/// What the runner is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunSignal {
    Run,
    Stop,
    Logout,
}

/// State shared by a session handle, its runner and its connection driver.
#[derive(Debug)]
pub struct SessionShared {
    /// The session id.
    pub id: String,
    /// Its options.
    pub options: SessionOptions,
    bus: Arc<EventBus>,
    state: Mutex<(ConnectionState, StateReason)>,
    credentials: Mutex<Credentials>,
    commands: Mutex<Option<mpsc::Sender<Command>>>,
    timings: DriverTimings,
    backoff: Backoff,
    store: Option<Arc<openwa_store::Store>>,
    connect_gate: Arc<tokio::sync::Semaphore>,
    /// The Signal store adapter, built from the credentials on first use.
    signal: Mutex<Option<SignalStore>>,
    /// Messaging state kept in memory (device lists; recent sends without a database).
    pub(crate) memory: crate::messaging::memory::MemoryState,
    /// Prekey bookkeeping without a database (see `prekeys`).
    prekeys: crate::prekeys::PreKeyState,
    /// Receive-pipeline state that outlives a connection (retry counts).
    receive: crate::receive::ReceiveState,
}

impl SessionShared {
    /// The session's Signal store adapter (see `signal_store`), for the current credentials.
    pub fn signal_store(&self) -> SignalStore {
        let mut slot = match self.signal.lock() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        slot.get_or_insert_with(|| {
            let keys = self.with_credentials(Credentials::signal_keys);
            SignalStore::new(&self.id, self.store.clone(), keys)
        })
        .clone()
    }

    /// The database, when the manager has a persistent one.
    pub fn database(&self) -> Option<&Arc<openwa_store::Store>> {
        self.store.as_ref()
    }

    /// Writes the credentials to the store (no-op for the memory backend). Failures are
    /// logged: the connection goes on with the credentials in memory.
    pub async fn persist_credentials(&self) {
        let Some(store) = &self.store else {
            return;
        };
        let device = self
            .with_credentials(|c| crate::persist::to_device(c, self.options.push_name.as_deref()));
        if let Err(err) = store.put_device(&self.id, &device).await {
            tracing::error!(session = %self.id, %err, "credentials not persisted");
        }
    }

    /// The manager's event bus.
    pub(crate) fn bus(&self) -> &EventBus {
        &self.bus
    }

    /// Prekey bookkeeping used without a database.
    pub(crate) fn prekey_state(&self) -> &crate::prekeys::PreKeyState {
        &self.prekeys
    }

    /// State of the receive pipeline.
    pub(crate) fn receive_state(&self) -> &crate::receive::ReceiveState {
        &self.receive
    }

    /// Logs and publishes an event of this session: queued by this call (events are logged in
    /// call order), logged when the future resolves. A failing event log is reported in the
    /// tracing output; the engine keeps running.
    pub fn emit(&self, kind: EventKind) -> impl Future<Output = ()> + Send + 'static + use<> {
        let logged = self.bus.emit(&self.id, kind);
        let session = self.id.clone();
        async move {
            if let Err(err) = logged.await {
                tracing::error!(%session, %err, "event not logged");
            }
        }
    }

    /// Moves to `state`, emitting a `ConnectionState` event unless nothing changed.
    pub async fn set_state(
        &self,
        state: ConnectionState,
        reason: StateReason,
        detail: Option<String>,
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
        if let Some(store) = &self.store
            && let Err(err) = store.set_session_state(&self.id, state.as_str()).await
        {
            tracing::warn!(session = %self.id, %err, "session state not persisted");
        }
        self.emit(EventKind::ConnectionState {
            state,
            reason,
            detail,
        })
        .await;
    }

    /// The current state.
    pub fn state(&self) -> ConnectionState {
        self.state
            .lock()
            .map_or(ConnectionState::Disconnected, |s| s.0)
    }

    /// Reads the credentials.
    pub fn with_credentials<T>(&self, read: impl FnOnce(&Credentials) -> T) -> T {
        match self.credentials.lock() {
            Ok(creds) => read(&creds),
            Err(poisoned) => read(&poisoned.into_inner()),
        }
    }

    /// Changes the credentials.
    pub fn update_credentials(&self, change: impl FnOnce(&mut Credentials)) {
        match self.credentials.lock() {
            Ok(mut creds) => change(&mut creds),
            Err(poisoned) => change(&mut poisoned.into_inner()),
        }
    }

    async fn reset_credentials(&self) {
        let fresh = Credentials::generate(&mut rand::rngs::OsRng);
        self.update_credentials(|c| *c = fresh);
        // The Signal state belonged to the old identity.
        if let Ok(mut signal) = self.signal.lock() {
            *signal = None;
        }
        self.persist_credentials().await;
    }

    fn set_commands(&self, sender: Option<mpsc::Sender<Command>>) {
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

    /// Sends an IQ on the live connection and waits for its answer.
    pub async fn iq(&self, node: openwa_protocol::Node) -> Result<openwa_protocol::Node, Error> {
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

    fn client_config(&self) -> ClientConfig {
        let browser = match self.options.browser.browser.to_ascii_lowercase().as_str() {
            "firefox" => PlatformType::Firefox,
            "safari" => PlatformType::Safari,
            "edge" => PlatformType::Edge,
            "opera" => PlatformType::Opera,
            "desktop" => PlatformType::Desktop,
            _ => PlatformType::Chrome,
        };
        ClientConfig {
            push_name: self.options.push_name.clone(),
            browser_os: self.options.browser.os.clone(),
            browser,
            ..ClientConfig::default()
        }
    }

    /// WebSocket + Noise handshake with the login or registration payload.
    async fn open_channel(&self) -> Result<NoiseChannel, Disconnect> {
        let invalid = |e: Error| Disconnect::Transport(TransportError::InvalidUrl(e.message));
        let proxy = self.options.proxy_config().map_err(invalid)?;
        let root = TrustRoot::new(self.options.trust_root_key().map_err(invalid)?);
        let config = self.client_config();
        let (noise_key, payload) = self.with_credentials(|c| {
            let payload = match &c.paired {
                Some(paired) => {
                    let username = paired.jid.user.parse::<u64>().unwrap_or(0);
                    login_payload(&config, username, u32::from(paired.jid.device))
                }
                None => registration_payload(&config, &c.registration_keys()),
            };
            (c.noise_key.clone(), payload.encode_to_vec())
        });
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let connect = async {
            // Bounds how many sessions of the manager handshake at once (restore storms).
            let _permit = self.connect_gate.acquire().await;
            let ws = connect_websocket(
                &self.options.server_url,
                proxy.as_ref(),
                self.options.tls_extra_roots_pem.as_deref(),
            )
            .await?;
            handshake(ws, &root, &noise_key, &payload, now, &mut rand::rngs::OsRng).await
        };
        match tokio::time::timeout(self.options.connect_timeout(), connect).await {
            Ok(Ok(channel)) => Ok(channel),
            Ok(Err(err)) => Err(Disconnect::Transport(err)),
            Err(_) => Err(Disconnect::Transport(TransportError::Timeout("connect"))),
        }
    }
}

/// The reconnect loop of one session: connect, drive, classify the end, back off, repeat.
async fn run_session(shared: Arc<SessionShared>, mut signal: watch::Receiver<RunSignal>) {
    let mut attempt = 0u32;
    let mut reason = StateReason::Requested;
    loop {
        shared
            .set_state(ConnectionState::Connecting, reason, None)
            .await;
        let opened = tokio::select! {
            opened = shared.open_channel() => opened,
            s = signal.wait_for(|s| *s != RunSignal::Run) => {
                Err(stop_reason(s.map_or(RunSignal::Stop, |s| *s)))
            }
        };
        let disconnect = match opened {
            Ok(channel) => {
                let (commands_tx, mut commands) = mpsc::channel(64);
                shared.set_commands(Some(commands_tx));
                let driver = Driver::new(shared.clone(), shared.timings);
                let ended = driver.run(channel, &mut commands, &mut signal).await;
                shared.set_commands(None);
                match ended {
                    Disconnect::Requested => stop_reason(*signal.borrow()),
                    other => other,
                }
            }
            Err(disconnect) => disconnect,
        };
        if shared.state() == ConnectionState::Connected {
            attempt = 0;
        }
        let verdict = disconnect.verdict();
        if verdict.delete_credentials {
            shared.reset_credentials().await;
        }
        match verdict.next {
            Next::Immediately => reason = verdict.reason,
            Next::AfterBackoff if shared.options.auto_reconnect => {
                shared
                    .set_state(verdict.state, verdict.reason, verdict.detail)
                    .await;
                let delay = shared.backoff.delay(attempt, &mut rand::rngs::OsRng);
                attempt = attempt.saturating_add(1);
                let stopped = tokio::select! {
                    () = tokio::time::sleep(delay) => None,
                    s = signal.wait_for(|s| *s != RunSignal::Run) => {
                        Some(s.map_or(RunSignal::Stop, |s| *s))
                    }
                };
                if let Some(stop) = stopped {
                    let verdict = stop_reason(stop).verdict();
                    if verdict.delete_credentials {
                        shared.reset_credentials().await;
                    }
                    shared
                        .set_state(verdict.state, verdict.reason, verdict.detail)
                        .await;
                    return;
                }
                reason = StateReason::Reconnecting;
            }
            _ => {
                shared
                    .set_state(verdict.state, verdict.reason, verdict.detail)
                    .await;
                return;
            }
        }
    }
}

fn stop_reason(signal: RunSignal) -> Disconnect {
    match signal {
        RunSignal::Logout => Disconnect::LoggedOut,
        RunSignal::Run | RunSignal::Stop => Disconnect::Requested,
    }
}

/// What the manager gives each session.
#[derive(Debug)]
pub(crate) struct SessionParts {
    pub id: String,
    pub options: SessionOptions,
    pub bus: Arc<EventBus>,
    pub timings: DriverTimings,
    pub backoff: Backoff,
    pub store: Option<Arc<openwa_store::Store>>,
    pub connect_gate: Arc<tokio::sync::Semaphore>,
}

#[derive(Debug)]
struct Runner {
    signal: watch::Sender<RunSignal>,
    task: JoinHandle<()>,
}

/// One WhatsApp device. Cheap to share: the manager hands out `Arc<Session>`.
#[derive(Debug)]
pub struct Session {
    shared: Arc<SessionShared>,
    runner: tokio::sync::Mutex<Option<Runner>>,
}

impl Session {
    pub(crate) fn new(parts: SessionParts, credentials: Option<Credentials>) -> Self {
        let credentials =
            credentials.unwrap_or_else(|| Credentials::generate(&mut rand::rngs::OsRng));
        Session {
            shared: Arc::new(SessionShared {
                id: parts.id,
                options: parts.options,
                bus: parts.bus,
                state: Mutex::new((ConnectionState::Disconnected, StateReason::Requested)),
                credentials: Mutex::new(credentials),
                commands: Mutex::new(None),
                timings: parts.timings,
                backoff: parts.backoff,
                store: parts.store,
                connect_gate: parts.connect_gate,
                signal: Mutex::new(None),
                memory: Default::default(),
                prekeys: crate::prekeys::PreKeyState::default(),
                receive: crate::receive::ReceiveState::default(),
            }),
            runner: tokio::sync::Mutex::new(None),
        }
    }

    /// The session id.
    pub fn id(&self) -> String {
        self.shared.id.clone()
    }

    /// The current connection state.
    pub fn state(&self) -> ConnectionState {
        self.shared.state()
    }

    /// Whether the session has credentials from a completed pairing.
    pub fn is_paired(&self) -> bool {
        self.shared.with_credentials(|c| c.paired.is_some())
    }

    /// A snapshot: id, state, own ids.
    pub fn info(&self) -> SessionInfo {
        let (jid, lid) = self.shared.with_credentials(|c| match &c.paired {
            Some(p) => (
                Some(p.jid.to_string()),
                p.lid.as_ref().map(|l| l.to_string()),
            ),
            None => (None, None),
        });
        SessionInfo {
            id: self.id(),
            state: self.state(),
            jid,
            lid,
        }
    }

    /// Events of this session only, from now on.
    pub fn events(&self) -> EventStream {
        self.shared.bus.subscribe(Some(self.shared.id.clone()))
    }

    /// Starts connecting (and reconnecting) in the background; returns at once. Progress
    /// arrives as `ConnectionState` events: `connecting`, then `waiting_for_qr` (+ `Qr` events)
    /// for an unpaired session or `connected` for a paired one. Calling it while already
    /// running does nothing.
    pub async fn connect(&self) -> Result<(), Error> {
        let mut runner = self.runner.lock().await;
        if runner.as_ref().is_some_and(|r| !r.task.is_finished()) {
            return Ok(());
        }
        let (signal, receiver) = watch::channel(RunSignal::Run);
        let task = tokio::spawn(run_session(self.shared.clone(), receiver));
        *runner = Some(Runner { signal, task });
        Ok(())
    }

    /// Closes the connection and stops reconnecting; returns once the connection is closed.
    /// The state becomes `disconnected` (reason `requested`). Credentials are kept.
    pub async fn disconnect(&self) -> Result<(), Error> {
        self.stop(RunSignal::Stop).await;
        self.shared
            .set_state(ConnectionState::Disconnected, StateReason::Requested, None)
            .await;
        Ok(())
    }

    /// Unlinks this device: tells the server (when connected), closes the connection and
    /// deletes the credentials. The state becomes `logged_out`; `connect()` afterwards starts a
    /// fresh pairing.
    pub async fn logout(&self) -> Result<(), Error> {
        let own = self
            .shared
            .with_credentials(|c| c.paired.as_ref().map(|p| p.jid.clone()));
        if let Some(device) = own
            && self.shared.commands().is_ok()
        {
            let request = RemoveCompanionDevice {
                device,
                reason: "user_initiated".into(),
            }
            .request();
            if let Err(err) = self.shared.iq(request).await {
                tracing::warn!(session = %self.shared.id, %err, "logout request failed");
            }
        }
        let was_running = self.stop(RunSignal::Logout).await;
        if !was_running {
            self.shared.reset_credentials().await;
        }
        self.shared
            .set_state(ConnectionState::LoggedOut, StateReason::Requested, None)
            .await;
        Ok(())
    }

    /// Pairs by phone-number code instead of QR: returns the 8-character code (`XXXX-XXXX`) to
    /// type on the phone (also emitted as a `PairingCode` event). Needs a running connection
    /// without credentials (state `waiting_for_qr`).
    pub async fn pair_with_code(&self, phone: &str) -> Result<String, Error> {
        let phone = parse_phone_number(phone)?;
        if self.is_paired() {
            return Err(Error::invalid_argument("this session is already paired"));
        }
        let (reply, answer) = oneshot::channel();
        self.shared
            .commands()?
            .send(Command::PairCode { phone, reply })
            .await
            .map_err(|_| Error::new(ErrorCode::NotConnected, "the connection closed"))?;
        answer
            .await
            .map_err(|_| Error::new(ErrorCode::NotConnected, "the connection closed"))?
    }

    /// Waits until the session reaches `state` (or `timeout_ms` passes → `Timeout`).
    pub async fn wait_for_state(
        &self,
        state: ConnectionState,
        timeout_ms: u64,
    ) -> Result<(), Error> {
        let events = self.events();
        if self.state() == state {
            return Ok(());
        }
        let wait = async {
            while let Some(event) = events.next().await {
                if matches!(event.kind, EventKind::ConnectionState { state: s, .. } if s == state)
                    || self.state() == state
                {
                    return Ok(());
                }
            }
            Err(Error::new(ErrorCode::Cancelled, "the manager closed"))
        };
        tokio::time::timeout(Duration::from_millis(timeout_ms), wait)
            .await
            .map_err(|_| {
                Error::new(
                    ErrorCode::Timeout,
                    format!("state {} not reached in {timeout_ms} ms", state.as_str()),
                )
            })?
    }

    /// Signals the runner and waits for it; returns whether one was running.
    async fn stop(&self, signal: RunSignal) -> bool {
        let runner = self.runner.lock().await.take();
        let Some(runner) = runner else {
            return false;
        };
        let running = !runner.task.is_finished();
        let _ = runner.signal.send(signal);
        let _ = runner.task.await;
        running
    }

    /// Writes the current credentials to the store.
    pub(crate) async fn persist_credentials(&self) {
        self.shared.persist_credentials().await;
    }

    /// The shared state.
    pub(crate) fn shared(&self) -> &Arc<SessionShared> {
        &self.shared
    }
}
