//! Group commit: one writer task per store takes the units of work queued by every session
//! ([`crate::Store::write`]) and commits whatever has queued up together, in one transaction,
//! so one commit (one fsync on SQLite) serves many units.
//!
//! A group first runs its units back to back. Should one fail, the transaction is rolled back
//! and the group runs again with a savepoint per unit: the failing unit is rolled back alone and
//! gets its own error, the others still commit (units are `Fn` so they can run twice; a unit's
//! work must only write to the transaction). Failures are rare, so the common path spends no
//! statement on savepoints. Once the commit has returned, the units are answered in
//! the order they ran, and each unit's `on_commit` hook runs first, on the writer task: hooks
//! therefore see commits in commit order (the engine publishes events from them, so publication
//! order is seq order). If the transaction itself fails, every unit of the group gets that error.
//!
//! Where the writer runs: on SQLite, a dedicated thread that owns its turn on the writer
//! connection. Every statement of a SQLite unit completes synchronously, so a whole group (its
//! statements, its commit and fsync) runs there without a thread switch, and without blocking a
//! runtime worker; the thread does not depend on any tokio runtime. On PostgreSQL, whose
//! statements are network round trips, a tokio task on the runtime that opened the store.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::backend::Pools;
use crate::crypto::Cipher;
use crate::error::BackendError;
use crate::tx::{SeqCounter, StoreTx};

/// The future of one unit's work: writes on the group's transaction.
pub type WriteFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// At most this many units share one transaction (bounds its size and the latency of the last).
const MAX_GROUP: usize = 512;

/// A queued unit with its result type erased.
trait Unit: Send {
    /// Runs the unit's work on `tx`, keeping its result for [`Unit::finish`]. Runs again if the
    /// group is retried.
    fn run<'a>(&'a mut self, tx: &'a mut StoreTx) -> WriteFuture<'a, ()>;
    /// Answers the caller: `Ok` once the unit's writes are durable (after its hook ran).
    fn finish(self: Box<Self>, outcome: Result<(), StoreError>);
}

struct Job<T, F, H> {
    work: F,
    out: Option<T>,
    on_commit: H,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F, H> Unit for Job<T, F, H>
where
    T: Send + 'static,
    F: for<'a> Fn(&'a mut StoreTx) -> WriteFuture<'a, T> + Send + 'static,
    H: FnOnce(&T) + Send + 'static,
{
    fn run<'a>(&'a mut self, tx: &'a mut StoreTx) -> WriteFuture<'a, ()> {
        Box::pin(async move {
            self.out = None;
            self.out = Some((self.work)(tx).await?);
            Ok(())
        })
    }

    fn finish(self: Box<Self>, outcome: Result<(), StoreError>) {
        let Job {
            out,
            on_commit,
            reply,
            ..
        } = *self;
        let result = outcome.and_then(|()| {
            out.ok_or_else(|| StoreError::InvalidArgument("a unit that never ran".to_owned()))
        });
        if let Ok(out) = &result {
            on_commit(out);
        }
        // A caller that stopped waiting is fine: the hook ran, the writes are durable.
        let _ = reply.send(result);
    }
}

/// The sending side of a store's writer task. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    queue: mpsc::UnboundedSender<Box<dyn Unit>>,
}

impl Writer {
    /// Starts the writer of a store: a thread for SQLite, a task on the current tokio runtime
    /// for PostgreSQL.
    pub(crate) fn spawn(pools: Pools, cipher: Arc<Cipher>) -> Result<Writer, StoreError> {
        let (queue, units) = mpsc::unbounded_channel();
        match pools {
            Pools::Sqlite(_) => {
                std::thread::Builder::new()
                    .name("openwa-store-writer".to_owned())
                    .spawn(move || block_on(run(pools, cipher, units)))
                    .map_err(|e| {
                        StoreError::Unavailable(BackendError::message(&format!(
                            "cannot start the writer thread: {e}"
                        )))
                    })?;
            }
            #[cfg(feature = "postgres")]
            Pools::Postgres(_) => {
                tokio::spawn(run(pools, cipher, units));
            }
        }
        Ok(Writer { queue })
    }

    /// Queues one unit now, and answers a future that resolves once it is committed (or
    /// failed).
    pub(crate) fn write<T, F, H>(
        &self,
        work: F,
        on_commit: H,
    ) -> impl Future<Output = Result<T, StoreError>> + Send + 'static + use<T, F, H>
    where
        T: Send + 'static,
        F: for<'a> Fn(&'a mut StoreTx) -> WriteFuture<'a, T> + Send + 'static,
        H: FnOnce(&T) + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            work,
            out: None,
            on_commit,
            reply,
        };
        let queued = self
            .queue
            .send(Box::new(job))
            .map_err(|_| StoreError::Unavailable(BackendError::message("the writer has stopped")));
        async move {
            queued?;
            answer.await.map_err(|_| {
                StoreError::Unavailable(BackendError::message(
                    "the writer stopped before answering",
                ))
            })?
        }
    }
}

