//! The server's `<ack class="message">` for a message we sent: the typed error of a nack, the
//! `sent` status and the `MessageSent` event of an accepted message.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;

use openwa_protocol::Node;
use openwa_protocol::stanza::ack::{Ack, AckClass};
use tokio::sync::oneshot;

use openwa_store::{SessionTx, StoreError};

use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::event::{Event, EventKind, Message, MessageStatus};
use crate::persist::{PendingEvent, write_unit};

/// A sent message waiting for its server ack.
#[derive(Debug)]
pub(crate) struct PendingSend {
    /// The message as stored (status `pending`).
    pub message: Message,
    /// Where the outcome goes.
    pub reply: oneshot::Sender<Result<Message, Error>>,
    /// Sent by the send queue: its queue entry goes with the status change the ack makes.
    pub queued: bool,
}

/// The session's sends waiting for their `<ack class="message">`, by message id.
#[derive(Debug, Default)]
pub(crate) struct PendingAcks {
    sends: Mutex<HashMap<String, PendingSend>>,
}

impl PendingAcks {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, PendingSend>> {
        match self.sends.lock() {
            Ok(sends) => sends,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Registers a send before its stanza leaves.
    pub(crate) fn insert(&self, pending: PendingSend) {
        self.lock().insert(pending.message.id.clone(), pending);
    }

    /// Takes the send of message `id`, if it is still waiting.
    pub(crate) fn take(&self, id: &str) -> Option<PendingSend> {
        self.lock().remove(id)
    }

    fn take_all(&self) -> Vec<PendingSend> {
        self.lock().drain().map(|(_, send)| send).collect()
    }
}

/// A server ack: completes the pending send of that message id, if any. The status change is
/// queued here, in stanza order; its commit is awaited apart.
pub(crate) async fn on_ack(shared: &Arc<SessionContext>, node: &Node) {
    let Ok(ack) = Ack::from_node(node) else {
        return;
    };
    if ack.class != AckClass::Message {
        return;
    }
    if let Some(send) = shared.feature::<PendingAcks>().take(&ack.id) {
        let done = complete(shared, send, Ok(ack)).await;
        shared.spawn(done);
    }
}

/// The connection closed: every send still waiting gets `not_connected` (it stays `pending`).
pub(crate) async fn fail_pending(shared: &Arc<SessionContext>) {
    for send in shared.feature::<PendingAcks>().take_all() {
        let closed = Error::new(ErrorCode::NotConnected, "the connection closed");
        complete(shared, send, Err(closed)).await.await;
    }
}

/// The nack code for a device list or phash that no longer matches the server's.
pub(crate) const STALE_DEVICES: u16 = 421;

/// The typed error of a nack (`<ack class="message" error=CODE>`). Codes follow what WhatsApp
/// servers answer: 479/487/400/406 the stanza was invalid, 401 the device is logged out, 403
/// the peer refused it (blocked, privacy), 404 the recipient does not exist, 408/504 timeouts,
/// 421 the device list or phash was stale (retry after refreshing devices), 429/463 rate or
/// privacy-token limits, 5xx server trouble.
pub(crate) fn nack_error(code: u16) -> Error {
    let (api, retryable, what) = match code {
        400 | 406 | 479 | 487 => (ErrorCode::Protocol, false, "the server refused the stanza"),
        401 => (ErrorCode::LoggedOut, false, "the device is logged out"),
        403 => (
            ErrorCode::ServerError,
            false,
            "the recipient refused the message",
        ),
        404 => (ErrorCode::NotFound, false, "the recipient does not exist"),
        408 | 504 => (ErrorCode::Timeout, true, "the server timed out"),
        421 => (
            ErrorCode::ServerError,
            true,
            "the device list changed, retry",
        ),
        429 | 463 => (ErrorCode::RateLimited, true, "rate limited"),
        500..=599 => (ErrorCode::ServerError, true, "server error"),
        _ => (
            ErrorCode::ServerError,
            false,
            "the server refused the message",
        ),
    };
    Error::new(api, format!("{what} (ack error {code})"))
        .with_details(code.to_string())
        .with_retryable(retryable)
}

/// What an ack means for the message: accepted (server time), or a typed error.
pub(crate) fn ack_outcome(ack: &Ack) -> Result<Option<u64>, Error> {
    match ack.error {
        Some(code) => Err(nack_error(code)),
        None => Ok(ack.t),
    }
}

/// Finishes a pending send: on success the status becomes `sent` (store + `MessageSent`
/// event), on a nack `failed` (store + `MessageStatus` event); a lost connection or a timeout
/// leaves it `pending` (the outcome is unknown: a later receipt can still move it forward).
/// Called by the driver, in stanza order: the status change is queued before this returns, so
/// `MessageSent` precedes the message's receipts. The answered future waits until it is durable
/// and then answers the sender; the driver runs it apart, so it never waits for a commit.
pub(crate) async fn complete(
    shared: &SessionContext,
    pending: PendingSend,
    outcome: Result<Ack, Error>,
) -> impl Future<Output = ()> + Send + 'static {
    let PendingSend {
        message,
        reply,
        queued,
    } = pending;
    let nacked = matches!(&outcome, Ok(ack) if ack.error.is_some());
    if matches!(&outcome, Ok(ack) if ack.error == Some(STALE_DEVICES))
        && let Ok(chat) = message.chat.parse::<openwa_protocol::Jid>()
    {
        // The server saw another device list (or member list): ask again on the next send.
        if chat.is_group() {
            shared
                .feature::<crate::groups::cache::GroupCache>()
                .forget(&chat);
        } else {
            super::devices::forget(shared, &[chat]).await;
        }
    }
    let (result, stored) = match outcome.and_then(|ack| ack_outcome(&ack)) {
        Ok(_) => {
            let message = Message {
                status: MessageStatus::Sent,
                ..message
            };
            let sent = EventKind::MessageSent {
                message: message.clone(),
            };
            let target = vec![(message.chat.clone(), sent)];
            let change = StatusChange::new(target, &message.id, MessageStatus::Sent, true);
            let stored = queue_change(shared, change.map(|c| c.unqueueing(queued)));
            (Ok(message), Some(stored))
        }
        Err(err) => {
            let stored = nacked.then(|| {
                let failed = EventKind::MessageStatus {
                    chat: message.chat.clone(),
                    message_id: message.id.clone(),
                    status: MessageStatus::Failed,
                };
                let target = vec![(message.chat.clone(), failed)];
                let change = StatusChange::new(target, &message.id, MessageStatus::Failed, false);
                queue_change(shared, change.map(|c| c.unqueueing(queued)))
            });
            (Err(err), stored)
        }
    };
    async move {
        if let Some(stored) = stored {
            stored.await;
        }
        let _ = reply.send(result);
    }
}

/// Moves a stored message's status forward and logs `event` with it, in one store unit: when
/// the status changed, or in any case with `always`. Returns whether the status changed.
pub(crate) async fn set_status(
    shared: &SessionContext,
    chat: &str,
    id: &str,
    status: MessageStatus,
    event: EventKind,
    always: bool,
) -> bool {
    queue_status(shared, vec![(chat.to_owned(), event)], id, status, always).await
}

/// A queued status change: resolves to whether the status changed.
pub(crate) type StatusFuture = Pin<Box<dyn Future<Output = bool> + Send + 'static>>;

/// A status change to apply inside a store unit: message `id` moves forward under the first of
/// `chats` (the forms of one chat, each with the event to log for it) where it can, and that
/// chat's event is logged; with `always`, the first chat's event is logged even if nothing
/// changed.
struct StatusChange {
    id: String,
    chats: Vec<(String, PendingEvent)>,
    status: openwa_store::MessageStatus,
    always: bool,
    /// Also takes the message off the send queue (under the first chat).
    unqueue: bool,
}

impl StatusChange {
    fn new(
        chats: Vec<(String, EventKind)>,
        id: &str,
        status: MessageStatus,
        always: bool,
    ) -> Result<Self, Error> {
        Ok(StatusChange {
            id: id.to_owned(),
            chats: chats
                .into_iter()
                .map(|(chat, event)| Ok((chat, PendingEvent::new(event)?)))
                .collect::<Result<_, Error>>()?,
            status: super::history::to_store(status),
            always,
            unqueue: false,
        })
    }

