//! The event bus: one bounded broadcast per manager, fed through the event log.
//!
//! [`EventBus::emit`] appends the event to the store's event log, which assigns the next `seq`,
//! and once the event is durable publishes it through the bus's [`Publisher`] — in seq order, so
//! log order, seq order and delivery order are the same. No lock is held across I/O: events are
//! published from the store's group-commit writer, in commit order.
//! Publishing never waits: a subscriber that falls more than the buffer behind loses the oldest
//! events and gets [`EventKind::Lagged`] instead, and can replay them from the log.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use openwa_store::{EventRecord, Store};
use tokio::sync::{broadcast, watch};

use crate::error::Error;
use crate::event::{Event, EventKind};
use crate::lifecycle::{Lifecycle, until_closed};

/// Capacity of a session's own broadcast channel. tokio allocates every slot up front, so a
/// session's channel stays small whatever the manager-wide `event_buffer` is: a live stream that
/// falls further behind gets `Lagged` (and can replay), a resumable one reads the log again.
const SESSION_BUFFER: usize = 64;

/// Largest page `events_since` returns.
pub const MAX_REPLAY_PAGE: u32 = 10_000;

/// A boxed future of the bus.
pub(crate) type LogFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// The format version of the event payloads this build writes (the JSON of [`EventKind`]).
/// A build reads every version up to its own; a newer one, or a payload that does not decode,
/// is replayed as [`EventKind::Unreadable`] instead of blocking the replay.
pub(crate) const EVENT_FORMAT_VERSION: u32 = 1;

/// An event as the log replays it.
fn event_from_record(record: EventRecord) -> Event {
    let decoded = if record.version > EVENT_FORMAT_VERSION {
        Err(format!(
            "payload format {} is newer than this build reads ({EVENT_FORMAT_VERSION})",
            record.version
        ))
    } else {
        serde_json::from_value::<EventKind>(record.payload).map_err(|e| e.to_string())
    };
    let kind = decoded.unwrap_or_else(|error| EventKind::Unreadable {
        name: record.kind,
        version: record.version,
        error,
    });
    Event {
        session_id: record.session_id,
        seq: record.seq,
        timestamp_ms: u64::try_from(record.created_at).unwrap_or(0),
        kind,
    }
}

/// Events with `seq > cursor` (of `session` only, when given), oldest first, at most `limit`.
async fn read_log(
    store: &Store,
    session: Option<&str>,
    cursor: u64,
    limit: usize,
) -> Result<Vec<Event>, Error> {
    let limit = u32::try_from(limit).unwrap_or(u32::MAX);
    let records = match session {
        Some(session) => {
            store
                .session(session)
                .events_since_for_session(cursor, limit)
                .await?
        }
        None => store.events_since(cursor, limit).await?,
    };
    Ok(records.into_iter().map(event_from_record).collect())
}

/// Hands durable events to the subscribers of one bus: every event to the manager-wide channel,
/// and each session's events to that session's own channel (made when a stream of that session
/// first subscribes), so a busy session never makes another session's stream lag. Event logs
/// call it in seq order, right after the commit that logged them. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Publisher {
    sender: broadcast::Sender<Event>,
    sessions: Arc<Mutex<HashMap<String, broadcast::Sender<Event>>>>,
    capacity: usize,
    last_seq: Arc<AtomicU64>,
}

impl Publisher {
    /// Delivers `event` (already durable in the log) to every subscriber.
    pub(crate) fn publish(&self, event: &Event) {
        self.last_seq.fetch_max(event.seq, Ordering::SeqCst);
        if let Ok(mut sessions) = self.sessions.lock()
            && let Some(channel) = sessions.get(&event.session_id)
        {
            if channel.receiver_count() == 0 {
                sessions.remove(&event.session_id);
            } else {
                let _ = channel.send(event.clone());
            }
        }
        // No receivers is fine: the event is in the log.
        let _ = self.sender.send(event.clone());
    }

