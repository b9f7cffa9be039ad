//! App-state sync (docs/PROTOCOL.md, App state): account-wide settings — archived, pinned,
//! muted and unread-marked chats, contact names, labels, starred messages — kept by the server
//! in five encrypted collections every device of the account reads and writes.
//!
//! | module | job |
//! |---|---|
//! | `keys` | sync keys from our phone: accepted, stored, looked up |
//! | `request` | asking our phone for a key we lack (`APP_STATE_SYNC_KEY_REQUEST`) |
//! | `wire` | the `w:sync:app:state` IQ: fetch and write requests, answers |
//! | `sync` | one collection brought up to date, every step verified |
//! | `apply` | one verified step into the store, with its events |
//! | `send` | our own changes: a patch at the next version, then stored once accepted |
//! | `api` | the `Session` methods |
//!
//! The worker here syncs the collections that are due, one at a time, after every login, when
//! keys arrive and when the server says a collection changed (`server_sync`). Every sync and
//! every write of a session runs under one lock, so a collection's stored version only moves
//! forward one verified step at a time. Public types live in `crate::app_state_types`.

mod api;
mod apply;
mod keys;
mod request;
mod send;
mod sync;
mod wire;

pub(crate) use keys::{accept as accept_keys, share_of};

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use openwa_protocol::Node;
use openwa_protocol::appstate::Collection;

use crate::connection::router::{Feature, Handled, HandlerFuture, Route};
use crate::context::SessionContext;

/// The session's app-state worker: the collections due (and which of them the server said
/// changed), and the lock every sync and write takes.
#[derive(Debug, Default)]
pub(crate) struct Worker {
    lock: tokio::sync::Mutex<()>,
    due: Mutex<BTreeSet<Collection>>,
    announced: Mutex<BTreeSet<Collection>>,
    running: AtomicBool,
}

/// Marks `collections` due and makes sure the worker syncs them. Without any key a collection
/// is synced only when the server `announced` it changed (the fetch then names the key to ask
/// our phone for); after a login or a key share it waits for a key.
pub(crate) fn kick(
    shared: &Arc<SessionContext>,
    collections: impl IntoIterator<Item = Collection>,
    announced: bool,
) {
    let worker = shared.feature::<Worker>();
    let collections: Vec<Collection> = collections.into_iter().collect();
    if announced {
        worker
            .announced
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(collections.iter().copied());
    }
    worker
        .due
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .extend(collections);
    if worker.running.swap(true, Ordering::SeqCst) {
        return;
    }
    let task = Arc::clone(shared);
    shared.spawn(async move {
        loop {
            let next = worker
                .due
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop_first();
            let Some(collection) = next else {
                worker.running.store(false, Ordering::SeqCst);
                // Work that arrived after the last look, and found the worker still running.
                let empty = worker
                    .due
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .is_empty();
                if empty || worker.running.swap(true, Ordering::SeqCst) {
                    return;
                }
                continue;
            };
            let _held = worker.lock.lock().await;
            let announced = worker
                .announced
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&collection);
            match task.store().latest_app_state_key().await {
                Ok(Some(_)) => {}
                Ok(None) if announced => {}
                Ok(None) => {
                    tracing::debug!(session = %task.id, %collection, "no app-state key yet; not synced");
                    continue;
                }
                Err(err) => {
                    tracing::warn!(session = %task.id, %err, "app-state keys not readable");
                    continue;
                }
            }
            if let Err(err) = sync::sync(&task, collection).await {
                tracing::warn!(session = %task.id, %collection, %err, "app-state sync failed");
            }
        }
    });
}

/// Marks every collection due.
pub(crate) fn kick_all(shared: &Arc<SessionContext>) {
    kick(shared, Collection::ALL, false);
}

/// The collections a `server_sync` notification names.
fn named(node: &Node) -> Vec<Collection> {
    node.children_by_tag("collection")
        .filter_map(|c| Collection::from_name(&c.attr_str("name")?))
        .collect()
}

/// App-state sync as a feature: `server_sync` notifications, and a sync after every login.
#[derive(Debug)]
pub(crate) struct AppState;

impl Feature for AppState {
    fn routes(&self) -> &'static [Route] {
        static ROUTES: &[Route] = &[Route::typed("notification", "server_sync")];
        ROUTES
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a Arc<SessionContext>,
        node: &'a Node,
    ) -> HandlerFuture<'a, Handled> {
        kick(ctx, named(node), true);
        Box::pin(async { Handled::Done })
    }

    fn on_connected(&self, ctx: &Arc<SessionContext>) {
        kick_all(ctx);
    }
}
