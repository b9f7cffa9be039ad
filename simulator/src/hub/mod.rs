//! [`Hub`]: the services every feature uses — the state under its lock and its persistence,
//! live connections, the media store, stanza ids — and the [`Router`] the features registered
//! in. Features get a `&Hub`; they never see the [`crate::Sim`] that builds it.

mod deliver;
mod statuses;

pub use deliver::{MAX_QUEUED, device_removed};
pub use statuses::ForwardedStatuses;

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::time::Duration;

use openwa_protocol::Node;
use openwa_protocol::stanza::IqHeader;
use tokio::sync::Notify;

use crate::conn::registry::Registry;
use crate::device::DeviceRef;
use crate::media_store::MediaStore;
use crate::router::{IqOutcome, PhoneHandler, Router, not_implemented};
use crate::state::{State, persist};
use crate::util::lock;

/// Most app-state patches one fetch answer carries by default ([`Hub::app_state_page`]).
pub const APP_STATE_PAGE: usize = 50;

/// The shared services, with the handlers registered at start-up.
#[derive(Debug)]
pub struct Hub {
    state: Mutex<State>,
    state_dir: Option<PathBuf>,
    dirty: Notify,
    flushing: Mutex<()>,
    router: Router<Hub>,
    /// Live connections.
    pub registry: Registry,
    /// Uploaded media blobs.
    pub media: MediaStore,
    /// `host:port` of the media host (for `media_conn`).
    pub media_host: String,
    /// Phones welcome the companions they link ([`crate::SimulatorConfig::share_app_state_key`]).
    pub share_app_state_key: AtomicBool,
    /// Most app-state patches one fetch answer carries; the rest come with `has_more_patches`.
    pub app_state_page: AtomicUsize,
    /// The receipt statuses each device was already told.
    pub statuses: ForwardedStatuses,
}

impl Hub {
    /// Services over `state` (persisted into `state_dir` if given) dispatching through `router`.
    pub fn new(
        state: State,
        state_dir: Option<PathBuf>,
        media_host: String,
        router: Router<Hub>,
    ) -> Self {
        Hub {
            state: Mutex::new(state),
            state_dir,
            dirty: Notify::new(),
            flushing: Mutex::new(()),
            router,
            registry: Registry::default(),
            media: MediaStore::default(),
            media_host,
            share_app_state_key: AtomicBool::new(false),
            app_state_page: AtomicUsize::new(APP_STATE_PAGE),
            statuses: ForwardedStatuses::default(),
        }
    }

    /// Runs `f` on the state under its lock, without marking it changed.
    pub fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&lock(&self.state))
    }

    /// Runs `f` on the state under its lock and schedules a save.
    pub fn write<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let result = f(&mut lock(&self.state));
        self.dirty.notify_one();
        result
    }

    /// A fresh server stanza id.
    pub fn next_stanza_id(&self) -> String {
        self.write(State::next_stanza_id)
    }

    /// Saves the state now (no-op without a state directory).
    pub fn flush(&self) -> Result<(), persist::PersistError> {
        let Some(dir) = &self.state_dir else {
            return Ok(());
        };
        // One writer at a time: the save loop and shutdown share the temporary file.
        let _writing = lock(&self.flushing);
        let bytes = self.read(persist::serialize);
        persist::write(dir, &bytes)
    }

    /// Saves shortly after every change until the future is dropped.
    pub async fn persist_loop(self: std::sync::Arc<Self>) {
        if self.state_dir.is_none() {
            return;
        }
        loop {
            self.dirty.notified().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            let hub = self.clone();
            let result = tokio::task::spawn_blocking(move || hub.flush()).await;
            match result {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "saving state failed"),
                Err(e) => tracing::error!(error = %e, "state saving task failed"),
            }
        }
    }

    /// Hands a stanza `me` sent to the handler registered for its tag; returns the answer for
    /// `me`, if any. Connections and the simulated phones send through here alike.
    pub fn dispatch(&self, me: &DeviceRef, node: &Node) -> Option<Node> {
        match self.router.stanza(node.tag.as_str()) {
            Some(handler) => handler.handle(self, me, node),
            None => {
                tracing::debug!(phone = %me.phone, device = me.device, tag = %node.tag, "ignoring stanza");
                None
            }
        }
    }

    /// Answers an IQ of `me` with the handler registered for its `xmlns` (501 if none).
    pub fn handle_iq(&self, me: &DeviceRef, iq: &Node, header: &IqHeader) -> IqOutcome {
        let xmlns = iq.attr_str("xmlns").unwrap_or_default();
        match self.router.iq(&xmlns) {
            Some(handler) => handler.handle(self, me, iq, header),
            None => not_implemented(iq, header),
        }
    }

    /// The simulated phones, if registered.
    pub fn phone(&self) -> Option<&dyn PhoneHandler<Hub>> {
        self.router.phone()
    }
}
