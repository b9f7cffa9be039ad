//! The webhook event both translators (`events`, `app_state_events`) make from an engine event.

use serde_json::Value as Json;

/// One webhook event made from an engine event.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// OpenWA's event name.
    pub name: &'static str,
    /// The envelope's `data`.
    pub data: Json,
    /// The idempotency key before the webhook id suffix.
    pub key: String,
}
