//! Live connections: every open socket, and which device each logged-in one belongs to.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use openwa_protocol::Node;
use tokio::sync::mpsc;

use crate::util::lock;

/// What another part of the simulator can ask a connection task to do.
#[derive(Debug)]
pub enum Command {
    /// Send this stanza.
    Send(Node),
    /// Send this stanza (a `stream:error`) and close.
    SendAndClose(Node),
    /// Close at once without a word (simulated network failure).
    Drop,
    /// (Registering connections) the phone scanned the QR / confirmed the code: send
    /// `pair-success` issued with this adv secret, and report the outcome on `done`.
    Pair(PairRequest),
}

/// A pairing the phone approved, handed to the registering connection.
#[derive(Debug)]
pub struct PairRequest {
    /// The account (phone number) that links the companion.
    pub phone: String,
    /// The adv secret (from the QR code, or derived in code pairing).
    pub adv_secret: [u8; 32],
    /// Where to report the outcome.
    pub done: tokio::sync::oneshot::Sender<Result<PairedDevice, String>>,
}

/// A companion that completed pairing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PairedDevice {
    /// Its device id.
    pub device: u16,
    /// PN device JID.
    pub jid: String,
    /// LID device JID.
    pub lid: String,
}

/// Capacity of each connection's command queue; a connection that cannot keep up is closed.
pub const COMMAND_QUEUE: usize = 1024;

/// The handle the registry keeps for one connection.
#[derive(Debug, Clone)]
pub struct ConnHandle {
    /// Unique connection id.
    pub id: u64,
    /// Its command queue.
    pub tx: mpsc::Sender<Command>,
}

impl ConnHandle {
    /// Queues a command; false if the connection is gone or hopelessly behind (it is then dropped).
    pub fn send(&self, command: Command) -> bool {
        match self.tx.try_send(command) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Closed(_)) => false,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(conn = self.id, "connection command queue full; dropping it");
                // The task sees the queue closed once every sender is gone; force it now.
                let _ = self.tx.try_send(Command::Drop);
                false
            }
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    all: HashMap<u64, (ConnHandle, Option<(String, u16)>)>,
    by_device: HashMap<(String, u16), u64>,
    /// Logged-in connections that sent `<active/>` and had their queue flushed.
    active: std::collections::HashSet<u64>,
}

/// All live connections.
#[derive(Debug, Default)]
pub struct Registry {
    next_id: AtomicU64,
    inner: Mutex<Inner>,
}

impl Registry {
    /// Registers a new (not yet logged-in) connection and returns its handle and command receiver.
    pub fn open(&self) -> (ConnHandle, mpsc::Receiver<Command>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
        let handle = ConnHandle { id, tx };
        lock(&self.inner).all.insert(id, (handle.clone(), None));
        (handle, rx)
    }

    /// Binds a connection to a device; returns the connection it replaces, if any.
    pub fn bind(&self, id: u64, phone: &str, device: u16) -> Option<ConnHandle> {
        let mut inner = lock(&self.inner);
        let key = (phone.to_owned(), device);
        let old = inner.by_device.insert(key.clone(), id);
        if let Some(entry) = inner.all.get_mut(&id) {
            entry.1 = Some(key);
        }
        old.filter(|old| *old != id).and_then(|old| {
            inner.active.remove(&old);
            let entry = inner.all.get_mut(&old)?;
            entry.1 = None;
            Some(entry.0.clone())
        })
    }

    /// Marks a logged-in connection as ready for live deliveries (or not).
    pub fn set_active(&self, id: u64, active: bool) {
        let mut inner = lock(&self.inner);
        if active {
            inner.active.insert(id);
        } else {
            inner.active.remove(&id);
        }
    }

    /// The connection of a device if it is online and active (ready for live deliveries).
    pub fn active_device(&self, phone: &str, device: u16) -> Option<ConnHandle> {
        let inner = lock(&self.inner);
        let id = inner.by_device.get(&(phone.to_owned(), device))?;
        if !inner.active.contains(id) {
            return None;
        }
        inner.all.get(id).map(|(handle, _)| handle.clone())
    }

    /// Forgets a connection (when its task ends).
    pub fn close(&self, id: u64) {
        let mut inner = lock(&self.inner);
        inner.active.remove(&id);
        if let Some((_, Some(key))) = inner.all.remove(&id)
            && inner.by_device.get(&key) == Some(&id)
        {
            inner.by_device.remove(&key);
        }
    }

    /// The connection of a device, if it is online.
    pub fn device(&self, phone: &str, device: u16) -> Option<ConnHandle> {
        let inner = lock(&self.inner);
        let id = inner.by_device.get(&(phone.to_owned(), device))?;
        inner.all.get(id).map(|(handle, _)| handle.clone())
    }

    /// Connections matching a filter: all (`None`) or those logged in as `phone`.
    pub fn select(&self, phone: Option<&str>) -> Vec<ConnHandle> {
        lock(&self.inner)
            .all
            .values()
            .filter(|(_, bound)| match phone {
                None => true,
                Some(p) => bound.as_ref().is_some_and(|(bp, _)| bp == p),
            })
            .map(|(handle, _)| handle.clone())
            .collect()
    }

    /// Number of open connections and of logged-in ones.
    pub fn counts(&self) -> (usize, usize) {
        let inner = lock(&self.inner);
        (inner.all.len(), inner.by_device.len())
    }

    /// Device ids of `phone` that are online.
    pub fn online_devices(&self, phone: &str) -> Vec<u16> {
        let inner = lock(&self.inner);
        let mut devices: Vec<u16> = inner
            .by_device
            .keys()
            .filter(|(p, _)| p == phone)
            .map(|(_, d)| *d)
            .collect();
        devices.sort_unstable();
        devices
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_replaces_and_closing_forgets() {
        let registry = Registry::default();
        let (a, _rx_a) = registry.open();
        let (b, _rx_b) = registry.open();
        assert!(registry.bind(a.id, "1555", 1).is_none());
        assert_eq!(registry.device("1555", 1).map(|h| h.id), Some(a.id));
        let replaced = registry.bind(b.id, "1555", 1).map(|h| h.id);
        assert_eq!(replaced, Some(a.id));
        assert_eq!(registry.device("1555", 1).map(|h| h.id), Some(b.id));
        // Closing the replaced connection must not unbind the new one.
        registry.close(a.id);
        assert_eq!(registry.device("1555", 1).map(|h| h.id), Some(b.id));
        assert_eq!(registry.counts(), (1, 1));
        assert_eq!(registry.select(Some("1555")).len(), 1);
        assert_eq!(registry.select(Some("1666")).len(), 0);
        registry.close(b.id);
        assert_eq!(registry.counts(), (0, 0));
        assert!(registry.device("1555", 1).is_none());
    }
}
