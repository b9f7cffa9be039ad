//! `openwa.SessionManager`.

use std::sync::Arc;

use crate::waiter::future_into_py;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

use crate::convert::{self, error_detached, to_py_detached};
use crate::session::Session;
use crate::stream::EventStream;

/// Default page size of `events_since`.
const DEFAULT_LIMIT: u32 = 1000;

/// Runs many WhatsApp sessions on one engine runtime with one store and one event log.
#[pyclass(frozen, module = "openwa")]
#[derive(Debug)]
pub(crate) struct SessionManager {
    inner: Arc<openwa::SessionManager>,
}

/// JSON of an optional dict argument plus keyword arguments (the keywords win).
pub(crate) fn dict_json(
    dict: Option<&Bound<'_, PyDict>>,
    kwargs: Option<&Bound<'_, PyDict>>,
    what: &str,
) -> PyResult<Value> {
    let mut value = match dict {
        Some(dict) => convert::to_json(dict.as_any(), what)?,
        None => Value::Object(serde_json::Map::new()),
    };
    if let (Some(kwargs), Value::Object(map)) = (kwargs, &mut value)
        && let Value::Object(extra) = convert::to_json(kwargs.as_any(), what)?
    {
        map.extend(extra);
    }
    Ok(value)
}

#[pymethods]
impl SessionManager {
    /// Opens a manager (awaitable). `config` (and keyword arguments) override fields of the
    /// engine's `ManagerConfig` defaults; byte fields accept hex strings.
    #[staticmethod]
    #[pyo3(signature = (config=None, **kwargs))]
    fn open<'py>(
        py: Python<'py>,
        config: Option<&Bound<'py, PyDict>>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let patch = dict_json(config, kwargs, "config")?;
        let config = convert::config(&openwa::ManagerConfig::default(), patch, "config")
            .map_err(|e| convert::error(py, e))?;
        future_into_py(py, async move {
            let inner = openwa::SessionManager::open(config)
                .await
                .map_err(error_detached)?;
            Ok(SessionManager { inner })
        })
    }

    /// Creates a session (awaitable `Session`, not connected yet). `options` override fields of
    /// the engine's `SessionOptions` defaults; `None` uses the manager's default options.
    #[pyo3(signature = (id, options=None, **kwargs))]
    fn create_session<'py>(
        &self,
        py: Python<'py>,
        id: String,
        options: Option<&Bound<'py, PyDict>>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = if options.is_none() && kwargs.is_none() {
            None
        } else {
            let patch = dict_json(options, kwargs, "options")?;
            Some(
                convert::config(&openwa::SessionOptions::default(), patch, "session options")
                    .map_err(|e| convert::error(py, e))?,
            )
        };
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let session = inner
                .create_session(&id, options)
                .await
                .map_err(error_detached)?;
            Ok(Session::new(session))
        })
    }

    /// The session with this id (awaitable `Session`), or `NotFound`.
    fn get<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let session = inner.get(&id).await.map_err(error_detached)?;
            Ok(Session::new(session))
        })
    }

    /// Every session, ordered by id (awaitable list of `SessionInfo`).
    fn list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let sessions = inner.list().await.map_err(error_detached)?;
            sessions
                .iter()
                .map(|info| to_py_detached("_session_info", info))
                .collect::<PyResult<Vec<_>>>()
        })
    }

    /// Disconnects and removes a session with its credentials (awaitable).
    fn delete<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner.delete(&id).await.map_err(error_detached)?;
            Ok(convert::NONE)
        })
    }

    /// Disconnects every session and closes the store (awaitable).
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            inner.close().await.map_err(error_detached)?;
            Ok(convert::NONE)
        })
    }

    /// Every event of every session, from now on.
    fn events(&self) -> EventStream {
        EventStream::new(self.inner.events())
    }

    /// Every event after `cursor`: replayed from the log, then live, no gap, no duplicate.
    fn events_from(&self, cursor: u64) -> EventStream {
        EventStream::new(self.inner.events_from(cursor))
    }

    /// Logged events with `seq > cursor`, oldest first, at most `limit` (awaitable list).
    #[pyo3(signature = (cursor, limit=DEFAULT_LIMIT))]
    fn events_since<'py>(
        &self,
        py: Python<'py>,
        cursor: u64,
        limit: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let events = inner
                .events_since(cursor, limit)
                .await
                .map_err(error_detached)?;
            events
                .iter()
                .map(|event| to_py_detached("_event", event))
                .collect::<PyResult<Vec<_>>>()
        })
    }

    /// A named durable consumer (awaitable `EventStream`): resumes after its last `ack`.
    #[pyo3(signature = (name, session=None))]
    fn consumer<'py>(
        &self,
        py: Python<'py>,
        name: String,
        session: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        future_into_py(py, async move {
            let stream = inner
                .consumer(&name, session.as_deref())
                .await
                .map_err(error_detached)?;
            Ok(EventStream::new(stream))
        })
    }

    /// The seq of the newest event (a cursor for `events_since`).
    #[getter]
    fn last_seq(&self) -> u64 {
        self.inner.last_seq()
    }

    fn __aenter__<'py>(slf: Py<Self>, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        future_into_py(py, async move { Ok(slf) })
    }

    #[pyo3(signature = (*_args))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _args: &Bound<'py, pyo3::types::PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.close(py)
    }

    fn __repr__(&self) -> String {
        format!("SessionManager(last_seq={})", self.inner.last_seq())
    }
}
