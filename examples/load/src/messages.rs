//! The message phase of the restore child: in each pair of sessions the first sends texts to the
//! second's account (`send_text` waits for the server ack), for a fixed time, with `window` sends
//! in flight at once; the second receives them through the receive pipeline (persist, then
//! receipt), in the same manager.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use openwa::{EventKind, SessionManager};

use crate::Failure;

/// What the phase measured.
#[derive(Debug)]
pub struct Outcome {
    /// Texts whose server ack arrived.
    pub sent: u64,
    /// `MessageReceived` events seen (messages stored by the receiving sessions).
    pub received: u64,
    /// Sends that failed.
    pub failed: u64,
    /// How long the senders ran.
    pub seconds: f64,
}

/// Runs `n / 2` sending sessions for `duration`, each with `window` sends in flight; session
/// `s{2i}` writes to account `phone(2i + 1)`.
pub async fn run(
    manager: &Arc<SessionManager>,
    n: usize,
    window: usize,
    duration: Duration,
    phone: fn(usize) -> String,
) -> Result<Outcome, Failure> {
    let running = Arc::new(AtomicBool::new(true));
    let sent = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let received = Arc::new(AtomicU64::new(0));
    let events = manager.events();
    let counter = {
        let received = received.clone();
        tokio::spawn(async move {
            while let Some(event) = events.next().await {
                if let EventKind::MessageReceived { message } = event.kind
                    && !message.from_me
                {
                    received.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };
    let mut senders = Vec::new();
    for (pair, lane) in (0..n / 2).flat_map(|pair| (0..window.max(1)).map(move |lane| (pair, lane)))
    {
        let session = manager.get(&format!("s{}", 2 * pair)).await?;
        let to = phone(2 * pair + 1);
        let (running, sent, failed) = (running.clone(), sent.clone(), failed.clone());
        senders.push(tokio::spawn(async move {
            let mut k = 0u64;
            while running.load(Ordering::Relaxed) {
                k += 1;
                match session
                    .send_text(
                        &to,
                        &format!("load message {lane}.{k}"),
                        openwa::SendOptions::default(),
                    )
                    .await
                {
                    Ok(_) => sent.fetch_add(1, Ordering::Relaxed),
                    Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    running.store(false, Ordering::Relaxed);
    let seconds = started.elapsed().as_secs_f64();
    let sent_in_time = sent.load(Ordering::Relaxed);
    for sender in senders {
        sender.await?;
    }
    // Let the last messages reach their receivers.
    tokio::time::sleep(Duration::from_secs(2)).await;
    counter.abort();
    Ok(Outcome {
        sent: sent_in_time,
        received: received.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        seconds,
    })
}
