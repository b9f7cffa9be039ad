//! The `server_webhooks` and `server_outbox` tables.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::filters::Filters;
use crate::db::{Db, DbError, Row2, Value};
use crate::util::{iso, iso_opt, new_id, now_ms};

/// A webhook registration.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Id.
    pub id: String,
    /// Session id.
    pub session_id: String,
    /// Target URL.
    pub url: String,
    /// Subscribed event names (`*` = all).
    pub events: Vec<String>,
    /// HMAC secret (write-only).
    pub secret: Option<String>,
    /// Extra request headers (write-only).
    pub headers: BTreeMap<String, String>,
    /// Whether it receives deliveries.
    pub active: bool,
    /// Total attempts per delivery (OpenWA's `retryCount`).
    pub retry_count: i64,
    /// Content filters (none: every subscribed event).
    pub filters: Option<Filters>,
    /// Last successful delivery, Unix ms.
    pub last_triggered_at: Option<i64>,
    /// Created, Unix ms.
    pub created_at: i64,
    /// Updated, Unix ms.
    pub updated_at: i64,
}

impl Webhook {
    /// OpenWA's response shape (no secret, no headers).
    pub fn to_json(&self) -> Json {
        json!({
            "id": self.id,
            "sessionId": self.session_id,
            "url": self.url,
            "events": self.events,
            "active": self.active,
            "retryCount": self.retry_count,
            "filters": self.filters,
            "lastTriggeredAt": iso_opt(self.last_triggered_at),
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        })
    }
}

const COLUMNS: &str = "id, session_id, url, events, secret, headers, active, retry_count, \
                       last_triggered_at, created_at, updated_at, filters";

fn opt_int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}

fn from_row(r: &Row2) -> Webhook {
    Webhook {
        id: r[0].text(),
        session_id: r[1].text(),
        url: r[2].text(),
        events: serde_json::from_str(&r[3].text()).unwrap_or_default(),
        secret: r[4].opt_text(),
        headers: serde_json::from_str(&r[5].text()).unwrap_or_default(),
        active: r[6].int() != 0,
        retry_count: r[7].int(),
        last_triggered_at: opt_int(&r[8]),
        created_at: r[9].int(),
        updated_at: r[10].int(),
        filters: r[11]
            .opt_text()
            .and_then(|text| serde_json::from_str(&text).ok()),
    }
}

fn to_text(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// Stores a new webhook (fills id and times).
pub async fn insert(db: &Db, mut hook: Webhook) -> Result<Webhook, DbError> {
    hook.id = new_id();
    hook.created_at = now_ms();
    hook.updated_at = hook.created_at;
    db.exec(
        &format!(
            "INSERT INTO server_webhooks ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10, $11)"
        ),
        vec![
            hook.id.clone().into(),
            hook.session_id.clone().into(),
            hook.url.clone().into(),
            to_text(&hook.events).into(),
            hook.secret.clone().into(),
            to_text(&hook.headers).into(),
            i64::from(hook.active).into(),
            hook.retry_count.into(),
            hook.created_at.into(),
            hook.updated_at.into(),
            hook.filters.as_ref().map(to_text).into(),
        ],
    )
    .await?;
    Ok(hook)
}

/// Writes every field of `hook` back.
pub async fn update(db: &Db, hook: &Webhook) -> Result<(), DbError> {
    db.exec(
        "UPDATE server_webhooks SET url = $1, events = $2, secret = $3, headers = $4, \
         active = $5, retry_count = $6, updated_at = $7, filters = $8 WHERE id = $9",
        vec![
            hook.url.clone().into(),
            to_text(&hook.events).into(),
            hook.secret.clone().into(),
            to_text(&hook.headers).into(),
            i64::from(hook.active).into(),
            hook.retry_count.into(),
            now_ms().into(),
            hook.filters.as_ref().map(to_text).into(),
            hook.id.clone().into(),
        ],
    )
    .await?;
    Ok(())
}

/// One webhook by id.
pub async fn get(db: &Db, id: &str) -> Result<Option<Webhook>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM server_webhooks WHERE id = $1");
    Ok(db
        .query_one(&sql, vec![id.into()])
        .await?
        .map(|r| from_row(&r)))
}

