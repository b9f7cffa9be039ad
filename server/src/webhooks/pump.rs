//! From the engine's durable event stream to the outbox: for each event, one outbox row per
//! subscribed webhook, written before the event is acknowledged.

use std::time::Duration;

use openwa::{Event, EventKind};
use serde_json::json;

use super::events::translate;
use super::store::{self, NewDelivery};
use crate::db::DbError;
use crate::state::AppState;
use crate::util::{iso, random_hex};

/// The engine consumer's name (its position is stored in the engine's database).
pub const CONSUMER: &str = "openwa-server-webhooks";

/// Runs forever: reads, writes, acknowledges; reopens the stream if it ends.
pub async fn run(state: AppState) {
    loop {
        match state.manager.consumer(CONSUMER, None).await {
            Ok(stream) => {
                while let Some(event) = stream.next().await {
                    if matches!(event.kind, EventKind::Lagged { .. }) {
                        continue;
                    }
                    write_with_retry(&state, &event).await;
                    if let Err(e) = stream.ack(event.seq).await {
                        tracing::warn!("acknowledging event {}: {e}", event.seq);
                    }
                }
            }
            Err(e) => tracing::warn!("opening the webhook consumer: {e}"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Writes an event's deliveries, retrying until the database takes them.
async fn write_with_retry(state: &AppState, event: &Event) {
    let mut wait = Duration::from_millis(100);
    loop {
        match write(state, event).await {
            Ok(0) => return,
            Ok(_) => {
                state.outbox_wake.notify_one();
                return;
            }
            Err(e) => {
                tracing::warn!("writing the deliveries of event {}: {e}", event.seq);
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// Writes the deliveries of one event; answers how many.
async fn write(state: &AppState, event: &Event) -> Result<usize, DbError> {
    let items = translate(event);
    if items.is_empty() {
        return Ok(0);
    }
    let hooks = store::list(&state.db, Some(&event.session_id)).await?;
    let seq = i64::try_from(event.seq).unwrap_or(i64::MAX);
    let timestamp = iso(i64::try_from(event.timestamp_ms).unwrap_or(0));
    let mut written = 0;
    for hook in hooks.iter().filter(|h| h.active) {
        for item in items
            .iter()
            .filter(|i| super::subscribed(&hook.events, i.name))
        {
            let idempotency_key = format!("{}_{}", item.key, hook.id);
            let delivery_id = format!("dlv_{}", random_hex(16));
            let body = json!({
                "event": item.name,
                "timestamp": timestamp,
                "sessionId": event.session_id,
                "idempotencyKey": idempotency_key,
                "deliveryId": delivery_id,
                "data": item.data,
            });
            store::enqueue(
                &state.db,
                &NewDelivery {
                    webhook_id: hook.id.clone(),
                    session_id: event.session_id.clone(),
                    event_seq: seq,
                    event: item.name.to_owned(),
                    idempotency_key,
                    delivery_id,
                    body: body.to_string(),
                    max_attempts: hook.retry_count.max(1),
                },
            )
            .await?;
            written += 1;
        }
    }
    Ok(written)
}
