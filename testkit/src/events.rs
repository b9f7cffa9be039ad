//! Waiting for engine events: the next matching event, QR codes, connection states, linking a
//! session by QR.

use std::time::Duration;

use openwa::{ConnectionState, EventKind, EventStream, Session, StateReason};
use openwa_simulator::{PairedDevice, SimulatorHandle};

/// How long a test waits for one expected event.
pub const WAIT: Duration = Duration::from_secs(30);

/// The next event of `events` whose kind matches `pred` (panics after [`WAIT`]).
pub async fn next_matching(events: &EventStream, pred: impl Fn(&EventKind) -> bool) -> EventKind {
    tokio::time::timeout(WAIT, async {
        loop {
            let event = events.next().await.unwrap();
            if pred(&event.kind) {
                return event.kind;
            }
        }
    })
    .await
    .unwrap()
}

/// The QR string of the next `Qr` event.
pub async fn next_qr(events: &EventStream) -> String {
    match next_matching(events, |k| matches!(k, EventKind::Qr { .. })).await {
        EventKind::Qr { code, .. } => code,
        _ => unreachable!(),
    }
}

/// Connects `session` (unpaired), links it to the account `phone` by QR and waits until it is
/// connected.
pub async fn link_by_qr(sim: &SimulatorHandle, session: &Session, phone: &str) -> PairedDevice {
    let events = session.events();
    session.connect().await.unwrap();
    let linked = sim
        .sim()
        .link_qr(phone, &next_qr(&events).await)
        .await
        .unwrap();
    session
        .wait_for_state(ConnectionState::Connected, 120_000)
        .await
        .unwrap();
    linked
}

/// Waits for the next change to `state`; returns its reason and detail.
pub async fn next_state(
    events: &EventStream,
    state: ConnectionState,
) -> (StateReason, Option<String>) {
    let kind = next_matching(
        events,
        |k| matches!(k, EventKind::ConnectionState { state: s, .. } if *s == state),
    )
    .await;
    match kind {
        EventKind::ConnectionState { reason, detail, .. } => (reason, detail),
        _ => unreachable!(),
    }
}