/// The webhooks of a session (every session with `None`), oldest first.
pub async fn list(db: &Db, session_id: Option<&str>) -> Result<Vec<Webhook>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM server_webhooks WHERE ($1 = '' OR session_id = $1) \
         ORDER BY created_at, id"
    );
    let rows = db
        .query(&sql, vec![session_id.unwrap_or("").into()])
        .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Deletes a webhook and its pending deliveries; answers whether it existed.
pub async fn delete(db: &Db, id: &str) -> Result<bool, DbError> {
    db.exec(
        "DELETE FROM server_outbox WHERE webhook_id = $1 AND status = 'pending'",
        vec![id.into()],
    )
    .await?;
    let n = db
        .exec("DELETE FROM server_webhooks WHERE id = $1", vec![id.into()])
        .await?;
    Ok(n > 0)
}

/// Deletes every webhook of a session.
pub async fn delete_for_session(db: &Db, session_id: &str) -> Result<(), DbError> {
    for hook in list(db, Some(session_id)).await? {
        delete(db, &hook.id).await?;
    }
    Ok(())
}

/// The statement that records a webhook's latest successful delivery time.
pub fn triggered(id: &str, at: i64) -> (String, Vec<Value>) {
    (
        "UPDATE server_webhooks SET last_triggered_at = $1 WHERE id = $2".to_owned(),
        vec![at.into(), id.into()],
    )
}

/// One delivery of one event to one webhook.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Row id.
    pub id: i64,
    /// Webhook id.
    pub webhook_id: String,
    /// Session id.
    pub session_id: String,
    /// The engine event's seq.
    pub event_seq: i64,
    /// OpenWA event name.
    pub event: String,
    /// `X-OpenWA-Idempotency-Key`.
    pub idempotency_key: String,
    /// `X-OpenWA-Delivery-Id`.
    pub delivery_id: String,
    /// The exact body (signed as is).
    pub body: String,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// Last failure.
    pub last_error: Option<String>,
    /// Last HTTP status.
    pub last_status: Option<i64>,
    /// Created, Unix ms.
    pub created_at: i64,
}

impl Delivery {
    /// The delivery as the API lists it.
    pub fn to_json(&self) -> Json {
        json!({
            "id": self.id.to_string(),
            "webhookId": self.webhook_id,
            "sessionId": self.session_id,
            "event": self.event,
            "idempotencyKey": self.idempotency_key,
            "deliveryId": self.delivery_id,
            "status": self.status,
            "attempts": self.attempts,
            "maxAttempts": self.max_attempts,
            "lastError": self.last_error,
            "lastStatusCode": self.last_status,
            "createdAt": iso(self.created_at),
        })
    }
}

const OUTBOX_COLUMNS: &str = "id, webhook_id, session_id, event_seq, event, idempotency_key, \
    delivery_id, body, status, attempts, max_attempts, last_error, last_status, created_at";

fn delivery_from_row(r: &Row2) -> Delivery {
    Delivery {
        id: r[0].int(),
        webhook_id: r[1].text(),
        session_id: r[2].text(),
        event_seq: r[3].int(),
        event: r[4].text(),
        idempotency_key: r[5].text(),
        delivery_id: r[6].text(),
        body: r[7].text(),
        status: r[8].text(),
        attempts: r[9].int(),
        max_attempts: r[10].int(),
        last_error: r[11].opt_text(),
        last_status: opt_int(&r[12]),
        created_at: r[13].int(),
    }
}