    fn subscribe(&self, session: Option<&str>) -> broadcast::Receiver<Event> {
        let Some(session) = session else {
            return self.sender.subscribe();
        };
        let mut sessions = match self.sessions.lock() {
            Ok(sessions) => sessions,
            Err(poisoned) => poisoned.into_inner(),
        };
        sessions
            .entry(session.to_owned())
            .or_insert_with(|| broadcast::channel(self.capacity.min(SESSION_BUFFER)).0)
            .subscribe()
    }
}

/// One manager's event bus.
#[derive(Debug)]
pub(crate) struct EventBus {
    publisher: Publisher,
    store: Store,
    /// The manager's: streams end once it closed.
    lifecycle: Arc<Lifecycle>,
    /// The runtime the bus was made on (the engine's): replay reads run there, whatever
    /// executor polls the stream.
    runtime: Option<tokio::runtime::Handle>,
}

impl EventBus {
    /// A bus on `store`'s event log with broadcast buffers of `capacity` events, continuing the
    /// log's seqs.
    pub(crate) async fn new(
        store: Store,
        capacity: usize,
        lifecycle: Arc<Lifecycle>,
    ) -> Result<Self, Error> {
        let last_seq = store.last_event_seq().await?;
        let capacity = capacity.max(1);
        let (sender, _) = broadcast::channel(capacity);
        Ok(EventBus {
            publisher: Publisher {
                sender,
                sessions: Arc::new(Mutex::new(HashMap::new())),
                capacity,
                last_seq: Arc::new(AtomicU64::new(last_seq)),
            },
            store,
            lifecycle,
            runtime: tokio::runtime::Handle::try_current().ok(),
        })
    }

    /// The manager's lifecycle (sessions check it before every call).
    pub(crate) fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }

    /// Logs and publishes one event of `session_id`; the future answers it with its seq. The
    /// event is queued by this call, so events are logged in the order of the calls. If the log
    /// refuses it, nothing is published.
    pub(crate) fn emit(&self, session_id: &str, kind: EventKind) -> LogFuture<'static, Event> {
        self.log(session_id, kind, None)
    }

    /// [`EventBus::emit`] for a connection-state change: the session's stored state is updated
    /// in the same store unit as the event is logged.
    pub(crate) fn emit_state(
        &self,
        session_id: &str,
        kind: EventKind,
        state: &'static str,
    ) -> LogFuture<'static, Event> {
        self.log(session_id, kind, Some(state))
    }

    fn log(
        &self,
        session_id: &str,
        kind: EventKind,
        state: Option<&'static str>,
    ) -> LogFuture<'static, Event> {
        let (timestamp_ms, name) = (now_ms(), kind.name());
        let payload = match serde_json::to_string(&kind) {
            Ok(payload) => Arc::new((payload, kind)),
            Err(err) => return Box::pin(std::future::ready(Err(err.into()))),
        };
        let publisher = self.publisher.clone();
        let unit = self.store.session(session_id).write(
            move |mut tx| {
                let payload = Arc::clone(&payload);
                Box::pin(async move {
                    let (json, kind) = &*payload;
                    if let Some(state) = state {
                        tx.set_state(state).await?;
                    }
                    let seq = tx
                        .append_versioned_event_json(name, EVENT_FORMAT_VERSION, json)
                        .await?;
                    Ok(Event {
                        session_id: tx.id().to_owned(),
                        seq,
                        timestamp_ms,
                        kind: kind.clone(),
                    })
                })
            },
            move |event: &Event| publisher.publish(event),
        );
        Box::pin(async move { Ok(unit.await?) })
    }

    /// The publisher of this bus, for events logged inside a caller's own store unit (an
    /// incoming message, its Signal state and its event commit together; see
    /// `persist::write_unit`).
    pub(crate) fn publisher(&self) -> &Publisher {
        &self.publisher
    }

    /// A live subscription to every event published from now on (`session`: that session's
    /// only). A subscriber that falls behind gets [`EventKind::Lagged`].
    pub(crate) fn subscribe(&self, session: Option<String>) -> EventStream {
        let receiver = self.publisher.subscribe(session.as_deref());
        let closed = self.lifecycle.watch();
        EventStream::new(receiver, closed, session, self.last_seq(), None)
    }

    /// A stream of the events after `cursor` (`session`: that session's only): it replays them
    /// from the log, then continues live, with no gap and no duplicate. It never lags: when it
    /// falls behind the live buffer it reads the log again.
    pub(crate) fn subscribe_from(&self, session: Option<String>, cursor: u64) -> EventStream {
        // Subscribe before reading the log: whatever is published meanwhile is either in the
        // log page or in the receiver (or both; seqs tell the duplicates apart).
        let receiver = self.publisher.subscribe(session.as_deref());
        let replay = Replay {
            store: self.store.clone(),
            runtime: self.runtime.clone(),
        };
        let closed = self.lifecycle.watch();
        EventStream::new(receiver, closed, session, cursor, Some(replay))
    }

    /// Replays logged events after `cursor`, oldest first, at most `limit`.
    pub(crate) async fn since(&self, cursor: u64, limit: usize) -> Result<Vec<Event>, Error> {
        read_log(&self.store, None, cursor, limit).await
    }

    /// Replays logged events of `session` after `cursor`, oldest first, at most `limit`.
    pub(crate) async fn since_session(
        &self,
        session: &str,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<Event>, Error> {
        read_log(&self.store, Some(session), cursor, limit).await
    }

    /// The seq of the newest published event.
    pub(crate) fn last_seq(&self) -> u64 {
        self.publisher.last_seq.load(Ordering::SeqCst)
    }
}

