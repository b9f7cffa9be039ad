//! Rate limiting in fixed windows of several tiers, per client IP (the `client_ip` module;
//! OpenWA's defaults: 10 per second, 100 per minute, 1000 per hour) and per API key; the
//! `middleware` module answers a request over any tier with 429 `rate_limited` and
//! `Retry-After`.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Instant;

/// One tier: at most `limit` requests per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier {
    /// Requests allowed per window.
    pub limit: u32,
    /// Window length, seconds.
    pub window_secs: u64,
}

impl Tier {
    /// Parses `limit/seconds` (e.g. `10/1`).
    pub fn parse(text: &str) -> Option<Tier> {
        let (limit, secs) = text.trim().split_once('/')?;
        let tier = Tier {
            limit: limit.trim().parse().ok()?,
            window_secs: secs.trim().parse().ok()?,
        };
        (tier.window_secs > 0).then_some(tier)
    }
}

/// Clients tracked before expired entries are dropped.
const PRUNE_AT: usize = 10_000;

/// The limiter: per client, per tier, the current window's start and count.
#[derive(Debug)]
pub struct Limiter<K> {
    tiers: Vec<Tier>,
    start: Instant,
    clients: Mutex<HashMap<K, Vec<(u64, u32)>>>,
}

impl<K: Eq + Hash> Limiter<K> {
    /// A limiter with these tiers (none: no limit).
    pub fn new(tiers: Vec<Tier>) -> Limiter<K> {
        Limiter {
            tiers,
            start: Instant::now(),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request of `client` at `now_secs`; `Err(retry_after_secs)` when over a tier.
    pub fn check_at(&self, client: K, now_secs: u64) -> Result<(), u64> {
        if self.tiers.is_empty() {
            return Ok(());
        }
        let Ok(mut clients) = self.clients.lock() else {
            return Ok(());
        };
        if clients.len() >= PRUNE_AT {
            let longest = self.tiers.iter().map(|t| t.window_secs).max().unwrap_or(0);
            clients.retain(|_, windows| {
                windows
                    .iter()
                    .any(|(start, _)| start.saturating_add(longest) > now_secs)
            });
        }
        let windows = clients
            .entry(client)
            .or_insert_with(|| vec![(0, 0); self.tiers.len()]);
        let mut retry_after = 0;
        for (tier, (start, count)) in self.tiers.iter().zip(windows.iter_mut()) {
            let current = now_secs - now_secs % tier.window_secs;
            if *start != current {
                (*start, *count) = (current, 0);
            }
            if *count >= tier.limit {
                retry_after = retry_after.max(current + tier.window_secs - now_secs);
            }
        }
        if retry_after > 0 {
            return Err(retry_after);
        }
        for (_, count) in windows.iter_mut() {
            *count += 1;
        }
        Ok(())
    }

    /// Counts a request of `client` now.
    pub fn check(&self, client: K) -> Result<(), u64> {
        self.check_at(client, self.start.elapsed().as_secs())
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    #[test]
    fn tiers_and_windows() {
        assert_eq!(
            Tier::parse("10/1"),
            Some(Tier {
                limit: 10,
                window_secs: 1
            })
        );
        assert_eq!(Tier::parse("10/0"), None);
        assert_eq!(Tier::parse("x"), None);
        let limiter = Limiter::new(vec![
            Tier {
                limit: 2,
                window_secs: 1,
            },
            Tier {
                limit: 3,
                window_secs: 60,
            },
        ]);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(limiter.check_at(ip, 10).is_ok());
        assert!(limiter.check_at(ip, 10).is_ok());
        assert_eq!(limiter.check_at(ip, 10), Err(1));
        assert!(limiter.check_at(other, 10).is_ok());
        assert!(limiter.check_at(ip, 11).is_ok());
        // The minute tier is full now (3 in [0, 60)).
        assert_eq!(limiter.check_at(ip, 12), Err(48));
        assert!(limiter.check_at(ip, 60).is_ok());
    }
}