/// A delivery to write.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// Webhook id.
    pub webhook_id: String,
    /// Session id.
    pub session_id: String,
    /// The engine event's seq.
    pub event_seq: i64,
    /// OpenWA event name.
    pub event: String,
    /// Idempotency key.
    pub idempotency_key: String,
    /// Delivery id.
    pub delivery_id: String,
    /// Body.
    pub body: String,
    /// Attempts allowed.
    pub max_attempts: i64,
}

/// The statement writing a delivery due now; a second write of the same (webhook, event seq,
/// event) is a no-op.
pub fn enqueue(d: &NewDelivery) -> (String, Vec<Value>) {
    let now = now_ms();
    (
        "INSERT INTO server_outbox (webhook_id, session_id, event_seq, event, idempotency_key, \
         delivery_id, body, status, attempts, max_attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $9, $10) \
         ON CONFLICT (webhook_id, event_seq, event) DO NOTHING"
            .to_owned(),
        vec![
            d.webhook_id.clone().into(),
            d.session_id.clone().into(),
            d.event_seq.into(),
            d.event.clone().into(),
            d.idempotency_key.clone().into(),
            d.delivery_id.clone().into(),
            d.body.clone().into(),
            d.max_attempts.into(),
            now.into(),
            now.into(),
        ],
    )
}

/// Pending deliveries due at `now`, oldest first.
pub async fn due(db: &Db, now: i64, limit: i64) -> Result<Vec<Delivery>, DbError> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM server_outbox WHERE status = 'pending' \
         AND next_attempt_at <= $1 ORDER BY id LIMIT $2"
    );
    let rows = db.query(&sql, vec![now.into(), limit.into()]).await?;
    Ok(rows.iter().map(delivery_from_row).collect())
}

/// Deliveries of a session (newest first) with an optional status.
pub async fn deliveries(
    db: &Db,
    session_id: Option<&str>,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Delivery>, DbError> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM server_outbox WHERE ($1 = '' OR session_id = $1) \
         AND ($2 = '' OR status = $2) ORDER BY id DESC LIMIT $3"
    );
    let rows = db
        .query(
            &sql,
            vec![
                session_id.unwrap_or("").into(),
                status.unwrap_or("").into(),
                limit.into(),
            ],
        )
        .await?;
    Ok(rows.iter().map(delivery_from_row).collect())
}

/// The statement that marks a delivery done.
pub fn delivered(id: i64, attempts: i64, status: i64) -> (String, Vec<Value>) {
    (
        "UPDATE server_outbox SET status = 'delivered', attempts = $1, last_status = $2, \
         last_error = NULL, delivered_at = $3 WHERE id = $4"
            .to_owned(),
        vec![attempts.into(), status.into(), now_ms().into(), id.into()],
    )
}

/// The statement that records a failed attempt: due again at `next_at`, or dead
/// (`next_at: None`).
pub fn failed(
    id: i64,
    attempts: i64,
    status: Option<i64>,
    error: &str,
    next_at: Option<i64>,
) -> (String, Vec<Value>) {
    let state = if next_at.is_some() { "pending" } else { "dead" };
    (
        "UPDATE server_outbox SET status = $1, attempts = $2, last_status = $3, \
         last_error = $4, next_attempt_at = $5 WHERE id = $6"
            .to_owned(),
        vec![
            state.into(),
            attempts.into(),
            status.map_or(Value::Null, Value::Int),
            error.into(),
            next_at.unwrap_or(0).into(),
            id.into(),
        ],
    )
}

/// Puts a dead delivery back in the queue with fresh attempts; answers whether it was dead.
pub async fn redrive(db: &Db, id: i64) -> Result<bool, DbError> {
    let n = db
        .exec(
            "UPDATE server_outbox SET status = 'pending', attempts = 0, next_attempt_at = $1 \
             WHERE id = $2 AND status = 'dead'",
            vec![now_ms().into(), id.into()],
        )
        .await?;
    Ok(n > 0)
}
