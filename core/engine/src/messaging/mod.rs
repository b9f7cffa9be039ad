//! Messaging: sending to users (device fan-out, Signal encryption) and groups (sender keys),
//! persist-then-send, server ack, receipts from peers (status updates, retry resends), read
//! receipts and message history.
//!
//! | module | job |
//! |---|---|
//! | `devices` | usync device lists (cached in memory in front of the store, both dropped by `devices` notifications) and the fan-out decision |
//! | `encrypt` | bundle fetch for devices without a session, per-device encryption, device-sent wrapper |
//! | `send` | `send_content` (any content; `send_text` and the others wrap it): reply/mention context, build, persist (message + outgoing record + Signal changes in one transaction), send, await the ack |
//! | `group_send` | group sends: membership check against the (cached) metadata, our sender key (fresh when nobody holds it), its distribution to member devices that lack it, the `skmsg` |
//! | `group_retry` | retry receipts for group messages: the message + our key, pairwise, to the asking device alone |
//! | `own` | our own ids (device JIDs on both namespaces, device identity) for sends and retries |
//! | `compose` | the protobufs of locations, contact cards, polls, reactions, edits, revokes, and reply/mention context, with their input checks |
//! | `actions` | react, edit, revoke: sends that name an earlier stored message |
//! | `changes` | edits and revokes (received or our own) applied to the stored message, with their event |
//! | `target` | what sends naming an earlier message share: finding it, no reply or mentions, the sender's clock |
//! | `origin` | who made a change to an earlier message, where and when |
//! | `polls` | votes we cast, received votes opened with the poll's secret and stored, the tally |
//! | `ack` | the server's `<ack class="message">`: typed errors and the `sent` status |
//! | `receipts` | peer `<receipt>`s: status transitions, `Receipt`/`MessageStatus` events, retry resends |
//! | `read` | `mark_read`: read receipts grouped by sender |
//! | `history` | `messages` pages and `message` lookup from the store |
//! | `addressing` | a contact's PN and LID as one chat (both store keys of a chat) |

pub(crate) mod ack;
pub(crate) mod actions;
pub(crate) mod addressing;
pub(crate) mod changes;
pub(crate) mod compose;
pub(crate) mod devices;
pub(crate) mod encrypt;
pub(crate) mod group_retry;
pub(crate) mod group_send;
pub(crate) mod history;
pub(crate) mod origin;
pub(crate) mod own;
pub(crate) mod pacing;
pub(crate) mod polls;
pub(crate) mod queue;
pub(crate) mod read;
pub(crate) mod receipts;
#[cfg(test)]
mod scripted_tests;
pub(crate) mod send;
pub(crate) mod target;
pub(crate) mod transmit;

pub(crate) mod api;

pub use history::MessagePage;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use openwa_protocol::Node;

use crate::connection::router::{Feature, Handled, HandlerFuture, Route};
use crate::context::SessionContext;

/// Messaging as a feature: server acks of our sends, receipts from peers, device-list changes,
/// and the send queue's worker for each connection.
#[derive(Debug)]
pub(crate) struct Messaging;

impl Feature for Messaging {
    fn routes(&self) -> &'static [Route] {
        static ROUTES: &[Route] = &[
            Route::tag("ack"),
            Route::tag("receipt"),
            Route::typed("notification", "devices"),
        ];
        ROUTES
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a Arc<SessionContext>,
        node: &'a Node,
    ) -> HandlerFuture<'a, Handled> {
        Box::pin(async move {
            match node.tag.as_str() {
                "ack" => ack::on_ack(ctx, node).await,
                "receipt" => receipts::on_receipt(ctx, node).await,
                _ => devices::on_devices_notification(ctx, node).await,
            }
            Handled::Done
        })
    }

    fn on_connected(&self, ctx: &Arc<SessionContext>) {
        queue::on_connected(ctx);
    }

    fn on_closed<'a>(&'a self, ctx: &'a Arc<SessionContext>) -> HandlerFuture<'a, ()> {
        Box::pin(async move {
            queue::on_closed(ctx);
            ack::fail_pending(ctx).await;
        })
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
