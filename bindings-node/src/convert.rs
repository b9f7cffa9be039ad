//! Values across the boundary. Engine values go out as their serde JSON with camelCase keys
//! (plain JS objects); configuration comes in as a JS object with camelCase keys, merged onto the
//! engine's defaults. Engine errors become JS `Error`s whose `code` is the engine's code.

use std::future::Future;

use napi::bindgen_prelude::{JsObjectValue, JsValue, PromiseRaw, ToNapiValue};
use napi::{Env, Status};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The JS error for an engine error: an `Error` with `code` (`invalid_argument`…), `details`
/// and `retryable`.
pub(crate) fn error(env: &Env, err: openwa::Error) -> napi::Error {
    let built = env
        .create_error(napi::Error::new(
            Status::GenericFailure,
            err.message.clone(),
        ))
        .and_then(|mut object| {
            object.set_named_property("code", err.code.as_str())?;
            object.set_named_property("details", err.details.as_deref())?;
            object.set_named_property("retryable", err.retryable)?;
            Ok(napi::Error::from(object.to_unknown()))
        });
    // Only when the JS engine cannot build an object (shutting down): the text at least.
    built.unwrap_or_else(|_| napi::Error::from_reason(format!("{}: {}", err.code, err.message)))
}

/// A wrong argument from JS (the JS layer turns `InvalidArg` into a `TypeError`).
pub(crate) fn type_error(message: impl Into<String>) -> napi::Error {
    napi::Error::new(Status::InvalidArg, message.into())
}

/// A promise of `work`'s result, settled on the JS thread: `Ok` through `map`, an engine error
/// as [`error`]. (A plain `async fn` could only reject with napi's own status codes.)
pub(crate) fn promise<'env, T, V, F, M>(
    env: &'env Env,
    work: F,
    map: M,
) -> napi::Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = Result<T, openwa::Error>> + Send + 'static,
    M: FnOnce(T) -> napi::Result<V> + 'static,
{
    env.spawn_future_with_callback(
        async move { Ok(work.await) },
        move |env, result| match result {
            Ok(value) => map(value),
            Err(err) => Err(error(env, err)),
        },
    )
}

/// An engine value as a JS value: its JSON with camelCase keys.
pub(crate) fn to_js<T: Serialize>(value: &T) -> napi::Result<Value> {
    let json = serde_json::to_value(value)
        .map_err(|e| napi::Error::from_reason(format!("cannot encode a value: {e}")))?;
    Ok(rename_keys(json, camel_case))
}

/// A list of engine values as a JS array.
pub(crate) fn to_js_list<T: Serialize>(values: &[T]) -> napi::Result<Value> {
    values
        .iter()
        .map(to_js)
        .collect::<napi::Result<Vec<_>>>()
        .map(Value::Array)
}

fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `value` with every object key passed through `rename` (values are left alone).
fn rename_keys(value: Value, rename: fn(&str) -> String) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, field)| (rename(&key), rename_keys(field, rename)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| rename_keys(item, rename))
                .collect(),
        ),
        other => other,
    }
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

/// Byte fields (`trust_root`, an at-rest `key`) may be hex strings.
fn hex_fields(value: &mut Value) -> Result<(), openwa::Error> {
    match value {
        Value::Object(map) => map.iter_mut().try_for_each(|(key, field)| match field {
            Value::String(text) if matches!(key.as_str(), "trust_root" | "key") => {
                let bytes = hex::decode(text.as_str()).map_err(|e| {
                    openwa::Error::invalid_argument(format!("{key}: not hex ({e})"))
                })?;
                *field = Value::from(bytes);
                Ok(())
            }
            _ => hex_fields(field),
        }),
        Value::Array(items) => items.iter_mut().try_for_each(hex_fields),
        _ => Ok(()),
    }
}

/// An engine configuration value: `defaults` with the fields of the JS object `patch`
/// (camelCase keys) replaced. Not an object: a type error; a field of the wrong shape:
/// `invalid_argument`.
pub(crate) fn config<T: Serialize + DeserializeOwned>(
    env: &Env,
    defaults: &T,
    patch: Option<Value>,
    what: &str,
) -> napi::Result<T> {
    let patch = match patch {
        None => Value::Object(Map::new()),
        Some(Value::Object(map)) => rename_keys(Value::Object(map), snake_case),
        Some(_) => return Err(type_error(format!("{what} must be an object"))),
    };
    patched(defaults, patch, what).map_err(|e| error(env, e))
}

/// A plain engine value (a location, contact cards) from its JS form (camelCase keys). Not an
/// object or array: a type error; missing or mistyped fields: `invalid_argument`.
pub(crate) fn from_js<T: DeserializeOwned>(env: &Env, value: Value, what: &str) -> napi::Result<T> {
    if !(value.is_object() || value.is_array()) {
        return Err(type_error(format!("{what} must be an object or an array")));
    }
    serde_json::from_value(rename_keys(value, snake_case)).map_err(|e| {
        error(
            env,
            openwa::Error::invalid_argument(format!("bad {what}: {e}")),
        )
    })
}

fn patched<T: Serialize + DeserializeOwned>(
    defaults: &T,
    mut patch: Value,
    what: &str,
) -> Result<T, openwa::Error> {
    let mut value = serde_json::to_value(defaults)
        .map_err(|e| openwa::Error::internal(format!("cannot encode the default {what}: {e}")))?;
    hex_fields(&mut patch)?;
    merge(&mut value, patch);
    serde_json::from_value(value)
        .map_err(|e| openwa::Error::invalid_argument(format!("bad {what}: {e}")))
}

/// A non-negative integer argument (a cursor, a seq, a limit).
pub(crate) fn count<T: TryFrom<i64>>(value: i64, what: &str) -> napi::Result<T> {
    T::try_from(value).map_err(|_| {
        type_error(format!(
            "{what} must be a non-negative integer, got {value}"
        ))
    })
}

/// The engine's connection state from its name (`connected`, `waiting_for_qr`…).
pub(crate) fn state(env: &Env, name: &str) -> napi::Result<openwa::ConnectionState> {
    serde_json::from_value(Value::String(name.to_owned())).map_err(|_| {
        error(
            env,
            openwa::Error::invalid_argument(format!("unknown connection state {name:?}"))
                .with_details(name.to_owned()),
        )
    })
}
