//! History sync (docs/PROTOCOL.md, History sync): the account's past, sent by our phone after
//! linking as notifications that point at encrypted, compressed chunks.
//!
//! | module | job |
//! |---|---|
//! | `notice` | a notification arrives: persist it as pending, then acknowledge it |
//! | `ingest` | one pending notification: download, verify, inflate, decode, store, event |
//! | `chunk` | a decoded chunk → the records to store (pure) |
//!
//! The worker here drains the pending notifications one at a time (so at most one chunk is
//! decoded at any moment), when one arrives and after every login (which resumes what a crash
//! or a lost connection left pending). Its public types (`HistoryPolicy`, `HistorySyncType`)
//! live in `crate::history_types`, so the configuration and the events need not import this
//! feature.

mod chunk;
mod ingest;
pub(crate) mod notice;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use openwa_protocol::Node;

use crate::connection::router::{Feature, Handled, HandlerFuture, Route};
use crate::context::SessionContext;
use crate::error::ErrorCode;

/// Whether the session's worker runs, and whether work arrived since it last looked.
#[derive(Debug, Default)]
struct Worker {
    running: AtomicBool,
    dirty: AtomicBool,
}

/// Makes sure the session's worker drains the pending notifications.
pub(crate) fn kick(shared: &Arc<SessionContext>) {
    let worker = shared.feature::<Worker>();
    worker.dirty.store(true, Ordering::SeqCst);
    if worker.running.swap(true, Ordering::SeqCst) {
        return;
    }
    let task = Arc::clone(shared);
    shared.spawn(async move {
        loop {
            worker.dirty.store(false, Ordering::SeqCst);
            drain(&task).await;
            worker.running.store(false, Ordering::SeqCst);
            // Work that arrived after the drain looked, and found the worker still running.
            if !worker.dirty.load(Ordering::SeqCst) || worker.running.swap(true, Ordering::SeqCst) {
                return;
            }
        }
    });
}

/// Ingests every pending notification, oldest first. Stops at a retryable failure (the next
/// login resumes); a chunk that can never be ingested (bad MAC, not zlib, gone from the media
/// host) is dropped with a warning.
async fn drain(shared: &Arc<SessionContext>) {
    let pending = match shared.store().pending_history().await {
        Ok(pending) => pending,
        Err(err) => {
            tracing::warn!(session = %shared.id, %err, "pending history not readable");
            return;
        }
    };
    for notice in pending {
        let Err(err) = ingest::ingest(shared, &notice).await else {
            continue;
        };
        if err.retryable
            || matches!(
                err.code,
                ErrorCode::NotConnected | ErrorCode::Network | ErrorCode::Timeout
            )
        {
            tracing::info!(session = %shared.id, %err, id = %notice.id, "history chunk postponed");
            return;
        }
        tracing::warn!(session = %shared.id, %err, id = %notice.id, "history chunk dropped");
        if let Err(err) = shared.store().delete_pending_history(&notice.id).await {
            tracing::warn!(session = %shared.id, %err, "pending history not deleted");
            return;
        }
    }
}

/// History sync as a feature: it handles no stanza (notices come through the receive
/// pipeline) and resumes pending notifications after each login.
#[derive(Debug)]
pub(crate) struct History;

impl Feature for History {
    fn routes(&self) -> &'static [Route] {
        &[]
    }

    fn handle<'a>(
        &'a self,
        _ctx: &'a Arc<SessionContext>,
        _node: &'a Node,
    ) -> HandlerFuture<'a, Handled> {
        Box::pin(async { Handled::Done })
    }

    fn on_connected(&self, ctx: &Arc<SessionContext>) {
        kick(ctx);
    }
}
