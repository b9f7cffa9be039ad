//! `openwa.EventStream`: `async for event in stream`, `next()`, `try_next()`, `ack(seq)`.

use std::sync::Arc;

use crate::waiter::future_into_py;
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;

use crate::convert::{self, error_detached, to_py_detached};

/// A subscription to events.
#[pyclass(frozen, module = "openwa")]
#[derive(Debug)]
pub(crate) struct EventStream {
    inner: Arc<openwa::EventStream>,
}

impl EventStream {
    pub(crate) fn new(inner: openwa::EventStream) -> Self {
        EventStream {
            inner: Arc::new(inner),
        }
    }
}

#[pymethods]
impl EventStream {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            match inner.next().await {
                Some(event) => to_py_detached("_event", &event),
                None => Err(PyStopAsyncIteration::new_err("the manager was closed")),
            }
        })
    }

    /// The next event (awaitable `Event`), or `None` once the manager is closed.
    fn next<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            match inner.next().await {
                Some(event) => to_py_detached("_event", &event).map(Some),
                None => Ok(None),
            }
        })
    }

    /// The next event if one is ready now, else `None` (does not wait).
    fn try_next(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.inner
            .try_next()
            .map(|event| convert::to_py(py, "_event", &event))
            .transpose()
    }

    /// Stores a durable consumer's position (awaitable): after a restart it resumes after `seq`.
    fn ack<'py>(&self, py: Python<'py>, seq: u64) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner.ack(seq).await.map_err(error_detached)?;
            Ok(convert::NONE)
        })
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}
