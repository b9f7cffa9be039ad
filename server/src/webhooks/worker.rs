//! Delivers due outbox rows: POST with OpenWA's headers and signature; 2xx is done; anything
//! else is retried with exponential backoff and jitter (at least `Retry-After`), and dead after
//! the webhook's attempts. Deliveries run concurrently, up to `IN_FLIGHT` at a time, and new
//! ones start as soon as others end; finished outcomes are written in batches, each in one
//! transaction (a crash before it only means those rows are delivered again: at least once).

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
const IN_FLIGHT: usize = 128;
/// Most outcomes written in one transaction.
const RECORD_BATCH: usize = 256;
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

/// A finished attempt: its row id, the statement recording it, and the webhook's id when it
/// was delivered.
type Outcome = (i64, (String, Vec<crate::db::Value>), Option<String>);

/// Runs forever.
pub async fn run(state: AppState, client: reqwest::Client) {
    let mut running: JoinSet<Outcome> = JoinSet::new();
    // Rows in flight or finished but not recorded yet: the outbox still lists them as due.
    let mut taken = BTreeSet::new();
    let mut finished: Vec<Outcome> = Vec::new();
    loop {
        while let Some(done) = running.try_join_next() {
            collect(done, &mut finished);
        }
        if !finished.is_empty() && (running.is_empty() || finished.len() >= RECORD_BATCH / 4) {
            let batch: Vec<Outcome> = finished.drain(..finished.len().min(RECORD_BATCH)).collect();
            let ids: Vec<i64> = batch.iter().map(|(id, ..)| *id).collect();
            if let Err(e) = record(&state, batch).await {
                tracing::warn!("recording deliveries: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            // Recorded, or (on failure) left due to be delivered again.
            for id in ids {
                taken.remove(&id);
            }
            continue;
        }
        // Refill once a quarter of the slots is free (not one read per ended delivery).
        let room = IN_FLIGHT.saturating_sub(running.len());
        if room >= IN_FLIGHT / 4 || running.is_empty() {
            let limit = i64::try_from(room + taken.len()).unwrap_or(i64::MAX);
            match store::due(&state.db, now_ms(), limit).await {
                Ok(due) => {
                    let fresh: Vec<Delivery> = due
                        .into_iter()
                        .filter(|d| !taken.contains(&d.id))
                        .take(room)
                        .collect();
                    if !fresh.is_empty() {
                        start(&state, &client, fresh, &mut running, &mut taken).await;
                        continue;
                    }
                }
                Err(e) => {
                    tracing::warn!("reading the outbox: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            }
        }
        // Nothing to start: wait for a delivery to end, new rows, or a retry falling due.
        tokio::select! {
            Some(done) = running.join_next(), if !running.is_empty() => collect(done, &mut finished),
            _ = state.outbox_wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
}

fn collect(done: Result<Outcome, tokio::task::JoinError>, finished: &mut Vec<Outcome>) {
    match done {
        Ok(outcome) => finished.push(outcome),
        Err(e) => tracing::warn!("a delivery task failed: {e}"),
    }
}

/// Starts one attempt of each of `due` (their webhooks read once).
async fn start(
    state: &AppState,
    client: &reqwest::Client,
    due: Vec<Delivery>,
    running: &mut JoinSet<Outcome>,
    taken: &mut BTreeSet<i64>,
) {
    let ids: BTreeSet<String> = due.iter().map(|d| d.webhook_id.clone()).collect();
    let mut hooks = BTreeMap::new();
    for id in ids {
        match store::get(&state.db, &id).await {
            Ok(hook) => {
                hooks.insert(id, hook.filter(|h| h.active));
            }
            Err(e) => {
                tracing::warn!("reading webhook {id}: {e}");
                return;
            }
        }
    }
    for delivery in due {
        let hook = hooks.get(&delivery.webhook_id).cloned().flatten();
        let (state, client) = (state.clone(), client.clone());
        taken.insert(delivery.id);
        running.spawn(async move {
            let (statement, reached) = attempt(&state, &client, &delivery, hook).await;
            (delivery.id, statement, reached)
        });
    }
}

/// Writes finished outcomes, and each delivered webhook's latest delivery time, in one
/// transaction.
async fn record(state: &AppState, outcomes: Vec<Outcome>) -> Result<(), DbError> {
    let mut statements = Vec::with_capacity(outcomes.len() + 1);
    let mut reached = BTreeSet::new();
    for (_, statement, hook) in outcomes {
        statements.push(statement);
        reached.extend(hook);
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
