//! A manager's life after `close()`: calls are refused from the moment closing begins, and
//! event streams end once it is done (after the sessions' last state events were published,
//! so a stream delivers them before it ends).

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;

use crate::error::{Error, ErrorCode};

/// Shared by the manager, its event bus and (through the bus) its sessions.
#[derive(Debug)]
pub(crate) struct Lifecycle {
    closing: AtomicBool,
    closed: watch::Sender<bool>,
}

impl Lifecycle {
    pub(crate) fn new() -> Self {
        Lifecycle {
            closing: AtomicBool::new(false),
            closed: watch::Sender::new(false),
        }
    }

    /// Marks the manager closing; false if it already was (a second `close()` does nothing).
    pub(crate) fn begin_close(&self) -> bool {
        !self.closing.swap(true, Ordering::SeqCst)
    }

    /// Ends every event stream.
    pub(crate) fn finish_close(&self) {
        self.closed.send_replace(true);
    }

    /// `Cancelled` once closing began.
    pub(crate) fn ensure_open(&self) -> Result<(), Error> {
        if self.closing.load(Ordering::SeqCst) {
            Err(
                Error::new(ErrorCode::Cancelled, "the session manager is closed")
                    .with_retryable(false),
            )
        } else {
            Ok(())
        }
    }

    /// A receiver that sees `true` once closing finished.
    pub(crate) fn watch(&self) -> watch::Receiver<bool> {
        self.closed.subscribe()
    }
}

/// Waits until `closed` turns true (forever if its sender is gone without closing).
pub(crate) async fn until_closed(closed: &mut watch::Receiver<bool>) {
    if closed.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}
