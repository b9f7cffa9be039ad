//! Presence (docs/PROTOCOL.md, Presence and chat state): a device says it is available or unavailable, a contact
//! subscribes to an account's presence, and the server pushes `<presence from=USER [type] [last]>`
//! to every subscribed device when the account comes online (any device available) or goes
//! offline (none left; `last` = when). A device whose connection ends counts as unavailable.
//! Live only: nothing is queued or persisted.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use openwa_protocol::Jid;
use openwa_protocol::stanza::presence::{LastSeen, Presence};

use crate::conn::registry::Command;
use crate::sim::{DeviceRef, Sim};
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

/// Handles a `<presence>` from `me`.
pub fn on_presence(sim: &Sim, me: &DeviceRef, node: &openwa_protocol::Node) {
    match Presence::from_node(node) {
        Ok(Presence::Set { available, .. }) => set(sim, me, available),
        Ok(Presence::Subscribe { to, .. }) => subscribe(sim, me, &to),
        Ok(Presence::Update { .. }) => {}
        Err(e) => tracing::debug!(phone = %me.phone, error = %e, "invalid presence ignored"),
    }
}

fn set(sim: &Sim, me: &DeviceRef, available: bool) {
    let changed = lock(&sim.presence.book).set(&me.phone, me.device, available, now_secs());
    if let Some(state) = changed {
        push_to_subscribers(sim, &me.phone, state);
    }
}

fn subscribe(sim: &Sim, me: &DeviceRef, to: &Jid) {
    let Some(watched) = sim.read(|s| s.account_for_jid(to).map(|a| a.phone.clone())) else {
        return;
    };
    let as_known = to.to_non_ad();
    let state = {
        let mut book = lock(&sim.presence.book);
        book.subscribers
            .entry(watched.clone())
            .or_default()
            .insert((me.phone.clone(), me.device), as_known.clone());
        book.state(&watched)
    };
    send_live(sim, &me.phone, me.device, update(&as_known, state));
}

fn push_to_subscribers(sim: &Sim, watched: &str, state: State) {
    let subscribers: Vec<((String, u16), Jid)> = lock(&sim.presence.book)
        .subscribers
        .get(watched)
        .map(|s| s.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    for ((phone, device), as_known) in subscribers {
        send_live(sim, &phone, device, update(&as_known, state));
    }
}

fn update(from: &Jid, state: State) -> openwa_protocol::Node {
    Presence::Update {
        from: from.clone(),
        available: state.available,
        last: state.last.map(LastSeen::At),
    }
    .to_node()
}

fn send_live(sim: &Sim, phone: &str, device: u16, node: openwa_protocol::Node) {
    if let Some(conn) = sim.registry.active_device(phone, device) {
        conn.send(Command::Send(node));
    }
}

/// Marks a logged-in device unavailable when dropped (its connection ended).
#[derive(Debug)]
pub struct Online {
    sim: Arc<Sim>,
    me: DeviceRef,
}

impl Online {
    /// Guards `me`'s connection.
    pub fn new(sim: &Arc<Sim>, me: &DeviceRef) -> Self {
        Online {
            sim: Arc::clone(sim),
            me: me.clone(),
        }
    }
}

impl Drop for Online {
    fn drop(&mut self) {
        set(&self.sim, &self.me, false);
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
