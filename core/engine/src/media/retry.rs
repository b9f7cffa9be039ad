//! Media re-upload requests: when the media host no longer has a message's blob, the session
//! asks its own phone to upload it again (`<receipt type="server-error">`, sealed with the
//! media key) and waits for the phone's `mediaretry` notification with the new direct path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use openwa_protocol::media_retry::{
    MediaRetryResult, RESULT_SUCCESS, ServerErrorReceipt, open, seal,
};
use openwa_protocol::stanza::media_retry::{
    MediaRetryNotice, MediaRetryRequest, RetryOutcome, RetryTarget, Sealed,
};
use openwa_protocol::{Jid, Node};
use prost::Message as _;
use rand_core::RngCore;
use tokio::sync::oneshot;

use super::download::MediaRef;
use crate::connection::router::{Feature, Handled, HandlerFuture, Route};
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::messaging::own::Own;

/// Requests waiting for their answer, by message id (a feature state).
#[derive(Debug, Default)]
pub(crate) struct RetryWaiters {
    waiting: Mutex<HashMap<String, oneshot::Sender<MediaRetryNotice>>>,
}

impl RetryWaiters {
    fn insert(&self, id: &str) -> oneshot::Receiver<MediaRetryNotice> {
        let (tx, rx) = oneshot::channel();
        if let Ok(mut waiting) = self.waiting.lock() {
            waiting.insert(id.to_owned(), tx);
        }
        rx
    }

    fn take(&self, id: &str) -> Option<oneshot::Sender<MediaRetryNotice>> {
        self.waiting.lock().ok()?.remove(id)
    }
}

/// The `mediaretry` notifications, as a feature.
#[derive(Debug)]
pub(crate) struct MediaRetry;

impl Feature for MediaRetry {
    fn routes(&self) -> &'static [Route] {
        static ROUTES: &[Route] = &[Route::typed("notification", "mediaretry")];
        ROUTES
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a Arc<SessionContext>,
        node: &'a Node,
    ) -> HandlerFuture<'a, Handled> {
        Box::pin(async move {
            match MediaRetryNotice::from_node(node) {
                Ok(notice) => {
                    if let Some(waiter) = ctx.feature::<RetryWaiters>().take(&notice.id) {
                        let _ = waiter.send(notice);
                    }
                }
                Err(e) => tracing::debug!(error = %e, "invalid mediaretry notification"),
            }
            Handled::Done
        })
    }
}

/// The stored message a download is about.
#[derive(Debug, Clone)]
pub(crate) struct StoredMessage {
    pub id: String,
    pub chat: Jid,
    pub from_me: bool,
    pub sender: Option<Jid>,
}

fn expired(why: impl Into<String>) -> Error {
    Error::new(ErrorCode::MediaExpired, why)
}

/// Asks our phone to upload the media of `message` again; answers its new direct path.
pub(crate) async fn request_reupload(
    shared: &SessionContext,
    media: &MediaRef,
    message: &StoredMessage,
) -> Result<String, Error> {
    let own = Own::of(shared)?;
    let mut iv = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut iv);
    let asked = ServerErrorReceipt {
        stanza_id: Some(message.id.clone()),
    };
    let request = MediaRetryRequest {
        id: message.id.clone(),
        to: own.device.to_non_ad(),
        target: RetryTarget {
            chat: message.chat.clone(),
            from_me: message.from_me,
            participant: message.sender.clone().filter(|_| message.chat.is_group()),
        },
        sealed: Sealed {
            ciphertext: seal(&media.media_key, &message.id, &iv, &asked.encode_to_vec()),
            iv: iv.to_vec(),
        },
    };
    let waiters = shared.feature::<RetryWaiters>();
    let answer = waiters.insert(&message.id);
    if let Err(err) = shared.send_node(request.to_node()).await {
        waiters.take(&message.id);
        return Err(err);
    }
    let notice = match tokio::time::timeout(shared.options.request_timeout(), answer).await {
        Ok(Ok(notice)) => notice,
        Ok(Err(_)) => return Err(Error::new(ErrorCode::NotConnected, "the session closed")),
        Err(_) => {
            waiters.take(&message.id);
            return Err(expired(
                "the media expired and the phone did not answer the re-upload request in time",
            )
            .with_retryable(true));
        }
    };
    let sealed = match notice.outcome {
        RetryOutcome::Sealed(sealed) => sealed,
        RetryOutcome::Error(code) => {
            return Err(
                expired("the media expired and the phone cannot upload it again")
                    .with_details(format!("phone error {code}")),
            );
        }
    };
    let opened = open(
        &media.media_key,
        &message.id,
        &sealed.iv,
        &sealed.ciphertext,
    )
    .map_err(|e| Error::new(ErrorCode::MediaInvalid, format!("re-upload answer: {e}")))?;
    let result = MediaRetryResult::decode(opened.as_slice()).map_err(|e| {
        Error::new(
            ErrorCode::MediaInvalid,
            format!("re-upload answer does not decode: {e}"),
        )
    })?;
    match (result.result, result.direct_path) {
        (Some(RESULT_SUCCESS), Some(path)) if path.starts_with('/') => Ok(path),
        (code, _) => Err(
            expired("the media expired and the phone could not upload it again")
                .with_details(format!("result {}", code.unwrap_or_default())),
        ),
    }
}
