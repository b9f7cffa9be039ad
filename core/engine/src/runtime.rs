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

// Tested from a host without tokio in tests/no_host_runtime.rs.