/// Where a resumable stream reads what it has not seen live.
#[derive(Debug, Clone)]
struct Replay {
    store: Store,
    runtime: Option<tokio::runtime::Handle>,
}

impl Replay {
    /// The next page after `cursor` (`session`'s events only, when given), read on the runtime.
    async fn page(&self, session: Option<String>, cursor: u64) -> Result<Vec<Event>, Error> {
        let store = self.store.clone();
        let read = async move { read_log(&store, session.as_deref(), cursor, REPLAY_PAGE).await };
        match &self.runtime {
            Some(runtime) => crate::runtime::on(runtime, read).await,
            None => read.await,
        }
    }

    /// Waits a moment before reading again after a failure.
    async fn pause(&self) {
        let wait = tokio::time::sleep(std::time::Duration::from_millis(500));
        match &self.runtime {
            Some(runtime) => {
                let _ = runtime.spawn(wait).await;
            }
            None => wait.await,
        }
    }
}

/// Events a resumable stream reads from the log at a time.
const REPLAY_PAGE: usize = 256;

/// Where a durable consumer's position is kept (see `SessionManager::consumer`).
pub(crate) type AckFn = Box<dyn Fn(u64) -> LogFuture<'static, ()> + Send + Sync + 'static>;

/// A subscription to events. `next()` never blocks the engine: it only waits for new events.
pub struct EventStream {
    inner: tokio::sync::Mutex<StreamInner>,
    ack: Option<AckFn>,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("durable", &self.ack.is_some())
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct StreamInner {
    receiver: broadcast::Receiver<Event>,
    /// Turns true when the manager closed: the stream ends once nothing is ready.
    closed: watch::Receiver<bool>,
    session: Option<String>,
    /// The seq of the last event delivered (or the cursor the stream started from).
    last_seq: u64,
    /// Set for resumable streams.
    replay: Option<Replay>,
    /// Whether the log may hold events this stream has not delivered.
    behind: bool,
    /// Events read from the log, not delivered yet.
    buffer: VecDeque<Event>,
}

impl EventStream {
    fn new(
        receiver: broadcast::Receiver<Event>,
        closed: watch::Receiver<bool>,
        session: Option<String>,
        last_seq: u64,
        replay: Option<Replay>,
    ) -> Self {
        let behind = replay.is_some();
        EventStream {
            inner: tokio::sync::Mutex::new(StreamInner {
                receiver,
                closed,
                session,
                last_seq,
                replay,
                behind,
                buffer: VecDeque::new(),
            }),
            ack: None,
        }
    }

    /// Makes this stream a durable consumer's: `ack` stores its position.
    pub(crate) fn with_ack(mut self, ack: AckFn) -> Self {
        self.ack = Some(ack);
        self
    }

