//! Presence (docs/PROTOCOL.md, Presence and chat state): a device says it is available or unavailable, a contact
//! subscribes to an account's presence, and the server pushes `<presence from=USER [type] [last]>`
//! to every subscribed device when the account comes online (any device available) or goes
//! offline (none left; `last` = when). A device whose connection ends counts as unavailable.
//! Live only: nothing is queued or persisted.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use openwa_protocol::stanza::presence::{LastSeen, Presence};
use openwa_protocol::{Jid, Node};

use crate::device::DeviceRef;
use crate::hub::Hub;
use crate::router::Router;
use crate::util::{lock, now_secs};

/// Who is online, since when offline, and who listens.
#[derive(Debug, Default)]
pub struct Presences {
    book: Mutex<Book>,
}

#[derive(Debug, Default)]
struct Book {
    /// Available devices per account.
    online: HashMap<String, HashSet<u16>>,
    /// When each account was last available (seconds).
    last_seen: HashMap<String, u64>,
    /// Per watched account: subscribed devices and the JID they know it by.
    subscribers: HashMap<String, HashMap<(String, u16), Jid>>,
}

/// An account's availability as pushed to subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State {
    available: bool,
    last: Option<u64>,
}

impl Book {
    fn state(&self, phone: &str) -> State {
        let available = self.online.get(phone).is_some_and(|d| !d.is_empty());
        State {
            available,
            last: (!available)
                .then(|| self.last_seen.get(phone).copied())
                .flatten(),
        }
    }

    /// Sets one device's availability; the account's new state when it changed.
    fn set(&mut self, phone: &str, device: u16, available: bool, now: u64) -> Option<State> {
        let before = self.state(phone);
        let devices = self.online.entry(phone.to_owned()).or_default();
        if available {
            devices.insert(device);
        } else if devices.remove(&device) && devices.is_empty() {
            self.last_seen.insert(phone.to_owned(), now);
        }
        let after = self.state(phone);
        (after.available != before.available).then_some(after)
    }
}

impl Presences {
    /// Serves `presence` stanzas with this book.
    pub fn register(self: &Arc<Self>, router: &mut Router<Hub>) {
        let presences = Arc::clone(self);
        router.on_stanza("presence", move |hub: &Hub, me: &DeviceRef, node: &Node| {
            presences.on_presence(hub, me, node);
            None
        });
    }

    /// Handles a `<presence>` from `me`.
    pub fn on_presence(&self, hub: &Hub, me: &DeviceRef, node: &Node) {
        match Presence::from_node(node) {
            Ok(Presence::Set { available, .. }) => self.set(hub, me, available),
            Ok(Presence::Subscribe { to, .. }) => self.subscribe(hub, me, &to),
            Ok(Presence::Update { .. }) => {}
            Err(e) => tracing::debug!(phone = %me.phone, error = %e, "invalid presence ignored"),
        }
    }

    fn set(&self, hub: &Hub, me: &DeviceRef, available: bool) {
        let changed = lock(&self.book).set(&me.phone, me.device, available, now_secs());
        if let Some(state) = changed {
            self.push_to_subscribers(hub, &me.phone, state);
        }
    }

    fn subscribe(&self, hub: &Hub, me: &DeviceRef, to: &Jid) {
        let Some(watched) = hub.read(|s| s.account_for_jid(to).map(|a| a.phone.clone())) else {
            return;
        };
        let as_known = to.to_non_ad();
        let state = {
            let mut book = lock(&self.book);
            book.subscribers
                .entry(watched.clone())
                .or_default()
                .insert((me.phone.clone(), me.device), as_known.clone());
            book.state(&watched)
        };
        hub.send_live(&me.phone, me.device, update(&as_known, state));
    }

    fn push_to_subscribers(&self, hub: &Hub, watched: &str, state: State) {
        let subscribers: Vec<((String, u16), Jid)> = lock(&self.book)
            .subscribers
            .get(watched)
            .map(|s| s.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        for ((phone, device), as_known) in subscribers {
            hub.send_live(&phone, device, update(&as_known, state));
        }
    }
}

fn update(from: &Jid, state: State) -> Node {
    Presence::Update {
        from: from.clone(),
        available: state.available,
        last: state.last.map(LastSeen::At),
    }
    .to_node()
}

/// Marks a logged-in device unavailable when dropped (its connection ended).
#[derive(Debug)]
pub struct Online {
    hub: Arc<Hub>,
    presences: Arc<Presences>,
    me: DeviceRef,
}

impl Online {
    /// Guards `me`'s connection.
    pub fn new(hub: &Arc<Hub>, presences: &Arc<Presences>, me: &DeviceRef) -> Self {
        Online {
            hub: Arc::clone(hub),
            presences: Arc::clone(presences),
            me: me.clone(),
        }
    }
}

impl Drop for Online {
    fn drop(&mut self) {
        self.presences.set(&self.hub, &self.me, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_online_while_any_device_is_and_keeps_its_last_seen() {
        let mut book = Book::default();
        let on = Some(State {
            available: true,
            last: None,
        });
        assert_eq!(book.set("1", 1, true, 10), on);
        assert_eq!(book.set("1", 2, true, 11), None);
        assert_eq!(book.set("1", 1, false, 12), None);
        let off = Some(State {
            available: false,
            last: Some(13),
        });
        assert_eq!(book.set("1", 2, false, 13), off);
        assert_eq!(book.set("1", 2, false, 14), None, "already offline");
        assert_eq!(book.state("1").last, Some(13));
        assert_eq!(book.state("never").last, None);
    }
}