    /// This change, also taking the message off the send queue when `queued`.
    fn unqueueing(self, queued: bool) -> Self {
        StatusChange {
            unqueue: queued,
            ..self
        }
    }

    /// Applies it in `tx`: whether the status changed, and the event to publish.
    async fn apply(&self, tx: &mut SessionTx<'_>) -> Result<(bool, Option<Event>), StoreError> {
        if self.unqueue
            && let Some((chat, _)) = self.chats.first()
        {
            tx.unqueue_send(chat, &self.id).await?;
        }
        for (chat, event) in &self.chats {
            let changed = tx
                .update_message_status(chat, &self.id, self.status)
                .await?;
            if changed || self.always {
                return Ok((changed, Some(event.clone().append(tx).await?)));
            }
        }
        Ok((false, None))
    }
}

/// Queues one status change as a store unit (see [`StatusChange`]): queued by this call (units
/// commit in call order); the future answers whether the status changed.
pub(crate) fn queue_status(
    shared: &SessionContext,
    chats: Vec<(String, EventKind)>,
    id: &str,
    status: MessageStatus,
    always: bool,
) -> StatusFuture {
    queue_change(shared, StatusChange::new(chats, id, status, always))
}

/// Queues `change` as a store unit; the future answers whether the status changed.
fn queue_change(shared: &SessionContext, change: Result<StatusChange, Error>) -> StatusFuture {
    let change = match change {
        Ok(change) => Arc::new(change),
        Err(err) => {
            tracing::error!(session = %shared.id, %err, "status event not serializable");
            return Box::pin(async { false });
        }
    };
    let unit = write_unit(
        shared.store(),
        Some(shared.bus().publisher()),
        move |mut tx| {
            let change = Arc::clone(&change);
            Box::pin(async move { change.apply(&mut tx).await })
        },
    );
    let session = shared.id.clone();
    Box::pin(async move {
        match unit.await {
            Ok(changed) => changed,
            Err(err) => {
                tracing::warn!(%session, %err, "message status not stored");
                false
            }
        }
    })
}

/// Queues a receipt's `Receipt` event and the status change of each of its messages (`(id,
/// chats)`, see [`StatusChange`]) as one store unit, queued by this call; the future resolves
/// once it is durable (failures are logged).
pub(crate) fn queue_receipt(
    shared: &SessionContext,
    receipt: EventKind,
    messages: Vec<(String, Vec<(String, EventKind)>)>,
    status: Option<MessageStatus>,
) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
    let planned = PendingEvent::new(receipt).and_then(|receipt| {
        let changes = match status {
            Some(status) => messages
                .into_iter()
                .map(|(id, chats)| StatusChange::new(chats, &id, status, false))
                .collect::<Result<Vec<_>, Error>>()?,
            None => Vec::new(),
        };
        Ok(Arc::new((receipt, changes)))
    });
    let planned = match planned {
        Ok(planned) => planned,
        Err(err) => {
            tracing::error!(session = %shared.id, %err, "receipt event not serializable");
            return Box::pin(async {});
        }
    };
    let unit = write_unit(
        shared.store(),
        Some(shared.bus().publisher()),
        move |mut tx| {
            let planned = Arc::clone(&planned);
            Box::pin(async move {
                let (receipt, changes) = &*planned;
                let mut events = vec![receipt.clone().append(&mut tx).await?];
                for change in changes {
                    events.extend(change.apply(&mut tx).await?.1);
                }
                Ok(((), events))
            })
        },
    );
    let session = shared.id.clone();
    Box::pin(async move {
        if let Err(err) = unit.await {
            tracing::warn!(%session, %err, "receipt not stored");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use openwa_protocol::stanza::ack::AckClass;

    #[test]
    fn nacks_map_to_stable_codes() {
        let cases = [
            (479, ErrorCode::Protocol, false),
            (487, ErrorCode::Protocol, false),
            (401, ErrorCode::LoggedOut, false),
            (403, ErrorCode::ServerError, false),
            (404, ErrorCode::NotFound, false),
            (408, ErrorCode::Timeout, true),
            (421, ErrorCode::ServerError, true),
            (429, ErrorCode::RateLimited, true),
            (463, ErrorCode::RateLimited, true),
            (503, ErrorCode::ServerError, true),
            (499, ErrorCode::ServerError, false),
        ];
        for (code, api, retryable) in cases {
            let err = nack_error(code);
            assert_eq!(err.code, api, "{code}");
            assert_eq!(err.retryable, retryable, "{code}");
            assert_eq!(err.details.as_deref(), Some(code.to_string().as_str()));
        }
    }

    #[test]
    fn an_ack_without_error_is_acceptance_with_the_server_time() {
        let mut ack = Ack::new("3EB0AA", AckClass::Message);
        ack.t = Some(1_700_000_000);
        assert_eq!(ack_outcome(&ack), Ok(Some(1_700_000_000)));
        ack.error = Some(479);
        assert_eq!(ack_outcome(&ack).unwrap_err().code, ErrorCode::Protocol);
    }
}
