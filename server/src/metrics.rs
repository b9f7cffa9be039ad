//! Prometheus counters (served by `GET /api/metrics`, text format 0.0.4): HTTP requests and
//! latency per route, messages in and out, webhook attempts by outcome and their latency.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use openwa::{EventKind, SessionManager};

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

    /// Records one answered HTTP request.
    pub fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
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

    /// Appends the counters in Prometheus text format.
    pub fn render(&self, out: &mut String) {
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
