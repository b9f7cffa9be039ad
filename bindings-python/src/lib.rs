//! `openwa._native`: the Python extension module of the `openwa-rs` distribution.
//!
//! Thin delegates over the `openwa` engine. Every async method returns an asyncio awaitable
//! (pyo3-async-runtimes `future_into_py` on the small runtime of `waiter`); the engine runs its
//! own tokio runtime and every public engine call hops onto it, so that runtime only waits for
//! those calls and hands their results to the event loop. Values cross as the engine's serde JSON and become the
//! classes of `openwa._types` (events, messages, errors), defined once in Python.

#![allow(unsafe_code)] // pyo3's macros expand to `unsafe` FFI glue.

mod convert;
mod groups;
mod manager;
mod session;
mod stream;
mod waiter;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_native")]
fn openwa_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    waiter::start()?;
    let codes: Vec<(&str, bool)> = openwa::ErrorCode::ALL
        .iter()
        .map(|code| (code.as_str(), code.default_retryable()))
        .collect();
    m.add("ERROR_CODES", codes)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("MAX_REPLAY_PAGE", openwa::MAX_REPLAY_PAGE)?;
    m.add_class::<manager::SessionManager>()?;
    m.add_class::<session::Session>()?;
    m.add_class::<stream::EventStream>()?;
    m.add_function(wrap_pyfunction!(normalize_chat_id, m)?)?;
    m.add_function(wrap_pyfunction!(waiter::shutdown, m)?)?;
    Ok(())
}

/// The canonical JID of a chat id (`15551234567` → `15551234567@s.whatsapp.net`); a bad id
/// raises `InvalidArgument`.
#[pyfunction]
fn normalize_chat_id(py: Python<'_>, chat: &str) -> PyResult<String> {
    openwa::normalize_chat_id(chat).map_err(|e| convert::error(py, e))
}
