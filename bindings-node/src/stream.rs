//! `EventStream`: `next()`, `tryNext()`, `ack(seq)`, `close()`.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use serde_json::Value;
use tokio::sync::watch;

use crate::convert::{count, promise, to_js};

/// A subscription to events. A pending `next()` keeps Node's event loop alive (like a socket
/// read); it resolves with `null` once the manager is closed or the stream is closed.
#[napi]
#[derive(Debug)]
pub struct EventStream {
    inner: Arc<openwa::EventStream>,
    closed: watch::Sender<bool>,
}

impl EventStream {
    pub(crate) fn new(inner: openwa::EventStream) -> Self {
        EventStream {
            inner: Arc::new(inner),
            closed: watch::Sender::new(false),
        }
    }
}

#[napi]
impl EventStream {
    /// The next event, or `null` once the manager or this stream is closed.
    #[napi]
    pub fn next<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Option<Value>>> {
        let inner = self.inner.clone();
        let mut closed = self.closed.subscribe();
        promise(
            env,
            async move {
                Ok(tokio::select! {
                    event = inner.next() => event,
                    _ = closed.wait_for(|closed| *closed) => None,
                })
            },
            |event| event.as_ref().map(to_js).transpose(),
        )
    }

    /// The next event if one is ready now, else `null` (does not wait).
    #[napi]
    pub fn try_next(&self) -> napi::Result<Option<Value>> {
        if *self.closed.borrow() {
            return Ok(None);
        }
        self.inner.try_next().as_ref().map(to_js).transpose()
    }

    /// Stores a durable consumer's position: after a restart it resumes after `seq`.
    #[napi]
    pub fn ack<'env>(&self, env: &'env Env, seq: i64) -> napi::Result<PromiseRaw<'env, ()>> {
        let seq = count(seq, "seq")?;
        let inner = self.inner.clone();
        promise(env, async move { inner.ack(seq).await }, Ok)
    }

    /// Ends this stream: a pending `next()` resolves with `null`, and so does every later one.
    #[napi]
    pub fn close(&self) {
        self.closed.send_replace(true);
    }
}
