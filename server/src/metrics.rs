//! Prometheus metrics (`GET /api/metrics`, text format 0.0.4): HTTP requests and latency per
//! route, messages in and out, webhook deliveries, failures, dead letters and latency, and at
//! scrape time sessions by status and the outbox depth.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use openwa::{EventKind, SessionManager};

use crate::state::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A latency histogram.
#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS.len()];
        }
        for (bound, count) in BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        self.sum += seconds;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (bound, count) in BUCKETS.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// Latency per (method, route) and counts per (method, route, status).
type HttpStats = (
    BTreeMap<(String, String), Histogram>,
    BTreeMap<(String, String, u16), u64>,
);

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// (method, route) → latency histogram; (method, route, status) → count.
    http: Mutex<HttpStats>,
    messages_in: AtomicU64,
    messages_out: AtomicU64,
    deliveries_ok: AtomicU64,
    deliveries_failed: AtomicU64,
    deliveries_dead: AtomicU64,
    delivery_latency: Mutex<Histogram>,
}

impl Metrics {
    /// Records one webhook attempt: its outcome and latency.
    pub fn delivery(&self, ok: bool, dead: bool, took: Duration) {
        let counter = match (ok, dead) {
            (true, _) => &self.deliveries_ok,
            (false, true) => &self.deliveries_dead,
            (false, false) => &self.deliveries_failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut h) = self.delivery_latency.lock() {
            h.observe(took.as_secs_f64());
        }
    }

    fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        if let Ok(mut http) = self.http.lock() {
            let (latency, counts) = &mut *http;
            latency
                .entry((method.to_owned(), route.to_owned()))
                .or_default()
                .observe(took.as_secs_f64());
            *counts
                .entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
        }
    }

    fn render(&self, out: &mut String) {
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        counter(
            out,
            "openwa_messages_received_total",
            "Messages received.",
            load(&self.messages_in),
        );
        counter(
            out,
            "openwa_messages_sent_total",
            "Messages sent.",
            load(&self.messages_out),
        );
        let _ = writeln!(
            out,
            "# HELP openwa_webhook_attempts_total Webhook delivery attempts by outcome.\n\
             # TYPE openwa_webhook_attempts_total counter\n\
             openwa_webhook_attempts_total{{outcome=\"delivered\"}} {}\n\
             openwa_webhook_attempts_total{{outcome=\"failed\"}} {}\n\
             openwa_webhook_attempts_total{{outcome=\"dead\"}} {}",
            load(&self.deliveries_ok),
            load(&self.deliveries_failed),
            load(&self.deliveries_dead)
        );
        if let Ok(h) = self.delivery_latency.lock() {
            let _ = writeln!(
                out,
                "# HELP openwa_webhook_attempt_seconds Webhook attempt latency.\n\
                 # TYPE openwa_webhook_attempt_seconds histogram"
            );
            if h.count > 0 {
                h.render(out, "openwa_webhook_attempt_seconds", "");
            }
        }
        if let Ok(http) = self.http.lock() {
            let (latency, counts) = &*http;
            let _ = writeln!(
                out,
                "# HELP openwa_http_requests_total HTTP requests by route and status.\n\
                 # TYPE openwa_http_requests_total counter"
            );
            for ((method, route, status), n) in counts {
                let _ = writeln!(
                    out,
                    "openwa_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "# HELP openwa_http_request_seconds HTTP request latency by route.\n\
                 # TYPE openwa_http_request_seconds histogram"
            );
            for ((method, route), h) in latency {
                h.render(
                    out,
                    "openwa_http_request_seconds",
                    &format!("method=\"{method}\",route=\"{route}\""),
                );
            }
        }
    }
}

/// Middleware: counts and times every request by its route pattern.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let start = Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .request(&method, &route, response.status().as_u16(), start.elapsed());
    response
}

/// Counts messages from the engine's live events until the manager closes.
pub async fn watch(manager: &SessionManager, metrics: &Metrics) {
    let events = manager.events();
    while let Some(event) = events.next().await {
        match event.kind {
            EventKind::MessageReceived { .. } => {
                metrics.messages_in.fetch_add(1, Ordering::Relaxed);
            }
            EventKind::MessageSent { .. } => {
                metrics.messages_out.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

/// `GET /api/metrics`.
pub async fn scrape(State(state): State<AppState>) -> Response {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP openwa_sessions Sessions by status.\n# TYPE openwa_sessions gauge"
    );
    let mut by_status: BTreeMap<&'static str, u64> = BTreeMap::new();
    if let Ok(rows) = crate::sessions::list(&state.db, None, i64::MAX, 0).await {
        for row in rows {
            if let Ok(session) = state.manager.get(&row.id).await {
                let status = crate::sessions::status_name(session.state(), session.is_paired());
                *by_status.entry(status).or_default() += 1;
            }
        }
    }
    for (status, n) in by_status {
        let _ = writeln!(out, "openwa_sessions{{status=\"{status}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP openwa_outbox_rows Webhook outbox rows by status.\n# TYPE openwa_outbox_rows gauge"
    );
    let depth = state
        .db
        .query(
            "SELECT status, COUNT(*) FROM server_outbox GROUP BY status ORDER BY status",
            vec![],
        )
        .await
        .unwrap_or_default();
    for row in depth {
        let _ = writeln!(
            out,
            "openwa_outbox_rows{{status=\"{}\"}} {}",
            row[0].text(),
            row[1].int()
        );
    }
    state.metrics.render(&mut out);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut h = Histogram::default();
        h.observe(0.003);
        h.observe(2.0);
        let mut out = String::new();
        h.render(&mut out, "x", "");
        assert!(out.contains("x_bucket{le=\"0.005\"} 1"), "{out}");
        assert!(out.contains("x_bucket{le=\"2.5\"} 2"), "{out}");
        assert!(out.contains("x_bucket{le=\"+Inf\"} 2"), "{out}");
        assert!(out.contains("x_count 2"), "{out}");
    }
}
