//! Webhooks: per-session registrations, the engine's events as OpenWA's webhook events, and
//! their delivery through a durable outbox.
//!
//! `pump` reads the engine's durable event stream (a named consumer) and writes one outbox row
//! per matching webhook before it acknowledges the event, so a crash at any point loses no
//! event (at worst one is written again, which the outbox's unique key absorbs). `worker`
//! delivers due rows with retries, exponential backoff and dead letters.

pub mod app_state_events;
pub mod events;
pub mod filters;
pub mod guard;
pub mod pump;
pub mod sign;
pub mod store;
pub mod webhook_event;
pub mod worker;

/// The event names OpenWA accepts in a subscription (`*` means all).
pub const EVENT_NAMES: &[&str] = &[
    "message.received",
    "message.sent",
    "message.ack",
    "message.failed",
    "message.revoked",
    "message.edited",
    "message.reaction",
    "message.poll_vote",
    "presence.update",
    "session.status",
    "session.qr",
    "session.authenticated",
    "session.disconnected",
    "group.join",
    "group.leave",
    "group.update",
    "chat.update",
    "chat.deleted",
    "chat.cleared",
    "contact.update",
    "label.update",
    "label.association",
    "message.star",
];

/// Whether a subscription to `events` includes `event`.
pub fn subscribed(events: &[String], event: &str) -> bool {
    events.iter().any(|e| e == "*" || e == event)
}
