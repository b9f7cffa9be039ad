//! The engine's own tokio runtime: a manager runs its sessions, store work and timers there, and
//! every public async call hops onto it, so a host (Python, Node, Swift, a plain thread with any
//! executor) never has to provide one. Dropping the manager shuts the runtime down without
//! blocking the caller.

use std::future::Future;
use std::sync::Mutex;

use tokio::runtime::{Builder, Handle, Runtime};

use crate::error::Error;

/// Worker threads when the configuration leaves it to the engine: one per core, at most 4.
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().min(4))
}

/// A runtime owned by one manager.
#[derive(Debug)]
pub(crate) struct EngineRuntime {
    handle: Handle,
    owned: Mutex<Option<Runtime>>,
}

impl EngineRuntime {
    /// A multi-thread runtime with `threads` workers (0: one per core, at most 4).
    pub(crate) fn new(threads: usize) -> Result<Self, Error> {
        let threads = if threads == 0 {
            default_threads()
        } else {
            threads
        };
        let runtime = Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("openwa")
            .enable_all()
            .build()
            .map_err(|e| Error::internal(format!("cannot start the engine runtime: {e}")))?;
        Ok(EngineRuntime {
            handle: runtime.handle().clone(),
            owned: Mutex::new(Some(runtime)),
        })
    }

    /// A handle to spawn on.
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl Drop for EngineRuntime {
    fn drop(&mut self) {
        let owned = match self.owned.get_mut() {
            Ok(owned) => owned.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(runtime) = owned {
            // Never blocks, so a manager may be dropped anywhere, even on its own runtime.
            runtime.shutdown_background();
        }
    }
}

/// Runs `work` where it can run: inline when the caller is already on a tokio runtime (its
/// timers and sockets work there, and no thread hop is paid per call), otherwise on the
/// engine's `runtime`, waited for from whatever executor the caller uses (the work then goes on
/// if the caller stops waiting).
pub(crate) async fn on<T: Send + 'static>(
    runtime: &Handle,
    work: impl Future<Output = Result<T, Error>> + Send + 'static,
) -> Result<T, Error> {
    if Handle::try_current().is_ok() {
        return work.await;
    }
    match runtime.spawn(work).await {
        Ok(result) => result,
        Err(err) if err.is_cancelled() => Err(Error::new(
            crate::error::ErrorCode::Cancelled,
            "the manager was closed",
        )),
        Err(err) => Err(Error::internal(format!("an engine task failed: {err}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_work_from_a_thread_without_any_runtime() {
        let runtime = EngineRuntime::new(1).unwrap();
        let handle = runtime.handle().clone();
        // A plain executor (no tokio context): the timer below needs the engine's runtime.
        let result = std::thread::spawn(move || {
            let work = on(&handle, async {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                Ok(7)
            });
            pollster_block_on(work)
        })
        .join()
        .unwrap();
        assert_eq!(result.unwrap(), 7);
        drop(runtime);
    }

    /// A minimal block_on that is not tokio's: parks the thread until woken.
    fn pollster_block_on<F: Future>(future: F) -> F::Output {
        use std::sync::Arc;
        use std::task::{Context, Poll, Wake, Waker};
        struct Unpark(std::thread::Thread);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut context = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut context) {
                return out;
            }
            std::thread::park();
        }
    }
}
