//! A webhook receiver on loopback that answers 200 at once and counts deliveries with the
//! time of the first and the last.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::routing::post;

/// What the receiver saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Deliveries.
    pub count: u64,
    /// When the first arrived.
    pub first: Option<Instant>,
    /// When the last arrived.
    pub last: Option<Instant>,
}

/// Starts the receiver; returns its URL and its tally.
pub async fn start() -> Result<(String, Arc<Mutex<Seen>>), crate::Failure> {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let tally = Arc::clone(&seen);
    let app = Router::new().route(
        "/hook",
        post(move || {
            let seen = Arc::clone(&tally);
            async move {
                if let Ok(mut seen) = seen.lock() {
                    let now = Instant::now();
                    seen.count += 1;
                    seen.first.get_or_insert(now);
                    seen.last = Some(now);
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, seen))
}
