//! The event bus: one bounded broadcast per manager, fed through the event log.
//!
//! [`EventBus::emit`] assigns the next `seq`, appends the event to the [`EventLog`] and only then
//! publishes it, all under one lock, so log order, seq order and delivery order are the same.
//! Publishing never waits: a subscriber that falls more than the buffer behind loses the oldest
//! events and gets [`EventKind::Lagged`] instead, and can replay them from the log.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::broadcast;

use crate::error::Error;
use crate::event::{Event, EventKind};

/// Durable, ordered storage of events (the store's event log implements it).
pub trait EventLog: Send + Sync + fmt::Debug {
    /// Appends one event; its `seq` is greater than every seq appended before.
    fn append(&self, event: &Event) -> Result<(), Error>;
    /// Events with `seq > cursor`, oldest first, at most `limit`.
    fn since(&self, cursor: u64, limit: usize) -> Result<Vec<Event>, Error>;
    /// The highest seq in the log (0 when empty), so seqs continue after a restart.
    fn last_seq(&self) -> Result<u64, Error>;
}

/// An event log in memory that keeps the newest `capacity` events (for the memory backend and
/// tests).
#[derive(Debug)]
pub struct MemoryEventLog {
    capacity: usize,
    events: Mutex<VecDeque<Event>>,
}

