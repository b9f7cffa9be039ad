//! The send queue: sends that return once the message is durably queued
//! ([`crate::SendOptions::queued`]). One worker per connection takes the queue in order,
//! paced ([`super::pacing`]), and encrypts each message on top of the one before without
//! waiting for its commit; a sender task beside it hands each one to the connection, in the
//! same order, once durable, and never waits for an ack. A message leaves the queue in the
//! store unit of the server's ack (or refusal). A lost connection or a crash leaves the rest
//! queued: the next connection sends it again, under the same id (recipients take a repeated
//! id as the same message).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use openwa_protocol::Jid;
use openwa_protocol::proto::e2e;
use openwa_store::QueuedSend;
use prost::Message as _;
use tokio::sync::{Notify, OwnedMutexGuard, OwnedSemaphorePermit, Semaphore, mpsc};

use super::ack::set_status;
use super::pacing::Pacer;
use super::transmit::{
    Outgoing, Prepared, await_ack, claim_key, dispatch, outgoing_message, prepare,
};
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::event::{Event, EventKind, Message, MessageStatus};
use crate::persist::write_unit;

use super::own::Own;

/// Queued sends read from the store at a time.
const BATCH: u32 = 64;

/// Most sent messages waiting for their ack at once.
const IN_FLIGHT: usize = 256;

/// Longest wait before a send that failed for a passing reason is tried again.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A session's send queue: what wakes its worker and which connection the worker serves.
#[derive(Debug)]
pub(crate) struct SendQueue {
    /// Woken on a new queued send and when the connection closes.
    wake: Notify,
    /// Bumped on every connection and every close: a worker serves one value.
    generation: AtomicU64,
    /// Held by the running worker and its sender, so two never overlap.
    draining: Arc<tokio::sync::Mutex<()>>,
    in_flight: Arc<Semaphore>,
}

impl Default for SendQueue {
    fn default() -> Self {
        SendQueue {
            wake: Notify::new(),
            generation: AtomicU64::new(0),
            draining: Arc::new(tokio::sync::Mutex::new(())),
            in_flight: Arc::new(Semaphore::new(IN_FLIGHT)),
        }
    }
}

/// Stores `proto` for `chat` as `pending` and queues it (with its idempotency key, in one
/// unit); returns the message. Works while not connected.
pub(crate) async fn enqueue(
    shared: &Arc<SessionContext>,
    own: &Own,
    chat: &Jid,
    outgoing: Outgoing,
    proto: &e2e::Message,
) -> Result<Message, Error> {
    let own_user = own.user_for(chat);
    let (message, record) = outgoing_message(shared, own, &own_user, chat, &outgoing, proto);
    let record = Arc::new(record);
    let key = outgoing.key;
    write_unit(shared.store(), None, move |mut tx| {
        let (record, key) = (Arc::clone(&record), key.clone());
        Box::pin(async move {
            if let Some(key) = &key {
                claim_key(&mut tx, key, &record).await?;
            }
            crate::persist::store_message(&mut tx, &record).await?;
            tx.queue_send(&record.chat, &record.id).await?;
            Ok(((), None::<Event>))
        })
    })
    .await?;
    shared.feature::<SendQueue>().wake.notify_waiters();
    Ok(message)
}

/// The session logged in on a new connection: a worker starts on the queue.
pub(crate) fn on_connected(shared: &Arc<SessionContext>) {
    let queue = shared.feature::<SendQueue>();
    let generation = queue.generation.fetch_add(1, Ordering::SeqCst) + 1;
    let worker = Arc::clone(shared);
    shared.spawn(async move { drain(&worker, &queue, generation).await });
}

/// Wakes the worker: its pacing changed, so a send held by the hourly cap may go now.
pub(crate) fn wake(shared: &SessionContext) {
    shared.feature::<SendQueue>().wake.notify_waiters();
}

/// The connection closed: its worker stops.
pub(crate) fn on_closed(shared: &SessionContext) {
    let queue = shared.feature::<SendQueue>();
    queue.generation.fetch_add(1, Ordering::SeqCst);
    queue.wake.notify_waiters();
}

/// What became of one queued send.
enum Step {
    /// Handed to the connection, or done with: on to the next.
    Next,
    /// Failed for a passing reason: try it again after a while.
    Again,
}

/// A prepared message on its way to the sender, with its in-flight slot.
type Handoff = (String, Prepared, OwnedSemaphorePermit);

