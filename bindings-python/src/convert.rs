//! Values across the boundary: engine errors become the `openwa` exception of their code,
//! engine values become the classes of `openwa._types` (through their serde JSON), and Python
//! configuration dicts become the engine's configuration (through JSON, merged onto defaults).

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// `openwa._types`, where the Python classes live.
static TYPES: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn types(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    TYPES
        .get_or_try_init(py, || Ok::<_, PyErr>(py.import("openwa._types")?.unbind()))
        .map(|module| module.bind(py))
}

/// The `openwa` exception for an engine error: the subclass of `OpenWAError` named after its
/// code, with `code`, `message`, `details` and `retryable`.
pub(crate) fn error(py: Python<'_>, err: openwa::Error) -> PyErr {
    let built = types(py).and_then(|module| {
        module.getattr("_error")?.call1((
            err.code.as_str(),
            err.message.as_str(),
            err.details.as_deref(),
            err.retryable,
        ))
    });
    match built {
        Ok(exception) => PyErr::from_value(exception),
        Err(_) => PyRuntimeError::new_err(err.to_string()),
    }
}

/// [`error`] from a thread that is not attached to Python (inside a future).
pub(crate) fn error_detached(err: openwa::Error) -> PyErr {
    Python::attach(|py| error(py, err))
}

/// Builds a `openwa._types` value with `factory` from `value`'s JSON.
pub(crate) fn to_py<T: Serialize>(py: Python<'_>, factory: &str, value: &T) -> PyResult<Py<PyAny>> {
    let json = serde_json::to_string(value)
        .map_err(|e| PyRuntimeError::new_err(format!("cannot encode a {factory} value: {e}")))?;
    Ok(types(py)?.getattr(factory)?.call1((json,))?.unbind())
}

/// [`to_py`] from a thread that is not attached to Python (inside a future).
pub(crate) fn to_py_detached<T: Serialize>(factory: &str, value: &T) -> PyResult<Py<PyAny>> {
    Python::attach(|py| to_py(py, factory, value))
}

/// A Python value as JSON: `None`, `bool`, `int`, `float`, `str`, `bytes` (a list of byte
/// values), `dict` with `str` keys, `list`, `tuple` and path-like objects. Anything else is a
/// `TypeError` naming `what`.
pub(crate) fn to_json(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(n) = obj.extract::<i64>() {
            return Ok(Value::from(n));
        }
        return obj
            .extract::<u64>()
            .map(Value::from)
            .map_err(|_| PyTypeError::new_err(format!("{what}: integer out of range")));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return serde_json::Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| PyTypeError::new_err(format!("{what}: a finite number is needed")));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.extract::<String>()?));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Value::from(b.as_bytes().to_vec()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Value::from(b.to_vec()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (key, value) in d.iter() {
            let key: String = key.extract().map_err(|_| {
                PyTypeError::new_err(format!("{what}: dictionary keys must be str"))
            })?;
            let inner = format!("{what}.{key}");
            map.insert(key, to_json(&value, &inner)?);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for item in obj.try_iter()? {
            items.push(to_json(&item?, what)?);
        }
        return Ok(Value::Array(items));
    }
    if obj.hasattr("__fspath__")? {
        let path = obj.call_method0("__fspath__")?;
        if let Ok(s) = path.cast::<PyString>() {
            return Ok(Value::String(s.extract::<String>()?));
        }
    }
    Err(PyTypeError::new_err(format!(
        "{what}: unsupported type {}",
        obj.get_type().name()?
    )))
}

/// Merges `patch` into `base`: objects key by key (recursively), anything else replaces.
fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(base), Value::Object(patch)) => {
            for (key, value) in patch {
                match base.get_mut(&key) {
                    Some(slot) if value.is_object() && slot.is_object() => merge(slot, value),
                    _ => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, patch) => *base = patch,
    }
}

/// Byte fields may be given as hex strings (`trust_root`, an at-rest `key`).
fn hex_fields(value: &mut Value) -> Result<(), openwa::Error> {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if matches!(key.as_str(), "trust_root" | "key")
                    && let Value::String(text) = field
                {
                    let bytes = hex::decode(text.as_str()).map_err(|e| {
                        openwa::Error::invalid_argument(format!("{key}: not hex ({e})"))
                    })?;
                    *field = Value::from(bytes);
                } else {
                    hex_fields(field)?;
                }
            }
            Ok(())
        }
        Value::Array(items) => items.iter_mut().try_for_each(hex_fields),
        _ => Ok(()),
    }
}

/// An engine configuration value: `defaults` with the fields of `patch` (already JSON)
/// replaced. A field of the wrong shape is `InvalidArgument`.
pub(crate) fn config<T: Serialize + DeserializeOwned>(
    defaults: &T,
    patch: Value,
    what: &str,
) -> Result<T, openwa::Error> {
    let mut value = serde_json::to_value(defaults)
        .map_err(|e| openwa::Error::internal(format!("cannot encode the default {what}: {e}")))?;
    let mut patch = patch;
    hex_fields(&mut patch)?;
    merge(&mut value, patch);
    serde_json::from_value(value)
        .map_err(|e| openwa::Error::invalid_argument(format!("bad {what}: {e}")))
}

/// The engine's connection state from its name (`connected`, `waiting_for_qr`…).
pub(crate) fn state(name: &str) -> Result<openwa::ConnectionState, openwa::Error> {
    serde_json::from_value(Value::String(name.to_owned())).map_err(|_| {
        openwa::Error::invalid_argument(format!("unknown connection state {name:?}"))
            .with_details(name.to_owned())
    })
}

/// What an awaitable that has no result resolves to: Python's `None` (a Rust `()` would become
/// an empty tuple).
pub(crate) const NONE: Option<()> = None;
