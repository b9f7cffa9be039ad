//! App-state sync as the simulator serves it (docs/PROTOCOL.md, App state): the account's five
//! collections as the server stores them (opaque records, LT-hash, version, every patch), the
//! phone's sync key, and the checks a patch must pass. The phone writes with its key
//! ([`changes`], from the admin API); companions fetch and write through the
//! `w:sync:app:state` IQ ([`serve`]); a change reaches the account's other devices as a
//! `server_sync` notification.

pub mod changes;
pub mod serve;
pub mod store;
pub mod view;

pub use store::{AppStateFault, AppStateStore, StoredCollection};

use openwa_protocol::Jid;
use openwa_protocol::Node;
use openwa_protocol::appstate::{Collection, MutationKeys};
use rand_core::{OsRng, RngCore};

use super::records::{AppStateKey, HexBytes};
use crate::hub::Hub;
use crate::state::Account;
use crate::util::now_secs;

/// A fresh random sync key.
fn new_key() -> AppStateKey {
    let mut key_id = vec![0u8; 6];
    let mut key_data = vec![0u8; 32];
    OsRng.fill_bytes(&mut key_id);
    OsRng.fill_bytes(&mut key_data);
    AppStateKey {
        key_id: HexBytes(key_id),
        key_data: HexBytes(key_data),
        timestamp: i64::try_from(now_secs().saturating_mul(1000)).unwrap_or(i64::MAX),
    }
}

/// The account's sync key, made on first use.
pub fn ensure_key(account: &mut Account) -> AppStateKey {
    account
        .signal
        .app_state_key
        .get_or_insert_with(new_key)
        .clone()
}

/// Replaces the account's sync key with a fresh one (the old one kept for the records under
/// it); answers the new key, which the phone then shares and writes with.
pub fn rotate_key(account: &mut Account) -> AppStateKey {
    let fresh = new_key();
    if let Some(old) = account.signal.app_state_key.replace(fresh.clone()) {
        account.signal.old_app_state_keys.push(old);
    }
    fresh
}

/// Every sync key of the account, the current one first.
pub fn all_keys(account: &mut Account) -> Vec<AppStateKey> {
    let current = ensure_key(account);
    std::iter::once(current)
        .chain(account.signal.old_app_state_keys.iter().rev().cloned())
        .collect()
}

/// The derived keys of the account's sync key, if `id` is its id.
pub fn lookup(key: &AppStateKey, id: &[u8]) -> Option<MutationKeys> {
    (key.key_id.0 == id).then(|| MutationKeys::expand(&key.key_data.0))
}

/// The derived keys of whichever of `keys` has id `id`.
pub fn lookup_any(keys: &[AppStateKey], id: &[u8]) -> Option<MutationKeys> {
    keys.iter().find_map(|k| lookup(k, id))
}

/// Tells the account's companions (all but `except`) that `collection` moved to `version`.
pub fn notify(hub: &Hub, phone: &str, collection: Collection, version: u64, except: Option<u16>) {
    let devices: Vec<u16> = hub.read(|s| {
        s.accounts
            .get(phone)
            .map(|a| {
                a.devices
                    .keys()
                    .copied()
                    .filter(|d| *d != 0 && Some(*d) != except)
                    .collect()
            })
            .unwrap_or_default()
    });
    for device in devices {
        let node = Node::new("notification")
            .attr("from", Jid::pn(phone))
            .attr("id", hub.next_stanza_id())
            .attr("type", "server_sync")
            .attr("t", now_secs().to_string())
            .child(
                Node::new("collection")
                    .attr("name", collection.name())
                    .attr("version", version.to_string()),
            );
        hub.deliver(phone, device, node);
    }
}
