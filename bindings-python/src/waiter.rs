//! The runtime that waits for engine calls on behalf of Python, as a pyo3-async-runtimes
//! runtime (its generic `future_into_py`).
//!
//! Engine calls run on the engine's own runtime; this one only awaits them (and event streams)
//! and then hands the result to the asyncio loop, which needs the GIL. A thread that takes the
//! GIL while the interpreter finalizes can abort the process, so the runtime is ours to stop:
//! `openwa` registers [`shutdown`] with `atexit`, which runs before finalization, and from then
//! on no thread of this module touches Python. (pyo3-async-runtimes' own tokio runtime is a
//! static that cannot be shut down.)

use std::cell::OnceCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;
use pyo3_async_runtimes::generic::{self, ContextExt};
use tokio::runtime::{Builder, Handle, Runtime};

/// The runtime, until [`shutdown`] takes it.
static RUNTIME: Mutex<Option<Runtime>> = Mutex::new(None);
/// A handle to spawn on (spawning after the shutdown gives tasks that never run).
static HANDLE: OnceLock<Handle> = OnceLock::new();

tokio::task_local! {
    static TASK_LOCALS: OnceCell<TaskLocals>;
}

/// Starts the runtime (once per process): one worker is enough to wait.
pub(crate) fn start() -> PyResult<()> {
    if HANDLE.get().is_some() {
        return Ok(());
    }
    let runtime = Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("openwa-py")
        .enable_all()
        .build()
        .map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!("cannot start a runtime: {e}"))
        })?;
    let _ = HANDLE.set(runtime.handle().clone());
    if let Ok(mut slot) = RUNTIME.lock() {
        *slot = Some(runtime);
    }
    Ok(())
}

/// Stops the runtime: waits (at most a second, without the GIL so running tasks can finish
/// handing over their results) for its tasks to stop. Pending awaitables never complete after
/// this; `openwa` calls it at interpreter exit.
#[pyfunction(name = "_shutdown")]
pub(crate) fn shutdown(py: Python<'_>) {
    let runtime = match RUNTIME.lock() {
        Ok(mut slot) => slot.take(),
        Err(poisoned) => poisoned.into_inner().take(),
    };
    if let Some(runtime) = runtime {
        py.detach(move || runtime.shutdown_timeout(Duration::from_secs(1)));
    }
}

/// Turns a Rust future into an asyncio awaitable run on this runtime.
pub(crate) fn future_into_py<F, T>(py: Python<'_>, fut: F) -> PyResult<Bound<'_, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    generic::future_into_py::<Waiter, F, T>(py, fut)
}

/// The runtime as pyo3-async-runtimes sees it.
pub(crate) struct Waiter;

/// Why a task did not finish: it panicked, or the runtime is gone.
#[derive(Debug)]
pub(crate) struct JoinError(Option<tokio::task::JoinError>);

impl generic::JoinError for JoinError {
    fn is_panic(&self) -> bool {
        self.0
            .as_ref()
            .is_some_and(tokio::task::JoinError::is_panic)
    }

    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        match self.0 {
            Some(err) if err.is_panic() => err.into_panic(),
            _ => Box::new("the openwa runtime is shut down"),
        }
    }
}

/// A spawned task, or nothing when there was no runtime to spawn on.
pub(crate) struct JoinHandle(Option<tokio::task::JoinHandle<()>>);

impl Future for JoinHandle {
    type Output = Result<(), JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.0.as_mut() {
            Some(handle) => Pin::new(handle)
                .poll(cx)
                .map(|done| done.map_err(|e| JoinError(Some(e)))),
            None => Poll::Ready(Err(JoinError(None))),
        }
    }
}

impl generic::Runtime for Waiter {
    type JoinError = JoinError;
    type JoinHandle = JoinHandle;

    fn spawn<F>(fut: F) -> JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        JoinHandle(HANDLE.get().map(|handle| handle.spawn(fut)))
    }

    fn spawn_blocking<F>(f: F) -> JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        JoinHandle(HANDLE.get().map(|handle| handle.spawn_blocking(f)))
    }
}

impl ContextExt for Waiter {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS
            .try_with(|cell| cell.get().cloned())
            .unwrap_or_default()
    }
}
