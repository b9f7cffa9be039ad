//! Delivers due outbox rows: POST with OpenWA's headers and signature; 2xx is done; anything
//! else is retried with exponential backoff and jitter (at least `Retry-After`), and dead after
//! the webhook's attempts. Rows are taken in batches; a batch's POSTs run concurrently and
//! their outcomes are written in one transaction (a crash before it only means the batch is
//! delivered again: at least once).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::task::JoinSet;

use super::sign::signature;
use super::store::{self, Delivery, Webhook};
use crate::db::DbError;
use crate::state::AppState;
use crate::util::now_ms;

/// Most deliveries in flight at once.
const BATCH: i64 = 64;
/// Longest wait between two attempts.
const MAX_DELAY_MS: i64 = 3_600_000;
/// Request headers a webhook's custom headers may not override.
const RESERVED: &[&str] = &["content-type", "content-length", "host", "user-agent"];

/// The outcome of one attempt.
#[derive(Debug)]
pub struct Attempt {
    /// HTTP status, if an answer came.
    pub status: Option<u16>,
    /// What failed, if anything.
    pub error: Option<String>,
    /// The answer's `Retry-After`, in ms.
    pub retry_after_ms: Option<i64>,
}

/// Runs forever.
pub async fn run(state: AppState, client: reqwest::Client) {
    loop {
        match store::due(&state.db, now_ms(), BATCH).await {
            Ok(due) if !due.is_empty() => {
                if let Err(e) = deliver_batch(&state, &client, due).await {
                    tracing::warn!("recording deliveries: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            Ok(_) => {
                tokio::select! {
                    _ = state.outbox_wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                }
            }
            Err(e) => {
                tracing::warn!("reading the outbox: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// One attempt of each of `due` at once, then their outcomes (and each webhook's latest
/// delivery time) in one transaction.
async fn deliver_batch(
    state: &AppState,
    client: &reqwest::Client,
    due: Vec<Delivery>,
) -> Result<(), DbError> {
    let ids: BTreeSet<String> = due.iter().map(|d| d.webhook_id.clone()).collect();
    let mut hooks = BTreeMap::new();
    for id in ids {
        let hook = store::get(&state.db, &id).await?.filter(|h| h.active);
        hooks.insert(id, hook);
    }
    let mut set = JoinSet::new();
    for delivery in due {
        let hook = hooks.get(&delivery.webhook_id).cloned().flatten();
        let (state, client) = (state.clone(), client.clone());
        set.spawn(async move { attempt(&state, &client, &delivery, hook).await });
    }
    let mut statements = Vec::new();
    let mut reached = BTreeSet::new();
    while let Some(done) = set.join_next().await {
        match done {
            Ok((statement, hook)) => {
                statements.push(statement);
                reached.extend(hook);
            }
            Err(e) => tracing::warn!("a delivery task failed: {e}"),
        }
    }
    let now = now_ms();
    statements.extend(reached.iter().map(|id| store::triggered(id, now)));
    state.db.exec_all(statements).await
}

/// One attempt of one delivery: the statement recording its outcome, and the webhook's id when
/// it was delivered.
async fn attempt(
    state: &AppState,
    client: &reqwest::Client,
    d: &Delivery,
    hook: Option<Webhook>,
) -> ((String, Vec<crate::db::Value>), Option<String>) {
    let attempts = d.attempts + 1;
    let Some(hook) = hook else {
        let failed = store::failed(d.id, attempts, None, "webhook deleted or inactive", None);
        return (failed, None);
    };
    // The guard again at delivery: the configuration may have changed since registration.
    if let Err(refused) = super::guard::check(&hook.url, state.config.webhook_allow_private) {
        return (store::failed(d.id, attempts, None, &refused, None), None);
    }
    let started = std::time::Instant::now();
    let outcome = post(
        client,
        &hook,
        &d.event,
        &d.idempotency_key,
        &d.delivery_id,
        d.attempts,
        d.body.as_bytes(),
        state.config.webhook_timeout_ms,
    )
    .await;
    let status = outcome.status.map(i64::from);
    let dead = outcome.error.is_some() && attempts >= d.max_attempts;
    state
        .metrics
        .delivery(outcome.error.is_none(), dead, started.elapsed());
    let Some(error) = outcome.error else {
        let delivered = store::delivered(d.id, attempts, status.unwrap_or(200));
        return (delivered, Some(hook.id));
    };
    let next_at = (attempts < d.max_attempts).then(|| {
        let delay = backoff(state.config.webhook_retry_delay_ms, attempts);
        now_ms()
            + delay
                .max(outcome.retry_after_ms.unwrap_or(0))
                .min(MAX_DELAY_MS)
    });
    (store::failed(d.id, attempts, status, &error, next_at), None)
}

/// The wait after failed attempt `attempts` (1-based): `base · 2^(attempts-1)` plus up to
/// half of that again as jitter.
pub fn backoff(base_ms: u64, attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let delay = i64::try_from(base_ms)
        .unwrap_or(MAX_DELAY_MS)
        .saturating_mul(1 << exp)
        .min(MAX_DELAY_MS);
    delay + rand::thread_rng().gen_range(0..=delay / 2)
}

/// POSTs `body` to the webhook with OpenWA's headers.
#[allow(clippy::too_many_arguments)]
pub async fn post(
    client: &reqwest::Client,
    hook: &Webhook,
    event: &str,
    idempotency_key: &str,
    delivery_id: &str,
    retry_count: i64,
    body: &[u8],
    timeout_ms: u64,
) -> Attempt {
    let mut headers = HeaderMap::new();
    for (name, value) in &hook.headers {
        let lower = name.to_ascii_lowercase();
        if RESERVED.contains(&lower.as_str()) || lower.starts_with("x-openwa-") {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(n, v);
        }
    }
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set("content-type", "application/json");
    set("user-agent", "OpenWA-Webhook/1.0.0");
    set("x-openwa-event", event);
    set("x-openwa-idempotency-key", idempotency_key);
    set("x-openwa-delivery-id", delivery_id);
    set("x-openwa-retry-count", &retry_count.to_string());
    if let Some(secret) = &hook.secret {
        set("x-openwa-signature", &signature(secret, body));
    }
    let sent = client
        .post(&hook.url)
        .headers(headers)
        .body(body.to_vec())
        .timeout(Duration::from_millis(timeout_ms))
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => Attempt {
            status: Some(response.status().as_u16()),
            error: None,
            retry_after_ms: None,
        },
        Ok(response) => Attempt {
            status: Some(response.status().as_u16()),
            error: Some(format!("HTTP {}", response.status().as_u16())),
            retry_after_ms: response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<i64>().ok())
                .map(|secs| secs.saturating_mul(1000)),
        },
        Err(e) => Attempt {
            status: None,
            error: Some(e.to_string()),
            retry_after_ms: None,
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_with_jitter() {
        for attempts in 1..=4 {
            let base = 100 * (1 << (attempts - 1));
            let d = super::backoff(100, attempts);
            assert!((base..=base + base / 2).contains(&d), "{attempts}: {d}");
        }
    }
}
