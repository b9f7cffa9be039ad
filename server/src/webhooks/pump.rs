//! From the engine's durable event stream to the outbox: for each event, one outbox row per
//! subscribed webhook, written before the event is acknowledged. Events already waiting are
//! taken together (up to [`BATCH`]): their rows are written in one transaction, then the last
//! one is acknowledged (rows are unique per event, so a batch written twice changes nothing).

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
/// Most events written in one transaction.
pub const BATCH: usize = 256;

/// Runs forever: reads, writes, acknowledges; reopens the stream if it ends.
pub async fn run(state: AppState) {
    loop {
        match state.manager.consumer(CONSUMER, None).await {
            Ok(stream) => {
                while let Some(first) = stream.next().await {
                    let mut batch = vec![first];
                    while batch.len() < BATCH {
                        match stream.try_next() {
                            Some(event) => batch.push(event),
                            None => break,
                        }
                    }
                    write_with_retry(&state, &batch).await;
                    let last = batch.last().map_or(0, |e| e.seq);
                    if let Err(e) = stream.ack(last).await {
                        tracing::warn!("acknowledging event {last}: {e}");
                    }
                }
            }
            Err(e) => tracing::warn!("opening the webhook consumer: {e}"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Writes the deliveries of `events`, retrying until the database takes them.
async fn write_with_retry(state: &AppState, events: &[Event]) {
    let mut wait = Duration::from_millis(100);
    loop {
        match write(state, events).await {
            Ok(0) => return,
            Ok(_) => {
                state.outbox_wake.notify_one();
                return;
            }
            Err(e) => {
                tracing::warn!("writing webhook deliveries: {e}");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// Writes the deliveries of `events` in one transaction; answers how many.
async fn write(state: &AppState, events: &[Event]) -> Result<usize, DbError> {
    let mut statements = Vec::new();
    for event in events {
        if !matches!(event.kind, EventKind::Lagged { .. }) {
            statements.extend(deliveries(state, event).await?);
        }
    }
    let written = statements.len();
    if written > 0 {
        state.db.exec_all(statements).await?;
    }
    Ok(written)
}

/// The outbox statements of one event: one per subscribed active webhook and webhook event.
async fn deliveries(
    state: &AppState,
    event: &Event,
) -> Result<Vec<(String, Vec<crate::db::Value>)>, DbError> {
    let items = translate(event);
    if items.is_empty() {
        return Ok(vec![]);
    }
    let hooks = store::list(&state.db, Some(&event.session_id)).await?;
    let seq = i64::try_from(event.seq).unwrap_or(i64::MAX);
    let timestamp = iso(i64::try_from(event.timestamp_ms).unwrap_or(0));
    let mut statements = Vec::new();
    for hook in hooks.iter().filter(|h| h.active) {
        for item in items
            .iter()
            .filter(|i| super::subscribed(&hook.events, i.name))
            .filter(|i| {
                hook.filters
                    .as_ref()
                    .is_none_or(|f| super::filters::matches(f, i.name, &i.data))
            })
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
            statements.push(store::enqueue(&NewDelivery {
                webhook_id: hook.id.clone(),
                session_id: event.session_id.clone(),
                event_seq: seq,
                event: item.name.to_owned(),
                idempotency_key,
                delivery_id,
                body: body.to_string(),
                max_attempts: hook.retry_count.max(1),
            }));
        }
    }
    Ok(statements)
}
