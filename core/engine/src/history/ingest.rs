//! Ingesting one pending notification: download its blob (or take the inline payload), verify
//! and decrypt it while inflating it, decode the chunk, then store what the policy keeps — chats,
//! messages, push names — with the `HistorySync` event and the deletion of the pending row, in
//! one commit. PN↔LID pairs go through the Signal store first (each its own transaction,
//! idempotent), so a crash before that commit only repeats them.

use std::sync::Arc;

use openwa_protocol::Jid;
use openwa_protocol::history::{HistoryError, Inflater, MAX_INFLATED_CHUNK};
use openwa_protocol::media::MediaType;
use openwa_protocol::proto::e2e::{HistorySync, HistorySyncNotification};
use openwa_store::PendingHistory;
use prost::Message as _;

use super::chunk::{self, Plan};
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::event::EventKind;
use crate::history_types::HistorySyncType;
use crate::media::download::{self, MediaRef, Sink};
use crate::media::http::MediaHttp;
use crate::persist::{PendingEvent, write_unit};

/// A blob that is not a valid chunk.
fn invalid(err: HistoryError) -> Error {
    Error::new(ErrorCode::MediaInvalid, err.to_string())
}

/// Decrypted pieces go straight into the inflater.
struct InflateSink(Inflater);

impl Sink for InflateSink {
    async fn put(&mut self, piece: &[u8]) -> Result<(), Error> {
        self.0.update(piece).map_err(invalid)
    }
}

/// Stores the content of `pending` and deletes it, in one commit. A retryable error (network,
/// not connected) leaves it pending; the caller drops it on any other error.
pub(crate) async fn ingest(
    shared: &Arc<SessionContext>,
    pending: &PendingHistory,
) -> Result<(), Error> {
    let notification = HistorySyncNotification::decode(pending.notification.as_slice())
        .map_err(|e| Error::new(ErrorCode::Store, format!("pending history notice: {e}")))?;
    let kind = HistorySyncType::from_code(notification.sync_type.unwrap_or(-1));
    let policy = shared.options.history;
    let sync = if kind.wanted(policy) {
        Some(fetch(shared, &notification).await?)
    } else {
        None
    };
    let own = shared
        .with_credentials(|c| c.paired.as_ref().map(|p| Jid::pn(p.jid.user.clone())))
        .ok_or_else(|| Error::new(ErrorCode::NotConnected, "the session is not paired"))?;
    let chunk_order = notification.chunk_order.unwrap_or(0);
    let progress = notification.progress;
    let plan = match sync {
        Some(sync) => chunk::plan(&shared.id, &own, sync, kind.keeps_messages(policy)),
        None => Plan::default(),
    };
    let signal = shared.signal_store();
    for (pn, lid) in &plan.mappings {
        if let Err(err) = signal.learn_mapping(pn, lid).await {
            tracing::debug!(session = %shared.id, %err, "history PN/LID pair not kept");
        }
    }
    let event = PendingEvent::new(EventKind::HistorySync {
        sync_type: kind,
        chunk_order,
        progress,
        chats: count(plan.chats.len()),
        messages: count(plan.messages.len()),
        contacts: count(plan.push_names.len()),
    })?;
    crate::fault::point("history_before_commit");
    let (plan, id) = (Arc::new(plan), pending.id.clone());
    write_unit(
        shared.store(),
        Some(shared.bus().publisher()),
        move |mut tx| {
            let (plan, event, id) = (Arc::clone(&plan), event.clone(), id.clone());
            Box::pin(async move {
                for chat in &plan.chats {
                    tx.put_chat(chat).await?;
                }
                for message in &plan.messages {
                    tx.insert_message(message).await?;
                }
                for (jid, name) in &plan.push_names {
                    tx.put_push_name(jid, name).await?;
                }
                tx.delete_pending_history(&id).await?;
                Ok(((), Some(event.append(&mut tx).await?)))
            })
        },
    )
    .await
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The chunk a notification points at: its inline payload, or its blob on the media host.
async fn fetch(
    shared: &SessionContext,
    notification: &HistorySyncNotification,
) -> Result<HistorySync, Error> {
    if let Some(inline) = &notification.initial_hist_bootstrap_inline_payload {
        return openwa_protocol::history::decode(inline, MAX_INFLATED_CHUNK).map_err(invalid);
    }
    let media = MediaRef::history(notification)?;
    let http = MediaHttp::new(&shared.options)?;
    let mut sink = InflateSink(Inflater::new(MAX_INFLATED_CHUNK));
    download::download(
        shared,
        &http,
        &media,
        shared.options.max_media_bytes,
        &mut sink,
    )
    .await?;
    sink.0.finish().map_err(invalid)
}

impl MediaRef {
    /// The blob of a history-sync notification.
    fn history(notification: &HistorySyncNotification) -> Result<MediaRef, Error> {
        download::media_ref(
            MediaType::History,
            notification.media_key.as_deref(),
            notification.file_sha256.as_deref(),
            notification.file_enc_sha256.as_deref(),
            notification.file_length,
            &None,
            &notification.direct_path,
        )
    }
}
