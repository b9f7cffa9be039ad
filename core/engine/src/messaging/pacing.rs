//! Send pacing: the slot each send of a session takes (see [`SendPacing`]).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use rand::Rng as _;
use tokio::time::Instant;

use crate::changed::Changed;
use crate::config::SendPacing;
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};

const HOUR: Duration = Duration::from_secs(60 * 60);

/// The slots sends of one session took: the last one, and those of the past hour when a cap is
/// set.
#[derive(Debug, Default)]
struct Slots {
    last: Option<Instant>,
    past_hour: VecDeque<Instant>,
}

impl Slots {
    /// Takes the next slot at or after `now` under `pacing` (with `jitter` already drawn):
    /// the instant the send may leave, or, with the hourly cap reached, how long until a slot
    /// frees (nothing is taken then).
    fn take(
        &mut self,
        pacing: &SendPacing,
        now: Instant,
        jitter: Duration,
    ) -> Result<Instant, Duration> {
        if pacing.max_per_hour == 0 {
            self.past_hour.clear();
        }
        while self.past_hour.front().is_some_and(|t| *t + HOUR <= now) {
            self.past_hour.pop_front();
        }
        if pacing.max_per_hour > 0 && self.past_hour.len() >= pacing.max_per_hour as usize {
            let oldest = self.past_hour.front().copied().unwrap_or(now);
            return Err((oldest + HOUR).saturating_duration_since(now));
        }
        let gap = Duration::from_millis(u64::from(pacing.min_interval_ms)) + jitter;
        let slot = match self.last {
            Some(last) => now.max(last + gap),
            None => now,
        };
        self.last = Some(slot);
        if pacing.max_per_hour > 0 {
            self.past_hour.push_back(slot);
        }
        Ok(slot)
    }
}

/// The slots a session's sends took. Its settings are the session's `Changed<SendPacing>`
/// over its options.
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    slots: Mutex<Slots>,
}

impl Pacer {
    /// The settings in force.
    pub(crate) fn pacing(&self, shared: &SessionContext) -> SendPacing {
        shared
            .feature::<Changed<SendPacing>>()
            .get(shared.options.send_pacing)
    }

    /// Takes the next slot and waits for it: `Err(wait)` when the hourly cap is reached.
    pub(crate) async fn wait_turn(&self, shared: &SessionContext) -> Result<(), Duration> {
        let pacing = self.pacing(shared);
        if pacing == SendPacing::default() {
            return Ok(());
        }
        let jitter = match pacing.jitter_ms {
            0 => Duration::ZERO,
            max => Duration::from_millis(rand::rngs::OsRng.gen_range(0..=u64::from(max))),
        };
        let slot = {
            let mut slots = match self.slots.lock() {
                Ok(slots) => slots,
                Err(poisoned) => poisoned.into_inner(),
            };
            slots.take(&pacing, Instant::now(), jitter)?
        };
        tokio::time::sleep_until(slot).await;
        Ok(())
    }
}

/// The error of a direct send past the hourly cap.
pub(crate) fn over_cap(wait: Duration) -> Error {
    let secs = wait.as_secs().max(1);
    Error::new(
        ErrorCode::RateLimited,
        format!("the session's hourly send cap is reached; a slot frees in {secs} s"),
    )
    .with_details(secs.to_string())
    .with_retryable(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacing(min: u32, cap: u32) -> SendPacing {
        SendPacing {
            min_interval_ms: min,
            jitter_ms: 0,
            max_per_hour: cap,
        }
    }

    #[test]
    fn slots_keep_the_interval_and_the_jitter() {
        let mut slots = Slots::default();
        let now = Instant::now();
        let p = pacing(1000, 0);
        assert_eq!(slots.take(&p, now, Duration::ZERO), Ok(now));
        let second = now + Duration::from_millis(1000);
        assert_eq!(slots.take(&p, now, Duration::ZERO), Ok(second));
        let third = second + Duration::from_millis(1250);
        assert_eq!(slots.take(&p, now, Duration::from_millis(250)), Ok(third));
        // Long after the last slot, a send leaves at once.
        let later = now + Duration::from_secs(60);
        assert_eq!(slots.take(&p, later, Duration::ZERO), Ok(later));
    }

    #[test]
    fn the_hourly_cap_counts_the_past_hour() {
        let mut slots = Slots::default();
        let start = Instant::now();
        let p = pacing(0, 2);
        assert!(slots.take(&p, start, Duration::ZERO).is_ok());
        let ten = start + Duration::from_secs(600);
        assert!(slots.take(&p, ten, Duration::ZERO).is_ok());
        let wait = slots.take(&p, ten, Duration::ZERO).unwrap_err();
        assert_eq!(wait, Duration::from_secs(3000));
        // An hour after the first send, one slot is free again.
        let hour = start + HOUR;
        assert_eq!(slots.take(&p, hour, Duration::ZERO), Ok(hour));
        assert!(slots.take(&p, hour, Duration::ZERO).is_err());
        // Without a cap, nothing is counted.
        assert!(slots.take(&pacing(0, 0), hour, Duration::ZERO).is_ok());
    }

    #[test]
    fn over_the_cap_is_rate_limited_with_the_wait() {
        let err = over_cap(Duration::from_millis(90_500));
        assert_eq!(err.code, ErrorCode::RateLimited);
        assert_eq!(err.details.as_deref(), Some("90"));
    }
}
