//! A session: one WhatsApp device. [`Session`] is the handle applications hold; its state lives
//! in the session context, its connection in the runner task it starts.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use openwa_protocol::stanza::{IqSpec, RemoveCompanionDevice};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::bus::EventStream;
use crate::changed::Changed;
use crate::connection::command::{Command, RunSignal};
use crate::connection::runner::{RunnerParts, run_session};
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::event::{ConnectionState, EventKind, StateReason};
use crate::ids::parse_phone_number;
use crate::runtime::on;

/// A snapshot of a session for listings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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

#[derive(Debug)]
struct Runner {
    signal: watch::Sender<RunSignal>,
    task: JoinHandle<()>,
    /// Set once the runner is on its way out (see `run_session`).
    ending: Arc<AtomicBool>,
}

/// One WhatsApp device. Cheap to share: the manager hands out `Arc<Session>`.
#[derive(Debug)]
pub struct Session {
    shared: Arc<SessionContext>,
    parts: RunnerParts,
    runner: tokio::sync::Mutex<Option<Runner>>,
    /// This session, for calls that move onto the engine's runtime.
    me: Weak<Session>,
}

impl Session {
    pub(crate) fn new(ctx: SessionContext, parts: RunnerParts, me: Weak<Session>) -> Self {
        Session {
            shared: Arc::new(ctx),
            parts,
            runner: tokio::sync::Mutex::new(None),
            me,
        }
    }

    /// Runs `work` with this session on the engine's runtime (see [`crate::runtime::on`]).
    pub(crate) async fn on_runtime<T, F, Fut>(&self, work: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Session>) -> Fut,
        Fut: Future<Output = Result<T, Error>> + Send + 'static,
    {
        let Some(me) = self.me.upgrade() else {
            return Err(Error::new(ErrorCode::Cancelled, "the session was dropped"));
        };
        self.shared.bus().lifecycle().ensure_open()?;
        let handle = self.shared.tasks().runtime().clone();
        on(&handle, work(me)).await
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

    /// Our push name (the name our contacts see): the options' until our phone sets another
    /// (app-state sync, with a `PushNameChanged` event).
    pub fn push_name(&self) -> Option<String> {
        self.shared.push_name()
    }

    /// Events of this session only, from now on.
    pub fn events(&self) -> EventStream {
        self.shared.bus().subscribe(Some(self.shared.id.clone()))
    }

    /// Events of this session after `cursor`: replayed from the log, then live, with no gap and
    /// no duplicate. Other sessions' traffic never makes it lag.
    pub fn events_from(&self, cursor: u64) -> EventStream {
        self.shared
            .bus()
            .subscribe_from(Some(self.shared.id.clone()), cursor)
    }

    /// Logged events of this session with `seq > cursor`, oldest first, at most `limit`
    /// (capped at `MAX_REPLAY_PAGE`).
    pub async fn events_since(&self, cursor: u64, limit: u32) -> Result<Vec<crate::Event>, Error> {
        self.on_runtime(move |s| async move { s.events_since_here(cursor, limit).await })
            .await
    }

    async fn events_since_here(&self, cursor: u64, limit: u32) -> Result<Vec<crate::Event>, Error> {
        let limit = usize::try_from(limit.min(crate::bus::MAX_REPLAY_PAGE)).unwrap_or(0);
        self.shared
            .bus()
            .since_session(&self.shared.id, cursor, limit)
            .await
    }

    /// Starts connecting (and reconnecting) in the background; returns at once. Progress
    /// arrives as `ConnectionState` events: `connecting`, then `waiting_for_qr` (+ `Qr` events)
    /// for an unpaired session or `connected` for a paired one. Calling it while already
    /// running does nothing.
    pub async fn connect(&self) -> Result<(), Error> {
        self.on_runtime(|s| async move { s.connect_here().await })
            .await
    }

    pub(crate) async fn connect_here(&self) -> Result<(), Error> {
        let mut runner = self.runner.lock().await;
        // Checked under the runner's lock: a manager closing meanwhile has either stopped this
        // runner already or finds it started.
        self.shared.bus().lifecycle().ensure_open()?;
        if let Some(live) = runner.as_mut()
            && !live.task.is_finished()
        {
            if !live.ending.load(Ordering::SeqCst) {
                return Ok(());
            }
            // It reached its final state and is about to return: let it end first.
            let _ = (&mut live.task).await;
        }
        let (signal, receiver) = watch::channel(RunSignal::Run);
        let ending = Arc::new(AtomicBool::new(false));
        let run = run_session(
            self.shared.clone(),
            self.parts.clone(),
            receiver,
            ending.clone(),
        );
        let task = self.shared.tasks().runtime().spawn(run);
        *runner = Some(Runner {
            signal,
            task,
            ending,
        });
        Ok(())
    }

    /// Changes how this session reconnects after a transient failure (see
    /// [`crate::ReconnectPolicy`]) from the next reconnect on, also after a restart (the
    /// session's stored options change with it). Bad values are `invalid_argument`.
    pub async fn set_reconnect_policy(&self, policy: crate::ReconnectPolicy) -> Result<(), Error> {
        policy.validate()?;
        self.shared()
            .feature::<Changed<crate::ReconnectPolicy>>()
            .set(policy);
        self.save_options().await
    }

    /// The reconnect policy in force now.
    pub fn reconnect_policy(&self) -> crate::ReconnectPolicy {
        let shared = self.shared();
        shared
            .feature::<Changed<crate::ReconnectPolicy>>()
            .get(shared.options.reconnect)
    }

    /// Stores the session's options as they are now (`current_options`: run-time changes and
    /// the phone's push name included), so a restart restores them.
    pub(crate) async fn save_options(&self) -> Result<(), Error> {
        let shared = self.shared().clone();
        self.on_runtime(move |_| async move {
            let options = shared.current_options();
            shared
                .store()
                .put_kv(crate::persist::OPTIONS_KEY, &serde_json::to_vec(&options)?)
                .await?;
            Ok(())
        })
        .await
    }

    /// Closes the connection and stops reconnecting; returns once the connection is closed.
    /// The state becomes `disconnected` (reason `requested`). Credentials are kept.
    pub async fn disconnect(&self) -> Result<(), Error> {
        self.on_runtime(|s| async move { s.disconnect_here().await })
            .await
    }

    pub(crate) async fn disconnect_here(&self) -> Result<(), Error> {
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
        self.on_runtime(|s| async move { s.logout_here().await })
            .await
    }

    async fn logout_here(&self) -> Result<(), Error> {
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
        let phone = phone.to_owned();
        self.on_runtime(move |s| async move { s.pair_with_code_here(&phone).await })
            .await
    }

    async fn pair_with_code_here(&self, phone: &str) -> Result<String, Error> {
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
        self.on_runtime(move |s| async move { s.wait_for_state_here(state, timeout_ms).await })
            .await
    }

    async fn wait_for_state_here(
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

    /// Waits for every background task of the session to end (after `disconnect`).
    pub(crate) async fn close_tasks(&self) {
        self.shared.tasks().wait().await;
    }

    /// Writes the current credentials to the store.
    pub(crate) async fn persist_credentials(&self) {
        self.shared.persist_credentials().await;
    }

    /// The session context.
    pub(crate) fn shared(&self) -> &Arc<SessionContext> {
        &self.shared
    }
}