/// The writer task: one group per turn, until every [`Writer`] is dropped.
async fn run(pools: Pools, cipher: Arc<Cipher>, mut units: mpsc::UnboundedReceiver<Box<dyn Unit>>) {
    while let Some(first) = units.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match units.try_recv() {
                Ok(unit) => group.push(unit),
                Err(_) => break,
            }
        }
        commit_group(&pools, &cipher, group).await;
    }
}

/// How a group's attempt ended.
enum Attempt {
    /// Committed; one outcome per unit (errors only with savepoints).
    Committed(Vec<Result<(), StoreError>>),
    /// A unit failed without a savepoint (its error); the transaction is rolled back.
    UnitFailed(StoreError),
}

/// Runs and commits one group, then answers its units in order.
async fn commit_group(pools: &Pools, cipher: &Arc<Cipher>, mut group: Vec<Box<dyn Unit>>) {
    let mut result = attempt(pools, cipher, &mut group, false).await;
    if let Ok(Attempt::UnitFailed(err)) = result {
        result = match group.len() {
            // Alone, the failing unit's rollback was the whole transaction's.
            1 => Ok(Attempt::Committed(vec![Err(err)])),
            _ => attempt(pools, cipher, &mut group, true).await,
        };
    }
    match result {
        Ok(Attempt::Committed(outcomes)) => {
            for (unit, outcome) in group.into_iter().zip(outcomes) {
                unit.finish(outcome);
            }
        }
        Ok(Attempt::UnitFailed(err)) | Err(err) => fail_all(group, &err),
    }
}

/// One transaction over the whole group: every unit, the event counter, the commit. With
/// `isolated`, each unit runs in its own savepoint and a failing one is rolled back alone.
async fn attempt(
    pools: &Pools,
    cipher: &Arc<Cipher>,
    group: &mut [Box<dyn Unit>],
    isolated: bool,
) -> Result<Attempt, StoreError> {
    let mut tx = StoreTx::new(pools.begin().await?, cipher, SeqCounter::Unread);
    let mut outcomes = Vec::with_capacity(group.len());
    for (i, unit) in group.iter_mut().enumerate() {
        let outcome = if isolated {
            run_isolated(&mut tx, unit.as_mut(), i == 0).await
        } else {
            Ok(unit.run(&mut tx).await)
        };
        match outcome {
            Ok(Err(err)) if !isolated => {
                tx.rollback().await?;
                return Ok(Attempt::UnitFailed(err));
            }
            Ok(outcome) => outcomes.push(outcome),
            Err(err) => {
                let _ = tx.rollback().await;
                return Err(err);
            }
        }
    }
    if let Err(err) = tx.flush_seqs().await {
        let _ = tx.rollback().await;
        return Err(err);
    }
    tx.commit().await?;
    Ok(Attempt::Committed(outcomes))
}

/// Runs one unit in a fresh savepoint. The outer error means the transaction itself is broken
/// (the savepoint statements failed); the inner one is the unit's own, already rolled back.
async fn run_isolated(
    tx: &mut StoreTx,
    unit: &mut dyn Unit,
    first: bool,
) -> Result<Result<(), StoreError>, StoreError> {
    // One round trip: release the previous unit's savepoint and open this one's.
    let open = if first {
        "SAVEPOINT unit"
    } else {
        "RELEASE SAVEPOINT unit; SAVEPOINT unit"
    };
    tx.execute_batch(open).await?;
    let seqs = tx.seqs;
    let outcome = unit.run(tx).await;
    if outcome.is_err() {
        // The savepoint takes back the unit's appends, so their seqs are free again.
        tx.seqs = seqs;
        tx.execute_batch("ROLLBACK TO SAVEPOINT unit").await?;
    }
    Ok(outcome)
}

/// Answers every unit of a group whose transaction failed with a copy of `err`.
fn fail_all(group: Vec<Box<dyn Unit>>, err: &StoreError) {
    for unit in group {
        unit.finish(Err(StoreError::GroupFailed {
            reason: err.to_string(),
            retryable: err.is_retryable(),
        }));
    }
}

/// Runs a future to completion on the current thread, parking while it waits (for its turn on
/// the writer connection, or for the next unit). The SQLite writer thread's executor.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}
