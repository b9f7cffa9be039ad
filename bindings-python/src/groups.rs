//! Helpers of the group methods of `openwa.Session` (in `session.rs`: pyo3 takes one
//! `#[pymethods]` block per class). Group results are plain dicts/lists (the engine's JSON);
//! actions and settings are strings as in that JSON.

use pyo3::prelude::*;

use crate::convert;

/// An engine enum from its JSON name (`add`, `announcement`…); `InvalidArgument` otherwise.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    py: Python<'_>,
    value: serde_json::Value,
    what: &str,
) -> PyResult<T> {
    serde_json::from_value(value.clone()).map_err(|e| {
        convert::error(
            py,
            openwa::Error::invalid_argument(format!("bad {what} {value}: {e}")),
        )
    })
}
