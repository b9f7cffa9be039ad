//! A history-sync notification arriving from our phone: persisted as a pending row in the
//! commit of the Signal state the peer message used, then acknowledged (the delivery receipt and
//! `<receipt type="hist_sync">`), then handed to the ingest worker. A crash after the ack loses
//! nothing: the row is there, and the worker resumes it on the next connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use openwa_protocol::proto::e2e;
use openwa_protocol::stanza::{IncomingMessage, Peer, Receipt, ReceiptType};
use openwa_protocol::{Jid, Node};
use openwa_store::PendingHistory;
use prost::Message as _;

use crate::connection::router::Replies;
use crate::context::SessionContext;
use crate::signal_store::SignalBatch;

/// Arrival stamps of the session's notices: the wall clock in milliseconds, made strictly
/// increasing, so the worker takes them in the order they came.
#[derive(Debug, Default)]
struct Arrivals(AtomicI64);

impl Arrivals {
    fn next(&self) -> i64 {
        let now = i64::try_from(crate::bus::now_ms()).unwrap_or(i64::MAX);
        let previous = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
                Some(now.max(last.saturating_add(1)))
            })
            .unwrap_or(now);
        now.max(previous.saturating_add(1))
    }
}

/// The history-sync notification `message` carries, if it is one.
pub(crate) fn notification_of(message: &e2e::Message) -> Option<&e2e::HistorySyncNotification> {
    let protocol = message.protocol_message.as_ref()?;
    let kind = e2e::protocol_message::Type::HistorySyncNotification as i32;
    if protocol.r#type != Some(kind) {
        return None;
    }
    protocol.history_sync_notification.as_ref()
}

/// Whether a message sent by `sender` may carry our history or app-state keys: only our own
/// phone (device 0 of our account) does.
pub(crate) fn from_our_phone(sender: &Jid, from_own_account: bool) -> bool {
    from_own_account && sender.device == 0
}

/// Stores `notification` as pending with the Signal state of `batch`; answers the replies:
/// `receipt` (the peer message's delivery receipt) and the `hist_sync` receipt, once durable;
/// nothing when the commit failed (the phone sends it again).
pub(crate) fn accept(
    shared: &Arc<SessionContext>,
    batch: SignalBatch,
    message: &IncomingMessage,
    notification: &e2e::HistorySyncNotification,
    receipt: Node,
) -> Replies {
    let pending = Arc::new(PendingHistory {
        id: message.id.clone(),
        sync_type: i64::from(notification.sync_type.unwrap_or(-1)),
        chunk_order: i64::from(notification.chunk_order.unwrap_or(0)),
        notification: notification.encode_to_vec(),
        created_at: shared.feature::<Arrivals>().next(),
    });
    let stored = batch.commit_with(None, move |mut tx| {
        let pending = Arc::clone(&pending);
        Box::pin(async move {
            tx.put_pending_history(&pending).await?;
            Ok(((), None))
        })
    });
    let own = shared.with_credentials(|c| c.paired.as_ref().map(|p| Jid::pn(p.jid.user.clone())));
    let (shared, id) = (Arc::clone(shared), message.id.clone());
    Box::pin(async move {
        match stored.await {
            Ok(()) => {
                super::kick(&shared);
                let mut replies = vec![receipt];
                if let Some(own) = own {
                    replies.push(Receipt::new(id, Peer::To(own), ReceiptType::HistSync).to_node());
                }
                replies
            }
            Err(err) => {
                tracing::warn!(session = %shared.id, %err, %id, "history notice not persisted; not acked");
                Vec::new()
            }
        }
    })
}