    /// The next event; `None` once the manager is closed. A live stream (`events()`) that fell
    /// behind gets `Lagged { missed }` whose `seq` is the cursor for `events_since`; a stream
    /// started from a cursor (`events_from`, a consumer) reads what it missed from the log.
    pub async fn next(&self) -> Option<Event> {
        let mut inner = self.inner.lock().await;
        loop {
            if let Some(event) = inner.buffer.pop_front() {
                inner.last_seq = event.seq;
                return Some(event);
            }
            let closed = *inner.closed.borrow();
            if !closed
                && inner.behind
                && let Some(replay) = inner.replay.clone()
            {
                let page = replay.page(inner.session.clone(), inner.last_seq).await;
                match page {
                    Ok(page) => {
                        inner.behind = page.len() == REPLAY_PAGE;
                        inner.buffer.extend(page);
                    }
                    Err(err) => {
                        tracing::warn!(%err, "event replay failed; retrying");
                        replay.pause().await;
                    }
                }
                continue;
            }
            let received = if closed {
                // What was published before the close is still delivered; then the end.
                match inner.receiver.try_recv() {
                    Ok(event) => Ok(event),
                    Err(broadcast::error::TryRecvError::Lagged(missed)) => {
                        Err(broadcast::error::RecvError::Lagged(missed))
                    }
                    Err(_) => return None,
                }
            } else {
                let StreamInner {
                    receiver, closed, ..
                } = &mut *inner;
                tokio::select! {
                    biased;
                    received = receiver.recv() => received,
                    () = until_closed(closed) => continue,
                }
            };
            match received {
                Ok(event) if event.seq <= inner.last_seq => {}
                Ok(event) => {
                    if inner
                        .session
                        .as_ref()
                        .is_none_or(|s| *s == event.session_id)
                    {
                        inner.last_seq = event.seq;
                        return Some(event);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    if inner.replay.is_some() && !closed {
                        inner.behind = true;
                        continue;
                    }
                    return Some(Event {
                        session_id: inner.session.clone().unwrap_or_default(),
                        seq: inner.last_seq,
                        timestamp_ms: now_ms(),
                        kind: EventKind::Lagged { missed },
                    });
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// The next event if one is ready now, without waiting.
    pub fn try_next(&self) -> Option<Event> {
        futures_util::FutureExt::now_or_never(self.next()).flatten()
    }

    /// Stores a durable consumer's position: after a restart (or a crash), the consumer resumes
    /// after `seq`. Positions only move forward. Only a consumer's stream
    /// (`SessionManager::consumer`) has a position: any other gets `invalid_argument`.
    pub async fn ack(&self, seq: u64) -> Result<(), Error> {
        match &self.ack {
            Some(ack) => ack(seq).await,
            None => Err(Error::invalid_argument(
                "only a durable consumer's stream can be acknowledged",
            )),
        }
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::event::{ConnectionState, StateReason};
    use openwa_store::{Database, KeySource, StoreConfig, StoreKey};

    /// A fresh memory store.
    async fn store() -> Store {
        let key = KeySource::Key(StoreKey::generate());
        Store::open(StoreConfig::new(Database::Memory, key))
            .await
            .unwrap()
    }

    fn state(state: ConnectionState) -> EventKind {
        EventKind::ConnectionState {
            state,
            reason: StateReason::Requested,
            detail: None,
            will_reconnect: false,
        }
    }

    fn code(i: usize) -> EventKind {
        EventKind::PairingCode {
            code: format!("C{i}"),
        }
    }

    #[tokio::test]
    async fn events_arrive_in_seq_order_and_are_logged_first() {
        let store = store().await;
        let bus = EventBus::new(
            store.clone(),
            16,
            Arc::new(crate::lifecycle::Lifecycle::new()),
        )
        .await
        .unwrap();
        let stream = bus.subscribe(None);
        for i in 0..5 {
            let event = bus.emit("a", code(i)).await.unwrap();
            // Logged before (and independently of) delivery.
            assert_eq!(store.last_event_seq().await.unwrap(), event.seq);
        }
        for expected in 1..=5u64 {
            let event = stream.next().await.unwrap();
            assert_eq!(event.seq, expected);
            assert_eq!(event.kind, code(usize::try_from(expected).unwrap() - 1));
        }
    }

    #[tokio::test]
    async fn seq_is_monotonic_across_sessions_and_threads() {
        let bus = Arc::new(
            EventBus::new(
                store().await,
                4096,
                Arc::new(crate::lifecycle::Lifecycle::new()),
            )
            .await
            .unwrap(),
        );
        let stream = bus.subscribe(None);
        let mut tasks = Vec::new();
        for t in 0..4 {
            let bus = bus.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..100 {
                    bus.emit(&format!("s{t}"), code(i)).await.unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let mut last = 0;
        for _ in 0..400 {
            let event = stream.next().await.unwrap();
            assert_eq!(event.seq, last + 1);
            last = event.seq;
        }
        let replay = bus.since(0, 1000).await.unwrap();
        assert_eq!(replay.len(), 400);
        assert!(replay.windows(2).all(|w| w[0].seq + 1 == w[1].seq));
    }

    #[tokio::test]
    async fn a_slow_subscriber_gets_lagged_then_replays() {
        let bus = EventBus::new(
            store().await,
            4,
            Arc::new(crate::lifecycle::Lifecycle::new()),
        )
        .await
        .unwrap();
        let stream = bus.subscribe(None);
        let first = bus.emit("a", code(0)).await.unwrap();
        assert_eq!(stream.next().await.unwrap().seq, first.seq);
        for i in 1..=10 {
            bus.emit("a", code(i)).await.unwrap();
        }
        // 10 published into a buffer of 4: the 6 oldest are gone for this subscriber.
        let lagged = stream.next().await.unwrap();
        assert_eq!(lagged.kind, EventKind::Lagged { missed: 6 });
        assert_eq!(lagged.seq, first.seq, "cursor = last delivered seq");
        let replayed = bus.since(lagged.seq, 6).await.unwrap();
        assert_eq!(
            replayed.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![2, 3, 4, 5, 6, 7]
        );
        // The stream continues with the newest 4.
        for expected in 8..=11 {
            assert_eq!(stream.next().await.unwrap().seq, expected);
        }
    }

    #[tokio::test]
    async fn session_streams_filter_and_close_with_the_bus() {
        let bus = EventBus::new(
            store().await,
            16,
            Arc::new(crate::lifecycle::Lifecycle::new()),
        )
        .await
        .unwrap();
        let only_b = bus.subscribe(Some("b".into()));
        bus.emit("a", state(ConnectionState::Connecting))
            .await
            .unwrap();
        bus.emit("b", state(ConnectionState::Connected))
            .await
            .unwrap();
        let event = only_b.next().await.unwrap();
        assert_eq!(event.session_id, "b");
        assert_eq!(event.seq, 2);
        drop(bus);
        assert_eq!(only_b.next().await, None);
    }

    #[tokio::test]
    async fn seqs_continue_after_restart_and_failed_appends_publish_nothing() {
        let store = store().await;
        let bus = EventBus::new(
            store.clone(),
            16,
            Arc::new(crate::lifecycle::Lifecycle::new()),
        )
        .await
        .unwrap();
        bus.emit("a", code(1)).await.unwrap();
        bus.emit("a", code(2)).await.unwrap();
        drop(bus);
        let reopened = EventBus::new(
            store.clone(),
            16,
            Arc::new(crate::lifecycle::Lifecycle::new()),
        )
        .await
        .unwrap();
        assert_eq!(reopened.last_seq(), 2);
        let stream = reopened.subscribe(None);
        assert_eq!(reopened.emit("a", code(3)).await.unwrap().seq, 3);
        assert_eq!(stream.next().await.unwrap().kind, code(3));
        // The log refuses the next one: it is not published.
        store.close().await;
        let err = reopened.emit("a", code(4)).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Store);
        assert_eq!(reopened.last_seq(), 3);
        assert_eq!(stream.try_next(), None);
    }
}
