//! Upload credentials: the `media_conn` IQ (auth token and media hosts), kept in memory until
//! its TTL runs out and dropped early when a host refuses the token.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use openwa_protocol::stanza::IqSpec;
use openwa_protocol::stanza::media_conn::{MediaConn, MediaConnRequest};

use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};

/// A session's cached `media_conn` answer (a feature state: one per session).
#[derive(Debug, Default)]
pub(crate) struct MediaConnCache {
    cached: Mutex<Option<(MediaConn, Instant)>>,
}

impl MediaConnCache {
    /// The cached answer while both its host list and its token are fresh.
    fn fresh(&self, now: Instant) -> Option<MediaConn> {
        let cached = self.cached.lock().ok()?;
        let (conn, fetched) = cached.as_ref()?;
        let ttl = conn.ttl.min(if conn.auth_ttl == 0 {
            conn.ttl
        } else {
            conn.auth_ttl
        });
        (now.saturating_duration_since(*fetched) < Duration::from_secs(ttl)).then(|| conn.clone())
    }

    fn store(&self, conn: &MediaConn, now: Instant) {
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some((conn.clone(), now));
        }
    }

    /// Forgets the cached answer (a host refused its token).
    pub(crate) fn invalidate(&self) {
        if let Ok(mut cached) = self.cached.lock() {
            *cached = None;
        }
    }
}

/// The session's upload credentials: cached, or fetched with a `media_conn` IQ.
pub(crate) async fn media_conn(shared: &SessionContext) -> Result<MediaConn, Error> {
    let cache = shared.feature::<MediaConnCache>();
    if let Some(conn) = cache.fresh(Instant::now()) {
        return Ok(conn);
    }
    let answer = shared.iq(MediaConnRequest.request()).await?;
    let conn = MediaConnRequest::parse_response(&answer)
        .map_err(|e| Error::new(ErrorCode::Protocol, format!("bad media_conn answer: {e}")))?;
    cache.store(&conn, Instant::now());
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openwa_protocol::stanza::media_conn::MediaHost;

    fn conn(ttl: u64, auth_ttl: u64) -> MediaConn {
        MediaConn {
            auth: "a".into(),
            ttl,
            auth_ttl,
            max_buckets: 1,
            hosts: vec![MediaHost {
                hostname: "h".into(),
                max_content_length: None,
            }],
        }
    }

    #[test]
    fn the_cache_expires_with_the_shorter_ttl_and_on_demand() {
        let cache = MediaConnCache::default();
        let t0 = Instant::now();
        assert_eq!(cache.fresh(t0), None);
        cache.store(&conn(300, 60), t0);
        assert!(cache.fresh(t0 + Duration::from_secs(59)).is_some());
        assert_eq!(cache.fresh(t0 + Duration::from_secs(60)), None);
        cache.store(&conn(300, 0), t0);
        assert!(cache.fresh(t0 + Duration::from_secs(299)).is_some());
        cache.invalidate();
        assert_eq!(cache.fresh(t0), None);
    }
}
