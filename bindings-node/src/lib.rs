//! `openwa.node`: the native addon of the `openwa` npm package.
//!
//! Thin delegates over the `openwa` engine (napi-rs). Every async method returns a Promise
//! settled on the JS thread (`convert::promise`), so an engine error rejects with an `Error`
//! whose `code` is the engine's stable code. Values cross as the engine's serde JSON with
//! camelCase keys: plain JS objects, typed in `index.d.ts`. The JS layer (`index.js`) adds
//! `for await`, EventEmitter-style listeners and `TypeError`s for arguments of the wrong type.

#![allow(unsafe_code)] // napi's macros expand to `unsafe` FFI glue.

mod app_state;
mod convert;
mod groups;
mod manager;
mod session;
mod stream;

use napi::Env;
use napi_derive::napi;
use serde_json::Value;

/// Every engine error code with whether it is retryable by default, in the engine's order.
#[napi]
pub fn error_codes() -> napi::Result<Value> {
    convert::to_js(
        &openwa::ErrorCode::ALL
            .iter()
            .map(|code| (code.as_str(), code.default_retryable()))
            .collect::<Vec<_>>(),
    )
}

/// The canonical JID of a chat id (`15551234567` → `15551234567@s.whatsapp.net`); a bad id
/// throws `invalid_argument`.
#[napi]
pub fn normalize_chat_id(env: &Env, chat: String) -> napi::Result<String> {
    openwa::normalize_chat_id(&chat).map_err(|e| convert::error(env, e))
}

/// The largest page `eventsSince` returns.
#[napi]
pub const MAX_REPLAY_PAGE: u32 = openwa::MAX_REPLAY_PAGE;