/// Sends the queue in order while connection `generation` lasts.
async fn drain(shared: &Arc<SessionContext>, queue: &SendQueue, generation: u64) {
    let turn = Arc::clone(&queue.draining).lock_owned().await;
    let (handoff, prepared) = mpsc::channel(64);
    let sender = Arc::clone(shared);
    shared.spawn(async move { send_prepared(&sender, prepared, turn).await });
    let current = || queue.generation.load(Ordering::SeqCst) == generation;
    let mut after = 0;
    let mut backoff = Duration::from_millis(250);
    loop {
        let woken = queue.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if !current() {
            return;
        }
        let batch = match shared.store().queued_sends(after, BATCH).await {
            Ok(batch) => batch,
            Err(err) => {
                tracing::warn!(session = %shared.id, "send queue unreadable: {err}");
                let _ = tokio::time::timeout(backoff, woken).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        if batch.is_empty() {
            woken.await;
            continue;
        }
        for entry in batch {
            if !current() {
                return;
            }
            match send_one(shared, queue, &entry, &current, &handoff).await {
                Step::Next => {
                    after = entry.position;
                    backoff = Duration::from_millis(250);
                }
                Step::Again => {
                    let woken = queue.wake.notified();
                    let _ = tokio::time::timeout(backoff, woken).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    break;
                }
            }
        }
    }
}

/// The sender: hands prepared messages to the connection in the order they were prepared,
/// each once durable; their acks are awaited apart. A message that cannot leave stays queued
/// for the next connection. Holds the queue's turn until the worker is gone and everything it
/// prepared was handed on.
async fn send_prepared(
    shared: &Arc<SessionContext>,
    mut prepared: mpsc::Receiver<Handoff>,
    _turn: OwnedMutexGuard<()>,
) {
    while let Some((id, message, permit)) = prepared.recv().await {
        match dispatch(shared, message).await {
            Ok(answer) => {
                let waiter = Arc::clone(shared);
                shared.spawn(async move {
                    // The ack's store unit takes the message off the queue (or leaves it when
                    // no answer came: the next connection sends it again).
                    let _ = await_ack(&waiter, &id, answer).await;
                    drop(permit);
                });
            }
            Err(err) => {
                tracing::debug!(session = %shared.id, "queued send {id} stays queued: {err}");
            }
        }
    }
}

/// Whether an error leaves the outcome open (the connection, a timeout): the send stays queued.
fn passing(err: &Error) -> bool {
    matches!(
        err.code,
        ErrorCode::NotConnected | ErrorCode::Timeout | ErrorCode::Network
    ) || err.retryable
}

/// Takes queued send `entry` through pacing, encryption and the connection.
async fn send_one(
    shared: &Arc<SessionContext>,
    queue: &SendQueue,
    entry: &QueuedSend,
    current: &impl Fn() -> bool,
    handoff: &mpsc::Sender<Handoff>,
) -> Step {
    let stored = match shared
        .store()
        .get_message(&entry.chat, &entry.message_id)
        .await
    {
        Ok(stored) => stored,
        Err(err) => {
            tracing::warn!(session = %shared.id, "queued message unreadable: {err}");
            return Step::Again;
        }
    };
    let Some(stored) = stored.filter(|m| m.status == openwa_store::MessageStatus::Pending) else {
        // Deleted, or its outcome already recorded (a crash before it left the queue).
        unqueue(shared, entry).await;
        return Step::Next;
    };
    let parsed = entry
        .chat
        .parse::<Jid>()
        .ok()
        .zip(e2e::Message::decode(stored.payload.as_deref().unwrap_or_default()).ok());
    let Some((chat, proto)) = parsed else {
        let err = Error::internal(format!("queued message {} is unreadable", entry.message_id));
        fail(shared, entry, &err).await;
        return Step::Next;
    };
    let Ok(own) = Own::of(shared) else {
        return Step::Again;
    };
    // The slot: past the hourly cap, wait (woken early when the connection closes).
    loop {
        match shared.feature::<Pacer>().wait_turn(shared).await {
            Ok(()) => break,
            Err(wait) => {
                let woken = queue.wake.notified();
                let _ = tokio::time::timeout(wait, woken).await;
                if !current() {
                    return Step::Again;
                }
            }
        }
    }
    let Ok(permit) = Arc::clone(&queue.in_flight).acquire_owned().await else {
        return Step::Again;
    };
    let outgoing = Outgoing {
        id: entry.message_id.clone(),
        timestamp: u64::try_from(stored.timestamp).ok(),
        key: None,
        queued: true,
    };
    match prepare(shared, &own, &chat, outgoing, &proto).await {
        Ok(prepared) => {
            let handed = (entry.message_id.clone(), prepared, permit);
            if handoff.send(handed).await.is_err() {
                return Step::Again;
            }
            Step::Next
        }
        Err(err) if passing(&err) => {
            tracing::debug!(session = %shared.id, "queued send {} waits: {err}", entry.message_id);
            Step::Again
        }
        Err(err) => {
            fail(shared, entry, &err).await;
            Step::Next
        }
    }
}

/// Records that queued send `entry` failed for good (status `failed`, with its event) and takes
/// it off the queue.
async fn fail(shared: &SessionContext, entry: &QueuedSend, err: &Error) {
    tracing::warn!(session = %shared.id, "queued send {} failed: {err}", entry.message_id);
    let failed = EventKind::MessageStatus {
        chat: entry.chat.clone(),
        message_id: entry.message_id.clone(),
        status: MessageStatus::Failed,
    };
    set_status(
        shared,
        &entry.chat,
        &entry.message_id,
        MessageStatus::Failed,
        failed,
        false,
    )
    .await;
    unqueue(shared, entry).await;
}

async fn unqueue(shared: &SessionContext, entry: &QueuedSend) {
    if let Err(err) = shared
        .store()
        .unqueue_send(&entry.chat, &entry.message_id)
        .await
    {
        tracing::warn!(session = %shared.id, "send queue entry kept: {err}");
    }
}
