//! Latency samples and their summary.

use std::time::Duration;

use serde_json::{Value, json};

/// Latencies of one phase, in microseconds.
#[derive(Debug, Default)]
pub struct Samples(Vec<u64>);

impl Samples {
    /// Adds one latency.
    pub fn push(&mut self, latency: Duration) {
        self.0
            .push(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
    }

    /// Adds every sample of `other`.
    pub fn extend(&mut self, other: Samples) {
        self.0.extend(other.0);
    }

    /// `{count, per_second, p50_ms, p95_ms, p99_ms, max_ms}` over `elapsed`.
    pub fn summary(&mut self, elapsed: Duration) -> Value {
        self.0.sort_unstable();
        let at = |share: f64| -> f64 {
            if self.0.is_empty() {
                return 0.0;
            }
            let index = ((self.0.len() as f64 - 1.0) * share).round() as usize;
            self.0[index] as f64 / 1000.0
        };
        json!({
            "count": self.0.len(),
            "per_second": self.0.len() as f64 / elapsed.as_secs_f64(),
            "p50_ms": at(0.50),
            "p95_ms": at(0.95),
            "p99_ms": at(0.99),
            "max_ms": at(1.0),
        })
    }
}