impl MemoryEventLog {
    /// A log that keeps at most `capacity` events (older ones are dropped from replay).
    pub fn new(capacity: usize) -> Self {
        MemoryEventLog {
            capacity: capacity.max(1),
            events: Mutex::new(VecDeque::new()),
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, VecDeque<Event>>, Error> {
        self.events
            .lock()
            .map_err(|_| Error::internal("event log lock poisoned"))
    }
}

impl EventLog for MemoryEventLog {
    fn append(&self, event: &Event) -> Result<(), Error> {
        let mut events = self.lock()?;
        if events.back().is_some_and(|last| last.seq >= event.seq) {
            return Err(Error::internal("event seq must increase"));
        }
        if events.len() == self.capacity {
            events.pop_front();
        }
        events.push_back(event.clone());
        Ok(())
    }

    fn since(&self, cursor: u64, limit: usize) -> Result<Vec<Event>, Error> {
        let events = self.lock()?;
        let start = events.partition_point(|e| e.seq <= cursor);
        Ok(events.iter().skip(start).take(limit).cloned().collect())
    }

    fn last_seq(&self) -> Result<u64, Error> {
        Ok(self.lock()?.back().map_or(0, |e| e.seq))
    }
}

/// One manager's event bus.
#[derive(Debug)]
pub struct EventBus {
    sender: broadcast::Sender<Event>,
    log: Arc<dyn EventLog>,
    last_seq: Mutex<u64>,
}

impl EventBus {
    /// A bus with a broadcast buffer of `capacity` events, continuing the log's seqs.
    pub fn new(log: Arc<dyn EventLog>, capacity: usize) -> Result<Self, Error> {
        let last_seq = log.last_seq()?;
        let (sender, _) = broadcast::channel(capacity.max(1));
        Ok(EventBus {
            sender,
            log,
            last_seq: Mutex::new(last_seq),
        })
    }

    /// Logs and publishes one event of `session_id`; returns it with its seq. If the log
    /// refuses it, nothing is published and the seq is not used.
    pub fn emit(&self, session_id: &str, kind: EventKind) -> Result<Event, Error> {
        let mut last_seq = self
            .last_seq
            .lock()
            .map_err(|_| Error::internal("event bus lock poisoned"))?;
        let event = Event {
            session_id: session_id.to_owned(),
            seq: *last_seq + 1,
            timestamp_ms: now_ms(),
            kind,
        };
        self.log.append(&event)?;
        *last_seq = event.seq;
        // No receivers is fine: the event is in the log.
        let _ = self.sender.send(event.clone());
        Ok(event)
    }

    /// A new subscription to every event published from now on; `session` limits it to one
    /// session.
    pub fn subscribe(&self, session: Option<String>) -> EventStream {
        let last_seq = self.last_seq.lock().map(|s| *s).unwrap_or(0);
        EventStream {
            inner: tokio::sync::Mutex::new(StreamInner {
                receiver: self.sender.subscribe(),
                session,
                last_seq,
            }),
        }
    }

    /// Replays logged events after `cursor`, oldest first, at most `limit`.
    pub fn since(&self, cursor: u64, limit: usize) -> Result<Vec<Event>, Error> {
        self.log.since(cursor, limit)
    }

    /// The seq of the newest event.
    pub fn last_seq(&self) -> u64 {
        self.last_seq.lock().map(|s| *s).unwrap_or(0)
    }
}

/// A subscription to events. `next()` never blocks the engine: it only waits for new events.
#[derive(Debug)]
pub struct EventStream {
    inner: tokio::sync::Mutex<StreamInner>,
}

#[derive(Debug)]
struct StreamInner {
    receiver: broadcast::Receiver<Event>,
    session: Option<String>,
    last_seq: u64,
}

impl EventStream {
    /// The next event; `None` once the manager is closed. If this subscriber fell behind, the
    /// next event is `Lagged { missed }` whose `seq` is the cursor for `events_since`.
    pub async fn next(&self) -> Option<Event> {
        let mut inner = self.inner.lock().await;
        loop {
            match inner.receiver.recv().await {
                Ok(event) => {
                    inner.last_seq = event.seq;
                    if inner
                        .session
                        .as_ref()
                        .is_none_or(|s| *s == event.session_id)
                    {
                        return Some(event);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
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
    use std::sync::atomic::{AtomicBool, Ordering};

    fn state(state: ConnectionState) -> EventKind {
        EventKind::ConnectionState {
            state,
            reason: StateReason::Requested,
            detail: None,
        }
    }

    fn code(i: usize) -> EventKind {
        EventKind::PairingCode {
            code: format!("C{i}"),
        }
    }

    #[tokio::test]
    async fn events_arrive_in_seq_order_and_are_logged_first() {
        let log = Arc::new(MemoryEventLog::new(100));
        let bus = EventBus::new(log.clone(), 16).unwrap();
        let stream = bus.subscribe(None);
        for i in 0..5 {
            let event = bus.emit("a", code(i)).unwrap();
            // Logged before (and independently of) delivery.
            assert_eq!(log.last_seq().unwrap(), event.seq);
        }
        for expected in 1..=5u64 {
            let event = stream.next().await.unwrap();
            assert_eq!(event.seq, expected);
            assert_eq!(event.kind, code(usize::try_from(expected).unwrap() - 1));
        }
    }

    #[tokio::test]
    async fn seq_is_monotonic_across_sessions_and_threads() {
        let bus = Arc::new(EventBus::new(Arc::new(MemoryEventLog::new(10_000)), 4096).unwrap());
        let stream = bus.subscribe(None);
        let mut tasks = Vec::new();
        for t in 0..4 {
            let bus = bus.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..100 {
                    bus.emit(&format!("s{t}"), code(i)).unwrap();
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
        let replay = bus.since(0, 1000).unwrap();
        assert_eq!(replay.len(), 400);
        assert!(replay.windows(2).all(|w| w[0].seq + 1 == w[1].seq));
    }

    #[tokio::test]
    async fn a_slow_subscriber_gets_lagged_then_replays() {
        let bus = EventBus::new(Arc::new(MemoryEventLog::new(1000)), 4).unwrap();
        let stream = bus.subscribe(None);
        let first = bus.emit("a", code(0)).unwrap();
        assert_eq!(stream.next().await.unwrap().seq, first.seq);
        for i in 1..=10 {
            bus.emit("a", code(i)).unwrap();
        }
        // 10 published into a buffer of 4: the 6 oldest are gone for this subscriber.
        let lagged = stream.next().await.unwrap();
        assert_eq!(lagged.kind, EventKind::Lagged { missed: 6 });
        assert_eq!(lagged.seq, first.seq, "cursor = last delivered seq");
        let replayed = bus.since(lagged.seq, 6).unwrap();
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
        let bus = EventBus::new(Arc::new(MemoryEventLog::new(100)), 16).unwrap();
        let only_b = bus.subscribe(Some("b".into()));
        bus.emit("a", state(ConnectionState::Connecting)).unwrap();
        bus.emit("b", state(ConnectionState::Connected)).unwrap();
        let event = only_b.next().await.unwrap();
        assert_eq!(event.session_id, "b");
        assert_eq!(event.seq, 2);
        drop(bus);
        assert_eq!(only_b.next().await, None);
    }

    #[tokio::test]
    async fn seqs_continue_after_restart_and_failed_appends_publish_nothing() {
        #[derive(Debug)]
        struct Flaky {
            fail: AtomicBool,
            inner: MemoryEventLog,
        }
        impl EventLog for Flaky {
            fn append(&self, event: &Event) -> Result<(), Error> {
                if self.fail.load(Ordering::SeqCst) {
                    return Err(Error::new(ErrorCode::Store, "disk full"));
                }
                self.inner.append(event)
            }
            fn since(&self, cursor: u64, limit: usize) -> Result<Vec<Event>, Error> {
                self.inner.since(cursor, limit)
            }
            fn last_seq(&self) -> Result<u64, Error> {
                self.inner.last_seq()
            }
        }
        let log = Arc::new(Flaky {
            fail: AtomicBool::new(false),
            inner: MemoryEventLog::new(100),
        });
        let bus = EventBus::new(log.clone(), 16).unwrap();
        bus.emit("a", code(1)).unwrap();
        bus.emit("a", code(2)).unwrap();
        drop(bus);
        let reopened = EventBus::new(log.clone(), 16).unwrap();
        let stream = reopened.subscribe(None);
        log.fail.store(true, Ordering::SeqCst);
        let err = reopened.emit("a", code(3)).unwrap_err();
        assert_eq!(err.code, ErrorCode::Store);
        assert_eq!(reopened.last_seq(), 2);
        log.fail.store(false, Ordering::SeqCst);
        assert_eq!(reopened.emit("a", code(4)).unwrap().seq, 3);
        // The failed event was never published: the first delivered one is code 4 with seq 3.
        let next = stream.next().await.unwrap();
        assert_eq!((next.seq, next.kind), (3, code(4)));
        assert_eq!(log.since(0, 10).unwrap().len(), 3);
    }

    #[test]
    fn memory_log_is_bounded_and_ordered() {
        let log = MemoryEventLog::new(3);
        for seq in 1..=5 {
            log.append(&Event {
                session_id: "a".into(),
                seq,
                timestamp_ms: 0,
                kind: code(0),
            })
            .unwrap();
        }
        let all = log.since(0, 10).unwrap();
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3, 4, 5]);
        assert_eq!(log.since(4, 10).unwrap().len(), 1);
        assert_eq!(log.since(3, 1).unwrap()[0].seq, 4);
        let stale = Event {
            session_id: "a".into(),
            seq: 5,
            timestamp_ms: 0,
            kind: code(0),
        };
        assert_eq!(log.append(&stale).unwrap_err().code, ErrorCode::Internal);
    }
}
